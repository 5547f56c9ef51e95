"""TIMEFRAMES, check_timeframe, timeframe_delta."""

import pandas as pd
import pytest

from research_env.data import TIMEFRAMES, BarDataError, check_timeframe, timeframe_delta


def test_timeframes_are_listed_finest_first():
    assert TIMEFRAMES == ("1m", "5m", "15m", "30m", "1h", "1d")


@pytest.mark.parametrize(
    ("timeframe", "minutes"), [("1m", 1), ("5m", 5), ("15m", 15), ("30m", 30), ("1h", 60), ("1d", 1440)]
)
def test_timeframe_delta_gives_the_bar_length(timeframe, minutes):
    assert check_timeframe(timeframe) == timeframe
    assert timeframe_delta(timeframe) == pd.Timedelta(minutes=minutes)


@pytest.mark.parametrize("bad", ["2m", "1H", "daily", "", None, 5])
def test_unknown_timeframe_raises_listing_the_valid_ones(bad):
    with pytest.raises(BarDataError, match=r"is not a timeframe; use one of 1m, 5m, 15m, 30m, 1h, 1d"):
        check_timeframe(bad)
    with pytest.raises(BarDataError, match="is not a timeframe"):
        timeframe_delta(bad)
