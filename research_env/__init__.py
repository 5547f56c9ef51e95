"""research-env: write trading strategies in Python, backtest them bar by bar, report inline.

Heavy modules load on first use: ``import research_env`` imports nothing but
this file.
"""

from __future__ import annotations

# ``typing.TYPE_CHECKING`` without importing ``typing``: this file runs at every interpreter start (the seed-alias
# hook imports the package), so it imports nothing. Type checkers treat the name as true.
TYPE_CHECKING = False

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Bar",
    "BarData",
    "BarDataError",
    "BarStore",
    "Indicators",
    "InputError",
    "LoadedStrategy",
    "LookaheadReport",
    "OrderSide",
    "OrderType",
    "ParameterError",
    "ReplayError",
    "ResearchEnvError",
    "RiskConfig",
    "RunSpec",
    "Signal",
    "StrategyBase",
    "StrategyError",
    "StrategyLoadError",
    "SweepResult",
    "Tick",
    "UntrustedCodeError",
    "ValidationReport",
    "VectorizedStrategy",
    "backtest",
    "check_lookahead",
    "import_bars",
    "interact",
    "load_bars",
    "load_ipython_extension",
    "load_strategy",
    "register_strategy",
    "replay",
    "sweep",
    "validate_strategy",
    "walk_forward",
]

#: exported name -> the module that defines it (the TYPE_CHECKING block below names the same pairs).
_HOME = {
    "InputError": "research_env.errors",
    "ResearchEnvError": "research_env.errors",
    "StrategyError": "research_env.errors",
    "BacktestConfig": "research_env.engine.config",
    "RiskConfig": "research_env.engine.config",
    "BacktestResult": "research_env.engine.result",
    "RunSpec": "research_env.run_spec",
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
    "LoadedStrategy": "research_env.strategy.loader",
    "load_strategy": "research_env.strategy.loader",
    "register_strategy": "research_env.strategy.loader",
    "backtest": "research_env.api",
    "check_lookahead": "research_env.lookahead",
    "replay": "research_env.replays",
    "ReplayError": "research_env.replays",
    "LookaheadReport": "research_env.lookahead",
    "sweep": "research_env.sweeps",
    "walk_forward": "research_env.sweeps",
    "SweepResult": "research_env.sweeps",
    "VectorizedStrategy": "research_env.strategy.vectorized",
    "interact": "research_env.notebook.widgets",
    "UntrustedCodeError": "research_env.strategy.untrusted",
    "ValidationReport": "research_env.strategy.untrusted",
    "validate_strategy": "research_env.strategy.untrusted",
}

if TYPE_CHECKING:  # what editors and type checkers see; at run time ``__getattr__`` imports on first use
    from research_env.api import backtest
    from research_env.core.enums import OrderSide, OrderType
    from research_env.core.models import Bar, Signal, Tick
    from research_env.data import BarData, BarDataError, BarStore, import_bars, load_bars
    from research_env.engine.config import BacktestConfig, RiskConfig
    from research_env.engine.result import BacktestResult
    from research_env.errors import InputError, ResearchEnvError, StrategyError
    from research_env.lookahead import LookaheadReport, check_lookahead
    from research_env.notebook.widgets import interact
    from research_env.replays import ReplayError, replay
    from research_env.run_spec import RunSpec
    from research_env.strategy.base import StrategyBase
    from research_env.strategy.indicators import Indicators
    from research_env.strategy.loader import LoadedStrategy, StrategyLoadError, load_strategy, register_strategy
    from research_env.strategy.params import ParameterError
    from research_env.strategy.untrusted import UntrustedCodeError, ValidationReport, validate_strategy
    from research_env.strategy.vectorized import VectorizedStrategy
    from research_env.sweeps import SweepResult, sweep, walk_forward


def load_ipython_extension(ip) -> None:
    """``%load_ext research_env``: register the magics (``research_env.notebook`` loads only now)."""
    from .notebook import load_ipython_extension as register

    register(ip)


def __getattr__(name: str):
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'research_env' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
