"""The NYSE regular-session calendar (``exchange_calendars`` 'XNYS', 1990 to 2040)."""

from __future__ import annotations

import functools
import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._dates import NEW_YORK, date_bounds
from ._errors import BarDataError

__all__ = ["FIRST_DATE", "LAST_DATE", "SessionTable", "session_table", "sessions", "session_dates", "locate"]

FIRST_DATE = np.datetime64("1990-01-01", "D")
LAST_DATE = np.datetime64("2040-12-31", "D")


class SessionTable(NamedTuple):
    """Every session 1990-2040 as arrays: ``dates`` (datetime64[D]), ``open``/``close`` (int64 ns UTC)."""

    dates: np.ndarray
    open: np.ndarray
    close: np.ndarray


@functools.lru_cache(maxsize=1)
def _calendar():
    import exchange_calendars

    with warnings.catch_warnings():
        # exchange_calendars 4.13 uses a Series.values form that pandas 3.1 deprecates.
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        return exchange_calendars.get_calendar("XNYS", start=str(FIRST_DATE), end=str(LAST_DATE))


@functools.lru_cache(maxsize=1)
def session_table() -> SessionTable:
    """The cached session arrays (built from the cached calendar on first use)."""
    schedule = _calendar().schedule
    dates = schedule.index.values.astype("datetime64[D]")
    opens = pd.DatetimeIndex(schedule["open"]).as_unit("ns").asi8.copy()
    closes = pd.DatetimeIndex(schedule["close"]).as_unit("ns").asi8.copy()
    for array in (dates, opens, closes):
        array.flags.writeable = False
    return SessionTable(dates, opens, closes)


def check_supported(first: np.datetime64, stop: np.datetime64) -> None:
    """Raise ``BarDataError`` when ``[first, stop)`` leaves the supported 1990-2040 calendar."""
    if first < FIRST_DATE or stop > LAST_DATE + 1:
        raise BarDataError(
            f"dates {first} to {stop} are outside the supported calendar {FIRST_DATE} to {LAST_DATE}"
        )


def sessions(start: object, end: object) -> pd.DataFrame:
    """NYSE regular sessions with date in ``[start, end)`` (end excluded, like ``load_bars``).

    Index: session dates (naive midnight); columns ``open``, ``close`` (UTC), early closes included.
    """
    first, stop = date_bounds(start, end)
    check_supported(first, stop)
    table = session_table()
    lo, hi = np.searchsorted(table.dates, [first, stop])
    index = pd.DatetimeIndex(table.dates[lo:hi].astype("datetime64[ns]"), name="session")
    return pd.DataFrame(
        {
            "open": pd.DatetimeIndex(table.open[lo:hi].astype("datetime64[ns]")).tz_localize("UTC"),
            "close": pd.DatetimeIndex(table.close[lo:hi].astype("datetime64[ns]")).tz_localize("UTC"),
        },
        index=index,
    )


_DAY_NS = 86_400 * 10**9
_HOUR_NS = 3_600 * 10**9


def ny_dates(stamps_ns: np.ndarray) -> np.ndarray:
    """New York calendar date (datetime64[D]) of int64 ns UTC stamps.

    New York is 4 hours (daylight time) or 5 hours (standard time) behind UTC. Where both offsets give the
    same date, as for every stamp between 05:00 and 24:00 UTC (all regular-session bars), that is the date;
    only the other stamps go through the time-zone database.
    """
    stamps_ns = np.asarray(stamps_ns, dtype=np.int64)
    daylight = (stamps_ns - 4 * _HOUR_NS) // _DAY_NS
    dates = daylight.astype("datetime64[D]")
    unsure = daylight != (stamps_ns - 5 * _HOUR_NS) // _DAY_NS
    if unsure.any():
        dates[unsure] = _zone_dates(stamps_ns[unsure])
    return dates


def _zone_dates(stamps_ns: np.ndarray) -> np.ndarray:
    local = pd.DatetimeIndex(stamps_ns.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(NEW_YORK)
    return local.tz_localize(None).values.astype("datetime64[D]")


def session_dates(index: pd.DatetimeIndex) -> np.ndarray:
    """The New York session date (datetime64[D]) of each bar close time in a tz-aware ``index``.

    A close stamp of exactly 16:00 New York belongs to that day's session.
    """
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise BarDataError("`index` must be a tz-aware DatetimeIndex of bar close times (UTC)")
    return ny_dates(index.as_unit("ns").asi8)


def locate(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each date: its position in the session table and whether it is a session."""
    table = session_table()
    position = np.searchsorted(table.dates, dates)
    clipped = np.minimum(position, len(table.dates) - 1)
    return clipped, table.dates[clipped] == dates
