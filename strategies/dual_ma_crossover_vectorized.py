"""Vectorized twin of the guide's DualMaCrossoverStrategy (Example 1), for fast parameter sweeps.

Same rule, bar for bar: once a symbol has `slow_period` bars (the class keeps
at most 500, so a longer slow period never trades), each bar compares
SMA(fast) > SMA(slow) with the previous bar's comparison; turning true is an
entry (golden cross), turning false an exit (death cross). Each symbol is
computed over its own bars, like the class's per-symbol history.
`fused` lets sweeps run this rule on one fused kernel that computes each
distinct average once (same numbers as generate_signals).
"""

import pandas as pd

from strategies.vectorized import MovingAverageCross, VectorizedStrategy, sma

MAX_BAR_HISTORY = 500


class DualMaCrossoverVectorized(VectorizedStrategy):
    name = "dual_ma_crossover"
    param_schema = {
        "fast_period": (5, 50),
        "slow_period": (20, 200),
    }
    timeframe = "1d"
    fused = MovingAverageCross(fast="fast_period", slow="slow_period", average="sma", rule="guide",
                               max_history=MAX_BAR_HISTORY)

    def generate_signals(self, prices, volumes, **params):
        fast_period = params.get("fast_period", 10)
        slow_period = params.get("slow_period", 30)

        entries = pd.DataFrame(False, index=prices.index, columns=prices.columns)
        exits = pd.DataFrame(False, index=prices.index, columns=prices.columns)
        if slow_period > MAX_BAR_HISTORY:
            return entries, exits
        for symbol in prices.columns:
            close = prices[symbol].dropna()  # this symbol's own bars
            fast = sma(close, fast_period)
            slow = sma(close, slow_period)
            above = fast > slow
            seen = pd.Series(range(1, len(close) + 1), index=close.index)
            compared = seen >= slow_period + 1  # this bar and the previous one both had slow_period bars
            before = above.shift(1, fill_value=False)
            entries.loc[close.index, symbol] = above & ~before & compared
            exits.loc[close.index, symbol] = ~above & before & compared
        return entries, exits
