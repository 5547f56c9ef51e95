"""Vectorized twin of ``rsi_mean_reversion.py`` for fast parameter sweeps.

Same rule, bar for bar: once a symbol has ``rsi_period + 1`` bars (the
class's warm-up), enter while RSI(rsi_period) is below ``oversold`` and exit
while it is above ``overbought``. ``fused`` lets sweeps run the rule on one
fused kernel that computes each distinct RSI once (same numbers as
``generate_signals``).
"""

from strategies.vectorized import RsiThreshold, VectorizedStrategy, rsi


class RsiMeanReversionVectorized(VectorizedStrategy):
    name = "rsi_mean_reversion"
    param_schema = {
        "rsi_period": (2, 50),
        "oversold": (5, 50),
        "overbought": (50, 95),
    }
    fused = RsiThreshold(period="rsi_period", oversold="oversold", overbought="overbought")

    def generate_signals(self, prices, volumes, rsi_period=14, oversold=30, overbought=70):
        r = rsi(prices, rsi_period)
        ready = prices.notna().cumsum() >= rsi_period + 1

        entries = (r < oversold) & ready
        exits = (r > overbought) & ready
        return entries.fillna(False), exits.fillna(False)
