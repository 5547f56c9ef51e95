"""A source file's rows before calendar work: stamps, values, symbols and line numbers."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._errors import BarDataError
from ._frame import BAR_COLUMNS
from ._lean import apply_factors, find_factor_file, read_lean
from ._stamps import Stamps, parse_stamps
from ._tables import Table
from ._warn import warn

__all__ = ["Raw", "raw_from_lean", "raw_from_table"]


class Raw(NamedTuple):
    """Rows of one file before calendar work: stamps, values, symbols and line numbers."""

    stamps: Stamps
    convention: str
    values: dict
    symbols: np.ndarray | None
    lines: np.ndarray
    row_word: str
    texts: np.ndarray


def _is_empty(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_string_dtype(column.dtype) or column.dtype == object:
        return (column.isna() | (column.astype(str).str.strip() == "")).to_numpy()
    return column.isna().to_numpy()


def _drop_empty_stamps(table: Table, origin: str) -> Table:
    """Drop rows without a timestamp: blank lines silently, junk rows with a warning naming them."""
    empty = _is_empty(table.frame["timestamp"])
    if not empty.any():
        return table
    rows = table.frame.loc[empty].astype(object).fillna("").astype(str)
    rows = rows.apply(lambda column: column.str.strip())
    junk = ~(rows == "").all(axis=1).to_numpy()
    if junk.any():
        where = np.flatnonzero(empty)[junk]
        shown = "; ".join(f"{table.row_word} {table.lines[i]} ({','.join(rows.loc[i])!r})" for i in where[:3])
        warn(f"`{origin}`: skipped {len(where)} row(s) with an empty timestamp: {shown}")
    keep = ~empty
    return Table(table.frame.loc[keep].reset_index(drop=True), table.lines[keep], table.row_word)


def _numbers(column: pd.Series, table: Table, origin: str) -> np.ndarray:
    if column.dtype == np.float64:
        return column.to_numpy()
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64")
    missing = np.flatnonzero(np.isnan(numbers))
    if len(missing):
        given = ~_is_empty(column.iloc[missing])
        if given.any():
            i = int(missing[given][0])
            raise BarDataError(
                f"`{origin}`: {column.name}={column.iloc[i]!r} at {table.row_word} {table.lines[i]} "
                "is not a number"
            )
    return numbers


def raw_from_table(table: Table, tz: str, convention: str, origin: str) -> Raw:
    """Rows of a CSV/Parquet table: junk rows dropped, prices as floats, stamps parsed."""
    table = _drop_empty_stamps(table, origin)
    frame, lines = table.frame, table.lines
    values = {field: _numbers(frame[field], table, origin) for field in BAR_COLUMNS}
    symbols = None
    if "symbol" in frame.columns:
        symbols = frame["symbol"].astype(str).str.strip().str.upper().to_numpy(dtype=object)
    stamps = parse_stamps(frame["timestamp"], tz=tz, origin=origin, lines=lines, row_word=table.row_word)
    texts = frame["timestamp"].to_numpy(dtype=object)
    return Raw(stamps, convention, values, symbols, lines, table.row_word, texts)


def raw_from_lean(handle, path: Path, member, origin: str, adjust: bool, symbol: str | None) -> Raw:
    """Rows of a Lean trade file, adjusted with its factor file when ``adjust``."""
    bars = read_lean(handle, path, member, origin)
    if adjust:
        if symbol is None:
            raise BarDataError(f"`adjust=True` needs the symbol of `{origin}`; pass `symbol=`")
        bars = apply_factors(bars, find_factor_file(path, symbol))
    stamps = Stamps(bars.ns, bars.dates_only)
    return Raw(stamps, bars.convention, bars.values, None, bars.lines, "line", bars.texts)
