"""resample: finer to coarser bars on session boundaries."""

import numpy as np
import pandas as pd
import pytest

from research_env.data import BarDataError, BarDataWarning, read_bar_file, resample

from .builders import bars, ny

NEW_YORK = "America/New_York"


def _groupby_reference(path, minutes: int | None) -> pd.DataFrame:
    """Independent aggregation of a start-stamped 1m CSV: pandas groupby on (date, slot)."""
    table = pd.read_csv(path)
    start = pd.to_datetime(table["timestamp"], utc=True).dt.tz_convert(NEW_YORK)
    day = start.dt.normalize()
    if minutes is None:  # one bar per session, stamped 16:00 (no early closes in Jul-Aug 2021)
        key = day + pd.Timedelta(hours=16)
    else:
        offset = (start - day - pd.Timedelta(hours=9, minutes=30)) // pd.Timedelta(minutes=1)
        slot_end = (
            day
            + pd.Timedelta(hours=9, minutes=30)
            + pd.to_timedelta((offset // minutes + 1) * minutes, "min")
        )
        key = slot_end.where(slot_end <= day + pd.Timedelta(hours=16), day + pd.Timedelta(hours=16))
    grouped = table.groupby(key.dt.tz_convert("UTC").rename("timestamp"), sort=True)
    out = grouped.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    ).astype(float)
    out.index = out.index.as_unit("ns")
    return out


@pytest.mark.parametrize(
    ("timeframe", "minutes"), [("5m", 5), ("15m", 15), ("30m", 30), ("1h", 60), ("1d", None)]
)
def test_resampling_spy_1m_matches_an_independent_groupby(shared_data, timeframe, minutes):
    path = shared_data / "bars" / "1m" / "SPY.csv"
    minute = read_bar_file(path, symbol="SPY")["SPY"]
    result = resample(minute, timeframe)
    expected = _groupby_reference(path, minutes)
    pd.testing.assert_frame_equal(result, expected)


def test_resampling_spy_1m_to_1h_anchors_on_the_open(shared_data):
    minute = read_bar_file(shared_data / "bars" / "1m" / "SPY.csv", symbol="SPY")["SPY"]
    hourly = resample(minute, "1h")
    day = hourly[hourly.index.tz_convert(NEW_YORK).strftime("%Y-%m-%d") == "2021-07-02"]
    assert list(day.index.tz_convert(NEW_YORK).strftime("%H:%M")) == [
        "10:30",
        "11:30",
        "12:30",
        "13:30",
        "14:30",
        "15:30",
        "16:00",
    ]


def test_resampling_spy_5m_to_1d_gives_the_session_values(shared_data):
    five = read_bar_file(shared_data / "bars" / "5m" / "SPY.csv", symbol="SPY")["SPY"]
    daily = resample(five, "1d")
    assert len(daily) == 206
    row = daily.loc[ny("2025-11-26 16:00")]
    assert row.to_dict() == {
        "open": 677.6,
        "high": 681.7,
        "low": 676.72,
        "close": 679.63,
        "volume": 51409678.0,
    }
    row = daily.loc[ny("2026-03-11 16:00")]
    assert row.to_dict() == {
        "open": 677.68,
        "high": 680.06,
        "low": 673.36,
        "close": 676.34,
        "volume": 843840.0,
    }


def test_hourly_bars_never_merge_two_sessions():
    frame = bars(
        [ny("2024-01-02 16:00"), ny("2024-01-03 10:30")], [10, 20], [11, 21], [9, 19], [10.5, 20.5], [5, 7]
    )
    daily = resample(frame, "1d", from_timeframe="1h")
    assert list(daily.index) == [ny("2024-01-02 16:00"), ny("2024-01-03 16:00")]
    assert list(daily["open"]) == [10.0, 20.0]


def test_early_close_day_ends_the_last_hour_bar_at_13_00():
    stamps = [ny("2024-11-29 12:00") + pd.Timedelta(minutes=5 * i) for i in range(1, 13)]
    prices = np.arange(1.0, 13.0) + 100
    frame = bars(stamps, prices, prices + 1, prices - 1, prices, [1.0] * 12)
    hourly = resample(frame, "1h")
    assert list(hourly.index) == [ny("2024-11-29 12:30"), ny("2024-11-29 13:00")]
    assert list(hourly["volume"]) == [6.0, 6.0]
    assert hourly["close"].iloc[-1] == 112.0
    assert resample(frame, "1d").index[0] == ny("2024-11-29 13:00")


def test_daily_resample_drops_extended_hours_bars_with_a_warning():
    frame = bars(
        [ny("2024-01-02 09:00"), ny("2024-01-02 09:35"), ny("2024-01-02 09:40"), ny("2024-01-02 16:05")],
        [1, 2, 3, 4],
        [1, 2, 3, 4],
        [1, 2, 3, 4],
        [1, 2, 3, 4],
    )
    with pytest.warns(BarDataWarning, match=r"dropped 2 bar\(s\) outside regular sessions"):
        daily = resample(frame, "1d")
    assert daily.to_dict("list") == {
        "open": [2.0],
        "high": [3.0],
        "low": [2.0],
        "close": [3.0],
        "volume": [200.0],
    }


def test_intraday_resample_keeps_extended_hours_in_their_own_buckets():
    frame = bars([ny("2024-01-02 16:05"), ny("2024-01-02 16:10")], [1, 2], [1, 2], [1, 2], [1, 2])
    assert list(resample(frame, "15m").index) == [ny("2024-01-02 16:15")]


def test_resampling_to_the_same_timeframe_returns_the_bars():
    frame = bars([ny("2024-01-02 09:35"), ny("2024-01-02 09:40")], [1, 2], [1, 2], [1, 2], [1, 2])
    pd.testing.assert_frame_equal(resample(frame, "5m"), frame)


def test_resampling_to_a_finer_timeframe_raises():
    frame = bars([ny("2024-01-02 10:30"), ny("2024-01-02 11:30")], [1, 2], [1, 2], [1, 2], [1, 2])
    with pytest.raises(BarDataError, match="cannot resample 1h bars to the finer 5m"):
        resample(frame, "5m")


def test_resampling_to_an_unknown_timeframe_raises():
    frame = bars([ny("2024-01-02 10:30"), ny("2024-01-02 11:30")], [1, 2], [1, 2], [1, 2], [1, 2])
    with pytest.raises(BarDataError, match=r"`to_timeframe`='2h' is not a timeframe; use one of"):
        resample(frame, "2h")


def test_a_single_bar_needs_from_timeframe():
    frame = bars([ny("2024-01-02 10:30")], [1], [1], [1], [1])
    with pytest.raises(BarDataError, match="pass `from_timeframe=`"):
        resample(frame, "1d")
    assert resample(frame, "1d", from_timeframe="1h")["close"].iloc[0] == 1.0
