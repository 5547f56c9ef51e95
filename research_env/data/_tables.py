"""Read CSV and Parquet tables with a header into bar fields plus file line numbers."""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._columns import resolve_columns
from ._errors import BarDataError
from ._frame import BAR_COLUMNS

__all__ = ["Table", "first_line", "header_names", "read_csv_table", "read_parquet_table"]

_NOT_A_NAME = re.compile(r"[\d.:\-/ +TZ]*")


class Table(NamedTuple):
    """Source columns renamed to bar fields, the file line (CSV) or row (Parquet) of each row."""

    frame: pd.DataFrame
    lines: np.ndarray
    row_word: str


def first_line(path: Path) -> str:
    """The first line of a text file (gzip-compressed when the name ends in ``.gz``)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
            return handle.readline()
    except (OSError, EOFError) as e:
        raise BarDataError(f"`{path}` cannot be read as text: {e}") from e


def _separator(header: str) -> str:
    for separator in (",", ";", "\t", "|"):
        if separator in header:
            return separator
    return ","


def header_names(header: str) -> list[str]:
    """Column names of a header line, as pandas will name them."""
    return next(csv.reader([header.rstrip("\r\n")], delimiter=_separator(header), skipinitialspace=True), [])


def read_csv_table(
    open_source: Callable[[], object], header: str, columns: Mapping | None, origin: str
) -> Table:
    """Read the mapped columns of a delimited text file; prices as floats where they parse.

    ``open_source()`` gives a fresh path or binary handle (a file with junk rows is read twice).
    Blank lines keep their place so that row ``i`` is line ``i + 2`` of the file.
    """
    names = header_names(header)
    if all(_NOT_A_NAME.fullmatch(name.strip()) for name in names):
        raise BarDataError(
            f"`{origin}` has no header row (first line {header.strip()[:60]!r}); add one such as "
            "`timestamp,open,high,low,close,volume`, or pass fmt='lean' for QuantConnect Lean files"
        )
    mapping = resolve_columns(names, columns, origin)
    numeric = {name: "float64" for name, field in mapping.items() if field in BAR_COLUMNS}
    options = dict(
        sep=_separator(header),
        usecols=list(mapping),
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        skipinitialspace=True,
        encoding="utf-8-sig",
    )
    try:
        try:
            frame = pd.read_csv(open_source(), dtype={**dict.fromkeys(mapping, str), **numeric}, **options)
        except ValueError:  # text in a price column: read it all as text and name the row later
            frame = pd.read_csv(open_source(), dtype=str, **options)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError, ValueError) as e:
        raise BarDataError(f"`{origin}` is not a readable CSV file: {e}") from e
    frame = frame[list(mapping)].rename(columns=mapping)
    return Table(frame, np.arange(2, len(frame) + 2), "line")


def read_parquet_table(path: Path, columns: Mapping | None, origin: str) -> Table:
    """Read a Parquet file's mapped columns; a stored index (e.g. ``Date``) counts as a column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as e:
        raise BarDataError(f"`{origin}` is not a readable Parquet file: {e}") from e
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    frame.columns = [str(name) for name in frame.columns]
    mapping = resolve_columns(frame.columns, columns, origin)
    frame = frame[list(mapping)].rename(columns=mapping)
    return Table(frame, np.arange(1, len(frame) + 1), "row")
