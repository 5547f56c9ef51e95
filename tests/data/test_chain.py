"""The fallback chain through real servers: PostgreSQL (initdb/pg_ctl), S3 flat files (moto), the local store.

The same bars from each source give the same backtest, each result names its source; a partial range is
completed from the next real source, never from demo; a server that stops or refuses the password warns once
and the chain moves on.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import research_env
from research_env.data import (
    BarDataError,
    BarDataWarning,
    BarStore,
    DataOrigin,
    load_bars,
    read_bar_file,
    session_dates,
)
from research_env.data.sources import PostgresBars
from research_env.db import upgrade
from tests.postgres_server import PASSWORD

START, END = "2021-07-02", "2021-08-14"  # every session of ../shared/data/bars/1m/SPY.csv after its partial first day
PARAMS = {"fast_period": 5, "slow_period": 20}


@pytest.fixture()
def settings_env(monkeypatch, tmp_path):
    """No config file and no source settings from the machine: each test sets its own."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    for name in ("RESEARCH_ENV_PG_DSN", "RESEARCH_ENV_SOURCES", "RESEARCH_ENV_S3_BUCKET", "RESEARCH_ENV_S3_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture()
def spy_1m(shared_data) -> pd.DataFrame:
    frame = read_bar_file(shared_data / "bars" / "1m" / "SPY.csv")["SPY"]
    days = session_dates(frame.index)
    return frame[(days >= pd.Timestamp(START).to_datetime64()) & (days < pd.Timestamp(END).to_datetime64())]


@pytest.fixture()
def pg_bars(postgres_dsn, spy_1m) -> str:
    """A migrated database holding SPY's 1m bars; its DSN."""
    upgrade(postgres_dsn)
    PostgresBars(postgres_dsn).merge("SPY", "1m", spy_1m, "file:SPY.csv")
    return postgres_dsn


def _run(store: BarStore):
    return research_env.backtest("dual_ma_crossover", symbols=["SPY"], start=START, end=END, timeframe="5m",
                                 params=PARAMS, data=store, allow_demo=False)


def test_the_same_bars_from_postgres_s3_and_the_local_store_give_the_same_backtest(
        settings_env, pg_bars, flat_files, s3_env, spy_1m, data_dir):
    store = BarStore(data_dir)
    store.merge("SPY", "1m", spy_1m, "file:SPY.csv")
    settings_env.setenv("RESEARCH_ENV_PG_DSN", pg_bars)
    settings_env.setenv("RESEARCH_ENV_S3_ENDPOINT", flat_files.server.endpoint)
    settings_env.setenv("RESEARCH_ENV_S3_BUCKET", flat_files.name)

    results = {}
    for sources in ("local", "postgres", "s3", "s3"):
        settings_env.setenv("RESEARCH_ENV_SOURCES", sources)
        results[sources, len(results)] = _run(store)

    origins = [result.data_origins["SPY"] for result in results.values()]
    assert origins == [DataOrigin("local", False, "1m"), DataOrigin("postgres", False, "1m"),
                       DataOrigin("s3", False, "1m"), DataOrigin("s3", True, "1m")]
    assert [result.data_sources["SPY"] for result in results.values()] == [
        "local(1m→5m)", "postgres(1m→5m)", "s3(1m→5m)", "s3(1m→5m) cached"]
    local, *others = results.values()
    assert len(local.trades) == 71 and len(local.equity) == 2340
    for other in others:
        pd.testing.assert_series_equal(other.equity, local.equity, check_exact=True)
        assert other.trades == local.trades and other.metrics == local.metrics
        assert other.to_dict()["data_origins"]["SPY"]["source"] in ("postgres", "s3")


