"""``SweepFrame``: the DataFrame a sweep hands to ``generate_signals``, with pandas' cost per operation cut.

A sweep calls ``generate_signals`` once per combination, and the strategy's
few lines of frame arithmetic (``fast > slow``, ``above & below.shift(1,
fill_value=False)``) cost about 100-250 microseconds each in pandas, almost all
of it alignment and bookkeeping around a numpy operation of a few
microseconds. ``SweepFrame`` is a ``DataFrame`` subclass (every pandas method
works and returns one) whose elementwise operations take a short path when
pandas would do nothing but that numpy operation:

- comparisons, ``+ - * /`` and ``& | ^`` between two frames on the same axes
  objects (every frame derived from the sweep's inputs by these operations or
  by the indicator helpers shares them), or a frame and a real number;
- ``~``, ``shift(n)`` along the rows and ``fillna(number)``.

Only numpy ``float64``/``int64``/``bool`` data takes it, with the operand types
pandas hands to numpy, so the values, dtypes and axes are pandas' own (the
tests compare both on every operation). Anything else (a Series, another
index, an extension dtype, a string) goes to pandas unchanged.
"""

from __future__ import annotations

import functools
import inspect
import operator
from numbers import Real
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.extensions import no_default
from pandas.core import roperator

__all__ = ["SweepFrame", "float_block", "float_values", "grid_values", "sweep_frame"]

_NUMBERS = (np.dtype(np.float64), np.dtype(np.int64))
_BOOLEAN = np.dtype(np.bool_)
# each dtype the short path takes, by itself: the one object ``_grid`` records (and compares by identity)
_CANONICAL = {dtype: dtype for dtype in (*_NUMBERS, _BOOLEAN)}
# the attribute of a ``SweepFrame`` keeping what ``_grid`` found out about its values
_GRID = "_sweep_grid"


class _Grid(NamedTuple):
    """Where a frame's values are: its manager's ``blocks`` (one), that block's ``block`` array (columns x
    rows), its transpose ``values`` (rows x columns, what ``to_numpy()`` gives) and their ``dtype`` (one of
    ``_CANONICAL``'s objects)."""

    blocks: tuple
    block: np.ndarray
    values: np.ndarray
    dtype: np.dtype


# what each operator takes, as ``(numbers, booleans, arithmetic)``: comparisons take numbers or booleans,
# ``& | ^`` booleans, ``+ - * /`` numbers (and only arithmetic can raise numpy's floating-point warnings, which
# pandas silences); pandas' reversed operators (``1 - frame`` is ``rsub(frame, 1)``) take what theirs take
_COMPARISON, _LOGICAL, _ARITHMETIC = (True, True, False), (False, True, False), (True, False, True)
_TAKES = {
    **dict.fromkeys((operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne), _COMPARISON),
    **dict.fromkeys((operator.and_, operator.or_, operator.xor, roperator.rand_, roperator.ror_, roperator.rxor),
                    _LOGICAL),
    **dict.fromkeys((operator.add, operator.sub, operator.mul, operator.truediv, roperator.radd, roperator.rsub,
                     roperator.rmul, roperator.rtruediv), _ARITHMETIC),
}


def _operator(name: str, op):
    """``DataFrame.<name>`` trying ``SweepFrame``'s short path first."""
    def method(self, other):
        result = self._short_path(other, op)
        return getattr(pd.DataFrame, name)(self, other) if result is None else result
    method.__name__ = method.__qualname__ = name
    return method


