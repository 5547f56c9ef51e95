"""The guide's built-in indicators, computed with TA-Lib over a symbol's bar history."""

from __future__ import annotations

import numpy as np
import talib

__all__ = ["Indicators"]


class Indicators:
    """Indicators over one window of bars; every result has the window's length.

    Early values are NaN while the lookback is not filled. Results are cached
    per call arguments, and ``StrategyBase.indicators_for`` caches the object
    per bar count, so repeated calls in one ``on_bar`` cost nothing.
    """

    def __init__(self, open, high, low, close, volume):  # noqa: A002 - the guide's field names
        self.open = np.ascontiguousarray(open, dtype=np.float64)
        self.high = np.ascontiguousarray(high, dtype=np.float64)
        self.low = np.ascontiguousarray(low, dtype=np.float64)
        self.close = np.ascontiguousarray(close, dtype=np.float64)
        self.volume = np.ascontiguousarray(volume, dtype=np.float64)
        self._cache: dict[tuple, object] = {}

    @classmethod
    def from_history(cls, history) -> Indicators:
        """Build from a ``BarHistory`` without creating ``Bar`` objects."""
        return cls(*(history.array(f) for f in ("open", "high", "low", "close", "volume")))

    def _cached(self, key: tuple, compute):
        value = self._cache.get(key)
        if value is None:
            value = compute()
            self._cache[key] = value
        return value

    def sma(self, period: int) -> np.ndarray:
        """Simple moving average of closes."""
        period = _period(period, "sma")
        return self._cached(("sma", period), lambda: talib.SMA(self.close, timeperiod=period))

    def ema(self, period: int) -> np.ndarray:
        """Exponential moving average of closes (TA-Lib: seeded with the first SMA)."""
        period = _period(period, "ema")
        return self._cached(("ema", period), lambda: talib.EMA(self.close, timeperiod=period))

    def rsi(self, period: int = 14) -> np.ndarray:
        """Relative Strength Index (Wilder smoothing), 0-100."""
        period = _period(period, "rsi")
        return self._cached(("rsi", period), lambda: talib.RSI(self.close, timeperiod=period))

    def macd(self, fast: int = 12, slow: int = 26, signal: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """MACD line, signal line and histogram."""
        fast, slow, signal = _period(fast, "macd"), _period(slow, "macd"), _period(signal, "macd")
        return self._cached(
            ("macd", fast, slow, signal),
            lambda: talib.MACD(self.close, fastperiod=fast, slowperiod=slow, signalperiod=signal),
        )

    def atr(self, period: int = 14) -> np.ndarray:
        """Average True Range (Wilder smoothing)."""
        period = _period(period, "atr")
        return self._cached(("atr", period), lambda: talib.ATR(self.high, self.low, self.close, timeperiod=period))

    def bbands(self, period: int = 20, nbdev: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bollinger Bands (upper, middle, lower) with population standard deviation."""
        period = _period(period, "bbands")
        nbdev = float(nbdev)
        return self._cached(
            ("bbands", period, nbdev),
            lambda: talib.BBANDS(self.close, timeperiod=period, nbdevup=nbdev, nbdevdn=nbdev, matype=0),
        )

    def obv(self) -> np.ndarray:
        """On-Balance Volume."""
        return self._cached(("obv",), lambda: talib.OBV(self.close, self.volume))

    def volume_sma(self, period: int) -> np.ndarray:
        """Simple moving average of volume."""
        period = _period(period, "volume_sma")
        return self._cached(("volume_sma", period), lambda: talib.SMA(self.volume, timeperiod=period))


def _period(value, name: str) -> int:
    period = int(value)
    if period != value or period < 1:
        raise ValueError(f"`{name}` period must be a positive whole number, got {value!r}")
    return period
