"""validate_bars: every bad frame names the origin, the symbol and the row."""

import numpy as np
import pandas as pd
import pytest

from research_env.data import BarDataError, BarDataWarning, validate_bars

from .builders import bars

STAMPS = ["2024-01-02 14:35", "2024-01-02 14:40", "2024-01-02 14:45"]


def good() -> pd.DataFrame:
    return bars(STAMPS, [10, 11, 12], [11, 12, 13], [9, 10, 11], [10.5, 11.5, 12.5], [1, 2, 3])


def test_a_good_frame_comes_back_in_canonical_form():
    frame = good()[["close", "open", "high", "low", "volume"]]
    frame["volume"] = frame["volume"].astype(int)
    checked = validate_bars(frame, symbol="SPY", origin="x.csv")
    assert list(checked.columns) == ["open", "high", "low", "close", "volume"]
    assert (checked.dtypes == np.float64).all()
    assert checked.index.name == "timestamp"
    assert str(checked.index.tz) == "UTC"
    assert checked.loc["2024-01-02 14:40", "close"] == 11.5


def test_missing_columns_are_named():
    with pytest.raises(BarDataError, match=r"`x.csv`, symbol SPY: missing required columns \['volume'\]"):
        validate_bars(good().drop(columns="volume"), symbol="SPY", origin="x.csv")


def test_duplicate_timestamps_name_the_row():
    frame = good()
    frame.index = frame.index[[0, 1, 1]]
    with pytest.raises(
        BarDataError, match=r"x.csv`, symbol SPY: duplicate timestamp at row 2 \(2024-01-02 14:40"
    ):
        validate_bars(frame, symbol="SPY", origin="x.csv")


def test_unsorted_timestamps_name_the_row():
    frame = good().iloc[[0, 2, 1]]
    with pytest.raises(BarDataError, match=r"not sorted: row 2 \(2024-01-02 14:40:00\+00:00\) comes before"):
        validate_bars(frame, symbol="SPY", origin="x.csv")


def test_nan_price_names_the_row():
    frame = good()
    frame.iloc[1, 0] = np.nan
    with pytest.raises(BarDataError, match=r"symbol QQQ: NaN price at row 1 \(2024-01-02 14:40"):
        validate_bars(frame, symbol="QQQ", origin="q.parquet")


def test_non_positive_price_names_the_row():
    frame = good()
    frame.iloc[2, 2] = 0.0
    with pytest.raises(BarDataError, match=r"non-positive price at row 2 \(2024-01-02 14:45"):
        validate_bars(frame, symbol="SPY", origin="x.csv")


def test_high_below_low_names_the_row():
    frame = good()
    frame.iloc[0, 1] = 8.0
    with pytest.raises(
        BarDataError, match=r"high < low at row 0 \(2024-01-02 14:35:00\+00:00\) \(high=8.0, low=9.0\)"
    ):
        validate_bars(frame, symbol="SPY", origin="x.csv")


def test_negative_volume_raises():
    frame = good()
    frame.iloc[0, 4] = -1.0
    with pytest.raises(BarDataError, match="volume -1.0 at row 0"):
        validate_bars(frame, symbol="SPY", origin="x.csv")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (1, np.inf, r"price inf at row 1 \(2024-01-02 14:40:00\+00:00\) is beyond 10,000,000, which no market quotes"),
        (3, 2e7, r"price 20000000.0 at row 1 .* is beyond 10,000,000"),
        (4, np.inf, r"volume inf at row 1 .*; volume must be a finite number from 0 to 1e\+15"),
        (4, np.nan, r"volume nan at row 1"),
        (4, 2e15, r"volume 2000000000000000.0 at row 1"),
    ],
)
def test_values_no_market_has_are_refused_naming_the_row(column, value, message):
    frame = good()
    frame.iloc[1, column] = value
    if column in (1, 3):
        frame.iloc[1, 1] = max(frame.iloc[1, 1], value)  # keep high >= the others, so only the bound fails
    with pytest.raises(BarDataError, match=rf"`x.csv`, symbol SPY: {message}"):
        validate_bars(frame, symbol="SPY", origin="x.csv")


def test_the_largest_allowed_values_pass():
    frame = good()
    frame.iloc[1, 1] = 1e7
    frame.iloc[1, 4] = 1e15
    assert validate_bars(frame, symbol="SPY", origin="x.csv").iloc[1]["volume"] == 1e15


def test_naive_index_raises_with_the_fix():
    frame = good().tz_localize(None)
    with pytest.raises(BarDataError, match="must be a tz-aware DatetimeIndex.*tz_localize"):
        validate_bars(frame, symbol="SPY", origin="x.csv")


def test_open_outside_low_high_only_warns():
    frame = good()
    frame.iloc[1, 0] = 9.5  # open below low 10
    with pytest.warns(BarDataWarning, match=r"1 bar\(s\) with open or close outside \[low, high\]: row 1"):
        checked = validate_bars(frame, symbol="SPY", origin="x.csv")
    assert checked["open"].iloc[1] == 9.5


def test_float_noise_outside_low_high_does_not_warn(recwarn):
    frame = good()
    frame.iloc[0, 0] = 11.000000000000002  # high is 11
    validate_bars(frame, symbol="SPY", origin="x.csv")
    assert not [w for w in recwarn if issubclass(w.category, BarDataWarning)]
