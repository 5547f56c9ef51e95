"""``strategies.vectorized``: the guide's import path, and helpers bit-identical to ``Indicators``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from research_env.strategy.indicators import Indicators
from research_env.strategy.vectorized import VectorizedStrategy
from tests.sweeps.test_vectorbt import random_bars


def test_the_guides_import_line_works():
    from strategies.vectorized import VectorizedStrategy as Imported
    from strategies.vectorized import atr, bollinger_bands, ema, rsi, sma  # noqa: F401

    assert Imported is VectorizedStrategy


def test_helpers_equal_indicators_bit_for_bit_warm_up_included():
    from strategies.vectorized import atr, bollinger_bands, ema, rsi, sma

    bars = {"A": random_bars(600, 1), "B": random_bars(600, 2)}
    close = pd.DataFrame({s: f["close"] for s, f in bars.items()})
    high = pd.DataFrame({s: f["high"] for s, f in bars.items()})
    low = pd.DataFrame({s: f["low"] for s, f in bars.items()})
    upper, mid, lower = bollinger_bands(close, 20, 2.5)
    for symbol, frame in bars.items():
        ind = Indicators(*(frame[c].to_numpy() for c in ("open", "high", "low", "close", "volume")))
        pairs = [(sma(close, 30), ind.sma(30)), (ema(close, 12), ind.ema(12)), (rsi(close, 14), ind.rsi(14)),
                 (atr(high, low, close, 14), ind.atr(14)), (upper, ind.bbands(20, 2.5)[0]),
                 (mid, ind.bbands(20, 2.5)[1]), (lower, ind.bbands(20, 2.5)[2])]
        for ours, theirs in pairs:
            np.testing.assert_array_equal(ours[symbol].to_numpy(), theirs)
    assert sma(close, 30).iloc[:29].isna().all().all() and sma(close, 30).iloc[29:].notna().all().all()


def test_series_in_series_out():
    from strategies.vectorized import sma

    series = pd.Series([1.0, 2.0, 3.0], name="X")
    out = sma(series, 2)
    assert isinstance(out, pd.Series) and out.name == "X" and out.iloc[-1] == 2.5


def test_generate_signals_must_be_written():
    with pytest.raises(NotImplementedError, match="must implement generate_signals"):
        VectorizedStrategy().generate_signals(pd.DataFrame(), pd.DataFrame())


def test_apply_columns_skips_each_columns_missing_rows_of_any_input():
    from research_env.strategy.vectorized import apply_columns

    rng = np.random.default_rng(4)
    close = np.asfortranarray(100 + np.cumsum(rng.normal(size=(60, 3)), axis=0))
    high, low = np.asfortranarray(close + 1.0), np.asfortranarray(close - 1.0)
    close[[3, 40], 0] = np.nan  # column 0: gaps in close
    high[10, 0] = np.nan  # ... and one in high only
    close[:, 2] = np.nan  # column 2: nothing at all
    out = [np.full((60, 3), 7.0, order="F")]
    for results in (apply_columns(talib.ATR, [high, low, close], timeperiod=5),
                    apply_columns(talib.ATR, [high, low, close], out=out, timeperiod=5)):
        kept = np.ones(60, bool)
        kept[[3, 10, 40]] = False
        expected = np.full(60, np.nan)
        expected[kept] = talib.ATR(high[kept, 0], low[kept, 0], close[kept, 0], timeperiod=5)
        np.testing.assert_array_equal(results[0][:, 0], expected)
        np.testing.assert_array_equal(results[0][:, 1], talib.ATR(high[:, 1], low[:, 1], close[:, 1], timeperiod=5))
        assert np.isnan(results[0][:, 2]).all()
