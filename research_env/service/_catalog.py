"""``GET /api/strategies``: the server's own strategies (trusted), their parameters and defaults."""

from __future__ import annotations

import inspect

from ..errors import InputError, StrategyError
from ..strategy.loader import available_strategies, load_strategy
from ..strategy.params import strategy_defaults
from ._terms import in_service_terms

__all__ = ["strategy_catalog"]

_PLAIN = (bool, int, float, str, type(None))


def strategy_catalog() -> list[dict]:
    """One entry per strategy name the server takes, by name; ``x_vectorized`` is folded into ``x``."""
    names = available_strategies()
    return [_describe(name) for name in sorted(names)
            if not (name.endswith("_vectorized") and name.removesuffix("_vectorized") in names)]


def _describe(name: str) -> dict:
    """``name``, a one-line ``description``, whether it runs ``bar_by_bar`` and ``vectorized``, its default
    ``timeframe`` and its ``parameters`` (``name``, ``default``, ``range`` from ``param_schema`` or null);
    a file that does not load has its ``error`` instead."""
    entry = {"name": name, "description": "", "bar_by_bar": False, "vectorized": False, "timeframe": None,
             "parameters": [], "error": None}
    try:
        loaded = load_strategy(name)
    except (InputError, StrategyError) as e:
        return {**entry, "error": in_service_terms(str(e))}
    bar, twin = loaded.strategy_class, loaded.vectorized_class
    schema = {**(getattr(twin, "param_schema", None) or {}), **(getattr(bar, "param_schema", None) or {})}
    defaults = strategy_defaults(bar) if bar is not None else {}
    names = list(getattr(bar, "parameters", None) or defaults) if bar is not None else list(schema)
    timeframe = getattr(bar or twin, "timeframe", None)
    return {**entry, "description": (inspect.getdoc(bar or twin) or "").split("\n\n")[0].replace("\n", " "),
            "bar_by_bar": bar is not None, "vectorized": twin is not None,
            "timeframe": timeframe if isinstance(timeframe, str) else None,
            "parameters": [{"name": p, "default": _plain(defaults.get(p)),
                            "range": _plain(list(schema[p])) if p in schema else None} for p in names]}


def _plain(value):
    """``value`` as JSON has it (lists of plain values stay lists; anything else is its text)."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, _PLAIN) else str(value)
