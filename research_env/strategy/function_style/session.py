"""``session``: where the current bar sits in its NYSE trading session and in the whole run.

``SessionCalendar`` is built once, before the first bar, from the run's bar
times: each bar gets its New York session date (``research_env.data.session_dates``),
whether it is the first or the last bar of that session in the data, and the
session's scheduled open and close from the NYSE calendar
(``research_env.data.sessions``). ``Session`` is the read-only view a strategy
function receives; it follows ``SessionCalendar.step``, which the adapter moves from bar to bar.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ...data import BarDataError, session_dates, sessions

__all__ = ["Session", "SessionCalendar"]

_NEW_YORK = ZoneInfo("America/New_York")


class SessionCalendar:
    """Per bar of the run (one per distinct bar time): session date, first/last-of-session flags, bounds.

    The per-bar lists are built on first use, so a strategy that never looks
    at sessions does not pay for them.
    """

    _LAZY = frozenset({"days", "opens", "closes", "number", "bounds"})

    def __init__(self, times: list[datetime]):
        self.step = 0  # the bar the run is at; the adapter moves it
        self.times = times
        self.total = len(times)

    def __getattr__(self, name):
        if name not in SessionCalendar._LAZY:
            raise AttributeError(name)
        self._build()
        return getattr(self, name)

    def _build(self) -> None:
        if not self.times:
            self.days, self.opens, self.closes, self.number, self.bounds = [], [], [], [], {}
            return
        days = session_dates(pd.DatetimeIndex(self.times))
        change = days[1:] != days[:-1]
        first = np.concatenate(([True], change))
        self.days: list[date] = days.tolist()
        self.opens: list[bool] = first.tolist()
        self.closes: list[bool] = np.concatenate((change, [True])).tolist()
        self.number: list[int] = (np.cumsum(first) - 1).tolist()
        self.bounds = _session_bounds(days[0], days[-1])


def _session_bounds(first: np.datetime64, last: np.datetime64) -> dict[date, tuple[datetime, datetime]]:
    """Scheduled open and close (New York time) of every NYSE session from ``first`` to ``last``."""
    try:
        table = sessions(str(first), str(last + np.timedelta64(1, "D")))
    except BarDataError:
        return {}  # outside the calendar's 1990-2040: the bounds stay unknown (None)
    opens = table["open"].dt.tz_convert(_NEW_YORK).dt.to_pydatetime()
    closes = table["close"].dt.tz_convert(_NEW_YORK).dt.to_pydatetime()
    return {day.date(): (o, c) for day, o, c in zip(table.index, opens, closes, strict=True)}


class Session:
    """The reference's ``session`` parameter, at the current bar (read-only)."""

    __slots__ = ("_calendar",)

    def __init__(self, calendar: SessionCalendar):
        object.__setattr__(self, "_calendar", calendar)

    def __setattr__(self, name, value):
        raise AttributeError(f"`session` is read-only (tried to set `{name}`); keep your own values in `memory`")

    @property
    def _k(self) -> int:
        return self._calendar.step

    @property
    def current_timestamp(self) -> datetime:
        """Close time of the current bar, in New York time."""
        return self._calendar.times[self._k].astimezone(_NEW_YORK)

    @property
    def current_date(self) -> date:
        """New York session date of the current bar."""
        return self._calendar.days[self._k]

    @property
    def current_time(self) -> time:
        """New York wall-clock time of the current bar's close (e.g. 09:31 for the first minute bar)."""
        return self.current_timestamp.time().replace(tzinfo=None)

    @property
    def is_market_open(self) -> bool:
        """True on the first bar of a session in the data (the bar ``on_market_open`` runs at)."""
        return self._calendar.opens[self._k]

    @property
    def is_market_close(self) -> bool:
        """True on the last bar of a session in the data (the bar ``on_market_close`` runs after)."""
        return self._calendar.closes[self._k]

    @property
    def minute_index(self) -> int:
        """0-based index of the current bar in the run (counts bars, whatever their length)."""
        return self._k

    @property
    def bars_remaining(self) -> int:
        """Bars still to come after the current one."""
        return self._calendar.total - self._k - 1

    @property
    def progress_pct(self) -> float:
        """Share of the run's bars processed, in percent: 100.0 at the last bar."""
        return (self._k + 1) * 100.0 / self._calendar.total

    @property
    def session_index(self) -> int:
        """0-based number of the current session in the run."""
        return self._calendar.number[self._k]

    @property
    def session_open(self) -> datetime | None:
        """Scheduled NYSE open of the current session, New York time (None outside the calendar)."""
        bounds = self._calendar.bounds.get(self.current_date)
        return bounds[0] if bounds else None

    @property
    def session_close(self) -> datetime | None:
        """Scheduled NYSE close (13:00 on early-close days), New York time (None outside the calendar)."""
        bounds = self._calendar.bounds.get(self.current_date)
        return bounds[1] if bounds else None

    def __repr__(self) -> str:
        return (f"<session {self.current_timestamp:%Y-%m-%d %H:%M} New York, bar {self._k + 1} of "
                f"{self._calendar.total}>")
