"""Small helpers shared by the subcommands."""

from __future__ import annotations

__all__ = ["parse_pairs"]


def parse_pairs(items: list[str], option: str) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> ``{"a": "1", "b": "2"}``; a malformed item names the option."""
    pairs = {}
    for text in items:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"{option} expects NAME=VALUE, got {text!r}")
        pairs[name.strip()] = value.strip()
    return pairs