class SweepFrame(pd.DataFrame):
    """A ``DataFrame`` whose elementwise operations on numpy numbers/booleans skip pandas' alignment when the
    operands share their axes (see the module's notes); the same values, dtypes and axes as pandas."""

    @property
    def _constructor(self):
        return SweepFrame

    def _cmp_method(self, other, op):
        result = self._short_path(other, op)
        return super()._cmp_method(other, op) if result is None else result

    def _arith_method(self, other, op):
        result = self._short_path(other, op)
        return super()._arith_method(other, op) if result is None else result

    _logical_method = _arith_method

    def _short_path(self, other, op) -> SweepFrame | None:
        """``op(self, other)`` straight on numpy, or ``None`` when pandas must do it."""
        takes = _TAKES.get(op)
        if takes is None:
            return None
        numbers, booleans, arithmetic = takes
        left = _grid(self)
        if left is None or not (booleans if left.dtype is _BOOLEAN else numbers):
            return None
        between_frames = isinstance(other, SweepFrame)
        if between_frames:
            right = _grid(other)
            axes, other_axes = self._mgr.axes, other._mgr.axes
            if right is None or (right.dtype is _BOOLEAN) is not (left.dtype is _BOOLEAN) \
                    or axes[0] is not other_axes[0] or axes[1] is not other_axes[1]:
                return None
            right_values = right.values
        elif numbers and _real(other) and not isinstance(other, bool):
            right_values = _as_python_number(other) if arithmetic else other
        else:
            return None
        if arithmetic:
            with np.errstate(all="ignore"):
                values = op(left.values, right_values)
        else:
            values = op(left.values, right_values)
        result = self._like(values, op.__name__)
        if between_frames and _results_take_right_attrs():
            _carry(result, other, None)
        return result

    # the operators themselves, so the short path also skips pandas' operator wrapper
    __lt__ = _operator("__lt__", operator.lt)
    __le__ = _operator("__le__", operator.le)
    __gt__ = _operator("__gt__", operator.gt)
    __ge__ = _operator("__ge__", operator.ge)
    __eq__ = _operator("__eq__", operator.eq)
    __ne__ = _operator("__ne__", operator.ne)
    __add__ = _operator("__add__", operator.add)
    __radd__ = _operator("__radd__", roperator.radd)
    __sub__ = _operator("__sub__", operator.sub)
    __rsub__ = _operator("__rsub__", roperator.rsub)
    __mul__ = _operator("__mul__", operator.mul)
    __rmul__ = _operator("__rmul__", roperator.rmul)
    __truediv__ = _operator("__truediv__", operator.truediv)
    __rtruediv__ = _operator("__rtruediv__", roperator.rtruediv)
    __and__ = _operator("__and__", operator.and_)
    __rand__ = _operator("__rand__", roperator.rand_)
    __or__ = _operator("__or__", operator.or_)
    __ror__ = _operator("__ror__", roperator.ror_)
    __xor__ = _operator("__xor__", operator.xor)
    __rxor__ = _operator("__rxor__", roperator.rxor)
    __hash__ = pd.DataFrame.__hash__

    def __invert__(self):
        values = grid_values(self)
        if values is None or values.dtype != _BOOLEAN or not self.size:
            return super().__invert__()
        return self._like(~values, "__invert__")

    def shift(self, periods=1, freq=None, axis=0, fill_value=no_default, suffix=None):
        """``DataFrame.shift``; along the rows without ``freq`` it moves the numpy values directly."""
        values = grid_values(self) if freq is None and suffix is None and axis in (0, "index", "rows") else None
        fill = _shift_fill(values, fill_value) if values is not None and _whole(periods) else None
        if fill is None:
            return super().shift(periods=periods, freq=freq, axis=axis, fill_value=fill_value, suffix=suffix)
        return self._like(_shifted(values, int(periods), fill), "shift")

    def fillna(self, value=None, **options):
        """``DataFrame.fillna``; a number filling numpy floats (or booleans, which hold no NaN) is done directly."""
        values = grid_values(self) if not options and _real(value) else None
        if values is None or (values.dtype != _BOOLEAN and (values.dtype.kind != "f" or isinstance(value, bool))):
            return super().fillna(value, **options)
        if values.dtype == _BOOLEAN:
            return self._like(values.copy(order="K"), "fillna")
        return self._like(np.where(np.isnan(values), _as_python_number(value), values), "fillna")

    def _like(self, values: np.ndarray, method: str) -> SweepFrame:
        """``values`` (bars x columns, not copied) as a frame on this one's axes, with its ``attrs`` and flags."""
        columns, index = self._mgr.axes
        return _carry(sweep_frame(values, index, columns), self, method)


def _carry(result: SweepFrame, source: SweepFrame, method: str | None) -> SweepFrame:
    """``result.__finalize__(source, method)``, skipped when ``source`` has nothing to pass on (no ``attrs``,
    the default flags: what a new frame has), which is most of the time."""
    if source._attrs or not source._flags.allows_duplicate_labels:
        result.__finalize__(source, method=method)
    return result


@functools.cache
def _results_take_right_attrs() -> bool:
    """Whether this pandas gives an operation between two frames the right frame's ``attrs`` when it has some
    (pandas 3 does, 2.2 keeps the left one's)."""
    return "other" in inspect.signature(pd.DataFrame._construct_result).parameters


def sweep_frame(values: np.ndarray, index: pd.Index, columns: pd.Index) -> SweepFrame:
    """``SweepFrame(values, index=index, columns=columns, copy=False)`` for a 2-D numpy array, built from
    pandas' block parts when this pandas has them (about 7 instead of 20 microseconds)."""
    build = _block_builder()
    if build is None:
        return SweepFrame(values, index=index, columns=columns, copy=False)
    return build(values, index, columns)


