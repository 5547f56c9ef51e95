"""BarStore: the local Parquet store."""

from pathlib import Path

import pandas as pd
import pytest

from research_env.data import BarDataError, BarStore, MergeReport, SessionGap, default_data_dir, demo_bars

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


def test_symbol_timeframe_source_and_rows_are_in_the_parquet_metadata(data_dir):
    import pyarrow.parquet as pq

    BarStore(data_dir).write("SPY", "1d", three_years(), "file:SPY.csv")
    metadata = pq.read_metadata(data_dir / "bars/1d/SPY/2023.parquet").metadata
    assert {k: v for k, v in metadata.items() if k.startswith(b"research_env.")} == {
        b"research_env.symbol": b"SPY",
        b"research_env.timeframe": b"1d",
        b"research_env.source": b"file:SPY.csv",
        b"research_env.rows": b"250",
        b"research_env.first": b"2023-01-03T21:00:00+00:00",
        b"research_env.last": b"2023-12-29T21:00:00+00:00",
    }


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


def test_a_corrupt_year_file_blocks_only_the_reads_that_need_it_and_names_the_fix(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    (data_dir / "bars/1d/SPY/2022.parquet").write_bytes(b"not parquet")
    (data_dir / "bars/1d/SPY/2024.parquet").write_bytes(b"not parquet")
    assert len(store.read("SPY", "1d", "2023-01-01", "2024-01-01")) == 250
    with pytest.raises(BarDataError) as caught:
        store.read("SPY", "1d", "2023-06-01", "2024-01-05")
    assert str(caught.value).startswith(f"store file `{data_dir / 'bars/1d/SPY/2024.parquet'}` cannot be read, it "
                                        "is damaged (")
    assert str(caught.value).endswith(
        "; run `research-env data repair` to move it aside (or `research-env data delete SPY --timeframe 1d "
        "--year 2024` to delete it), then import SPY 1d bars of 2024 again")


def test_coverage_lists_a_corrupt_file_instead_of_failing(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "file:SPY.csv")
    (data_dir / "bars/1d/SPY/2023.parquet").write_bytes(b"PAR1 torn")
    (row,) = store.coverage().to_dict("records")
    assert (row["rows"], row["first"], row["last"]) == (14, ny("2022-12-20 16:00"), ny("2024-01-09 16:00"))
    (problem,) = row["problems"]
    assert problem.startswith(f"store file `{data_dir / 'bars/1d/SPY/2023.parquet'}` cannot be read")
    assert store.source("SPY", "1d") == "file:SPY.csv"


def test_a_year_file_copied_into_another_symbols_folder_is_refused(data_dir):
    import shutil

    store = BarStore(data_dir)
    store.write("SPY", "1d", demo_bars("SPY", "1d", "2020-01-01", "2021-01-01"), "file:SPY.csv")
    store.write("AAPL", "1d", demo_bars("AAPL", "1d", "2019-01-01", "2021-01-01"), "file:AAPL.csv")
    shutil.copy(data_dir / "bars/1d/AAPL/2019.parquet", data_dir / "bars/1d/SPY/2019.parquet")
    with pytest.raises(BarDataError) as caught:
        store.read("SPY", "1d", "2019-06-01", "2019-07-01")
    assert str(caught.value) == (
        f"store file `{data_dir / 'bars/1d/SPY/2019.parquet'}` holds AAPL 1d bars (its metadata says so), not SPY "
        "1d: it was copied or moved into the wrong folder; move it back to bars/1d/AAPL/, or run `research-env "
        "data repair` to move it aside (or `research-env data delete SPY --timeframe 1d --year 2019` to delete it), "
        "then import SPY 1d bars of 2019 again")
    assert len(store.read("SPY", "1d", "2020-06-01", "2020-07-01")) == 22


def test_a_year_file_under_another_year_or_timeframe_is_refused(data_dir):
    import shutil

    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    shutil.copy(data_dir / "bars/1d/SPY/2023.parquet", data_dir / "bars/1d/SPY/2021.parquet")
    with pytest.raises(BarDataError, match=r"2021.parquet` holds bars of 2023, not 2021: it was renamed; run"):
        store.read("SPY", "1d", "2021-01-01", "2022-01-01")
    (data_dir / "bars/5m/SPY").mkdir(parents=True)
    shutil.copy(data_dir / "bars/1d/SPY/2023.parquet", data_dir / "bars/5m/SPY/2023.parquet")
    with pytest.raises(BarDataError, match=r"2023.parquet` holds SPY 1d bars \(its metadata says so\), not SPY 5m"):
        store.read("SPY", "5m")


def test_a_file_whose_rows_differ_from_its_metadata_is_refused(data_dir):
    import pyarrow.parquet as pq

    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    path = data_dir / "bars/1d/SPY/2023.parquet"
    table = pq.read_table(path)
    pq.write_table(table.slice(0, 10), path)
    with pytest.raises(BarDataError, match=r"holds 10 rows but its metadata says 250: it was changed outside BarStore"):
        store.read("SPY", "1d", "2023-01-01", "2024-01-01")


def test_a_file_without_the_metadata_is_refused_and_repair_labels_it(data_dir):
    import pyarrow.parquet as pq

    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "file:SPY.csv")
    path = data_dir / "bars/1d/SPY/2023.parquet"
    table = pq.read_table(path)
    old = {k: v for k, v in table.schema.metadata.items()
           if k not in (b"research_env.symbol", b"research_env.timeframe", b"research_env.rows")}
    pq.write_table(table.replace_schema_metadata(old), path)  # as BarStore wrote it before the checks
    with pytest.raises(BarDataError, match=r"lacks the research-env metadata symbol, timeframe, rows \(not written by "
                                           r"this version of BarStore, so it cannot be checked\); run `research-env "
                                           r"data repair` to label it"):
        store.read("SPY", "1d", "2023-01-01", "2024-01-01")
    assert [(a.path, a.action) for a in store.repair()] == [(path, "labelled")]
    assert len(store.read("SPY", "1d", "2023-01-01", "2024-01-01")) == 250
    assert pq.read_metadata(path).metadata[b"research_env.source"] == b"file:SPY.csv"
    assert store.repair() == []


