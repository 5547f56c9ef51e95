"""research-env: write trading strategies in Python, backtest them bar by bar, report inline.

Heavy modules load on first use: ``import research_env`` imports nothing but
this file.
"""

from __future__ import annotations

import importlib

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Bar",
    "BarData",
    "BarDataError",
    "BarStore",
    "Indicators",
    "OrderSide",
    "OrderType",
    "ParameterError",
    "RiskConfig",
    "Signal",
    "StrategyBase",
    "StrategyError",
    "StrategyLoadError",
    "SweepResult",
    "Tick",
    "VectorizedStrategy",
    "backtest",
    "import_bars",
    "interact",
    "load_bars",
    "load_ipython_extension",
    "register_strategy",
    "sweep",
    "walk_forward",
]

_HOME = {
    "BacktestConfig": "research_env.engine.config",
    "RiskConfig": "research_env.engine.config",
    "BacktestResult": "research_env.engine.result",
    "StrategyError": "research_env.engine.loop",
    "Bar": "research_env.core.models",
    "Signal": "research_env.core.models",
    "Tick": "research_env.core.models",
    "OrderSide": "research_env.core.enums",
    "OrderType": "research_env.core.enums",
    "BarData": "research_env.data",
    "BarDataError": "research_env.data",
    "BarStore": "research_env.data",
    "import_bars": "research_env.data",
    "load_bars": "research_env.data",
    "Indicators": "research_env.strategy.indicators",
    "StrategyBase": "research_env.strategy.base",
    "ParameterError": "research_env.strategy.params",
    "StrategyLoadError": "research_env.strategy.loader",
    "register_strategy": "research_env.strategy.loader",
    "backtest": "research_env.api",
    "sweep": "research_env.sweeps",
    "walk_forward": "research_env.sweeps",
    "SweepResult": "research_env.sweeps",
    "VectorizedStrategy": "research_env.strategy.vectorized",
    "interact": "research_env.notebook.widgets",
}


def load_ipython_extension(ip) -> None:
    """``%load_ext research_env``: register the magics (``research_env.notebook`` loads only now)."""
    from .notebook import load_ipython_extension as register

    register(ip)


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'research_env' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
