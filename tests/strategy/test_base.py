"""StrategyBase: bar history (lazy Bars, 500 cap), indicators_for cache, ATR helper, parameters."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import talib

from research_env.core.models import Bar
from research_env.strategy.base import StrategyBase


class Echo(StrategyBase):
    parameters = ["period"]
    variables = ["last_close"]

    def __init__(self, symbols=None, period=3):
        super().__init__(name="echo", symbols=symbols or ["AAA"])
        self.period = period
        self.last_close = None

    def on_bar(self, bar):
        self.last_close = float(bar.close)
        return []


def bars(n, symbol="AAA"):
    t0 = datetime(2024, 1, 2, 21, tzinfo=UTC)
    return [Bar(symbol, "1d", t0 + timedelta(days=i), Decimal(i + 1), Decimal(i + 2), Decimal(i), Decimal(i + 1),
                Decimal(100)) for i in range(n)]


def test_feed_bar_appends_history_and_calls_on_bar():
    s = Echo()
    for b in bars(3):
        assert s.feed_bar(b) == []
    assert len(s._bars["AAA"]) == 3
    assert s._bars["AAA"][-1].close == Decimal(3)
    assert s.last_close == 3.0
    assert s.get_parameters() == {"period": 3}
    assert s.get_variables() == {"last_close": 3.0}


def test_history_keeps_at_most_max_bar_history_oldest_first():
    class Short(Echo):
        _MAX_BAR_HISTORY = 5

    s = Short()
    for b in bars(12):
        s.feed_bar(b)
    hist = s._bars["AAA"]
    assert len(hist) == 5
    assert [int(b.close) for b in hist] == [8, 9, 10, 11, 12]
    assert [int(b.close) for b in hist[-2:]] == [11, 12]
    assert s._bars.get("ZZZ", []) == []


def test_default_history_cap_is_500():
    s = Echo()
    for b in bars(510):
        s.feed_bar(b)
    assert len(s._bars["AAA"]) == 500
    assert s._bars["AAA"][0].close == Decimal(11)


def test_indicators_for_caches_results_until_the_next_bar():
    s = Echo()
    for b in bars(30):
        s.feed_bar(b)
    ind = s.indicators_for("AAA")
    first = ind.sma(5)
    assert s.indicators_for("AAA").sma(5) is first
    np.testing.assert_array_equal(first, talib.SMA(np.arange(1.0, 31.0), 5))
    s.feed_bar(bars(31)[-1])
    np.testing.assert_array_equal(s.indicators_for("AAA").sma(5), talib.SMA(np.arange(1.0, 32.0), 5))


def test_indicators_see_the_whole_history_cut_to_the_500_bar_window():
    # after 510 bars the window starts at bar 11; the EMA is not re-seeded there
    s = Echo()
    for b in bars(510):
        s.feed_bar(b)
    ema = s.indicators_for("AAA").ema(20)
    assert len(ema) == 500
    np.testing.assert_array_equal(ema, talib.EMA(np.arange(1.0, 511.0), 20)[10:])


def test_preloaded_history_gives_exactly_the_values_of_a_prefix_computation():
    import pandas as pd

    from research_env.strategy.history import BarHistory
    from research_env.strategy.indicators import Indicators

    rng = np.random.default_rng(3)
    close = 50 + np.cumsum(rng.normal(0, 1, 700))
    frame = pd.DataFrame({"open": close, "high": close + 1, "low": close - 1, "close": close,
                          "volume": rng.integers(1, 1000, 700).astype(float)},
                         index=pd.date_range("2020-01-01", periods=700, freq="D", tz="UTC"))
    hist = BarHistory("AAA", "1d")
    hist.preload(frame)
    ind = Indicators.from_history(hist)
    for k in range(1, 701):
        hist.advance()
        if k in (1, 40, 499, 500, 501, 700):
            lo = max(0, k - 500)
            c, h, lo_, v = close[:k], close[:k] + 1, close[:k] - 1, frame.volume.to_numpy()[:k]
            np.testing.assert_array_equal(ind.ema(12), talib.EMA(c, 12)[lo:])
            np.testing.assert_array_equal(ind.rsi(14), talib.RSI(c, 14)[lo:])
            np.testing.assert_array_equal(ind.atr(14), talib.ATR(h, lo_, c, 14)[lo:])
            np.testing.assert_array_equal(ind.obv(), talib.OBV(c, v)[lo:])
            for ours, theirs in zip(ind.macd(), talib.MACD(c, 12, 26, 9), strict=True):
                np.testing.assert_array_equal(ours, theirs[lo:])
            for ours, theirs in zip(ind.bbands(20, 2.0), talib.BBANDS(c, 20, 2.0, 2.0, 0), strict=True):
                np.testing.assert_array_equal(ours, theirs[lo:])


def test_calculate_atr_matches_talib_for_a_list_of_bars():
    history = bars(40)
    expected = talib.ATR(np.arange(2.0, 42.0), np.arange(0.0, 40.0), np.arange(1.0, 41.0), 14)[-1]
    assert StrategyBase._calculate_atr(history, 14) == expected
    assert np.isnan(StrategyBase._calculate_atr(history[:10], 14))


def test_order_side_str_is_its_name():
    from research_env.core.enums import OrderSide

    assert str(OrderSide.BUY) == "BUY" and str(OrderSide.SELL) == "SELL"