def test_repair_moves_damaged_and_misplaced_files_aside_and_removes_unfinished_writes(data_dir):
    import shutil

    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    store.write("AAPL", "1d", demo_bars("AAPL", "1d", "2021-01-01", "2022-01-01"), "demo")
    folder = data_dir / "bars/1d/SPY"
    (folder / "2022.parquet").write_bytes(b"not parquet")
    shutil.copy(data_dir / "bars/1d/AAPL/2021.parquet", folder / "2021.parquet")
    (folder / ".2023.parquet.x1y2.tmp").write_bytes(b"half a file")
    actions = store.repair()
    quarantine = data_dir / "quarantine/bars/1d/SPY"
    assert [(a.path, a.action) for a in actions] == [
        (folder / ".2023.parquet.x1y2.tmp", "removed"),
        (folder / "2021.parquet", f"moved to {quarantine / '2021.parquet'}"),
        (folder / "2022.parquet", f"moved to {quarantine / '2022.parquet'}"),
    ]
    assert actions[1].reason == ("it holds AAPL 1d bars (its metadata says so), not SPY 1d: it was copied or moved "
                                 "into the wrong folder; import SPY 1d bars of 2021 again")
    assert actions[2].reason.startswith("it cannot be read, it is damaged (")
    assert (quarantine / "2022.parquet").read_bytes() == b"not parquet"
    assert sorted(p.name for p in folder.iterdir()) == ["2023.parquet", "2024.parquet"]
    assert len(store.read("SPY", "1d")) == 250 + 6
    assert store.repair() == []


