"""Vectorized twin of ``bollinger_mean_reversion.py`` (the guide's Example 2) for fast parameter sweeps.

The guide's Example 4 with what makes it the class's true twin: no signal
until the symbol has ``bb_period + 5`` bars (the class's warm-up), and the
class's ``rsi_filter`` parameter (with it on, entries need RSI(14) < 40 and
no signal is given while RSI(14) is undefined). The parity tests run both on
real bars and compare every fill. ``fused`` lets sweeps run the rule on one
fused kernel that computes each distinct band once (same numbers as
``generate_signals``).
"""

from strategies.vectorized import BollingerReversion, VectorizedStrategy, bollinger_bands, rsi


class BollingerMeanReversionVectorized(VectorizedStrategy):
    name = "bollinger_mean_reversion"
    param_schema = {
        "bb_period": (10, 40),
        "bb_std": (1.5, 3.0),
        "rsi_filter": [True, False],
    }
    fused = BollingerReversion(period="bb_period", std="bb_std", rsi_filter="rsi_filter", rsi_period=14,
                               rsi_below=40, warmup=5)

    def generate_signals(self, prices, volumes, bb_period=20, bb_std=2.0, rsi_filter=True):
        upper, mid, lower = bollinger_bands(prices, bb_period, bb_std)
        ready = prices.notna().cumsum() >= bb_period + 5

        entries = (prices <= lower) & ready
        exits = (prices >= upper) & ready
        if rsi_filter:
            r = rsi(prices, 14)
            entries &= r < 40
            exits &= r.notna()

        return entries.fillna(False), exits.fillna(False)
