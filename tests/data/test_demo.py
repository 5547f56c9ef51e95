"""demo_bars: deterministic synthetic bars on the real calendar."""

import numpy as np
import pandas as pd
import pytest

from research_env.data import BarDataError, demo_bars, resample, session_dates, sessions

from .builders import ny


def test_same_arguments_give_identical_bars():
    pd.testing.assert_frame_equal(
        demo_bars("SPY", "5m", "2024-03-01", "2024-03-08"), demo_bars("SPY", "5m", "2024-03-01", "2024-03-08")
    )


def test_a_bar_does_not_depend_on_the_requested_range():
    wide = demo_bars("AAPL", "1m", "2023-12-01", "2024-02-01")
    narrow = demo_bars("AAPL", "1m", "2024-01-10", "2024-01-11")
    pd.testing.assert_frame_equal(wide.loc[narrow.index], narrow)
    daily_long = demo_bars("AAPL", "1d", "2000-01-01", "2024-02-01")
    daily_short = demo_bars("AAPL", "1d", "2024-01-29", "2024-02-01")
    pd.testing.assert_frame_equal(daily_long.iloc[-3:], daily_short)


def test_symbols_get_different_paths_and_case_does_not_matter():
    spy = demo_bars("SPY", "1d", "2024-01-01", "2024-02-01")
    qqq = demo_bars("QQQ", "1d", "2024-01-01", "2024-02-01")
    assert not np.array_equal(spy["close"].to_numpy(), qqq["close"].to_numpy())
    pd.testing.assert_frame_equal(spy, demo_bars("spy", "1d", "2024-01-01", "2024-02-01"))


def test_no_bar_on_a_holiday_and_one_daily_bar_per_session():
    daily = demo_bars("SPY", "1d", "2024-07-01", "2024-07-09")
    assert list(daily.index) == list(sessions("2024-07-01", "2024-07-09")["close"])
    assert ny("2024-07-04 16:00") not in daily.index
    minute = demo_bars("SPY", "1m", "2024-07-03", "2024-07-06")
    assert "2024-07-04" not in set(session_dates(minute.index).astype(str))


def test_early_close_ends_the_session_at_13_00():
    five = demo_bars("SPY", "5m", "2024-11-29", "2024-11-30")
    assert len(five) == 42
    assert five.index[0] == ny("2024-11-29 09:35")
    assert five.index[-1] == ny("2024-11-29 13:00")
    assert demo_bars("SPY", "1d", "2024-11-29", "2024-11-30").index[0] == ny("2024-11-29 13:00")


def test_a_regular_session_has_78_five_minute_bars_and_7_hourly_bars():
    assert len(demo_bars("MSFT", "5m", "2024-03-04", "2024-03-05")) == 78
    hourly = demo_bars("MSFT", "1h", "2024-03-04", "2024-03-05")
    assert list(hourly.index.tz_convert("America/New_York").strftime("%H:%M")) == [
        "10:30",
        "11:30",
        "12:30",
        "13:30",
        "14:30",
        "15:30",
        "16:00",
    ]


@pytest.mark.parametrize("timeframe", ["5m", "15m", "30m", "1h", "1d"])
def test_every_timeframe_is_the_1m_path_resampled(timeframe):
    minute = demo_bars("TLT", "1m", "2024-11-26", "2024-12-03")
    pd.testing.assert_frame_equal(
        demo_bars("TLT", timeframe, "2024-11-26", "2024-12-03"), resample(minute, timeframe)
    )


def test_prices_are_plausible_cents_and_volumes_positive_integers():
    frame = demo_bars("NVDA", "1m", "2024-01-02", "2024-02-01")
    prices = frame[["open", "high", "low", "close"]].to_numpy()
    assert (prices > 0).all()
    np.testing.assert_array_equal(np.round(prices, 2), prices)
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["volume"] >= 1).all() and (frame["volume"] == np.round(frame["volume"])).all()
    assert (frame["open"].to_numpy()[1:390] == frame["close"].to_numpy()[:389]).all()


def test_daily_levels_stay_plausible_over_fifty_years():
    closes = demo_bars("ZZZZ", "1d", "1990-01-01", "2041-01-01")["close"]
    assert len(closes) == 12833
    assert closes.min() > 1.0 and closes.max() < 10_000


def test_bad_arguments_raise():
    with pytest.raises(BarDataError, match="`timeframe`='4h' is not a timeframe"):
        demo_bars("SPY", "4h", "2024-01-01", "2024-02-01")
    with pytest.raises(BarDataError, match="must be after `start`"):
        demo_bars("SPY", "1d", "2024-02-01", "2024-01-01")
    with pytest.raises(BarDataError, match="outside the supported calendar"):
        demo_bars("SPY", "1d", "2040-12-01", "2041-02-01")
    with pytest.raises(BarDataError, match="`symbol`='' is not a ticker"):
        demo_bars("", "1d", "2024-01-01", "2024-02-01")
    with pytest.raises(BarDataError, match="`symbol`='../SPY' is not a ticker"):
        demo_bars("../SPY", "1d", "2024-01-01", "2024-02-01")