def test_the_first_source_with_the_whole_range_wins_and_a_partial_one_is_completed(
        settings_env, postgres_dsn, spy_1m, data_dir):
    upgrade(postgres_dsn)
    days = session_dates(spy_1m.index)
    cut = pd.Timestamp("2021-07-20").to_datetime64()
    PostgresBars(postgres_dsn).merge("SPY", "1m", spy_1m[days < cut], "file:SPY.csv")
    store = BarStore(data_dir)
    store.merge("SPY", "1m", spy_1m[days >= pd.Timestamp("2021-07-15").to_datetime64()], "file:SPY.csv")
    settings_env.setenv("RESEARCH_ENV_PG_DSN", postgres_dsn)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = load_bars("SPY", START, END, "1m", store=store)
        first_half = load_bars("SPY", START, "2021-07-20", "1m", store=store)

    assert both.origins == {"SPY": DataOrigin("postgres+local")}
    assert both.frames["SPY"].equals(spy_1m) and both.gaps == {}
    assert first_half.origins == {"SPY": DataOrigin("postgres")}  # the whole range in postgres: local not asked


def test_a_partial_range_is_never_completed_with_demo_bars(settings_env, postgres_dsn, spy_1m, data_dir):
    upgrade(postgres_dsn)
    days, cut = session_dates(spy_1m.index), pd.Timestamp("2021-07-20").to_datetime64()
    PostgresBars(postgres_dsn).merge("SPY", "1m", spy_1m[days < cut], "file:SPY.csv")
    settings_env.setenv("RESEARCH_ENV_PG_DSN", postgres_dsn)
    settings_env.setenv("RESEARCH_ENV_SOURCES", "postgres,demo")

    with pytest.warns(BarDataWarning, match=r"SPY: the 1m bars \(postgres\) cover 2021-07-02 to 2021-07-19, 11 of the "
                                            r"30 NYSE sessions .* missing 2021-07-20 to 2021-08-13 \(19 sessions\)"):
        bars = load_bars("SPY", START, END, "1m", store=BarStore(data_dir), allow_demo=True)

    assert bars.origins == {"SPY": DataOrigin("postgres")} and bars.frames["SPY"].equals(spy_1m[days < cut])
    assert [str(gap) for gap in bars.gaps["SPY"]] == ["2021-07-20 to 2021-08-13 (19 sessions)"]


def test_a_stopped_server_warns_once_and_the_chain_moves_on(settings_env, postgres_server, pg_bars, spy_1m, data_dir):
    store = BarStore(data_dir)
    store.merge("SPY", "1m", spy_1m, "file:SPY.csv")
    store.merge("QQQ", "1m", spy_1m, "file:QQQ.csv")
    settings_env.setenv("RESEARCH_ENV_PG_DSN", pg_bars)
    assert load_bars("SPY", START, END, "1m", store=store).origins == {"SPY": DataOrigin("postgres")}

    postgres_server.stop()
    try:
        with pytest.warns(BarDataWarning) as caught:
            bars = load_bars(["SPY", "QQQ"], START, END, "1m", store=store)
    finally:
        postgres_server.start()

    assert bars.origins == {"SPY": DataOrigin("local"), "QQQ": DataOrigin("local")}
    assert bars.frames["SPY"].equals(spy_1m)
    (message,) = [str(w.message) for w in caught]  # one warning for the call, not one per symbol
    port = pg_bars.split(":")[-1].split("/")[0]
    assert message == (f"bar source postgres skipped: the postgres bar source `{pg_bars.replace(PASSWORD, '***')}` "
                       "cannot be used: the server is not reachable; start the server, or check the host and port "
                       f"(127.0.0.1:{port}) in the DSN (RESEARCH_ENV_PG_DSN, `[pg] dsn` or `--dsn`). Trying local "
                       "instead")
    assert load_bars("SPY", START, END, "1m", store=store).origins == {"SPY": DataOrigin("postgres")}


def test_a_wrong_password_says_so_without_the_password(settings_env, postgres_server, pg_bars, spy_1m, data_dir):
    store = BarStore(data_dir)
    store.merge("SPY", "1m", spy_1m, "file:SPY.csv")
    wrong = pg_bars.replace(f":{PASSWORD}@", ":not-the-password@")
    assert wrong != pg_bars
    settings_env.setenv("RESEARCH_ENV_PG_DSN", wrong)

    with pytest.warns(BarDataWarning, match="bar source postgres skipped") as caught:
        bars = load_bars("SPY", START, END, "1m", store=store)

    assert bars.origins == {"SPY": DataOrigin("local")}
    assert "password" in str(caught[0].message) and "not-the-password" not in str(caught[0].message)


