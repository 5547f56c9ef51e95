"""BarStore: the local Parquet store."""

from pathlib import Path

import pandas as pd
import pytest

from research_env.data import BarDataError, BarStore, default_data_dir, demo_bars

from .builders import bars, ny


def three_years() -> pd.DataFrame:
    return demo_bars("SPY", "1d", "2022-12-20", "2024-01-10")


def test_write_then_read_round_trips_exactly(data_dir):
    store = BarStore(data_dir)
    frame = three_years()
    assert store.write("spy", "1d", frame, "demo") == len(frame)
    pd.testing.assert_frame_equal(store.read("SPY", "1d"), frame)


def test_files_are_yearly_parquet_under_timeframe_and_symbol(data_dir):
    BarStore(data_dir).write("SPY", "1d", three_years(), "demo")
    files = sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*.parquet"))
    assert files == ["bars/1d/SPY/2022.parquet", "bars/1d/SPY/2023.parquet", "bars/1d/SPY/2024.parquet"]


def test_source_label_is_in_the_parquet_metadata(data_dir):
    import pyarrow.parquet as pq

    BarStore(data_dir).write("SPY", "1d", three_years(), "file:SPY.csv")
    metadata = pq.read_metadata(data_dir / "bars/1d/SPY/2023.parquet").metadata
    assert metadata[b"research_env.source"] == b"file:SPY.csv"


def test_newer_rows_win_and_old_rows_stay(data_dir):
    store = BarStore(data_dir)
    old = bars([ny("2024-01-02 16:00"), ny("2024-01-03 16:00")], [1, 2], [1, 2], [1, 2], [1, 2])
    new = bars([ny("2024-01-03 16:00"), ny("2024-01-04 16:00")], [5, 6], [5, 6], [5, 6], [5, 6])
    store.write("SPY", "1d", old, "first")
    store.write("SPY", "1d", new, "second")
    result = store.read("SPY", "1d")
    assert result["close"].tolist() == [1.0, 5.0, 6.0]
    assert store.source("SPY", "1d") == "first + second"


def test_fully_replaced_rows_take_the_new_label(data_dir):
    store = BarStore(data_dir)
    frame = bars([ny("2024-01-02 16:00")], [1], [1], [1], [1])
    store.write("SPY", "1d", frame, "first")
    store.write("SPY", "1d", frame * 2, "second")
    assert store.source("SPY", "1d") == "second"
    assert store.read("SPY", "1d")["close"].tolist() == [2.0]


def test_range_reads_use_new_york_session_dates_end_excluded(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    result = store.read("SPY", "1d", "2023-01-03", "2023-01-06")
    assert list(result.index) == [ny("2023-01-03 16:00"), ny("2023-01-04 16:00"), ny("2023-01-05 16:00")]


def test_range_reads_open_only_the_needed_year_files(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    (data_dir / "bars/1d/SPY/2022.parquet").write_bytes(b"not parquet")
    (data_dir / "bars/1d/SPY/2024.parquet").write_bytes(b"not parquet")
    assert len(store.read("SPY", "1d", "2023-01-01", "2024-01-01")) == 250
    with pytest.raises(
        BarDataError, match=r"store file `.*2024.parquet` cannot be read .*delete it and import"
    ):
        store.read("SPY", "1d", "2023-06-01", "2024-01-05")


def test_missing_data_reads_as_an_empty_bar_frame(data_dir):
    result = BarStore(data_dir).read("QQQ", "5m", "2024-01-01", "2024-02-01")
    assert result.empty
    assert list(result.columns) == ["open", "high", "low", "close", "volume"]
    assert str(result.index.tz) == "UTC"


def test_coverage_lists_timeframe_symbol_rows_range_and_source(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    store.write("QQQ", "5m", demo_bars("QQQ", "5m", "2024-01-02", "2024-01-04"), "file:QQQ_5min.csv")
    coverage = store.coverage()
    assert list(coverage.columns) == ["timeframe", "symbol", "rows", "first", "last", "source"]
    assert coverage.to_dict("records") == [
        {
            "timeframe": "5m",
            "symbol": "QQQ",
            "rows": 156,
            "first": ny("2024-01-02 09:35"),
            "last": ny("2024-01-03 16:00"),
            "source": "file:QQQ_5min.csv",
        },
        {
            "timeframe": "1d",
            "symbol": "SPY",
            "rows": 264,
            "first": ny("2022-12-20 16:00"),
            "last": ny("2024-01-09 16:00"),
            "source": "demo",
        },
    ]


def test_timeframes_lists_what_is_stored_for_a_symbol(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    store.write("SPY", "5m", demo_bars("SPY", "5m", "2024-01-02", "2024-01-03"), "demo")
    assert store.timeframes("spy") == ["5m", "1d"]
    assert store.timeframes("QQQ") == []
    assert store.source("QQQ", "1d") is None


def test_writing_bars_under_the_wrong_timeframe_is_refused(data_dir):
    with pytest.raises(BarDataError, match=r"the frame's bars are 5m apart; write it as '5m'"):
        BarStore(data_dir).write("SPY", "1h", demo_bars("SPY", "5m", "2024-01-02", "2024-01-03"), "demo")


def test_writing_an_invalid_frame_names_the_store_and_row(data_dir):
    frame = bars([ny("2024-01-02 16:00")], [1], [0.5], [1], [1])
    with pytest.raises(
        BarDataError, match=r"BarStore.write\('SPY', '1d'\)`, symbol SPY: high < low at row 0"
    ):
        BarStore(data_dir).write("SPY", "1d", frame, "demo")


def test_a_symbol_with_a_path_separator_is_refused(data_dir):
    with pytest.raises(BarDataError, match=r"`symbol`='../SPY' is not a ticker"):
        BarStore(data_dir).read("../SPY", "1d")


def test_default_store_is_the_environment_folder(data_dir):
    assert default_data_dir() == data_dir
    assert BarStore().root == data_dir


def test_without_the_environment_variable_the_checkout_data_folder_is_used(monkeypatch):
    monkeypatch.delenv("RESEARCH_ENV_DATA", raising=False)
    checkout = Path(__file__).resolve().parents[2]
    assert default_data_dir() == checkout / "data"
