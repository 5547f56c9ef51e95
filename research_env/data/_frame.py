"""The bar frame: its columns, constructors and ``validate_bars``."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._errors import BarDataError
from ._warn import warn

__all__ = [
    "BAR_COLUMNS",
    "PRICE_COLUMNS",
    "check_arrays",
    "check_bars",
    "empty_bars",
    "make_bars",
    "validate_bars",
]

BAR_COLUMNS = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close")
_TOLERANCE = 1e-9  # relative slack before open/close outside [low, high] is reported
#: Bounds no market's bars leave: prices in (0, 10 million], volumes in [0, 1e15] (both finite).
MAX_PRICE = 1e7
MAX_VOLUME = 1e15


@functools.cache
def _columns() -> pd.Index:
    return pd.Index(BAR_COLUMNS)


def make_bars(stamps_ns: np.ndarray, open_, high, low, close, volume) -> pd.DataFrame:
    """A bar frame from int64 ns UTC close stamps and five value arrays (no checks)."""
    stamps = np.asarray(stamps_ns, dtype="int64").view("datetime64[ns]")
    index = pd.DatetimeIndex(stamps, name="timestamp").tz_localize("UTC")
    data = np.column_stack([np.asarray(v, dtype="float64") for v in (open_, high, low, close, volume)])
    return pd.DataFrame(data.reshape(len(stamps), 5), index=index, columns=_columns(), copy=False)


def empty_bars() -> pd.DataFrame:
    """A bar frame with no rows."""
    nothing = np.empty(0)
    return make_bars(np.empty(0, "int64"), nothing, nothing, nothing, nothing, nothing)


def validate_bars(frame: pd.DataFrame, *, symbol: str | None, origin: str) -> pd.DataFrame:
    """Check a bar frame and return it in canonical form (float64 columns, UTC ns index).

    Raises ``BarDataError`` naming ``origin``, ``symbol`` and the offending row for missing
    columns, a naive index, duplicate or unsorted timestamps, NaN, non-positive or absurd
    prices (above ``MAX_PRICE``, infinite), high < low, NaN, negative or absurd volume
    (above ``MAX_VOLUME``, infinite). Open/close outside [low, high] only warns.
    """
    return check_bars(frame, symbol=symbol, origin=origin)


def check_bars(
    frame: pd.DataFrame,
    *,
    symbol: str | None,
    origin: str,
    rows: Sequence[int] | None = None,
    row_word: str = "row",
) -> pd.DataFrame:
    """``validate_bars`` that can name rows by their file line numbers (``rows``, ``row_word``)."""
    where = f"`{origin}`" + (f", symbol {symbol}" if symbol else "")
    if not isinstance(frame, pd.DataFrame):
        raise BarDataError(f"{where}: expected a DataFrame of bars, got {type(frame).__name__}")
    missing = [name for name in BAR_COLUMNS if name not in frame.columns]
    if missing:
        raise BarDataError(
            f"{where}: missing required columns {missing} (have {list(map(str, frame.columns))}); "
            "bar frames need open, high, low, close, volume"
        )
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise BarDataError(
            f"{where}: the index must be a tz-aware DatetimeIndex of bar close times; "
            "localize it first, e.g. `frame.tz_localize('America/New_York').tz_convert('UTC')`"
        )
    values = []
    for name in BAR_COLUMNS:
        try:
            values.append(np.asarray(frame[name], dtype="float64"))
        except (TypeError, ValueError) as e:
            raise BarDataError(f"{where}: column {name!r} is not numeric") from e
    stamps = index.tz_convert("UTC").as_unit("ns").asi8
    return check_arrays(stamps, *values, symbol=symbol, origin=origin, rows=rows, row_word=row_word)


def check_arrays(
    stamps: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
    *,
    symbol: str | None,
    origin: str,
    rows: Sequence[int] | None = None,
    row_word: str = "row",
) -> pd.DataFrame:
    """The checks of ``validate_bars`` on int64 ns UTC close stamps and value arrays."""
    where = f"`{origin}`" + (f", symbol {symbol}" if symbol else "")

    def at(i: int) -> str:
        number = rows[i] if rows is not None else i
        return f"{row_word} {number} ({pd.Timestamp(int(stamps[i]), tz='UTC')})"

    def first(mask: np.ndarray) -> int | None:
        return int(np.argmax(mask)) if mask.any() else None

    steps = np.diff(stamps)
    if (i := first(steps == 0)) is not None:
        raise BarDataError(f"{where}: duplicate timestamp at {at(i + 1)}; keep one row per bar")
    if (i := first(steps < 0)) is not None:
        raise BarDataError(
            f"{where}: timestamps are not sorted: {at(i + 1)} comes before the previous row; "
            "sort by timestamp (`frame.sort_index()`)"
        )
    prices = (open_, high, low, close)
    if (i := first(np.isnan(open_) | np.isnan(high) | np.isnan(low) | np.isnan(close))) is not None:
        raise BarDataError(f"{where}: NaN price at {at(i)}; drop or fill that row")
    if (i := first(np.minimum(np.minimum(open_, high), np.minimum(low, close)) <= 0)) is not None:
        raise BarDataError(f"{where}: non-positive price at {at(i)}; prices must be > 0")
    highest = np.maximum(np.maximum(open_, high), np.maximum(low, close))
    if (i := first(~(highest <= MAX_PRICE))) is not None:
        raise BarDataError(
            f"{where}: price {highest[i]} at {at(i)} is beyond {MAX_PRICE:,.0f}, which no market quotes; "
            "fix or drop that row (a wrong column or unit?)"
        )
    if (i := first(high < low)) is not None:
        raise BarDataError(
            f"{where}: high < low at {at(i)} (high={high[i]}, low={low[i]}); "
            "check the column mapping (`columns=`)"
        )
    if (i := first(~((volume >= 0) & (volume <= MAX_VOLUME)))) is not None:
        raise BarDataError(
            f"{where}: volume {volume[i]} at {at(i)}; volume must be a finite number from 0 to {MAX_VOLUME:g}"
        )
    slack = _TOLERANCE * high  # float noise of adjusted data is not a glitch
    outside = (np.minimum(open_, close) < low - slack) | (np.maximum(open_, close) > high + slack)
    if outside.any():
        shown = ", ".join(at(int(i)) for i in np.flatnonzero(outside)[:5])
        warn(f"{where}: {int(outside.sum())} bar(s) with open or close outside [low, high]: {shown}")
    return make_bars(stamps, *prices, volume)
