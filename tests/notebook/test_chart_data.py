"""The numbers behind the charts: drawdown landmarks, extreme-keeping downsampling, merged candles,
the NYSE calendar's gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_env.data import demo_bars
from research_env.notebook import _chart_data as charts


def test_landmarks_find_the_peak_the_deepest_and_the_longest_drawdown():
    times = pd.date_range("2023-01-02 21:00", periods=8, freq="D", tz="UTC")
    equity = pd.Series([100.0, 110.0, 105.0, 104.0, 111.0, 90.0, 95.0, 96.0], index=times)
    marks = charts.landmarks(equity, initial_cash=100.0)
    assert marks.peak == 4 and marks.trough == 5  # 90 / 111 - 1 is the deepest
    # under water 2..3 (back at 110+ on day 4: 3 days from the day-1 peak) and 5..7 (not recovered: 3 days too,
    # from day 4 to day 7); the first one found of equal length stays
    assert marks.longest == (1, 4, True) and marks.longest_days == 3.0 and marks.longest_level == 110.0
    longer = pd.Series([100.0, 110.0, 105.0, 111.0, 90.0, 95.0, 96.0, 97.0], index=times)
    marks = charts.landmarks(longer, initial_cash=100.0)
    assert marks.longest == (3, 7, False) and marks.longest_days == 4.0 and marks.longest_level == 111.0


def test_landmarks_count_from_the_initial_cash_when_equity_falls_at_once():
    times = pd.date_range("2023-01-02 21:00", periods=3, freq="D", tz="UTC")
    marks = charts.landmarks(pd.Series([99.0, 98.0, 101.0], index=times), initial_cash=100.0)
    assert marks.longest == (0, 2, True) and marks.longest_level == 100.0 and marks.trough == 1
    flat = charts.landmarks(pd.Series([100.0, 100.0, 101.0], index=times), initial_cash=100.0)
    assert flat.longest is None and flat.trough is None and flat.peak == 2


def test_downsampling_keeps_first_last_and_every_buckets_extremes():
    values = np.random.default_rng(7).standard_normal(50_000).cumsum()
    keep = charts.extremes_positions(values, limit=4000)
    assert len(keep) <= 4002 and (np.diff(keep) > 0).all()
    assert {0, len(values) - 1, int(values.argmin()), int(values.argmax())} <= set(keep.tolist())
    assert values[keep].min() == values.min() and values[keep].max() == values.max()
    assert list(charts.extremes_positions(values[:100], limit=4000)) == list(range(100))


def test_intraday_candles_merge_within_sessions_into_the_first_size_that_fits():
    bars = demo_bars("AAA", "5m", "2023-01-03", "2023-01-05")  # two sessions of 78 bars
    merged = charts.candles(bars, "5m", limit=20)  # 15m: 52, 30m: 26, 1h: 14 candles
    assert (merged.label, merged.merged, len(merged.frame)) == ("1h", True, 14)
    first, hour = merged.frame.iloc[0], bars.iloc[:12]  # 09:35 .. 10:30
    assert first["open"] == hour["open"].iloc[0] and first["close"] == hour["close"].iloc[-1]
    assert first["high"] == hour["high"].max() and first["low"] == hour["low"].min()
    assert first["volume"] == hour["volume"].sum()
    assert merged.frame.index[0] == hour.index[-1]
    last_of_day = merged.frame.iloc[6]  # 15:35 .. 16:00: the session's last half hour
    assert last_of_day["close"] == bars["close"].iloc[77] and merged.frame.index[6] == bars.index[77]
    assert charts.candles(bars, "5m").merged is False


def test_daily_candles_merge_into_weeks():
    bars = demo_bars("AAA", "1d", "2023-01-01", "2023-03-01")
    merged = charts.candles(bars, "1d", limit=10)
    assert merged.label == "1w" and len(merged.frame) == 9
    week = bars.iloc[:4]  # Jan 3 to Jan 6
    assert merged.frame["open"].iloc[0] == week["open"].iloc[0] and merged.frame["close"].iloc[0] == \
        week["close"].iloc[-1]


def test_rangebreaks_hide_nights_holidays_and_afternoons_after_early_closes():
    breaks = charts.rangebreaks("2023-11-20", "2023-11-28", daily=False)
    assert breaks == [
        {"bounds": ["sat", "mon"]},
        {"values": ["2023-11-23"]},  # Thanksgiving
        {"bounds": [16.001, 9.5], "pattern": "hour"},
        {"values": ["2023-11-24 13:00:01"], "dvalue": 3 * 3600 * 1000 - 1000},  # closed at 13:00
    ]
    assert charts.rangebreaks("2023-11-20", "2023-11-28", daily=True) == breaks[:2]


def test_x_values_are_new_york_times():
    index = pd.DatetimeIndex(["2023-07-03 17:00", "2023-12-29 21:00"], tz="UTC")
    assert charts.x_values(index, daily=False) == ["2023-07-03 13:00:00", "2023-12-29 16:00:00"]
    assert charts.x_values(index, daily=True) == ["2023-07-03", "2023-12-29"]
