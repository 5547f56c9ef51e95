"""``PostgresBars`` on a real PostgreSQL server: real bars round-trip bit for bit, imports are idempotent
upserts counted like the local store's and atomic per file, reads are New York session ranges on the
primary key, and an unusable server says why (never the password)."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest

from research_env.data import BarDataError, BarStore, import_bars, read_bar_file, session_dates
from research_env.data._errors import SourceUnavailableError
from research_env.data.sources import PostgresBars
from research_env.db import redact, upgrade
from research_env.settings import PostgresSettings, Settings
from tests.data.builders import write

EVER = (np.datetime64("1990-01-01"), np.datetime64("2040-12-31"))
SPY_1M_ROWS = 11632  # ../shared/data/bars/1m/SPY.csv: 2021-07-01 12:57 to 2021-08-13 16:00 New York


def _day(text: str) -> np.datetime64:
    return np.datetime64(text, "D")


@pytest.fixture()
def pg(postgres_dsn) -> PostgresBars:
    """A migrated, empty database of its own."""
    upgrade(postgres_dsn)
    return PostgresBars(postgres_dsn)


@pytest.fixture(scope="module")
def loaded(postgres_server, shared_data):
    """One migrated database holding the real 1m SPY bars and every real daily file: (source, files)."""
    dsn = postgres_server.create_database("real_bars")
    upgrade(dsn)
    files = [shared_data / "bars" / "1m" / "SPY.csv", *sorted((shared_data / "bars" / "1d").glob("*.csv"))]
    source = PostgresBars(dsn)
    for path in files:
        import_bars(path, store=source)
    return source, files


def _rows(source: PostgresBars, sql: str) -> list[tuple]:
    with source._connection() as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_real_bars_read_back_bit_for_bit(loaded):
    source, files = loaded
    for path in files:
        ((symbol, frame),) = read_bar_file(path).items()
        got = source.read(symbol, path.parent.name, *EVER)
        pd.testing.assert_frame_equal(got, frame, check_exact=True)
        assert got.equals(frame)
        assert np.array_equal(got.to_numpy().view("int64"), frame.to_numpy().view("int64"))
    assert len(source.read("SPY", "1m", *EVER)) == SPY_1M_ROWS


def test_what_is_stored_is_listed_like_the_local_store(loaded, shared_data):
    source, files = loaded
    daily = {path.stem: read_bar_file(path)[path.stem] for path in files[1:]}
    assert source.symbols() == sorted(daily) and source.holds_bars()
    assert source.timeframes("spy") == ["1m", "1d"] and source.timeframes("AAPL") == ["1d"]
    spy = daily["SPY"]
    assert source.holdings("SPY") == (f"1m 2021-07-01 to 2021-08-13 ({SPY_1M_ROWS} rows); 1d 2005-10-10 to "
                                      f"2025-10-07 ({len(spy)} rows)")
    coverage = source.coverage()
    assert list(coverage.columns) == ["timeframe", "symbol", "rows", "first", "last", "source"]
    assert list(coverage["timeframe"]) == ["1m"] + ["1d"] * len(daily)
    assert list(coverage["symbol"]) == ["SPY", *sorted(daily)]
    assert list(coverage["rows"]) == [SPY_1M_ROWS, *(len(daily[s]) for s in sorted(daily))]
    last = coverage.iloc[-1]
    assert (last["first"], last["last"], last["source"]) == (daily["TSLA"].index[0], daily["TSLA"].index[-1],
                                                             "file:TSLA.csv")


def test_a_range_is_the_bars_of_its_new_york_sessions(loaded, tmp_path, shared_data):
    source, _ = loaded
    store = BarStore(tmp_path / "store")
    import_bars([shared_data / "bars" / "1d" / "SPY.csv"], store=store)
    import_bars([shared_data / "bars" / "1m" / "SPY.csv"], store=store)

    days = source.read("SPY", "1d", _day("2024-01-03"), _day("2024-01-05"))
    assert list(days.index) == [pd.Timestamp("2024-01-03 21:00", tz="UTC"), pd.Timestamp("2024-01-04 21:00", tz="UTC")]
    assert days.equals(store.read("SPY", "1d", "2024-01-03", "2024-01-05"))

    minutes = source.read("SPY", "1m", _day("2021-07-02"), _day("2021-07-07"))  # Fri 2 July, Mon 5 July closed
    assert minutes.equals(store.read("SPY", "1m", "2021-07-02", "2021-07-07"))
    assert len(minutes) == 774  # 2 sessions of 390 minutes; the file lacks 6 of them
    assert set(session_dates(minutes.index)) == {_day("2021-07-02"), _day("2021-07-06")}
    assert (minutes.index[0], minutes.index[-1]) == (pd.Timestamp("2021-07-02 13:31", tz="UTC"),
                                                     pd.Timestamp("2021-07-06 20:00", tz="UTC"))
    assert source.read("SPY", "1m", _day("2021-07-03"), _day("2021-07-06")).empty


def test_a_range_read_scans_the_primary_key(loaded):
    source, _ = loaded
    _rows(source, "ANALYZE bars")
    plan = "\n".join(row[0] for row in _rows(
        source, "EXPLAIN SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = 'SPY' AND "
                "timeframe = '1m' AND ts >= '2021-07-06 04:00+00' AND ts < '2021-07-08 04:00+00' ORDER BY ts"))
    assert "bars_pkey" in plan and any(scan in plan for scan in ("Index Scan", "Index Only Scan", "Bitmap"))
    assert "Seq Scan" not in plan


def test_a_second_import_replaces_every_bar_and_changes_nothing(pg, shared_data):
    path = shared_data / "bars" / "1m" / "SPY.csv"
    first = import_bars(path, store=pg)
    again = import_bars(path, store=pg)
    assert (first.loc[0, "rows"], first.loc[0, "replaced"], first.loc[0, "changed"]) == (SPY_1M_ROWS, 0, 0)
    assert (again.loc[0, "rows"], again.loc[0, "replaced"], again.loc[0, "changed"]) == (SPY_1M_ROWS,) * 2 + (0,)
    assert _rows(pg, "SELECT count(*), count(DISTINCT xmin::text) FROM bars") == [(SPY_1M_ROWS, 1)]  # nothing rewritten


def test_changed_values_are_counted_and_stored(pg, shared_data):
    frame = read_bar_file(shared_data / "bars" / "1d" / "GLD.csv")["GLD"]
    pg.merge("GLD", "1d", frame.iloc[:-10], "file:GLD.csv")
    edited = frame.copy()
    edited.iloc[[3, 50, 700], edited.columns.get_loc("volume")] += 1.0

    dry = pg.merge_frames({"GLD": edited}, "1d", "vendor", dry_run=True)
    assert dry == {"GLD": (len(frame), len(frame) - 10, 3)}
    assert len(pg.read("GLD", "1d", *EVER)) == len(frame) - 10  # the dry run wrote nothing

    assert pg.merge("GLD", "1d", edited, "vendor") == (len(frame), len(frame) - 10, 3)
    assert pg.read("GLD", "1d", *EVER).equals(edited)
    assert pg.coverage()["source"].tolist() == ["vendor"]


def test_one_refused_frame_of_a_file_writes_none_of_its_symbols(pg, shared_data, tmp_path):
    frames = read_bar_file(shared_data / "bars" / "1d" / "SPY.csv") | read_bar_file(shared_data / "bars" / "5m" /
                                                                                    "QQQ.csv")
    with pytest.raises(BarDataError, match="'QQQ', '1d'.*bars are 5m apart"):
        pg.merge_frames(frames, "1d", "file:both")
    assert not pg.holds_bars()

    rows = ("timestamp,symbol,open,high,low,close,volume\n2024-01-02,AAA,10,11,9,10,5\n2024-01-03,AAA,10,11,9,10,5\n"
            "2024-01-02,BBB,10,11,9,10,5\n2024-01-03,BBB,10,9,11,10,5\n")  # BBB: high < low
    with pytest.raises(BarDataError, match="BBB.*high < low"):
        import_bars(write(tmp_path, "two.csv", rows), store=pg)
    assert not pg.holds_bars() and pg.symbols() == []


def test_a_stopped_server_is_unavailable_with_the_reason_and_comes_back_when_started(pg, postgres_server):
    assert pg.read("SPY", "1d", *EVER).empty
    postgres_server.stop()
    try:
        with pytest.raises(SourceUnavailableError) as caught:
            pg.read("SPY", "1d", *EVER)
    finally:
        postgres_server.start()
    message = str(caught.value)
    assert caught.value.source == "postgres"
    assert message.startswith(f"the postgres bar source `{redact(pg._dsn)}` cannot be used: the server is not "
                              "reachable; start the server")
    assert "***" in message and postgres_server.dsn() not in message
    pg.check()  # the pool drops its dead connections and connects again


def test_a_server_that_does_not_answer_times_out_with_the_reason():
    with socket.socket() as silent:  # accepts TCP connections (backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        source = PostgresBars(f"postgresql://ann:pw@127.0.0.1:{silent.getsockname()[1]}/bars", connect_timeout=1)
        with pytest.raises(SourceUnavailableError, match="did not answer within the connect timeout; check that the "
                                                         "server is running .* or raise `pg.connect_timeout`"):
            source.check()


def test_a_wrong_password_names_the_user_and_never_the_password(pg, postgres_server):
    dsn = pg._dsn.replace(postgres_server.dsn(database=""), postgres_server.dsn(database="", password="wr0ng-pw"))
    assert dsn != pg._dsn
    with pytest.raises(SourceUnavailableError, match="the password of user `postgres` was rejected; check the user "
                                                     "and password") as caught:
        PostgresBars(dsn).check()
    assert "wr0ng-pw" not in str(caught.value) and "wr0ng-pw" not in repr(PostgresBars(dsn))


def test_a_database_that_was_never_migrated_says_to_run_db_init(postgres_dsn):
    source = PostgresBars(postgres_dsn)
    for call in (source.check, lambda: source.read("SPY", "1d", *EVER)):
        with pytest.raises(SourceUnavailableError, match="has no `bars` table: it is not migrated; run "
                                                         "`research-env db init`"):
            call()


def test_the_source_comes_from_the_settings_and_never_shows_the_password(postgres_dsn):
    assert PostgresBars.from_settings(Settings()) is None
    source = PostgresBars.from_settings(Settings(pg=PostgresSettings(dsn=postgres_dsn, pool_size=2)))
    assert repr(source) == f"PostgresBars({redact(postgres_dsn)!r})" and "***" in repr(source)
    with pytest.raises(BarDataError, match=r"`dsn`=sqlite:///x.db is not a PostgreSQL URL"):
        PostgresBars("sqlite:///x.db")