@functools.cache
def _block_builder():
    """A function building a ``SweepFrame`` from one numpy block the way pandas' constructor does, or ``None``
    when this pandas lacks the parts or builds differently (checked once against the constructor)."""
    try:
        from pandas._libs.internals import BlockPlacement
        from pandas.core.internals.blocks import get_block_type, new_block_2d
        from pandas.core.internals.managers import BlockManager

        # the block class pandas picks for each dtype the short path makes (and needs no value coercion for)
        classes = {dtype: get_block_type(dtype) for dtype in (*_NUMBERS, _BOOLEAN)}
        placements = functools.cache(lambda width: BlockPlacement(slice(0, width)))

        def build(values, index, columns):
            placement = placements(values.shape[1])
            block_class = classes.get(values.dtype)
            transposed = values.T
            block = (new_block_2d(transposed, placement) if block_class is None
                     else block_class(transposed, ndim=2, placement=placement))
            manager = BlockManager((block,), [columns, index], verify_integrity=False)
            frame = SweepFrame._from_mgr(manager, manager.axes)
            if block_class is not None and block.values is transposed:
                _remember(frame, _Grid(manager.blocks, transposed, values, _CANONICAL[values.dtype]))
            return frame

        index, columns = pd.RangeIndex(3), pd.Index(["a", "b"])
        same = True
        for values in (np.arange(6.0), np.arange(6), np.arange(6) % 4 == 1):
            values = np.asfortranarray(values.reshape(3, 2))
            built = build(values, index, columns)
            reference = SweepFrame(values, index=index, columns=columns, copy=False)
            same = (same and type(built) is SweepFrame and built.index is index and built.columns is columns
                    and type(built._mgr.blocks[0]) is type(reference._mgr.blocks[0])
                    and built.dtypes.equals(reference.dtypes) and built.equals(reference)
                    and np.shares_memory(built.to_numpy(), values))
    except Exception:  # noqa: BLE001 - any failure means: use the public constructor
        return None
    return build if same else None


def float_values(frame: pd.DataFrame) -> np.ndarray:
    """``frame.to_numpy(dtype=np.float64)``, the frame's own block (no copy) when it is one of float64."""
    block = float_block(frame)
    return frame.to_numpy(dtype=np.float64) if block is None else block.T


def float_block(frame: pd.DataFrame) -> np.ndarray | None:
    """The array object holding the frame's values when they are one float64 block (``float_values`` is then
    its transpose), else ``None``: the same object for as long as the frame keeps its data."""
    grid = _grid(frame)
    return grid.block if grid is not None and grid.dtype is _NUMBERS[0] else None


def grid_values(frame: pd.DataFrame) -> np.ndarray | None:
    """The frame's values as one numpy (rows x columns) array, without a copy, when they are a single block of
    numpy float64, int64 or booleans holding the columns in order (what ``to_numpy()`` would return, at a
    fraction of its cost); ``None`` otherwise (several blocks, extension arrays)."""
    grid = _grid(frame)
    return None if grid is None else grid.values


def _grid(frame: pd.DataFrame) -> _Grid | None:
    """Where the values are of a frame whose values are one block ``_block_values`` accepts, else ``None``.

    A ``SweepFrame`` keeps the answer (its operations and ``sweep_frame`` store it as they build one) for as
    long as its manager holds the same blocks and its block the same array: pandas replaces one of them on
    any change of a frame's columns or dtypes, or a copy-on-write of its data.
    """
    known = frame.__dict__.get(_GRID)
    blocks = frame._mgr.blocks
    if known is not None and known.blocks is blocks and blocks[0].values is known.block:
        return known
    values = _block_values(frame)
    if values is None:
        return None
    grid = _Grid(blocks, values, values.T, _CANONICAL[values.dtype])
    if isinstance(frame, SweepFrame):
        _remember(frame, grid)
    return grid


def _remember(frame: SweepFrame, grid: _Grid) -> None:
    object.__setattr__(frame, _GRID, grid)


def _block_values(frame: pd.DataFrame) -> np.ndarray | None:
    """The (columns x rows) array of the frame's single numpy float64/int64/bool block when it holds the columns
    in order, else ``None``."""
    blocks = frame._mgr.blocks
    if len(blocks) != 1:
        return None
    block = blocks[0]
    values = block.values
    if type(values) is not np.ndarray or values.dtype not in _CANONICAL:
        return None
    places = block.mgr_locs
    if not places.is_slice_like or places.as_slice != slice(0, values.shape[0], 1):
        return None
    return values


def _real(value) -> bool:
    return isinstance(value, Real | np.integer | np.floating) and not isinstance(value, np.bool_)


def _whole(periods) -> bool:
    return isinstance(periods, int | np.integer) and not isinstance(periods, bool)


def _as_python_number(value):
    """numpy scalars as Python numbers, as pandas passes them to numpy in arithmetic (NEP 50)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _shift_fill(values: np.ndarray, fill_value):
    """What ``shift`` fills with when pandas would keep the dtype, else ``None``: NaN or a number for floats, a
    boolean for booleans."""
    if values.dtype.kind == "f":
        if fill_value is no_default:
            return np.nan
        return _as_python_number(fill_value) if _real(fill_value) and not isinstance(fill_value, bool) else None
    if values.dtype == _BOOLEAN and isinstance(fill_value, bool | np.bool_):
        return fill_value
    return None


def _shifted(values: np.ndarray, periods: int, fill) -> np.ndarray:
    """``values`` moved down ``periods`` rows (up when negative), ``fill`` in the rows left empty."""
    out = np.empty_like(values)
    rows = len(values)
    k = max(-rows, min(rows, periods))
    if k >= 0:
        out[:k] = fill
        out[k:] = values[:rows - k]
    else:
        out[k:] = fill
        out[:k] = values[-k:]
    return out

