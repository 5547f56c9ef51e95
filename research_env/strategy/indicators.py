"""The guide's built-in indicators, computed with TA-Lib over a symbol's bar history."""

from __future__ import annotations

import math

import numpy as np
import talib

from ..errors import InputError

__all__ = ["Indicators"]

_FIELDS = ("open", "high", "low", "close", "volume")
_CLOSE = ("close",)
_OBV = ("obv",)


class Indicators:
    """Indicators over a bar window; every result has the window's length.

    Values are TA-Lib's over the symbol's whole history so far (not re-seeded
    at the window's first bar), NaN while the lookback is not yet filled.
    Results are cached until the next bar, so repeated calls in one ``on_bar``
    cost nothing. Returned arrays are read-only views; copy one to modify it.
    """

    __slots__ = ("_history", "_columns", "_cache", "_cache_count", "_lists")

    def __init__(self, open, high, low, close, volume):  # noqa: A002 - the guide's field names
        self._history = None
        self._columns = {name: np.ascontiguousarray(values, dtype=np.float64)
                         for name, values in zip(_FIELDS, (open, high, low, close, volume), strict=True)}
        self._cache: dict[tuple, object] = {}
        self._cache_count = -1
        self._lists: dict[tuple, object] = {}

    @classmethod
    def from_history(cls, history) -> Indicators:
        """Indicators that follow a ``BarHistory`` as it grows (no ``Bar`` objects are created)."""
        ind = cls.__new__(cls)
        ind._history = history
        ind._columns = None
        ind._cache = {}
        ind._cache_count = -1
        ind._lists = {}
        return ind

    def __getattr__(self, name):
        if name in _FIELDS:
            return self._history.array(name) if self._columns is None else self._columns[name]
        raise AttributeError(name)

    def _cached(self, key: tuple):
        """The result for ``key`` if already computed (the hot path of every call after the first)."""
        history = self._history
        if history is None:
            return self._cache.get(key)
        if history._preloaded:
            full = history._indicators.get(key)
            if full is None:
                return None
            hi = history._count
            lo = hi - history.max_len if hi > history.max_len else 0
            return full[lo:hi] if type(full) is not tuple else tuple(values[lo:hi] for values in full)
        return self._cache.get(key) if self._cache_count == history.count else None

    def _compute(self, key: tuple, function, fields: tuple[str, ...], **settings):
        history = self._history
        if history is None:
            value = self._cache.get(key)
            if value is None:
                value = self._cache[key] = function(*(self._columns[f] for f in fields), **settings)
            return value
        if history._preloaded:
            return history.indicator(key, function, fields, settings)
        if self._cache_count != history.count:
            self._cache, self._cache_count = {}, history.count
        value = self._cache.get(key)
        if value is None:
            value = self._cache[key] = history.indicator(key, function, fields, settings)
        return value

    def latest(self, name: str, *args):
        """``getattr(self, name)(*args)[-1]`` as a Python float (a tuple of floats for MACD and BBANDS).

        NaN before the first bar. Pass every argument explicitly (``latest("rsi", 14)``,
        ``latest("bbands", 20, 2.0)``). Over a preloaded history the whole
        series is turned into Python lists once, so each later call is a list
        lookup at the latest revealed bar (what function-style strategies read).
        """
        key = (name, *args)
        history = self._history
        if history is not None and history._preloaded:
            entry = self._lists.get(key)
            if entry is None or entry[0] is not history._indicators.get(key):  # new, or the history was reloaded
                getattr(self, name)(*args)  # computes the whole series once, cached in the history under `key`
                full = history._indicators[key]
                entry = self._lists[key] = (
                    (full, [v.tolist() for v in full], True) if type(full) is tuple else (full, full.tolist(), False))
            _, values, several = entry
            n = history._count
            if not several:
                return values[n - 1] if n else math.nan
            return tuple(v[n - 1] if n else math.nan for v in values)
        values = getattr(self, name)(*args)
        if type(values) is tuple:
            return tuple(float(v[-1]) if len(v) else math.nan for v in values)
        return float(values[-1]) if len(values) else math.nan

    def sma(self, period: int) -> np.ndarray:
        """Simple moving average of closes."""
        key = ("sma", period)
        hit = self._cached(key)
        return hit if hit is not None else self._compute(key, talib.SMA, _CLOSE, timeperiod=_period(period, "sma"))

    def ema(self, period: int) -> np.ndarray:
        """Exponential moving average of closes (TA-Lib: seeded with the first SMA)."""
        key = ("ema", period)
        hit = self._cached(key)
        return hit if hit is not None else self._compute(key, talib.EMA, _CLOSE, timeperiod=_period(period, "ema"))

    def rsi(self, period: int = 14) -> np.ndarray:
        """Relative Strength Index (Wilder smoothing), 0-100."""
        key = ("rsi", period)
        hit = self._cached(key)
        return hit if hit is not None else self._compute(key, talib.RSI, _CLOSE, timeperiod=_period(period, "rsi"))

    def macd(self, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """MACD line, signal line and histogram."""
        key = ("macd", fast, slow, signal)
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self._compute(key, talib.MACD, _CLOSE, fastperiod=_period(fast, "macd"),
                             slowperiod=_period(slow, "macd"), signalperiod=_period(signal, "macd"))

    def atr(self, period: int = 14) -> np.ndarray:
        """Average True Range (Wilder smoothing)."""
        key = ("atr", period)
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self._compute(key, talib.ATR, ("high", "low", "close"), timeperiod=_period(period, "atr"))

    def bbands(self, period: int = 20, nbdev: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bollinger Bands (upper, middle, lower) with population standard deviation."""
        key = ("bbands", period, nbdev)
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self._compute(key, talib.BBANDS, _CLOSE, timeperiod=_period(period, "bbands"),
                             nbdevup=float(nbdev), nbdevdn=float(nbdev), matype=0)

    def obv(self) -> np.ndarray:
        """On-Balance Volume."""
        hit = self._cached(_OBV)
        return hit if hit is not None else self._compute(_OBV, talib.OBV, ("close", "volume"))

    def volume_sma(self, period: int) -> np.ndarray:
        """Simple moving average of volume."""
        key = ("volume_sma", period)
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self._compute(key, talib.SMA, ("volume",), timeperiod=_period(period, "volume_sma"))


def _period(value, name: str) -> int:
    if type(value) is int and value > 0:
        return value
    period = int(value)
    if period != value or period < 1:
        raise InputError(f"`{name}` period must be a positive whole number, got {value!r}")
    return period
