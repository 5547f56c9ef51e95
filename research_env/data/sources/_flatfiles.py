"""The Massive/Polygon flat-file layout: object keys, one day's rows of a symbol, and those rows as bars.

A flat file is one day of every ticker, a gzip CSV with the header
``ticker,volume,open,close,high,low,window_start,transactions`` (``window_start``: the bar's
start in nanoseconds since the epoch). Only the rows of the wanted symbol are kept, found by a
byte search rather than a CSV parse, and read once through ``read_bars`` so that every stamp and
validation rule of the project applies.
"""

from __future__ import annotations

import gzip
import tempfile
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import pandas as pd

from .._calendar import session_table
from .._errors import BarDataError, BarDataWarning
from .._frame import empty_bars
from .._read import read_bars
from .._warn import warn

__all__ = ["DATASETS", "DayRows", "day_rows", "flat_key", "parse_rows"]

#: The flat-file dataset of each timeframe the files hold.
DATASETS = {"1m": "minute_aggs_v1", "1d": "day_aggs_v1"}
_COLUMNS = ("ticker", "volume", "open", "close", "high", "low", "window_start")
_BLOCK = 1 << 24  # decompressed bytes searched at a time: memory per fetching thread stays small


class DayRows(NamedTuple):
    """One object's ``url``, its ``header`` line and its rows of one symbol, sorted by ``window_start``."""

    url: str
    header: bytes
    lines: list[bytes]


def flat_key(prefix: str, timeframe: str, day: np.datetime64) -> str:
    """The object key of ``day``'s file: ``<prefix>/<dataset>/YYYY/MM/YYYY-MM-DD.csv.gz``."""
    text = str(np.datetime64(day, "D"))
    return "/".join(part for part in (prefix, DATASETS[timeframe], text[:4], text[5:7], f"{text}.csv.gz") if part)


def _matching(data: bytes, needle: bytes) -> Iterator[bytes]:
    """The lines of ``data`` that follow an occurrence of ``needle`` (``b"\\nSYMBOL,"``), without their newline."""
    start = data.find(needle)
    while start >= 0:
        end = data.find(b"\n", start + 1)
        end = len(data) if end < 0 else end
        yield data[start + 1 : end].rstrip(b"\r")
        start = data.find(needle, end)


def _symbol_lines(text: BinaryIO, symbol: str) -> Iterator[bytes]:
    """The lines of ``text`` (after its header) starting with ``SYMBOL,``, read block by block."""
    needle = b"\n" + symbol.encode() + b","
    carry = b"\n"
    while block := text.read(_BLOCK):
        data = carry + block
        cut = data.rfind(b"\n")
        yield from _matching(data[:cut], needle)
        carry = data[cut:]
    yield from _matching(carry, needle)


def _check_header(header: bytes, url: str, timeframe: str) -> int:
    """The position of ``window_start`` in a flat file's header; ``BarDataError`` for another layout."""
    names = [name.strip().lower() for name in header.decode("utf-8", "replace").split(",")]
    missing = [name for name in _COLUMNS if name not in names]
    if missing or names[0] != "ticker":
        problem = f"it lacks the columns {missing}" if missing else "its first column is not `ticker`"
        raise BarDataError(
            f"`{url}` is not a Massive/Polygon flat file ({problem}; header {header[:100]!r}); check that the "
            f"`[s3] prefix` (RESEARCH_ENV_S3_PREFIX) is the folder above {DATASETS[timeframe]}/"
        )
    return names.index("window_start")


def _session_hours(day: np.datetime64) -> tuple[int, int]:
    table = session_table()
    position = int(np.searchsorted(table.dates, np.datetime64(day, "D")))
    return int(table.open[position]), int(table.close[position])


def day_rows(stream: BinaryIO, symbol: str, timeframe: str, day: np.datetime64, url: str) -> DayRows:
    """The rows of ``symbol`` in the gzip flat file ``stream`` of session ``day`` (``url`` names it).

    Intraday rows outside the regular session (bar start from the open to before the close) are
    left out, like ``read_bar_file`` does by default. A damaged object is a ``BarDataError`` naming ``url``.
    """
    try:
        with gzip.GzipFile(fileobj=stream, mode="rb") as text:
            header = text.readline().rstrip(b"\r\n")
            column = _check_header(header, url, timeframe)
            lines = list(_symbol_lines(text, symbol))
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise BarDataError(
            f"`{url}` is not a readable gzip file ({e}); the object is damaged: fetch it again later, "
            "or ask the bucket's provider to replace it"
        ) from None
    stamped = []
    for line in lines:
        try:
            stamped.append((int(line.split(b",")[column]), line))
        except (IndexError, ValueError):
            raise BarDataError(
                f"`{url}`: the row {line[:100]!r} has no whole-number `window_start`; the object is damaged"
            ) from None
    if timeframe != "1d":
        opens, closes = _session_hours(day)
        stamped = [(stamp, line) for stamp, line in stamped if opens <= stamp < closes]
    stamped.sort(key=lambda pair: pair[0])
    return DayRows(url, header, [line for _, line in stamped])


def parse_rows(days: list[DayRows], symbol: str, timeframe: str, origin: str) -> pd.DataFrame:
    """The bars of ``days`` (in date order), written under their header and read once with ``read_bars``.

    Errors and warnings name ``origin`` instead of the temporary file.
    """
    days = [day for day in days if day.lines]
    if not days:
        return empty_bars()
    for day in days[1:]:
        if day.header != days[0].header:
            raise BarDataError(
                f"`{day.url}` has the columns {day.header[:100]!r} but `{days[0].url}` has "
                f"{days[0].header[:100]!r}; flat files of one dataset must share their header"
            )
    with tempfile.TemporaryDirectory(prefix="research-env-s3-") as folder:
        path = Path(folder) / f"{symbol}.csv"
        with path.open("wb") as handle:
            handle.write(days[0].header + b"\n")
            for day in days:
                handle.write(b"\n".join(day.lines) + b"\n")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frames, _ = read_bars(path, fmt="polygon", symbol=symbol, timeframe=timeframe)
            except BarDataError as e:
                raise BarDataError(str(e).replace(str(path), origin)) from None
    for caught_warning in caught:
        if issubclass(caught_warning.category, BarDataWarning):
            warn(str(caught_warning.message).replace(str(path), origin))
        else:
            warnings.warn_explicit(caught_warning.message, caught_warning.category, caught_warning.filename,
                                   caught_warning.lineno)
    return frames[symbol]
