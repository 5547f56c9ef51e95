"""Shared builders of the notebook tests: strategy cells, a result of known shape, a sweep frame."""

from __future__ import annotations

import itertools

import pandas as pd

SMA_CELL = '''
from core.enums import OrderSide
from core.models import Bar, Signal
from strategies.base import StrategyBase


class {cls}(StrategyBase):
    parameters = ["fast_period", "slow_period", "allow_reentry", "mode"]
    param_schema = {{"mode": ["cross", "level"]}}
    timeframe = "1d"

    def __init__(self, symbols=None, fast_period=5, slow_period=20, allow_reentry=True, mode="cross"):
        super().__init__(name="{name}", symbols=symbols or ["SPY"])
        self.fast_period, self.slow_period = fast_period, slow_period
        self.allow_reentry, self.mode = allow_reentry, mode
        self._held = set()

    def on_trade(self, symbol, side, price, volume):
        (self._held.add if str(side) == "BUY" else self._held.discard)(symbol)

    def on_bar(self, bar: Bar) -> list[Signal]:
        if len(self._bars[bar.symbol]) < self.slow_period:
            return []
        ind = self.indicators_for(bar.symbol)
        fast, slow = float(ind.sma(self.fast_period)[-1]), float(ind.sma(self.slow_period)[-1])
        if fast > slow and bar.symbol not in self._held:
            return [Signal(symbol=bar.symbol, side=OrderSide.BUY, strength=1.0, reason="fast above slow")]
        if fast < slow and bar.symbol in self._held:
            return [Signal(symbol=bar.symbol, side=OrderSide.SELL, strength=1.0, reason="fast below slow")]
        return []
'''

FAILING_CELL = '''
from strategies.base import StrategyBase


class Exploding(StrategyBase):
    timeframe = "1d"

    def __init__(self, symbols=None, after=3):
        super().__init__(name="exploding", symbols=symbols or ["SPY"])
        self.after = after

    def on_bar(self, bar):
        if len(self._bars[bar.symbol]) > self.after:
            ratio = 1 / 0  # the user's bug
        return []
'''

RANGE = "--start 2023-01-01 --end 2024-01-01 --timeframe 1d"


def sma_cell(cls: str = "SmaCross", name: str = "sma_cross") -> str:
    """A class-style strategy cell (guide imports) with int, bool and choice parameters."""
    return SMA_CELL.format(cls=cls, name=name)


def sweep_frame() -> pd.DataFrame:
    """A sweep of fast x slow x stop (2 x 3 x 2) whose metrics are simple functions of the parameters."""
    rows = []
    for fast, slow, stop in itertools.product([5, 10], [20, 30, 40], [0.01, 0.02]):
        rows.append({"fast": fast, "slow": slow, "stop": stop, "total_return": fast / 100 + slow / 1000 + stop,
                     "sharpe_ratio": fast - slow / 10 + stop * 100, "max_drawdown": -stop * 5,
                     "win_rate": 0.5, "total_trades": fast + slow})
    return pd.DataFrame(rows)


def run_cell(ip, code: str):
    """Run ``code`` as a kernel would (stored in history); returns IPython's ``ExecutionResult``."""
    return ip.run_cell(code, store_history=True)


def report_result(store, symbols=("AAA",), timeframe="1d", start="2023-01-01", end="2024-01-01"):
    """``scripted_result``'s trades on bars the result holds (``result.bars``, as the charts draw them), with the
    SPY benchmark: the bars are loaded first (demo bars from the empty ``store``) and passed as ``data``."""
    import dataclasses
    import warnings

    from research_env import backtest, load_bars
    from research_env.data import BarStore
    from tests.builders import ScriptedStrategy, signal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bars = load_bars([*symbols, "SPY"], start, end, timeframe, store=BarStore(store), allow_demo=True)
        script = {}
        for symbol in symbols:
            script[(symbol, 2)] = [signal(symbol, "SELL", quantity=5)]
            script[(symbol, 5)] = [signal(symbol, "BUY", quantity=10)]
            script[(symbol, 10)] = [signal(symbol, "SELL", quantity=10)]
        strategy = ScriptedStrategy(symbols=list(symbols), script=script)
        result = backtest(strategy, start=start, end=end, timeframe=timeframe, data=bars)
    return dataclasses.replace(result, bars={s: bars.frames[s] for s in symbols})


def scripted_result(store, symbols=("AAA",)):
    """A 2023 daily backtest on demo bars: per symbol a buy on bar 5, a sell on bar 10, and a denied sell on bar 2."""
    from research_env import backtest
    from tests.builders import ScriptedStrategy, signal

    script = {}
    for symbol in symbols:
        script[(symbol, 2)] = [signal(symbol, "SELL", quantity=5)]
        script[(symbol, 5)] = [signal(symbol, "BUY", quantity=10)]
        script[(symbol, 10)] = [signal(symbol, "SELL", quantity=10)]
    strategy = ScriptedStrategy(symbols=list(symbols), script=script)
    return backtest(strategy, start="2023-01-01", end="2024-01-01", timeframe="1d", data=str(store))
