"""One store file, ``<root>/bars/<timeframe>/<SYMBOL>/<year>.parquet``: its metadata, checked reads, atomic writes.

Each file carries in its Parquet key-value metadata the symbol, timeframe,
source label, row count and first/last bar close it was written with. Reads
check them against the folder the file sits in, so a file copied into another
symbol's (or timeframe's, or year's) place is refused instead of used. Writes go
to a unique temporary file in the same folder, are flushed to disk and then
renamed over the old file (``os.replace``), so a reader sees the old file or the
new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._calendar import ny_dates
from ._errors import BarDataError
from ._frame import BAR_COLUMNS, make_bars

__all__ = ["FileId", "StoreFileError", "check_footer", "read_checked", "read_stamps", "write_atomically",
           "TEMPORARY_SUFFIX"]

SYMBOL = b"research_env.symbol"
TIMEFRAME = b"research_env.timeframe"
SOURCE = b"research_env.source"
ROWS = b"research_env.rows"
FIRST = b"research_env.first"
LAST = b"research_env.last"
REQUIRED = (SYMBOL, TIMEFRAME, SOURCE, ROWS, FIRST, LAST)
#: Unfinished writes are ``.<year>.parquet.<random>.tmp`` beside the year files.
TEMPORARY_SUFFIX = ".tmp"


class FileId(NamedTuple):
    """Where a store file sits, i.e. what it must hold: ``symbol`` ``timeframe`` bars of session ``year``."""

    path: Path
    symbol: str
    timeframe: str
    year: int

    def fixes(self) -> str:
        """The two ways out of a damaged or misplaced file, as the user types them."""
        return (
            f"run `research-env data repair` to move it aside (or `research-env data delete {self.symbol} "
            f"--timeframe {self.timeframe} --year {self.year}` to delete it), then import {self.symbol} "
            f"{self.timeframe} bars of {self.year} again"
        )


class StoreFileError(BarDataError):
    """A store file that cannot be used: ``problem`` says why in a few words, the message adds the fix."""

    def __init__(self, file: FileId, problem: str, fix: str | None = None) -> None:
        super().__init__(f"store file `{file.path}` {problem}; {file.fixes() if fix is None else fix}")
        self.path, self.problem = file.path, problem


def unreadable(file: FileId, error: BaseException) -> StoreFileError:
    """The error for a file pyarrow cannot read."""
    return StoreFileError(file, f"cannot be read, it is damaged ({error})")


def _year_of(stamp: bytes) -> int:
    ns = pd.Timestamp(stamp.decode()).as_unit("ns").value
    return int(ny_dates(np.array([ns], "int64"))[0].astype("datetime64[Y]").astype(int)) + 1970


def check_footer(file: FileId, metadata: dict | None, rows: int) -> dict:
    """Check a file's key-value metadata against its place in the store; returns the metadata."""
    metadata = metadata or {}
    missing = [key.decode().split(".", 1)[1] for key in REQUIRED if key not in metadata]
    if missing:
        problem = (f"lacks the research-env metadata {', '.join(missing)} (not written by this version of "
                   "BarStore, so it cannot be checked)")
        raise StoreFileError(file, problem, "run `research-env data repair` to label it (a file it cannot label "
                                            "is moved aside, and that year must be imported again)")
    held = (metadata[SYMBOL].decode(), metadata[TIMEFRAME].decode())
    if held != (file.symbol, file.timeframe):
        problem = (f"holds {held[0]} {held[1]} bars (its metadata says so), not {file.symbol} {file.timeframe}: "
                   "it was copied or moved into the wrong folder")
        raise StoreFileError(file, problem, f"move it back to bars/{held[1]}/{held[0]}/, or {file.fixes()}")
    stated = int(metadata[ROWS])
    if stated != rows:
        raise StoreFileError(file, f"holds {rows} rows but its metadata says {stated}: it was changed outside "
                                   "BarStore")
    years = {_year_of(metadata[FIRST]), _year_of(metadata[LAST])}
    if years != {file.year}:
        raise StoreFileError(file, f"holds bars of {'-'.join(map(str, sorted(years)))}, not {file.year}: it was "
                                   "renamed")
    return metadata


def read_footer(file: FileId) -> tuple[int, dict]:
    """Row count and checked metadata, from the file's footer only."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with open(file.path, "rb") as handle:
            footer = pq.read_metadata(handle)
    except (pa.ArrowException, OSError) as e:
        raise unreadable(file, e) from e
    return footer.num_rows, check_footer(file, footer.metadata, footer.num_rows)


def read_checked(file: FileId) -> tuple[pd.DataFrame, dict]:
    """The file's bars and checked metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with open(file.path, "rb") as handle:  # one open file: a replacement mid-read cannot mix two versions
            table = pq.read_table(handle)
    except (pa.ArrowException, OSError) as e:
        raise unreadable(file, e) from e
    metadata = check_footer(file, table.schema.metadata, table.num_rows)
    frame = table.to_pandas()
    if not isinstance(frame.index, pd.DatetimeIndex) or any(name not in frame for name in BAR_COLUMNS):
        raise StoreFileError(file, "does not hold bars")
    stamps = frame.index.tz_convert("UTC").as_unit("ns").asi8
    return make_bars(stamps, *(frame[name].to_numpy() for name in BAR_COLUMNS)), metadata


def read_stamps(file: FileId) -> np.ndarray:
    """The file's bar close stamps (int64 ns UTC), reading that column only."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        with open(file.path, "rb") as handle:
            table = pq.read_table(handle, columns=["timestamp"])
    except (pa.ArrowException, OSError, KeyError) as e:
        raise unreadable(file, e) from e
    check_footer(file, table.schema.metadata, table.num_rows)
    column = table.column("timestamp")
    return pd.DatetimeIndex(column.to_pandas()).tz_convert("UTC").as_unit("ns").asi8


def file_metadata(symbol: str, timeframe: str, frame: pd.DataFrame, label: str) -> dict[bytes, bytes]:
    """The metadata a file holding ``frame`` is written with."""
    return {
        SYMBOL: symbol.encode(),
        TIMEFRAME: timeframe.encode(),
        SOURCE: label.encode(),
        ROWS: str(len(frame)).encode(),
        FIRST: frame.index[0].isoformat().encode(),
        LAST: frame.index[-1].isoformat().encode(),
    }


def write_atomically(path: Path, frame: pd.DataFrame, metadata: dict[bytes, bytes]) -> None:
    """Write ``frame`` with ``metadata`` to ``path``: a unique temporary file, fsync, ``os.replace``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=True)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            pq.write_table(table, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename or a removal) to disk where the platform allows it."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
