"""The bar lengths the project knows: ``TIMEFRAMES``, ``check_timeframe``, ``timeframe_delta``."""

from __future__ import annotations

import pandas as pd

from ._errors import BarDataError

__all__ = ["TIMEFRAMES", "check_timeframe", "timeframe_delta", "timeframe_rank"]

#: Valid timeframes, finest first.
TIMEFRAMES: tuple[str, ...] = ("1m", "5m", "15m", "30m", "1h", "1d")

_MINUTES = {"1m": 1, "5m": 5, "15m": 15, "30m": 30, "1h": 60, "1d": 1440}


def check_timeframe(timeframe: object, name: str = "timeframe") -> str:
    """Return ``timeframe`` if it is one of ``TIMEFRAMES``, else raise ``BarDataError`` listing them."""
    if isinstance(timeframe, str) and timeframe in _MINUTES:
        return timeframe
    raise BarDataError(f"`{name}`={timeframe!r} is not a timeframe; use one of {', '.join(TIMEFRAMES)}")


def timeframe_delta(timeframe: str) -> pd.Timedelta:
    """The nominal length of one bar (``"1d"`` is one day; the last hour bar of a session is shorter)."""
    return pd.Timedelta(minutes=_MINUTES[check_timeframe(timeframe)])


def timeframe_rank(timeframe: str) -> int:
    """Position in ``TIMEFRAMES`` (finer is smaller)."""
    return TIMEFRAMES.index(check_timeframe(timeframe))
