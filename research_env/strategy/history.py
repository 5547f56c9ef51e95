"""Per-symbol bar history: numpy columns underneath, ``Bar`` objects built on demand.

A strategy sees ``self._bars[symbol]`` as a list of ``Bar`` (oldest first, at
most ``max_len``). Indexing builds the ``Bar`` lazily, so the engine never
converts hundreds of Decimals per bar; indicators read the float columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

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

    __slots__ = ("symbol", "timeframe", "source", "max_len", "_cols", "_times", "_count", "_cache")

    def __init__(self, symbol: str, timeframe: str, max_len: int = 500, source: str = "polygon"):
        if max_len < 1:
            raise ValueError(f"`_MAX_BAR_HISTORY` must be at least 1, got {max_len}")
        self.symbol = symbol
        self.timeframe = timeframe
        self.source = source
        self.max_len = int(max_len)
        self._cols = {name: np.empty(64) for name in _FIELDS}
        self._times: list[datetime] = []
        self._count = 0
        self._cache: dict[int, Bar] = {}

    # --- filling -------------------------------------------------------
    def preload(self, frame: pd.DataFrame) -> None:
        """Take a whole bar frame up front; bars become visible one ``advance()`` at a time."""
        self._cols = {name: frame[name].to_numpy(dtype=np.float64) for name in _FIELDS}
        self._times = list(frame.index.to_pydatetime())
        self._count = 0
        self._cache = {}

    def advance(self) -> Bar:
        """Reveal the next preloaded bar and return it."""
        self._count += 1
        return self._bar_at(self._count - 1)

    def append(self, bar: Bar) -> None:
        """Add a bar at the end (manual feeding); older bars beyond ``max_len`` drop out of view."""
        n = self._count
        if len(self._times) != n:
            raise RuntimeError("cannot append to a history that was preloaded by the engine")
        if n == len(self._cols["close"]):
            self._cols = {k: np.resize(v, 2 * n) for k, v in self._cols.items()}
        for name in _FIELDS:
            self._cols[name][n] = float(getattr(bar, name))
        self._times.append(bar.timestamp)
        self._cache[n] = bar
        self._count = n + 1

    # --- reading -------------------------------------------------------
    @property
    def count(self) -> int:
        """How many bars were ever fed (grows past ``max_len``); indicator caches key on it."""
        return self._count

    @property
    def start(self) -> int:
        return max(0, self._count - self.max_len)

    def array(self, field: str) -> np.ndarray:
        """The visible window of one column (``open``/``high``/``low``/``close``/``volume``) as floats."""
        return self._cols[field][self.start : self._count]

    def _bar_at(self, i: int) -> Bar:
        bar = self._cache.get(i)
        if bar is None:
            c = self._cols
            bar = Bar(
                symbol=self.symbol,
                timeframe=self.timeframe,
                timestamp=self._times[i],
                open=Decimal(str(c["open"][i])),
                high=Decimal(str(c["high"][i])),
                low=Decimal(str(c["low"][i])),
                close=Decimal(str(c["close"][i])),
                volume=Decimal(str(c["volume"][i])),
                source=self.source,
            )
            if len(self._cache) > 2 * self.max_len:
                self._cache = {k: v for k, v in self._cache.items() if k >= self.start}
            self._cache[i] = bar
        return bar

    def __len__(self) -> int:
        return self._count - self.start

    def __getitem__(self, index):
        start, n = self.start, len(self)
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

    def __repr__(self) -> str:
        return f"BarHistory({self.symbol!r}, {len(self)} bars, max {self.max_len})"
