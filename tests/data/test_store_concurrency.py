"""BarStore under concurrency, with real processes: importers, a writer against a reader, a killed writer."""

from __future__ import annotations

import itertools
import multiprocessing
import time

import pandas as pd
import pytest

from research_env.data import BarStore, demo_bars, sessions

from .store_workers import daily_frame, import_rounds, write_alternately, write_forever

SPAWN = multiprocessing.get_context("spawn")
IMPORTERS, ROUNDS, LENGTH, STEP = 4, 20, 40, 15


def _importer_files(tmp_path) -> tuple[list[str], list[pd.Series]]:
    """Four SPY.csv files of 40 sessions each, starting 15 sessions apart across New Year 2024; worker k's
    closes are 100 (k + 1) + the session's position, so every value says which file it came from."""
    dates = [f"{d:%Y-%m-%d}" for d in sessions("2023-11-01", "2024-04-01").index]
    files, closes = [], []
    for k in range(IMPORTERS):
        chosen = dates[k * STEP: k * STEP + LENGTH]
        values = [100.0 * (k + 1) + i for i in range(len(chosen))]
        folder = tmp_path / f"importer{k}"
        folder.mkdir()
        path = folder / "SPY.csv"
        path.write_text("Date,Open,High,Low,Close,Volume\n"
                        + "".join(f"{d},{v},{v},{v},{v},{int(v) * 10}\n" for d, v in zip(chosen, values, strict=True)))
        files.append(str(path))
        closes.append(daily_frame(chosen, values)["close"])
    return files, closes


def _serial_outcomes(closes: list[pd.Series]) -> list[pd.Series]:
    """The stored closes after the four imports in each possible order (the last import wins on a stamp)."""
    outcomes = []
    for order in itertools.permutations(range(IMPORTERS)):
        merged = pd.Series(dtype=float)
        for k in order:
            merged = pd.concat([merged[~merged.index.isin(closes[k].index)], closes[k]]).sort_index()
        outcomes.append(merged)
    return outcomes


def test_four_concurrent_importers_end_with_exactly_the_union_every_round(tmp_path):
    files, closes = _importer_files(tmp_path)
    outcomes = _serial_outcomes(closes)
    barrier = SPAWN.Barrier(IMPORTERS)
    workers = [SPAWN.Process(target=import_rounds, args=(str(tmp_path / "stores"), files, k, ROUNDS, barrier))
               for k in range(IMPORTERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * IMPORTERS
    union = sorted(set().union(*(c.index for c in closes)))
    assert len(union) == LENGTH + (IMPORTERS - 1) * STEP
    for number in range(ROUNDS):
        store = BarStore(tmp_path / "stores" / f"round{number}")
        stored = store.read("SPY", "1d")
        assert list(stored.index) == union, f"round {number}"
        assert any(stored["close"].equals(outcome.rename("close")) for outcome in outcomes), f"round {number}"
        folder = store.root / "bars" / "1d" / "SPY"
        assert sorted(p.name for p in folder.iterdir()) == ["2023.parquet", "2024.parquet"], f"round {number}"
        assert store.coverage()["problems"].tolist() == [()]


def _two_versions() -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = [f"{d:%Y-%m-%d}" for d in sessions("2023-12-01", "2024-02-01").index]
    first = daily_frame(dates, [10.0 + i for i in range(len(dates))])
    return first, daily_frame(dates, [500.0 + i for i in range(len(dates))])


def test_a_reader_racing_a_writer_always_reads_one_whole_version_of_each_year_file(tmp_path):
    versions = _two_versions()
    store = BarStore(tmp_path)
    store.write("SPY", "1d", versions[0], "writer:0")
    started = SPAWN.Event()
    writer = SPAWN.Process(target=write_alternately, args=(str(tmp_path), list(versions), 60, started))
    writer.start()
    assert started.wait(timeout=60)
    reads, seen = 0, set()
    while True:
        alive = writer.is_alive()
        stored = store.read("SPY", "1d")
        for year in (2023, 2024):
            part = stored[stored.index.tz_convert("America/New_York").year == year]
            matches = [k for k, version in enumerate(versions)
                       if part.equals(version[version.index.tz_convert("America/New_York").year == year])]
            assert len(matches) == 1, f"read {reads}, year {year}: neither version"
            seen.add(matches[0])
        assert store.coverage()["problems"].tolist() == [()]
        reads += 1
        if not alive:
            break
    writer.join(timeout=60)
    assert writer.exitcode == 0
    assert reads >= 2
    pd.testing.assert_frame_equal(store.read("SPY", "1d"), versions[1])  # the 60th write was versions[1]


def test_a_writer_killed_mid_write_leaves_every_file_readable_and_repair_cleans_up(tmp_path):
    frames = [demo_bars("SPY", "5m", "2023-07-01", "2024-07-01"), demo_bars("QQQ", "5m", "2023-07-01", "2024-07-01")]
    started = SPAWN.Event()
    writer = SPAWN.Process(target=write_forever, args=(str(tmp_path), frames, started))
    writer.start()
    assert started.wait(timeout=60)
    time.sleep(0.3)
    writer.kill()
    writer.join(timeout=60)
    assert writer.exitcode == -9
    store = BarStore(tmp_path)
    stored = store.read("SPY", "5m")
    for year in (2023, 2024):
        part = stored[stored.index.tz_convert("America/New_York").year == year]
        assert any(part.equals(f[f.index.tz_convert("America/New_York").year == year]) for f in frames)
    actions = store.repair()
    assert {action.action for action in actions} <= {"removed"}
    folder = tmp_path / "bars" / "5m" / "SPY"
    assert sorted(p.name for p in folder.iterdir()) == ["2023.parquet", "2024.parquet"]
    assert store.write("SPY", "5m", frames[0], "after the kill") == len(frames[0])  # the lock died with the writer
    pd.testing.assert_frame_equal(store.read("SPY", "5m"), frames[0])


@pytest.fixture(autouse=True)
def _no_leftover_processes():
    yield
    assert not multiprocessing.active_children()
