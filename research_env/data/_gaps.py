"""Sessions a range of bars misses, measured against the NYSE calendar."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ._calendar import check_supported, session_table
from ._dates import NEW_YORK

__all__ = ["SessionGap", "describe_gaps", "missing_sessions", "today"]


class SessionGap(NamedTuple):
    """Consecutive NYSE sessions without a single bar: ``first`` and ``last`` (ISO dates) and their count."""

    first: str
    last: str
    sessions: int

    def __str__(self) -> str:
        days = f"{self.sessions} session{'s' if self.sessions != 1 else ''}"
        span = self.first if self.first == self.last else f"{self.first} to {self.last}"
        return f"{span} ({days})"


def today() -> np.datetime64:
    """Today's New York date: sessions from today on cannot be complete yet."""
    return np.datetime64(pd.Timestamp.now(tz=NEW_YORK).date(), "D")


def expected_sessions(first: np.datetime64, stop: np.datetime64) -> np.ndarray:
    """Session dates in ``[first, stop)``."""
    if stop <= first:
        return np.empty(0, "datetime64[D]")
    check_supported(first, stop)
    dates = session_table().dates
    lo, hi = np.searchsorted(dates, [first, stop])
    return dates[lo:hi]


def missing_sessions(present: np.ndarray, first: np.datetime64, stop: np.datetime64) -> list[SessionGap]:
    """Runs of sessions in ``[first, stop)`` that none of the ``present`` session dates falls on.

    A session with any bar counts as present (a short intraday session is not a gap).
    """
    expected = expected_sessions(first, stop)
    missing = np.flatnonzero(~np.isin(expected, present))
    if not len(missing):
        return []
    breaks = np.flatnonzero(np.diff(missing) != 1) + 1
    return [
        SessionGap(str(expected[run[0]]), str(expected[run[-1]]), len(run)) for run in np.split(missing, breaks)
    ]


def describe_gaps(gaps: list[SessionGap], limit: int = 5) -> str:
    """``"2018-01-02 to 2018-12-31 (251 sessions), 2019-05-06 (1 session)"``, the first ``limit`` of them."""
    text = ", ".join(map(str, gaps[:limit]))
    if len(gaps) > limit:
        rest = gaps[limit:]
        text += f" and {len(rest)} more gap(s) of {sum(gap.sessions for gap in rest)} sessions"
    return text
