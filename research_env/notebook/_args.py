"""Argument helpers shared by the magics: strategies from the namespace, symbols, ``k=v`` pairs, grids."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from IPython.core.error import UsageError

__all__ = ["input_errors", "parse_grid", "parse_pairs", "parse_symbols", "resolve_strategy"]


def resolve_strategy(token: str, namespace: dict):
    """A class or instance bound to ``token`` in the user's namespace, else ``token`` itself (a name or a path)."""
    from ..strategy.base import StrategyBase

    value = namespace.get(token)
    if isinstance(value, StrategyBase) or (isinstance(value, type) and issubclass(value, StrategyBase)):
        return value
    return _unquote(token)


def parse_symbols(values: list[str] | None) -> list[str] | None:
    """``["AAPL,MSFT", "SPY"]`` -> ``["AAPL", "MSFT", "SPY"]``; None when none were given."""
    if not values:
        return None
    symbols = [s.strip().upper() for v in values for s in v.split(",") if s.strip()]
    return symbols or None


def parse_pairs(items: list[str], option: str, unquote: bool = True) -> dict[str, str]:
    """``["a=1", "b=2"]`` -> ``{"a": "1", "b": "2"}`` (values stay text; the strategy's defaults type them).

    ``unquote`` strips one pair of quotes around a value (``mode='fast'``).
    """
    pairs = {}
    for text in items:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"{option} expects NAME=VALUE, got {text!r}")
        pairs[name.strip()] = _unquote(value.strip()) if unquote else value.strip()
    return pairs


def parse_grid(items: list[str]) -> dict[str, list]:
    """``--grid`` values as ``research-env sweep`` reads them: ``fast=5,10,20`` or ``std=1.5:3.0:0.5``."""
    from ..sweeps import GridError, parse_values

    grid = {}
    for text in items:
        name, sep, values = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"--grid expects NAME=VALUES, got {text!r}")
        if name in grid:
            raise UsageError(f"--grid names `{name}` twice; give all its values at once, e.g. {name}=5,10,20")
        try:
            grid[name] = parse_values(values, f"--grid {name}")
        except GridError as e:
            raise UsageError(str(e)) from None
    if not grid:
        raise UsageError("no --grid given; write e.g. --grid fast_period=5,10,20 --grid slow_period=30:90:30")
    return grid


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


@contextlib.contextmanager
def input_errors() -> Iterator[None]:
    """Turn the API's bad-input errors (unknown strategy, parameter, symbol, dates) into ``UsageError``."""
    from ..data import BarDataError
    from ..strategy.loader import StrategyLoadError
    from ..strategy.params import ParameterError

    try:
        yield
    except (BarDataError, ParameterError, StrategyLoadError, FileNotFoundError) as e:
        raise UsageError(str(e)) from e