def test_demo_bars_need_an_explicit_yes_once_a_remote_source_is_configured(settings_env, pg_bars, data_dir):
    settings_env.setenv("RESEARCH_ENV_PG_DSN", pg_bars)
    store = BarStore(data_dir)  # empty: on its own, a fresh install would get demo bars

    with pytest.raises(BarDataError, match=r"the store at .* is empty.*Sources looked in: postgres, local$"):
        load_bars("QQQ", START, END, "1d", store=store)
    with pytest.warns(BarDataWarning, match="SYNTHETIC"):
        assert load_bars("QQQ", START, END, "1d", store=store, allow_demo=True).origins == {
            "QQQ": DataOrigin("demo")}


def test_a_chain_without_demo_never_uses_demo_bars(settings_env, data_dir):
    settings_env.setenv("RESEARCH_ENV_SOURCES", "local")

    with pytest.raises(BarDataError, match=r"is empty; .*\(demo bars are not among the configured sources"):
        load_bars("SPY", START, END, "1d", store=BarStore(data_dir), allow_demo=True)


def test_a_source_listed_but_not_configured_is_named(settings_env, data_dir):
    settings_env.setenv("RESEARCH_ENV_SOURCES", "postgres,local")
    with pytest.raises(BarDataError, match=r"list postgres but no server is configured; set RESEARCH_ENV_PG_DSN"):
        load_bars("SPY", START, END, "1d", store=BarStore(data_dir))
    with pytest.raises(BarDataError, match=r"list s3 but no bucket is configured; set RESEARCH_ENV_S3_BUCKET"):
        load_bars("SPY", START, END, "1d", store=BarStore(data_dir), sources=["s3"])


def test_import_into_postgres_from_the_command_line(settings_env, postgres_dsn, shared_data, capsys, data_dir):
    from research_env.cli import main

    upgrade(postgres_dsn)
    path = str(shared_data / "bars" / "1d" / "QQQ.csv")
    assert main(["data", "import", path, "--to", "postgres", "--dsn", postgres_dsn]) == 0
    assert main(["data", "import", path, "--to", "postgres", "--dsn", postgres_dsn]) == 0
    out = capsys.readouterr().out
    rows = len(read_bar_file(path)["QQQ"])
    assert f"QQQ 1d: {path} replaced {rows} stored bars (0 with other values)" in out
    assert f"stored in PostgresBars('postgresql://postgres:***@127.0.0.1:{postgres_dsn.split(':')[-1]}')" in out

    settings_env.setenv("RESEARCH_ENV_PG_DSN", postgres_dsn)
    assert main(["data", "sources", "--symbol", "QQQ", "--data", str(data_dir)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["order", "source", "where", "reachable", "holds"]
    assert table[1].split()[:2] == ["1", "postgres"] and " yes " in table[1] and f"({rows} rows)" in table[1]
    assert table[2].split()[:2] == ["2", "local"] and table[2].split()[-1] == "nothing"
    assert table[3].split()[:2] == ["3", "demo"]


def test_cache_clear_forgets_s3_bars_and_keeps_imported_ones(settings_env, flat_files, s3_env, spy_1m, data_dir,
                                                             capsys):
    from research_env.cli import main

    store = BarStore(data_dir)
    store.merge("SPY", "1m", spy_1m, "file:SPY.csv")
    settings_env.setenv("RESEARCH_ENV_S3_ENDPOINT", flat_files.server.endpoint)
    settings_env.setenv("RESEARCH_ENV_S3_BUCKET", flat_files.name)
    settings_env.setenv("RESEARCH_ENV_SOURCES", "s3")
    load_bars("SPY", "2021-07-06", "2021-07-08", "1m", store=store)
    assert load_bars("SPY", "2021-07-06", "2021-07-08", "1m", store=store).origins["SPY"].cached

    assert main(["data", "cache", "clear", "--symbol", "SPY", "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "cache/s3/bars/1m/SPY/2021.parquet" in out
    assert out.rstrip().endswith("cleared 1 cached file(s) of S3 SPY bars")
    assert store.read("SPY", "1m").equals(spy_1m)  # the imported bars are untouched
    assert not load_bars("SPY", "2021-07-06", "2021-07-08", "1m", store=store).origins["SPY"].cached
