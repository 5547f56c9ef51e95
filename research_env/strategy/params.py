"""Building a strategy instance from user-given symbols and parameter overrides."""

from __future__ import annotations

import ast
import difflib
import inspect

from ..errors import InputError
from .base import StrategyBase

__all__ = ["ParameterError", "coerce_value", "instantiate", "parse_pairs", "strategy_defaults"]


class ParameterError(InputError):
    """A parameter override names nothing the strategy accepts, or has the wrong type."""


def strategy_defaults(cls: type[StrategyBase]) -> dict:
    """Constructor parameters (other than ``symbols``) and their default values."""
    defaults = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if name in ("self", "symbols") or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        defaults[name] = None if p.default is p.empty else p.default
    return defaults


def parse_pairs(items: list[str], option: str) -> dict[str, str]:
    """``["a=1", "b='x'"]`` -> ``{"a": "1", "b": "x"}``: the ``NAME=VALUE`` options of the CLI and the magics.

    Values stay text (the strategy's defaults type them, see ``coerce_value``);
    one pair of quotes around a value is dropped. A malformed item names ``option``.
    """
    pairs = {}
    for text in items:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise ParameterError(f"{option} expects NAME=VALUE, got {text!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        pairs[name.strip()] = value
    return pairs


def coerce_value(name: str, value, default):
    """Turn a CLI/JSON value into the type of the parameter's default (``"14"`` -> 14)."""
    if isinstance(value, str) and not isinstance(default, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            if value.lower() in ("true", "false"):
                value = value.lower() == "true"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ParameterError(f"parameter `{name}` expects true/false, got {value!r}")
        return value
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if default is not None and isinstance(default, int | float) and not isinstance(value, int | float):
        raise ParameterError(f"parameter `{name}` expects a number like {default!r}, got {value!r}")
    return value


def instantiate(cls: type[StrategyBase], symbols: list[str] | None, params: dict | None) -> StrategyBase:
    """``cls(symbols=..., **params)`` after checking every parameter name and type."""
    defaults = strategy_defaults(cls)
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())
    kwargs = {}
    for name, value in (params or {}).items():
        if name not in defaults and not accepts_any:
            hint = difflib.get_close_matches(name, defaults, n=1)
            suggestion = f"; did you mean `{hint[0]}`?" if hint else ""
            raise ParameterError(
                f"{cls.__name__} has no parameter `{name}`{suggestion} "
                f"(its parameters: {', '.join(defaults) or 'none'})"
            )
        kwargs[name] = coerce_value(name, value, defaults.get(name))
    if "symbols" in inspect.signature(cls.__init__).parameters:
        kwargs["symbols"] = list(symbols) if symbols else None
    elif symbols:
        raise ParameterError(f"{cls.__name__}.__init__ takes no `symbols`; the guide asks for `symbols` first")
    try:
        return cls(**kwargs)
    except ParameterError:
        raise  # already names the parameter and the fix
    except Exception as e:
        raise ParameterError(f"{cls.__name__}({_show(kwargs)}) failed: {type(e).__name__}: {e}") from e


def _show(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
