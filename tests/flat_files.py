"""Massive/Polygon flat files built from the real bars of ``../shared/data/bars`` (tests and benchmarks).

Each day's file holds every ticker, sorted by ticker and time, with the header ``FLAT_HEADER`` and
``window_start`` in nanoseconds (the bar's start; New York midnight for daily bars). Prices are the
source CSV's text, so a file reads back to exactly the shared file's bars.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

FLAT_HEADER = ("ticker", "volume", "open", "close", "high", "low", "window_start", "transactions")
NEW_YORK = "America/New_York"
#: A ticker in every file that shares its first letters with SPY: its rows must never be read as SPY's.
DECOY = "SPYX"
_PRICES = ("open", "close", "high", "low")


def _as_rows(frame: pd.DataFrame, ticker: str, starts: pd.DatetimeIndex) -> pd.DataFrame:
    rows = frame[["volume", *_PRICES]].copy()
    rows.insert(0, "ticker", ticker)
    rows["window_start"] = starts.as_unit("ns").asi8
    rows["transactions"] = "1"
    rows["day"] = starts.tz_convert(NEW_YORK).tz_localize(None).values.astype("datetime64[D]")
    return rows[[*FLAT_HEADER, "day"]].reset_index(drop=True)


def minute_rows(path: Path, ticker: str = "SPY") -> pd.DataFrame:
    """Flat-file rows (plus ``day``) of a shared 1-minute CSV whose stamps are bar starts with an offset."""
    frame = pd.read_csv(path, dtype=str)
    return _as_rows(frame, ticker, pd.DatetimeIndex(pd.to_datetime(frame["timestamp"], utc=True)))


def daily_rows(paths: Iterable[Path]) -> pd.DataFrame:
    """Flat-file rows (plus ``day``) of shared daily CSVs (``SYMBOL.csv``, ``timestamp`` a date)."""
    parts = []
    for path in paths:
        frame = pd.read_csv(path, dtype=str)
        starts = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"])).tz_localize(NEW_YORK)
        parts.append(_as_rows(frame, path.stem, starts))
    return pd.concat(parts, ignore_index=True)


def with_decoy_and_extended_hours(rows: pd.DataFrame, symbol: str = "SPY", intraday: bool = True) -> pd.DataFrame:
    """``rows`` plus a ``DECOY`` copy of ``symbol``'s rows at other prices and, when ``intraday``, two
    pre-market (08:00, 08:01) and two after-hours (16:00, 16:30 New York) bars of ``symbol`` a day."""
    own = rows[rows["ticker"] == symbol]
    decoy = own.assign(ticker=DECOY, **{name: (own[name].astype(float) * 2).map(repr) for name in _PRICES})
    parts = [rows, decoy]
    if intraday:
        first = own.drop_duplicates("day")
        for hours in ("08:00", "08:01", "16:00", "16:30"):
            starts = pd.DatetimeIndex(first["day"].astype(str) + " " + hours).tz_localize(NEW_YORK)
            parts.append(first.assign(window_start=starts.as_unit("ns").asi8))
    return pd.concat(parts).sort_values(["ticker", "window_start"], kind="stable", ignore_index=True)


def flat_file(rows: pd.DataFrame) -> bytes:
    """One gzip flat file of ``rows`` (the ``FLAT_HEADER`` columns)."""
    return gzip.compress(rows[list(FLAT_HEADER)].to_csv(index=False).encode(), compresslevel=1)


def flat_key(prefix: str, dataset: str, day: np.datetime64) -> str:
    """``<prefix>/<dataset>/YYYY/MM/YYYY-MM-DD.csv.gz``, written out independently of the code under test."""
    text = str(day)
    return f"{prefix}/{dataset}/{text[:4]}/{text[5:7]}/{text}.csv.gz"


def put_flat_files(client, bucket: str, prefix: str, dataset: str, rows: pd.DataFrame) -> list[np.datetime64]:
    """Write one flat file per ``day`` of ``rows`` into ``bucket``; returns the days written."""
    days = []
    for day, part in rows.groupby("day", sort=True):
        day = np.datetime64(day, "D")
        client.put_object(Bucket=bucket, Key=flat_key(prefix, dataset, day), Body=flat_file(part))
        days.append(day)
    return days
