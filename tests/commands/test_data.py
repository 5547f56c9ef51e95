"""``research-env data``: import (with --dry-run and partial batches), list (gaps, damaged files), delete, repair."""

from __future__ import annotations

import shutil

import pytest

from research_env.cli import main
from research_env.data import BarStore, demo_bars

HEADER = "Date,Open,High,Low,Close,Volume\n"


def _csv(folder, name: str, rows: str):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(HEADER + rows)
    return path


def test_import_says_how_many_stored_bars_it_replaced_and_dry_run_writes_nothing(tmp_path, data_dir, capsys):
    old = _csv(tmp_path / "a", "SPY.csv", "2024-01-02,10,11,9,10,7\n2024-01-03,11,12,10,11,8\n")
    new = _csv(tmp_path / "b", "SPY.csv", "2024-01-03,22,24,20,22,8\n2024-01-04,12,13,11,12,9\n")
    assert main(["data", "import", str(old)]) == 0
    capsys.readouterr()
    assert main(["data", "import", "--dry-run", str(new)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [f"SPY 1d: {new} would replace 1 stored bars (1 with other values)",
                        f"dry run: nothing written to {data_dir}"]
    assert BarStore(data_dir).read("SPY", "1d")["close"].tolist() == [10.0, 11.0]
    assert main(["data", "import", str(new)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == [f"SPY 1d: {new} replaced 1 stored bars (1 with other values)", f"stored in {data_dir}"]
    assert BarStore(data_dir).read("SPY", "1d")["close"].tolist() == [10.0, 22.0, 12.0]


def test_a_batch_import_that_refuses_a_file_exits_2_saying_which_were_stored(tmp_path, data_dir, capsys):
    good = _csv(tmp_path, "SPY.csv", "2024-01-02,10,11,9,10.5,7\n")
    bad = _csv(tmp_path, "QQQ.csv", "2024-01-02,10,11,9,10,inf\n")
    assert main(["data", "import", str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    assert "SPY        1d     1" in captured.out
    assert captured.err.splitlines() == [
        "research-env: error: stored 1 of 2 files; refused 1:",
        f"  refused `{bad}`: `{bad}`, symbol QQQ: volume inf at line 2 (2024-01-02 21:00:00+00:00); volume must be "
        "a finite number from 0 to 1e+15",
        f"  stored `{good}` (SPY 1d 1 rows)",
        "fix the refused files and import them again (the stored ones need no second import)",
    ]
    assert BarStore(data_dir).symbols() == ["SPY"]


def test_list_shows_gaps_and_damaged_files_instead_of_failing(data_dir, capsys):
    store = BarStore(data_dir)
    store.write("SPY", "1d", demo_bars("SPY", "1d", "2017-01-01", "2021-01-01"), "file:SPY.csv")
    store.write("AAPL", "1d", demo_bars("AAPL", "1d", "2019-01-01", "2020-01-01"), "file:AAPL.csv")
    store.delete("SPY", "1d", 2018)
    (data_dir / "bars/1d/SPY/2019.parquet").write_bytes(b"Parquet magic bytes not found")
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["timeframe", "symbol", "rows", "first", "last", "source", "missing"]
    assert lines[1].split()[:3] == ["1d", "AAPL", "252"] and lines[1].split()[-1] == "0"
    assert lines[2].split()[:3] == ["1d", "SPY", "504"] and lines[2].split()[-1] == "503"
    assert lines[4:6] == ["gaps (NYSE sessions without bars between the first and the last bar):",
                          "  SPY 1d: 2018-01-02 to 2019-12-31 (503 sessions)"]
    assert lines[7] == "problems (left out of the rows above; only reads that need these files fail):"
    assert lines[8].startswith(f"  SPY 1d: store file `{data_dir / 'bars/1d/SPY/2019.parquet'}` cannot be read")
    assert lines[8].endswith("run `research-env data repair` to move it aside (or `research-env data delete SPY "
                             "--timeframe 1d --year 2019` to delete it), then import SPY 1d bars of 2019 again")


def test_repair_then_delete_recover_from_a_damaged_and_a_misplaced_file(data_dir, capsys):
    store = BarStore(data_dir)
    store.write("SPY", "1d", demo_bars("SPY", "1d", "2019-01-01", "2021-01-01"), "file:SPY.csv")
    store.write("AAPL", "1d", demo_bars("AAPL", "1d", "2018-01-01", "2019-01-01"), "file:AAPL.csv")
    (data_dir / "bars/1d/SPY/2019.parquet").write_bytes(b"torn")
    shutil.copy(data_dir / "bars/1d/AAPL/2018.parquet", data_dir / "bars/1d/SPY/2018.parquet")
    assert main(["data", "repair"]) == 0
    out = capsys.readouterr().out.splitlines()
    quarantine = data_dir / "quarantine/bars/1d/SPY"
    assert out[0] == (f"{data_dir / 'bars/1d/SPY/2018.parquet'}: moved to {quarantine / '2018.parquet'} (it holds "
                      "AAPL 1d bars (its metadata says so), not SPY 1d: it was copied or moved into the wrong folder; "
                      "import SPY 1d bars of 2018 again)")
    assert out[1].startswith(f"{data_dir / 'bars/1d/SPY/2019.parquet'}: moved to {quarantine / '2019.parquet'} (it "
                             "cannot be read, it is damaged (")
    assert len(out) == 2
    assert main(["data", "repair"]) == 0
    assert capsys.readouterr().out == f"nothing to repair: every file in {data_dir} is readable and checked\n"
    assert main(["data", "delete", "spy", "--timeframe", "1d", "--year", "2020"]) == 0
    assert capsys.readouterr().out == f"deleted {data_dir / 'bars/1d/SPY/2020.parquet'}\n"
    assert main(["data", "delete", "SPY"]) == 2
    assert capsys.readouterr().err == f"research-env: error: the store at {data_dir} has no files for SPY\n"


@pytest.mark.parametrize("command", [["list"], ["repair"], ["delete", "SPY"]])
def test_a_missing_data_folder_exits_2_naming_it_and_the_flag(tmp_path, data_dir, capsys, command):
    missing = tmp_path / "dtaa"
    assert main(["data", *command, "--data", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"research-env: error: the bar store folder `{missing}` given as `data=` (`--data`) does not exist; check "
        f"the path, or create a store there by importing into it: `research-env data import FILE --data {missing}`\n")


def test_import_creates_a_new_store_folder_but_never_writes_over_a_file(tmp_path, data_dir, capsys):
    source = _csv(tmp_path, "SPY.csv", "2024-01-02,10,11,9,10.5,7\n")
    assert main(["data", "import", str(source), "--data", str(tmp_path / "new")]) == 0
    assert BarStore(tmp_path / "new").symbols() == ["SPY"]
    capsys.readouterr()
    assert main(["data", "import", str(source), "--data", str(source)]) == 2
    assert f"the bar store folder `{source}` given as `data=` (`--data`) is a file, not a folder" in (
        capsys.readouterr().err)
