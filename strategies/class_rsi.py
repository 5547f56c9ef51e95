"""The class-style twin of function_rsi.py: buy 100 AAPL when RSI(14) < 30, sell them when RSI(14) > 70.

Both files give identical trades and metrics (tests/strategy/function_style/test_equivalence.py);
benchmarks/function_vs_class.py times one against the other.
"""

from decimal import Decimal

from core.enums import OrderSide
from core.models import Bar, Signal
from strategies.base import StrategyBase


class ClassRsiStrategy(StrategyBase):
    """RSI 30/70 with fixed 100-share orders, written as a StrategyBase subclass."""

    parameters = ["rsi_period", "oversold", "overbought", "shares"]
    timeframe = "1d"

    def __init__(self, symbols=None, rsi_period=14, oversold=30, overbought=70, shares=100):
        super().__init__(name="class_rsi", symbols=symbols or ["AAPL"])
        self.rsi_period = rsi_period
        self.oversold = oversold
        self.overbought = overbought
        self.shares = shares

    def on_bar(self, bar: Bar) -> list[Signal]:
        rsi = self.indicators_for(bar.symbol).rsi(self.rsi_period)[-1]
        held = self.account.position(bar.symbol)
        if rsi < self.oversold and held == 0:
            return [Signal(bar.symbol, OrderSide.BUY, 1.0, quantity=Decimal(self.shares))]
        if rsi > self.overbought and held > 0:
            return [Signal(bar.symbol, OrderSide.SELL, 1.0, quantity=Decimal(self.shares))]
        return []