def test_delete_removes_one_year_one_timeframe_or_the_symbol(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    store.write("SPY", "5m", demo_bars("SPY", "5m", "2024-01-02", "2024-01-03"), "demo")
    assert store.delete("spy", "1d", 2022) == [data_dir / "bars/1d/SPY/2022.parquet"]
    assert store.read("SPY", "1d").index[0] == ny("2023-01-03 16:00")
    assert store.delete("SPY", year=2024) == [data_dir / "bars/5m/SPY/2024.parquet",
                                              data_dir / "bars/1d/SPY/2024.parquet"]
    assert store.delete("SPY") == [data_dir / "bars/1d/SPY/2023.parquet"]
    assert store.timeframes("SPY") == []
    with pytest.raises(BarDataError, match=r"the store at .* has no files for SPY 1d 2023$"):
        store.delete("SPY", "1d", 2023)


def test_merge_counts_the_stored_bars_it_replaces_and_changes(data_dir):
    store = BarStore(data_dir)
    old = bars([ny("2024-01-02 16:00"), ny("2024-01-03 16:00"), ny("2024-01-04 16:00")], [1, 2, 3], [1, 2, 3],
               [1, 2, 3], [1, 2, 3])
    assert store.merge("SPY", "1d", old, "first") == MergeReport(rows=3, replaced=0, changed=0)
    new = bars([ny("2024-01-03 16:00"), ny("2024-01-04 16:00"), ny("2024-01-05 16:00")], [2, 6, 7], [2, 6, 7],
               [2, 6, 7], [2, 6, 7])
    assert store.merge("SPY", "1d", new, "second", dry_run=True) == MergeReport(rows=3, replaced=2, changed=1)
    assert store.read("SPY", "1d")["close"].tolist() == [1.0, 2.0, 3.0]
    assert store.merge("SPY", "1d", new, "second") == MergeReport(rows=3, replaced=2, changed=1)
    assert store.read("SPY", "1d")["close"].tolist() == [1.0, 2.0, 6.0, 7.0]


def test_writes_leave_no_temporary_files_and_lock_under_the_root(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    store.write("SPY", "1d", three_years(), "demo")
    assert sorted(p.relative_to(data_dir).as_posix() for p in data_dir.rglob("*") if p.is_file()) == [
        ".locks/1d-SPY.lock", "bars/1d/SPY/2022.parquet", "bars/1d/SPY/2023.parquet", "bars/1d/SPY/2024.parquet"]


def test_gaps_are_the_sessions_without_bars_between_the_first_and_last_bar(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", demo_bars("SPY", "1d", "2017-01-01", "2021-01-01"), "file:SPY.csv")
    store.delete("SPY", "1d", 2018)
    assert store.gaps("SPY", "1d") == [SessionGap("2018-01-02", "2018-12-31", 251)]
    (row,) = store.coverage(gaps=True).to_dict("records")
    assert (row["missing"], row["gaps"]) == (251, "2018-01-02 to 2018-12-31 (251 sessions)")
    assert store.gaps("QQQ", "1d") == []


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
    assert list(coverage.columns) == ["timeframe", "symbol", "rows", "first", "last", "source", "problems"]
    assert coverage.to_dict("records") == [
        {
            "timeframe": "5m",
            "symbol": "QQQ",
            "rows": 156,
            "first": ny("2024-01-02 09:35"),
            "last": ny("2024-01-03 16:00"),
            "source": "file:QQQ_5min.csv",
            "problems": (),
        },
        {
            "timeframe": "1d",
            "symbol": "SPY",
            "rows": 264,
            "first": ny("2022-12-20 16:00"),
            "last": ny("2024-01-09 16:00"),
            "source": "demo",
            "problems": (),
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


def test_existing_refuses_a_missing_folder_and_one_that_is_no_store(tmp_path):
    with pytest.raises(BarDataError) as caught:
        BarStore.existing(tmp_path / "dta")
    assert str(caught.value) == (
        f"the bar store folder `{tmp_path / 'dta'}` given as `data=` (`--data`) does not exist; check the path, or "
        f"create a store there by importing into it: `research-env data import FILE --data {tmp_path / 'dta'}`")
    (tmp_path / "bars" / "1d").mkdir(parents=True)
    with pytest.raises(BarDataError, match=r"is not a bar store \(it has no `bars` folder\); it looks like the "
                                           r"`bars` folder of a store: pass its parent"):
        BarStore.existing(tmp_path / "bars")
    (tmp_path / "fresh").mkdir()
    assert BarStore.existing(tmp_path / "fresh").root == tmp_path / "fresh"
    assert BarStore.existing(tmp_path).root == tmp_path


def test_writing_into_a_corrupt_year_refuses_instead_of_dropping_its_bars(data_dir):
    store = BarStore(data_dir)
    store.write("SPY", "1d", three_years(), "demo")
    (data_dir / "bars/1d/SPY/2023.parquet").write_bytes(b"not parquet")
    with pytest.raises(BarDataError, match=r"2023.parquet` cannot be read, it is damaged .* run `research-env data "
                                           r"repair` to move it aside"):
        store.write("SPY", "1d", demo_bars("SPY", "1d", "2023-06-01", "2023-06-03"), "again")
    assert (data_dir / "bars/1d/SPY/2023.parquet").read_bytes() == b"not parquet"
    assert store.write("SPY", "1d", demo_bars("SPY", "1d", "2024-01-10", "2024-01-12"), "again") == 2
