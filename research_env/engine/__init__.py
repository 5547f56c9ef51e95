"""The backtest engine: bar loop, matching, risk, portfolio, metrics and results."""

from ..errors import StrategyError
from .config import BacktestConfig, RiskConfig
from .events import OrderDenied, RiskRule
from .loop import BarLoop
from .result import BacktestResult

__all__ = ["BacktestConfig", "BacktestResult", "BarLoop", "OrderDenied", "RiskConfig", "RiskRule", "StrategyError"]
