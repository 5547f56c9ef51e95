"""Parameter grids: checking names and sizes, expanding to combinations, parsing CLI values."""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

import numpy as np

from ..run_spec import DEFAULT_MAX_COMBINATIONS
from ._errors import GridError

__all__ = ["DEFAULT_MAX_COMBINATIONS", "check_grid", "expand_grid", "parse_grid", "parse_values"]


def check_grid(grid: Mapping | None, known: Iterable[str] | None, strategy: str,
               max_combinations: int | None = DEFAULT_MAX_COMBINATIONS) -> dict[str, list]:
    """``{name: [values]}`` in the given order, after checking every name, that no list is empty and the size.

    ``known`` are the parameter names the strategy accepts (``None``: any name).
    A scalar value stands for a one-value list.
    """
    if grid is None or not isinstance(grid, Mapping) or not grid:
        raise GridError(f"`param_grid` is empty; pass e.g. {{'bb_period': [10, 20]}} to sweep {strategy}")
    known = list(known) if known is not None else None
    out: dict[str, list] = {}
    for name, values in grid.items():
        if known is not None and name not in known:
            hint = difflib.get_close_matches(str(name), known, n=1)
            suggestion = f"; did you mean `{hint[0]}`?" if hint else ""
            raise GridError(f"{strategy} has no parameter `{name}`{suggestion} (its parameters: "
                            f"{', '.join(known) or 'none'})")
        listed = _as_list(values)
        if not listed:
            raise GridError(f"`param_grid` gives no values for `{name}`; list at least one")
        out[str(name)] = listed
    total = math.prod(len(v) for v in out.values())
    if max_combinations is not None and total > max_combinations:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in out.items())
        raise GridError(f"`param_grid` has {total} combinations ({sizes}), over the limit of {max_combinations}; "
                        f"shrink the grid or pass max_combinations={total} to raise the limit")
    return out


def expand_grid(grid: Mapping[str, list]) -> list[dict]:
    """Every combination, the last parameter varying fastest (``itertools.product`` order)."""
    names = list(grid)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*grid.values())]


def parse_grid(items: list[str], option: str = "--grid") -> dict[str, list]:
    """``NAME=VALUES`` items (``fast=5,10,20``, ``std=1.5:3.0:0.5``) as a grid; each name once."""
    grid: dict[str, list] = {}
    for text in items:
        name, sep, values = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise GridError(f"{option} expects NAME=VALUES, got {text!r} (e.g. {option} bb_period=10,15,20)")
        if name in grid:
            raise GridError(f"{option} names `{name}` twice; give all its values at once, e.g. {name}=5,10,20")
        grid[name] = parse_values(values, f"{option} {name}")
    if not grid:
        raise GridError(f"no {option} given; write e.g. {option} fast_period=5,10,20 {option} slow_period=30:90:30")
    return grid


def parse_values(text: str, option: str = "--grid") -> list:
    """CLI values: ``10,15,20`` or ``start:stop:step`` (stop included), numbers, true/false or words."""
    text = text.strip()
    if not text:
        raise GridError(f"{option} has no values; write e.g. bb_period=10,15,20 or bb_std=1.5:3.0:0.5")
    if ":" in text and "," not in text:
        return _parse_range(text, option)
    return [_parse_scalar(item.strip()) for item in text.split(",") if item.strip()]


def _parse_range(text: str, option: str) -> list:
    parts = text.split(":")
    if len(parts) != 3:
        raise GridError(f"{option} range {text!r} must be start:stop:step, e.g. 1.5:3.0:0.5")
    try:
        start, stop, step = (Decimal(p.strip()) for p in parts)
    except InvalidOperation as e:
        raise GridError(f"{option} range {text!r} must hold numbers, e.g. 1.5:3.0:0.5") from e
    if step <= 0:
        raise GridError(f"{option} range {text!r} needs a positive step")
    if stop < start:
        raise GridError(f"{option} range {text!r} stops before it starts")
    count = int((stop - start) / step) + 1
    if count > 100_000:
        raise GridError(f"{option} range {text!r} has {count} values; use a larger step")
    values = [start + i * step for i in range(count)]
    integral = all(p.strip().lstrip("+-").isdigit() for p in parts)
    return [int(v) for v in values] if integral else [float(v) for v in values]


def _parse_scalar(item: str):
    lowered = item.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(item)
    except ValueError:
        pass
    try:
        return float(item)
    except ValueError:
        return item


def _as_list(values) -> list:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        return [_plain(values)]
    return [_plain(v) for v in values]


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
