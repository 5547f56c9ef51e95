"""Strategies: ``StrategyBase``, ``Indicators``, loading strategy files and building instances."""

from .base import StrategyBase
from .history import BarHistory
from .indicators import Indicators
from .loader import StrategyLoadError, available_strategies, load_strategy_class, register_strategy
from .params import ParameterError, instantiate

__all__ = [
    "BarHistory",
    "Indicators",
    "ParameterError",
    "StrategyBase",
    "StrategyLoadError",
    "available_strategies",
    "instantiate",
    "load_strategy_class",
    "register_strategy",
]
