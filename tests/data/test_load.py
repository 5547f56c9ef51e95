"""load_bars: store, then finer store data resampled, then demo bars."""

import pandas as pd
import pytest

from research_env.data import (
    BarData,
    BarDataError,
    BarDataWarning,
    BarStore,
    SessionGap,
    demo_bars,
    load_bars,
    resample,
)

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


def test_with_allow_demo_a_symbol_with_no_local_data_gets_demo_bars_with_a_warning(store):
    with pytest.warns(BarDataWarning, match=r"no local 1h data for qqq .*SYNTHETIC demo bars"):
        data = load_bars(["SPY", "qqq"], "2024-01-02", "2024-01-04", "1h", store=store, allow_demo=True)
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
    with pytest.raises(BarDataError, match=r"`symbols` has `QQQ`, which the store at .* does not hold \(it holds "
                                           r"SPY\)\. .*or pass allow_demo=True \(`--demo`\)"):
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


# --- the one demo rule ------------------------------------------------------------------------------------


def _real_store(root) -> BarStore:
    """A store holding "real" (non-demo-labelled) AAPL 5m and 1d and MSFT 1d bars."""
    store = BarStore(root)
    store.write("AAPL", "5m", demo_bars("AAPL", "5m", "2024-01-02", "2024-01-04"), "file:AAPL_5min.csv")
    store.write("AAPL", "1d", demo_bars("AAPL", "1d", "2023-01-01", "2024-01-06"), "file:AAPL.csv")
    store.write("MSFT", "1d", demo_bars("MSFT", "1d", "2023-01-01", "2024-01-06"), "file:MSFT.csv")
    return store


def test_by_default_an_empty_store_runs_on_demo_bars(data_dir):
    with pytest.warns(BarDataWarning, match=r"no local 1d data for SPY, QQQ .*SYNTHETIC demo bars.*allow_demo=False "
                                            r"\(`--no-demo`\) to fail instead"):
        data = load_bars(["SPY", "QQQ"], "2024-01-02", "2024-01-04", "1d", store=BarStore(data_dir))
    assert data.sources == {"SPY": "demo", "QQQ": "demo"}
    assert data.gaps == {}


def test_by_default_a_store_of_only_demo_written_bars_counts_as_holding_no_real_bars(data_dir):
    store = BarStore(data_dir)
    store.write("XYZ", "1d", demo_bars("XYZ", "1d", "2024-01-02", "2024-02-01"), "demo")
    assert not store.holds_real_bars()
    with pytest.warns(BarDataWarning, match="SYNTHETIC"):
        data = load_bars(["XYZ", "QQQ"], "2024-01-02", "2024-01-04", "1d", store=store)
    assert data.sources == {"XYZ": "demo", "QQQ": "demo"}


def test_by_default_demo_bars_never_stand_in_for_a_mistyped_symbol_next_to_real_ones(data_dir):
    store = _real_store(data_dir)
    assert store.holds_real_bars()
    with pytest.raises(BarDataError) as caught:
        load_bars(["AAPL", "APPL"], "2023-06-01", "2023-07-01", "1d", store=store)
    assert str(caught.value) == (
        f"`symbols` has `APPL`, which the store at {data_dir} does not hold; did you mean `AAPL`? (it holds AAPL, "
        "MSFT). Import APPL bars with `research-env data import FILE` (import_bars), or pass allow_demo=True "
        "(`--demo`) to run on synthetic bars")


def test_by_default_a_timeframe_without_bars_names_the_timeframes_that_exist(data_dir):
    store = _real_store(data_dir)
    with pytest.raises(BarDataError) as caught:
        load_bars("AAPL", "2024-01-02", "2024-01-04", "1m", store=store)
    assert str(caught.value) == (
        f"no 1m bars for AAPL, nor finer ones to resample: the store at {data_dir} has AAPL 5m 2024-01-02 to "
        "2024-01-03 (156 rows); 1d 2023-01-03 to 2024-01-05 (254 rows); pass timeframe='5m' or '1d' "
        "(`--timeframe 5m`), or import AAPL 1m bars")


def test_allow_demo_true_lets_demo_bars_stand_in_next_to_real_ones(data_dir):
    store = _real_store(data_dir)
    with pytest.warns(BarDataWarning, match="SYNTHETIC"):
        data = load_bars(["AAPL", "APPL"], "2023-06-01", "2023-07-01", "1d", store=store, allow_demo=True)
    assert data.sources == {"AAPL": "local", "APPL": "demo"}
    assert data.synthetic_symbols == ["APPL"]


