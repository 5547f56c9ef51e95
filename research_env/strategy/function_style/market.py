"""``market[sym]``: one symbol's latest bar, its past values and indicators, as plain floats.

A ``SymbolData`` reads the engine's preloaded ``BarHistory`` at the bars
revealed so far (never later ones) and the symbol's ``Indicators``
(``Indicators.latest``: TA-Lib, the same numbers class-based strategies get). Before the symbol's first bar,
prices and indicators are NaN; indicators stay NaN during their warm-up.
Everything is read-only.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = ["BollingerBands", "Market", "SymbolData"]

_NAN = math.nan
_NEW_YORK = ZoneInfo("America/New_York")
_FIELDS = {"open": 0, "high": 1, "low": 2, "close": 3, "volume": 4}


class BollingerBands(NamedTuple):
    """Upper, middle (the SMA) and lower band at the latest bar."""

    upper: float
    middle: float
    lower: float


class SymbolData:
    """The reference's market data object for one symbol (``market['AAPL']``)."""

    __slots__ = ("symbol", "_history", "_columns", "_indicators")

    def __init__(self, symbol: str, history, indicators):
        object.__setattr__(self, "symbol", symbol)
        object.__setattr__(self, "_history", history)
        object.__setattr__(self, "_columns", history.columns_as_lists())
        object.__setattr__(self, "_indicators", indicators)

    def __setattr__(self, name, value):
        raise AttributeError(f"market data of {self.symbol} is read-only; put `{name}` in a local variable instead")

    # --- the latest bar ------------------------------------------------
    def _latest(self, column: int) -> float:
        n = self._history.count
        return self._columns[column][n - 1] if n else _NAN

    @property
    def open(self) -> float:
        """Open of the latest bar."""
        return self._latest(0)

    @property
    def high(self) -> float:
        """High of the latest bar."""
        return self._latest(1)

    @property
    def low(self) -> float:
        """Low of the latest bar."""
        return self._latest(2)

    @property
    def close(self) -> float:
        """Close of the latest bar."""
        n = self._history.count
        return self._columns[3][n - 1] if n else _NAN

    @property
    def volume(self) -> float:
        """Volume of the latest bar."""
        return self._latest(4)

    @property
    def timestamp(self) -> datetime | None:
        """Close time of the latest bar, in New York time (None before the first bar)."""
        n = self._history.count
        return self._history.times[n - 1].astimezone(_NEW_YORK) if n else None

    def history(self, field: str, n: int) -> list[float]:
        """The last ``n`` values of ``field`` (open/high/low/close/volume), oldest first.

        Fewer than ``n`` while fewer bars have been seen. ``n`` counts past bars,
        so it must be at least 1: the future is not visible.
        """
        column = _FIELDS.get(field)
        if column is None:
            raise ValueError(f"history({field!r}, ...): field must be one of {', '.join(_FIELDS)}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(
                f"history({field!r}, {n!r}): n must be a whole number of past bars >= 1; "
                "the future is not visible (history(field, 2)[-2] is the previous bar)"
            )
        end = self._history.count
        return self._columns[column][max(end - n, 0):end]

    # --- indicators ----------------------------------------------------
    def sma(self, period: int) -> float:
        """Simple moving average of closes at the latest bar."""
        return self._indicators.latest("sma", period)

    def ema(self, period: int) -> float:
        """Exponential moving average of closes (TA-Lib, seeded with the first SMA)."""
        return self._indicators.latest("ema", period)

    def rsi(self, period: int = 14) -> float:
        """Relative Strength Index (Wilder), 0 to 100."""
        return self._indicators.latest("rsi", period)

    def bollinger_bands(self, period: int = 20, std_dev: float = 2.0) -> BollingerBands:
        """Bollinger Bands (population standard deviation): ``upper, middle, lower = ...``."""
        return BollingerBands(*self._indicators.latest("bbands", period, std_dev))

    def __repr__(self) -> str:
        return (f"<market[{self.symbol!r}] close={self.close} at "
                f"{self.timestamp:%Y-%m-%d %H:%M} New York>" if self._history.count
                else f"<market[{self.symbol!r}] no bar yet>")


class Market(dict):
    """``market``/``data_contexts``: symbol -> ``SymbolData`` for every symbol of the backtest (read-only)."""

    def __missing__(self, key):
        if isinstance(key, str) and key.strip().upper() in self:
            return self[key.strip().upper()]
        raise KeyError(
            f"market[{key!r}]: {key!r} is not among this backtest's symbols {sorted(self)}; "
            f"pass it in `symbols` or BACKTEST_CONFIG['symbols']"
        )

    def _read_only(self, *args, **kwargs):
        raise TypeError("`market` is read-only; keep your own values in `memory`")

    __setitem__ = __delitem__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only
