"""Function-style strategies (the Strategy Syntax Reference): plain functions run by an adapter on the engine.

A file with ``on_bar_close(market, portfolio, memory, session)`` (or the
legacy ``strategy(data_contexts, portfolio, state)``) and an optional
``BACKTEST_CONFIG`` becomes a ``FunctionStrategy`` subclass through
``research_env.strategy.loader``; see ``docs/function_style.md``.
"""

from .adapter import LIFECYCLE, FunctionStrategy, function_strategy_class, helper_namespace, is_function_style
from .config import StrategyConfig, parse_backtest_config
from .discovery import Discovery, discover_symbols
from .errors import FunctionStrategyError, OrderError, StrategyFunctionError

__all__ = [
    "LIFECYCLE",
    "Discovery",
    "FunctionStrategy",
    "FunctionStrategyError",
    "OrderError",
    "StrategyConfig",
    "StrategyFunctionError",
    "discover_symbols",
    "function_strategy_class",
    "helper_namespace",
    "is_function_style",
    "parse_backtest_config",
]