def test_allow_demo_false_never_uses_demo_bars_even_on_an_empty_store(data_dir):
    with pytest.raises(BarDataError) as caught:
        load_bars("SPY", "2024-01-02", "2024-01-04", "1d", store=BarStore(data_dir), allow_demo=False)
    assert str(caught.value) == (
        f"no 1d bars for SPY: the store at {data_dir} is empty; import bars with `research-env data import FILE` "
        "(import_bars), or pass allow_demo=True (`--demo`) to run on synthetic bars")


def test_demo_written_bars_are_refused_next_to_real_ones_and_with_allow_demo_false(data_dir):
    store = _real_store(data_dir)
    store.write("XYZ", "1d", demo_bars("XYZ", "1d", "2024-01-02", "2024-02-01"), "demo")
    with pytest.raises(BarDataError, match=r"has only synthetic demo 1d bars for XYZ \(written by `research-env data "
                                           r"demo`\) and the store holds real bars of other symbols; import real XYZ"):
        load_bars(["AAPL", "XYZ"], "2024-01-02", "2024-01-04", "1d", store=store)
    with pytest.raises(BarDataError, match=r"bars for XYZ .* and allow_demo=False \(`--no-demo`\)"):
        load_bars("XYZ", "2024-01-02", "2024-01-04", "1d", store=store, allow_demo=False)
    with pytest.warns(BarDataWarning, match="SYNTHETIC"):
        data = load_bars("XYZ", "2024-01-02", "2024-01-04", "1d", store=store, allow_demo=True)
    assert data.sources == {"XYZ": "demo"}


def test_allow_demo_must_be_a_bool_or_none(store):
    with pytest.raises(BarDataError, match=r"`allow_demo`='yes'; use True, False or None"):
        load_bars("SPY", "2024-01-02", "2024-01-04", "1d", store=store, allow_demo="yes")


# --- coverage against the calendar -----------------------------------------------------------------------


def test_a_partly_covered_range_warns_with_the_covered_range_and_demo_bars_never_fill_it(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "5m", demo_bars("SPY", "5m", "2025-05-12", "2025-08-01"), "file:SPY_5min.csv")
    with pytest.warns(BarDataWarning) as caught:
        data = load_bars("SPY", "2025-01-01", "2025-08-01", "1h", store=store, allow_demo=True)
    assert [str(w.message) for w in caught] == [
        "SPY: the 1h bars (local(5m→1h)) cover 2025-05-12 to 2025-07-31, 56 of the 144 NYSE sessions in "
        "[2025-01-01, 2025-08-01); missing 2025-01-02 to 2025-05-09 (88 sessions). The run uses only the bars "
        "there are: import the missing sessions or narrow the range"]
    assert data.sources == {"SPY": "local(5m→1h)"}
    assert data.frames["SPY"].index[0] == ny("2025-05-12 10:30")
    assert data.gaps == {"SPY": (SessionGap("2025-01-02", "2025-05-09", 88),)}


def test_a_deleted_year_file_warns_with_the_missing_sessions_and_bar_data_records_them(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", demo_bars("SPY", "1d", "2017-01-01", "2021-01-01"), "file:SPY.csv")
    store.delete("SPY", "1d", 2018)
    with pytest.warns(BarDataWarning, match=r"^SPY: the 1d bars \(local\) cover 2017-01-03 to 2020-12-31, 756 of the "
                                            r"1007 NYSE sessions in \[2017-01-01, 2021-01-01\); missing 2018-01-02 to "
                                            r"2018-12-31 \(251 sessions\)\."):
        data = load_bars("SPY", "2017-01-01", "2021-01-01", "1d", store=store)
    assert len(data.frames["SPY"]) == 756
    assert data.gaps == {"SPY": (SessionGap("2018-01-02", "2018-12-31", 251),)}


def test_a_fully_covered_range_has_no_gaps_and_no_warning(store, recwarn):
    data = load_bars("SPY", "2023-01-01", "2024-01-06", "1d", store=store)
    assert data.gaps == {}
    assert not [w for w in recwarn if issubclass(w.category, BarDataWarning)]


def test_a_corrupt_year_file_blocks_only_loads_that_need_that_year(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", demo_bars("SPY", "1d", "2017-01-01", "2021-01-01"), "file:SPY.csv")
    (data_dir / "bars/1d/SPY/2018.parquet").write_bytes(b"Parquet magic bytes not found")
    data = load_bars("SPY", "2020-01-01", "2021-01-01", "1d", store=store)
    assert (len(data.frames["SPY"]), data.sources) == (253, {"SPY": "local"})
    with pytest.raises(BarDataError, match=r"store file `.*/bars/1d/SPY/2018.parquet` cannot be read, it is damaged"):
        load_bars("SPY", "2017-06-01", "2020-01-01", "1d", store=store)
