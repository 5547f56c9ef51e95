"""Reading 10 years of 1-minute bars of one symbol (about 1M rows) from each bar source, in one run.

Work (issue 12): ``demo_bars("BENCH", "1m", 2015-01-01, 2025-01-01)``: 981,372 synthetic regular-session
bars, written once into each source: a real PostgreSQL server (started here with initdb/pg_ctl on a free
loopback port, as the tests do), the local Parquet store, and Massive-layout flat files (one gzip CSV per
day) on moto's S3 server on loopback. Then, best of ``--repeat``:

* the source's own read (``PostgresBars.read``, ``BarStore.read``, ``S3FlatFiles.read`` with an empty cache:
  2,516 day files fetched, parsed and cached) into a checked bar frame;
* the call a user makes, ``load_bars("BENCH", ..., "1m", sources=[...])``, which adds the calendar
  coverage check;
* the peers on the same rows: ``pandas.read_sql`` of the same query through SQLAlchemy (how a notebook
  usually reads a bar table) and ``pandas.read_parquet`` of the store's year files.

Targets: PostgreSQL >= 1M rows/s into a DataFrame, local store >= 5M rows/s.

    python benchmarks/data_sources.py [--repeat 3] [--years 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from research_env.data import BarStore, demo_bars, load_bars  # noqa: E402
from research_env.data.sources import PostgresBars, S3FlatFiles  # noqa: E402
from research_env.db import upgrade  # noqa: E402
from tests.flat_files import FLAT_HEADER, flat_key  # noqa: E402
from tests.postgres_server import PostgresServer  # noqa: E402
from tests.s3_server import REGION, TEST_KEYS, S3Server  # noqa: E402

SYMBOL = "BENCH"


def best(repeat: int, call) -> tuple[float, object]:
    """The fastest of ``repeat`` calls (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    return min(times), result


def flat_days(frame: pd.DataFrame) -> dict[np.datetime64, bytes]:
    """One gzip flat file per session of ``frame`` (window_start = bar start in ns)."""
    import gzip

    starts = frame.index.asi8 - 60_000_000_000
    days = frame.index.tz_convert("America/New_York").tz_localize(None).values.astype("datetime64[D]")
    rows = pd.DataFrame({"ticker": SYMBOL, "volume": frame["volume"].to_numpy(), "open": frame["open"].to_numpy(),
                         "close": frame["close"].to_numpy(), "high": frame["high"].to_numpy(),
                         "low": frame["low"].to_numpy(), "window_start": starts, "transactions": 1})
    files = {}
    bounds = np.flatnonzero(np.diff(days.astype("int64"))) + 1
    for part in np.split(np.arange(len(days)), bounds):
        text = rows.iloc[part][list(FLAT_HEADER)].to_csv(index=False)
        files[days[part[0]]] = gzip.compress(text.encode(), compresslevel=1)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--years", type=int, default=10)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    start, end = "2015-01-01", f"{2015 + args.years}-01-01"
    first, stop = np.datetime64(start), np.datetime64(end)
    frame = demo_bars(SYMBOL, "1m", start, end)
    rows = len(frame)
    print(f"{rows:,} 1-minute bars of {SYMBOL}, {start} to {end}")
    table = []

    def record(name, seconds, result, target=None):
        assert result.equals(frame), f"{name} did not read back the bars written"
        table.append((name, seconds, rows / seconds, target))

    with tempfile.TemporaryDirectory() as folder, PostgresServer() as server, S3Server() as s3:
        dsn = server.create_database("bench")
        os.environ["RESEARCH_ENV_PG_DSN"] = dsn  # the chain's PostgreSQL source, as a user configures it
        upgrade(dsn)
        pg = PostgresBars(dsn)
        t0 = time.perf_counter()
        pg.merge(SYMBOL, "1m", frame, "benchmark")
        print(f"postgres: COPY + upsert of {rows:,} rows in {time.perf_counter() - t0:.2f} s")
        seconds, got = best(args.repeat, lambda: pg.read(SYMBOL, "1m", first, stop))
        record("postgres: PostgresBars.read", seconds, got, 1_000_000)
        seconds, got = best(args.repeat, lambda: load_bars(SYMBOL, start, end, "1m", sources=["postgres"],
                                                           store=BarStore(folder)).frames[SYMBOL])
        record("postgres: load_bars", seconds, got)
        engine = __import__("sqlalchemy").create_engine(dsn.replace("postgresql://", "postgresql+psycopg://"))
        query = ("SELECT ts AS timestamp, open, high, low, close, volume FROM bars WHERE symbol = %(s)s AND "
                 "timeframe = '1m' ORDER BY ts")
        seconds, got = best(args.repeat, lambda: pd.read_sql(query, engine, params={"s": SYMBOL},
                                                             index_col="timestamp"))
        got.index = got.index.as_unit("ns")
        record("peer: pandas.read_sql (same table)", seconds, got)
        engine.dispose()

        store = BarStore(Path(folder) / "local")
        store.merge(SYMBOL, "1m", frame, "benchmark")
        seconds, got = best(args.repeat, lambda: store.read(SYMBOL, "1m", start, end))
        record("local: BarStore.read", seconds, got, 5_000_000)
        seconds, got = best(args.repeat, lambda: load_bars(SYMBOL, start, end, "1m", sources=["local"],
                                                           store=store).frames[SYMBOL])
        record("local: load_bars", seconds, got)
        files = sorted((store.root / "bars" / "1m" / SYMBOL).glob("*.parquet"))
        seconds, got = best(args.repeat, lambda: pd.concat([pd.read_parquet(path) for path in files]))
        record("peer: pandas.read_parquet (same files)", seconds, got)

        os.environ.update(AWS_ACCESS_KEY_ID=TEST_KEYS[0], AWS_SECRET_ACCESS_KEY=TEST_KEYS[1], AWS_DEFAULT_REGION=REGION)
        client = s3.client()
        client.create_bucket(Bucket="flatfiles")
        t0 = time.perf_counter()
        for day, body in flat_days(frame).items():
            client.put_object(Bucket="flatfiles", Key=flat_key("us_stocks_sip", "minute_aggs_v1", day), Body=body)
        print(f"s3: wrote the day files in {time.perf_counter() - t0:.1f} s")

        def cold():
            cache = BarStore(Path(tempfile.mkdtemp(dir=folder)))
            return S3FlatFiles("flatfiles", endpoint=s3.endpoint, cache=cache).read(SYMBOL, "1m", first, stop)[0]

        seconds, got = best(args.repeat, cold)
        record("s3: S3FlatFiles.read, cache cold", seconds, got)
        cache = BarStore(Path(folder) / "warm")
        S3FlatFiles("flatfiles", endpoint=s3.endpoint, cache=cache).read(SYMBOL, "1m", first, stop)
        seconds, got = best(args.repeat, lambda: S3FlatFiles("flatfiles", endpoint=s3.endpoint, cache=cache).read(
            SYMBOL, "1m", first, stop)[0])
        record("s3: S3FlatFiles.read, cached", seconds, got)
        pg.dispose()

    print("\n| read | seconds | rows/s | target |\n|---|---|---|---|")
    for name, seconds, speed, target in table:
        goal = "" if target is None else f"{target / 1e6:g}M rows/s: {'met' if speed >= target else 'MISSED'}"
        print(f"| {name} | {seconds:.3f} | {speed / 1e6:.2f}M | {goal} |")
    by_name = {name: seconds for name, seconds, _, _ in table}
    print(f"\nPostgresBars.read vs pandas.read_sql: "
          f"{by_name['peer: pandas.read_sql (same table)'] / by_name['postgres: PostgresBars.read']:.1f}x faster")
    print(f"BarStore.read vs pandas.read_parquet: "
          f"{by_name['peer: pandas.read_parquet (same files)'] / by_name['local: BarStore.read']:.2f}x")


if __name__ == "__main__":
    main()
