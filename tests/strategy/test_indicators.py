"""Indicators equal TA-Lib on the same window, are as long as the history and NaN during warm-up."""

import numpy as np
import pytest
import talib

from research_env.strategy.indicators import Indicators

RNG = np.random.default_rng(7)
CLOSE = 100 + np.cumsum(RNG.normal(0, 1, 300))
HIGH = CLOSE + RNG.uniform(0, 1, 300)
LOW = CLOSE - RNG.uniform(0, 1, 300)
OPEN = (HIGH + LOW) / 2
VOLUME = RNG.integers(1_000, 10_000, 300).astype(float)
IND = Indicators(OPEN, HIGH, LOW, CLOSE, VOLUME)


def same(a, b):
    np.testing.assert_array_equal(a, b)  # NaN positions and values identical


def test_sma_equals_talib():
    same(IND.sma(20), talib.SMA(CLOSE, 20))
    assert np.isnan(IND.sma(20)[:19]).all() and not np.isnan(IND.sma(20)[19])


def test_ema_equals_talib():
    same(IND.ema(12), talib.EMA(CLOSE, 12))


def test_rsi_equals_talib_with_default_period_14():
    same(IND.rsi(), talib.RSI(CLOSE, 14))
    assert np.isnan(IND.rsi()[:14]).all()


def test_macd_returns_three_arrays_equal_to_talib():
    for ours, theirs in zip(IND.macd(), talib.MACD(CLOSE, 12, 26, 9), strict=True):
        same(ours, theirs)


def test_atr_equals_talib():
    same(IND.atr(14), talib.ATR(HIGH, LOW, CLOSE, 14))


def test_bbands_upper_mid_lower_equal_talib():
    for ours, theirs in zip(IND.bbands(20, 2.0), talib.BBANDS(CLOSE, 20, 2.0, 2.0, 0), strict=True):
        same(ours, theirs)


def test_obv_and_volume_sma_equal_talib():
    same(IND.obv(), talib.OBV(CLOSE, VOLUME))
    same(IND.volume_sma(10), talib.SMA(VOLUME, 10))


def test_every_indicator_has_the_history_length():
    for values in (IND.sma(5), IND.ema(5), IND.rsi(), IND.atr(), IND.obv(), IND.volume_sma(5), *IND.macd(),
                   *IND.bbands()):
        assert len(values) == 300


def test_period_longer_than_history_gives_all_nan():
    short = Indicators(OPEN[:5], HIGH[:5], LOW[:5], CLOSE[:5], VOLUME[:5])
    assert np.isnan(short.sma(20)).all() and len(short.sma(20)) == 5


def test_repeated_calls_return_the_cached_array():
    assert IND.sma(30) is IND.sma(30)


def test_non_integer_period_is_a_clear_error():
    with pytest.raises(ValueError, match=r"`sma` period must be a positive whole number, got 2.5"):
        IND.sma(2.5)


def test_latest_is_the_last_value_as_floats_over_arrays_and_preloaded_histories():
    import pandas as pd

    from research_env.strategy.history import BarHistory

    assert IND.latest("rsi", 14) == float(talib.RSI(CLOSE, 14)[-1])
    assert IND.latest("bbands", 20, 2.0) == tuple(float(v[-1]) for v in talib.BBANDS(CLOSE, 20, 2.0, 2.0, 0))
    index = pd.date_range("2024-01-02", periods=300, freq="D", tz="UTC")
    history = BarHistory("AAA", "1d")
    history.preload(pd.DataFrame({"open": OPEN, "high": HIGH, "low": LOW, "close": CLOSE, "volume": VOLUME},
                                 index=index))
    ind = Indicators.from_history(history)
    assert np.isnan(ind.latest("sma", 20)) and np.isnan(ind.latest("bbands", 20, 2.0)).all()  # no bar yet
    sma, upper = talib.SMA(CLOSE, 20), talib.BBANDS(CLOSE, 20, 2.0, 2.0, 0)[0]
    for i in range(300):
        history.advance()
        got = ind.latest("sma", 20)
        assert type(got) is float and (got == sma[i] or (np.isnan(got) and np.isnan(sma[i])))
    assert ind.latest("bbands", 20, 2.0)[0] == upper[-1]
    history.preload(pd.DataFrame({"open": OPEN, "high": HIGH, "low": LOW, "close": CLOSE * 2, "volume": VOLUME},
                                 index=index))  # reloaded: the cached lists must not be reused
    history.advance()
    history.advance()
    assert ind.latest("ema", 2) == float(talib.EMA(CLOSE * 2, 2)[1])
