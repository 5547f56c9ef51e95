"""What ``generate_signals`` receives, and its answer checked and turned into boolean arrays.

The inputs are built once per sweep over read-only copies of the market's
fields, as ``SweepFrame``s (DataFrames whose elementwise arithmetic skips
pandas' alignment work), and the same frames go to every combination: the indicator helpers
recognise them and compute each indicator once (``strategy._indicator_cache``).
An edit of their values raises (the arrays are read-only); a strategy that
changes a frame itself (assigns a column, renames, replaces an entry of
``bars``) changes it for its own call only: the frames are rebuilt over the
same arrays before the next combination.

Signals pass a few array checks (a ``DataFrame`` with ``prices``'s shape,
index and column order, of booleans); anything else goes through
``check_signals``, which converts what it can and names what it cannot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..strategy._sweep_frame import grid_values, sweep_frame
from ._errors import SignalError
from ._market import Market

__all__ = ["FIELDS", "SweepInputs", "call_error", "call_text", "check_signals", "signal_arrays"]

FIELDS = ("open", "high", "low", "close", "volume")

_READ_ONLY_HINT = ("; the frames a sweep passes to generate_signals (`prices`, `volumes`, `self.bars`) and the "
                   "indicator helpers' results are shared by every combination and read-only: edit a copy, e.g. "
                   "`fast = fast.copy()`")


class SweepInputs:
    """The frames of one sweep: ``bars`` (every field, bar times x symbols), ``prices`` (its close) and
    ``volumes`` (its volume), over read-only arrays, the same objects for every combination."""

    def __init__(self, market: Market):
        self._arrays = {name: _read_only(getattr(market, name)[:, :len(market.symbols)]) for name in FIELDS}
        self._index = market.index
        self._columns = pd.Index(list(market.symbols))
        self._build()

    @property
    def prices(self) -> pd.DataFrame:
        return self.bars["close"]

    @property
    def volumes(self) -> pd.DataFrame:
        return self.bars["volume"]

    def restore(self, holder) -> None:
        """Rebuild the frames if the last call changed one (or ``holder.bars``), so the next sees them as built."""
        if getattr(holder, "bars", None) is not self.bars or not self._intact():
            self._build()
            holder.bars = self.bars

    def _build(self) -> None:
        self.bars = {name: sweep_frame(values, self._index, self._columns) for name, values in self._arrays.items()}
        self._marks = [(frame, frame._mgr, frame._mgr.blocks, frame._mgr.blocks[0].values)
                       for frame in self.bars.values()]

    def _intact(self) -> bool:
        """Whether every frame still holds its read-only array as built: the same entry, axes, and pandas block
        manager, blocks and block values (pandas replaces one of them on any change of a frame's data)."""
        bars = self.bars
        if len(bars) != len(self._marks):
            return False
        for name, (frame, manager, blocks, values) in zip(self._arrays, self._marks, strict=True):
            if bars.get(name) is not frame or frame._mgr is not manager or manager.blocks is not blocks \
                    or blocks[0].values is not values:
                return False
            columns, index = manager.axes  # the frame's axes (its manager is the one built)
            if index is not self._index or columns is not self._columns:
                return False
        return True


def signal_arrays(produced, prices: pd.DataFrame, where: str, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(entries, exits)`` as boolean ``(bars, symbols)`` arrays in ``prices``'s column order: a view of each
    frame when it is a boolean DataFrame with ``prices``'s shape, index and columns, else ``check_signals``."""
    if isinstance(produced, tuple | list) and len(produced) == 2:
        entries, exits = (_as_is(frame, prices) for frame in produced)
        if entries is not None and exits is not None:
            return entries, exits
    return check_signals(produced, prices, where, params)


def check_signals(produced, prices: pd.DataFrame, where: str, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(entries, exits)`` as boolean arrays shaped like ``prices``, or a ``SignalError`` saying what is wrong."""
    call = call_text(where, params)
    if not isinstance(produced, tuple | list) or len(produced) != 2:
        raise SignalError(f"{call} must return (entries, exits), two boolean DataFrames; got "
                          f"{type(produced).__name__}")
    out = []
    for label, frame in zip(("entries", "exits"), produced, strict=True):
        if isinstance(frame, pd.Series) and prices.shape[1] == 1:
            frame = frame.to_frame(prices.columns[0])
        if not isinstance(frame, pd.DataFrame):
            raise SignalError(f"{call} returned {label} as {type(frame).__name__}; return a boolean DataFrame "
                              f"shaped like `prices` {prices.shape}")
        if frame.shape != prices.shape:
            raise SignalError(f"{call} returned {label} of shape {frame.shape}, but `prices` has shape "
                              f"{prices.shape} (bars x symbols); return one column per symbol and one row per bar")
        if set(frame.columns) != set(prices.columns):
            raise SignalError(f"{call} returned {label} with columns {list(frame.columns)}; expected the symbols "
                              f"{list(prices.columns)}")
        if not frame.index.equals(prices.index):
            raise SignalError(f"{call} returned {label} with an index other than `prices.index`; keep the bar times")
        frame = frame[list(prices.columns)]
        out.append(_booleans(frame, call, label))
    return out[0], out[1]


def call_error(where: str, params: dict, error: Exception) -> SignalError:
    """The ``SignalError`` for an exception ``generate_signals`` raised (with a hint when it edited a read-only
    frame)."""
    text = f"{call_text(where, params)} raised {type(error).__name__}: {error}"
    if isinstance(error, ValueError) and "read-only" in str(error):
        text += _READ_ONLY_HINT
    return SignalError(text)


def call_text(where: str, params: dict) -> str:
    """``Strategy.generate_signals(a=1, b=2)``: how messages name one combination's call."""
    return f"{where}({', '.join(f'{k}={v!r}' for k, v in params.items())})"


def _as_is(frame, prices: pd.DataFrame) -> np.ndarray | None:
    """The booleans of ``frame`` without conversion, when it is laid out exactly like ``prices``."""
    if not isinstance(frame, pd.DataFrame):
        return None
    index, columns = frame.index, frame.columns
    # the same axes objects (what frame arithmetic on the inputs keeps) give the same shape too
    if (index is not prices.index or columns is not prices.columns) and (
            frame.shape != prices.shape or not index.equals(prices.index) or not columns.equals(prices.columns)):
        return None
    values = grid_values(frame)
    if values is None:
        values = frame.to_numpy()
    return values if values.dtype == np.bool_ else None


def _booleans(frame: pd.DataFrame, call: str, label: str) -> np.ndarray:
    values = np.empty(frame.shape, dtype=np.bool_)
    for j, (name, column) in enumerate(frame.items()):
        dtype = column.dtype
        if dtype == np.bool_:
            values[:, j] = column.to_numpy()
            continue
        if isinstance(dtype, pd.BooleanDtype) and not column.isna().any():
            values[:, j] = column.to_numpy(dtype=np.bool_)
            continue
        if dtype is np.dtype(object) and all(isinstance(v, bool | np.bool_) for v in column.to_numpy()):
            values[:, j] = column.to_numpy(dtype=np.bool_)
            continue
        raise SignalError(f"{call} returned {label} column `{name}` of dtype {dtype}; return booleans, e.g. "
                          f"`(prices <= lower).fillna(False)` (no NaN, no numbers)")
    return values


def _read_only(values: np.ndarray) -> np.ndarray:
    """A Fortran-ordered copy that nothing can write to (each symbol's column contiguous, as pandas keeps it)."""
    copy = np.array(values, dtype=np.float64, order="F")
    copy.flags.writeable = False
    return copy
