"""Per-symbol bar history: numpy columns underneath, ``Bar`` objects built on demand.

A strategy sees ``self._bars[symbol]`` as a list of ``Bar`` (oldest first, at
most ``max_len``). Indexing builds the ``Bar`` lazily (its ``Decimal`` fields
convert on first read), so the engine never converts hundreds of Decimals per
bar. Indicators are computed over the symbol's whole history and cut to the
window; TA-Lib is causal, so with the history preloaded each indicator is
computed once for the run and every bar only slices it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from ..core.models import Bar

__all__ = ["BarHistory"]

_FIELDS = ("open", "high", "low", "close", "volume")


class BarHistory(Sequence):
    """The last ``max_len`` bars of one symbol, oldest first.

    Two ways to fill it: ``append(bar)`` (what ``StrategyBase.feed_bar`` does)
    or ``preload(frame)`` followed by ``advance()`` once per bar (what the
    engine does: the columns are shared, nothing is copied per bar).
    """

    __slots__ = ("symbol", "timeframe", "source", "max_len", "_cols", "_lists", "_times", "_count", "_built",
                 "_forgotten", "_preloaded", "_indicators")

    def __init__(self, symbol: str, timeframe: str, max_len: int = 500, source: str = "polygon"):
        if int(max_len) < 1:
            raise ValueError(f"`_MAX_BAR_HISTORY` must be at least 1, got {max_len}")
        self.symbol = symbol
        self.timeframe = timeframe
        self.source = source
        self.max_len = int(max_len)
        self._cols = {name: np.empty(64) for name in _FIELDS}
        self._lists: list[list[float]] = []
        self._times: list[datetime] = []
        self._count = 0
        self._built: list[Bar | None] = []
        self._forgotten = 0
        self._preloaded = False
        self._indicators: dict[tuple, object] = {}

    # --- filling -------------------------------------------------------
    def preload(self, frame: pd.DataFrame) -> None:
        """Take a whole bar frame up front; bars become visible one ``advance()`` at a time."""
        self._cols = {}
        for name in _FIELDS:
            column = np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64))
            column.flags.writeable = False
            self._cols[name] = column
        self._lists = [self._cols[name].tolist() for name in _FIELDS]
        self._times = list(frame.index.to_pydatetime())
        self._count = 0
        self._built = [None] * len(frame)
        self._forgotten = 0
        self._preloaded = True
        self._indicators = {}

    def advance(self) -> Bar:
        """Reveal the next preloaded bar and return it."""
        i = self._count
        self._count = i + 1
        c = self._lists
        bar = self._built[i] = Bar(self.symbol, self.timeframe, self._times[i], c[0][i], c[1][i], c[2][i], c[3][i],
                                   c[4][i], self.source)
        if i % self.max_len == 0:
            self._forget()
        return bar

    def append(self, bar: Bar) -> None:
        """Add a bar at the end (manual feeding); older bars beyond ``max_len`` drop out of view."""
        if self._preloaded:
            raise RuntimeError(f"the history of {self.symbol} is fed by the engine; it cannot be appended to")
        n = self._count
        if n == len(self._cols["close"]):
            self._cols = {k: np.resize(v, 2 * n) for k, v in self._cols.items()}
        for name in _FIELDS:
            self._cols[name][n] = float(getattr(bar, name))
        self._times.append(bar.timestamp)
        self._built.append(None)
        self._count = n + 1
        self._remember(n, bar)

    # --- reading -------------------------------------------------------
    def columns_as_lists(self) -> list[list[float]]:
        """The preloaded open, high, low, close and volume columns as Python lists (shared, do not modify)."""
        return self._lists

    @property
    def times(self) -> list[datetime]:
        """Close time of every bar, including preloaded bars not yet revealed."""
        return self._times

    @property
    def count(self) -> int:
        """How many bars were ever fed (grows past ``max_len``); indicator caches key on it."""
        return self._count

    @property
    def start(self) -> int:
        """Position of the oldest visible bar in the whole history."""
        return max(0, self._count - self.max_len)

    def array(self, field: str) -> np.ndarray:
        """The visible window of one column (``open``/``high``/``low``/``close``/``volume``) as floats."""
        return self._cols[field][self.start : self._count]

    def indicator(self, key: tuple, function: Callable, fields: tuple[str, ...], settings: dict):
        """``function(*columns, **settings)`` over the whole history so far, cut to the visible window.

        With a preloaded history the result over all bars is computed once per
        ``key`` and sliced: TA-Lib's value at a bar depends only on earlier bars.
        """
        hi = self._count
        lo = hi - self.max_len if hi > self.max_len else 0
        if self._preloaded:
            full = self._indicators.get(key)
            if full is None:
                full = function(*(self._cols[f] for f in fields), **settings)
                for values in full if type(full) is tuple else (full,):
                    values.flags.writeable = False
                self._indicators[key] = full
        else:
            full = function(*(self._cols[f][:hi] for f in fields), **settings)
        if type(full) is tuple:
            return tuple(values[lo:hi] for values in full)
        return full[lo:hi]

    def _bar_at(self, i: int) -> Bar:
        bar = self._built[i]
        if bar is None:
            c = self._lists
            bar = Bar(self.symbol, self.timeframe, self._times[i], c[0][i], c[1][i], c[2][i], c[3][i], c[4][i],
                      self.source)
            self._remember(i, bar)
        return bar

    def _remember(self, i: int, bar: Bar) -> None:
        """Keep built bars so repeated reads return the same object; forget those out of view."""
        self._built[i] = bar
        if i % self.max_len == 0:
            self._forget()

    def _forget(self) -> None:
        start = self.start
        for j in range(self._forgotten, start):
            self._built[j] = None
        self._forgotten = start

    def __len__(self) -> int:
        count = self._count
        return count if count < self.max_len else self.max_len

    def __getitem__(self, index):
        start, n = self.start, self._count - self.start
        if isinstance(index, slice):
            return [self._bar_at(start + i) for i in range(*index.indices(n))]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"bar history of {self.symbol} has {n} bars; index {index} is out of range")
        return self._bar_at(start + index)

    def __iter__(self):
        for i in range(self.start, self._count):
            yield self._bar_at(i)

    def __bool__(self) -> bool:
        return self._count > 0

    def __eq__(self, other) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"BarHistory({self.symbol!r}, {len(self)} bars, max {self.max_len})"
