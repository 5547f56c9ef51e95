"""Errors of function-style strategies: the file, what a function returned, what a function raised."""

from __future__ import annotations

from ...errors import InputError

__all__ = ["FunctionStrategyError", "OrderError", "StrategyFunctionError"]


class FunctionStrategyError(InputError):
    """A function-style strategy file cannot run as written (config, symbols, functions); the message says why."""


class OrderError(InputError):
    """An order a strategy function returned is malformed (action, quantity, keys); the message names the value."""


class StrategyFunctionError(RuntimeError):
    """A lifecycle function of the strategy raised; the message names the function, the cause is chained."""
