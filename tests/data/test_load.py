"""load_bars: store, then finer store data resampled, then demo bars."""

import pandas as pd
import pytest

from research_env.data import BarData, BarDataError, BarDataWarning, BarStore, demo_bars, load_bars, resample

from .builders import ny


@pytest.fixture()
def store(data_dir) -> BarStore:
    store = BarStore(data_dir)
    store.write("SPY", "5m", demo_bars("SPY", "5m", "2024-01-02", "2024-01-06"), "file:SPY_5min.csv")
    store.write("SPY", "1d", demo_bars("SPY", "1d", "2023-01-01", "2024-01-06"), "file:SPY.csv")
    return store


def test_stored_timeframe_is_read_directly(store, recwarn):
    data = load_bars("SPY", "2024-01-02", "2024-01-04", "1d", store=store)
    assert isinstance(data, BarData)
    assert data.timeframe == "1d"
    assert data.sources == {"SPY": "local"}
    assert list(data.frames["SPY"].index) == [ny("2024-01-02 16:00"), ny("2024-01-03 16:00")]
    assert data.synthetic_symbols == []
    assert not [w for w in recwarn if issubclass(w.category, BarDataWarning)]


def test_a_coarser_timeframe_is_resampled_from_finer_stored_bars(store):
    data = load_bars(["SPY"], "2024-01-02", "2024-01-04", "1h", store=store)
    assert data.sources == {"SPY": "local(5m→1h)"}
    expected = resample(store.read("SPY", "5m", "2024-01-02", "2024-01-04"), "1h")
    pd.testing.assert_frame_equal(data.frames["SPY"], expected)
    assert len(data.frames["SPY"]) == 14


def test_a_symbol_with_no_local_data_gets_demo_bars_with_a_warning(store):
    with pytest.warns(BarDataWarning, match=r"no local 1h data for qqq .*SYNTHETIC demo bars"):
        data = load_bars(["SPY", "qqq"], "2024-01-02", "2024-01-04", "1h", store=store)
    assert data.sources == {"SPY": "local(5m→1h)", "qqq": "demo"}
    assert data.synthetic_symbols == ["qqq"]
    pd.testing.assert_frame_equal(data.frames["qqq"], demo_bars("QQQ", "1h", "2024-01-02", "2024-01-04"))


def test_the_default_store_is_the_environment_folder(store):
    data = load_bars("SPY", "2024-01-02", "2024-01-03", "5m")
    assert data.sources == {"SPY": "local"}
    assert len(data.frames["SPY"]) == 78


def test_symbols_are_keyed_as_given_and_looked_up_in_upper_case(store):
    data = load_bars(["spy", " SPY "], "2024-01-02", "2024-01-03", "1d", store=store)
    assert data.sources == {"spy": "local", "SPY": "local"}
    pd.testing.assert_frame_equal(data.frames["spy"], data.frames["SPY"])


def test_without_demo_a_missing_symbol_names_the_range_and_what_the_store_has(store):
    with pytest.raises(
        BarDataError,
        match=r"no 5m bars for SPY in \[2023-03-01, 2023-04-01\) \(the store at .* "
        r"has SPY 5m 2024-01-02 to 2024-01-05 \(312 rows\); 1d 2023-01-03 to 2024-01-05 \(254 rows\)\)",
    ):
        load_bars("SPY", "2023-03-01", "2023-04-01", "5m", store=store, allow_demo=False)
    with pytest.raises(BarDataError, match=r"no 1d bars for QQQ .*has no data for QQQ.*pass allow_demo=True"):
        load_bars("QQQ", "2024-01-02", "2024-01-04", "1d", store=store, allow_demo=False)


def test_a_range_without_sessions_raises_even_with_demo(data_dir):
    with pytest.raises(
        BarDataError, match=r"no 1d bars for SPY in \[2024-01-06, 2024-01-08\) \(no NYSE sessions"
    ):
        load_bars("SPY", "2024-01-06", "2024-01-08", "1d", store=BarStore(data_dir))


def test_bad_arguments_raise(store):
    with pytest.raises(BarDataError, match="`timeframe`='1w' is not a timeframe"):
        load_bars("SPY", "2024-01-02", "2024-01-04", "1w", store=store)
    with pytest.raises(BarDataError, match=r"`end` \(2024-01-02\) must be after `start` \(2024-01-02\)"):
        load_bars("SPY", "2024-01-02", "2024-01-02", "1d", store=store)
    with pytest.raises(BarDataError, match="`symbols` is empty"):
        load_bars([], "2024-01-02", "2024-01-04", "1d", store=store)
    with pytest.raises(BarDataError, match="`start`='soon' is not a date"):
        load_bars("SPY", "soon", "2024-01-04", "1d", store=store)


def test_timestamps_bound_by_their_new_york_date(store):
    start = pd.Timestamp("2024-01-03 02:00", tz="UTC")  # still 2024-01-02 in New York
    data = load_bars("SPY", start, pd.Timestamp("2024-01-03"), "1d", store=store)
    assert list(data.frames["SPY"].index) == [ny("2024-01-02 16:00")]


def test_bar_data_is_frozen(store):
    data = load_bars("SPY", "2024-01-02", "2024-01-03", "1d", store=store)
    with pytest.raises(AttributeError):
        data.timeframe = "5m"
