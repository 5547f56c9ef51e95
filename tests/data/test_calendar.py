"""sessions and session_dates: the NYSE calendar."""

import numpy as np
import pandas as pd
import pytest

from research_env.data import BarDataError, session_dates, sessions

from .builders import ny


def test_sessions_skip_the_fourth_of_july_and_weekends():
    table = sessions("2024-07-01", "2024-07-09")
    assert list(table.index.strftime("%Y-%m-%d")) == [
        "2024-07-01",
        "2024-07-02",
        "2024-07-03",
        "2024-07-05",
        "2024-07-08",
    ]


def test_sessions_have_utc_open_and_close_with_early_closes():
    table = sessions("2024-11-27", "2024-12-03")
    assert list(table.columns) == ["open", "close"]
    assert table.loc["2024-11-27", "open"] == ny("2024-11-27 09:30")
    assert table.loc["2024-11-27", "close"] == ny("2024-11-27 16:00")
    assert table.loc["2024-11-29", "close"] == pd.Timestamp("2024-11-29 18:00", tz="UTC")  # 13:00 EST
    assert str(table["close"].dt.tz) == "UTC"
    assert table.index.tz is None


def test_sessions_range_excludes_end_like_load_bars():
    assert len(sessions("2024-01-02", "2024-01-03")) == 1
    assert len(sessions("2024-01-01", "2025-01-01")) == 252


def test_sessions_cover_1990_to_2040():
    assert sessions("1990-01-01", "1990-01-05").index[0] == pd.Timestamp("1990-01-02")
    assert sessions("2040-12-24", "2041-01-01").index[-1] == pd.Timestamp("2040-12-31")


def test_sessions_outside_the_supported_years_raise():
    with pytest.raises(BarDataError, match="outside the supported calendar 1990-01-01 to 2040-12-31"):
        sessions("1989-12-01", "1990-01-05")


def test_sessions_with_end_before_start_raise():
    with pytest.raises(BarDataError, match=r"`end` \(2024-01-01\) must be after `start` \(2024-01-05\)"):
        sessions("2024-01-05", "2024-01-01")


def test_session_dates_puts_a_16_00_close_on_that_day():
    index = pd.DatetimeIndex([ny("2024-03-08 16:00"), ny("2024-03-11 09:35"), ny("2024-11-29 13:00")])
    expected = np.array(["2024-03-08", "2024-03-11", "2024-11-29"], dtype="datetime64[D]")
    np.testing.assert_array_equal(session_dates(index), expected)


def test_session_dates_of_a_naive_index_raise():
    with pytest.raises(BarDataError, match="must be a tz-aware DatetimeIndex"):
        session_dates(pd.DatetimeIndex(["2024-01-02 16:00"]))
