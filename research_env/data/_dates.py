"""Turn user-given ``start``/``end`` values into New York calendar dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ._errors import BarDataError

__all__ = ["NEW_YORK", "to_ny_date", "date_bounds"]

NEW_YORK = "America/New_York"


def to_ny_date(value: object, name: str) -> np.datetime64:
    """The New York date of a date, timestamp or ``"YYYY-MM-DD"`` string, as ``datetime64[D]``.

    Naive values are read as New York wall time; tz-aware ones are converted first.
    """
    if isinstance(value, (str, dt.date, np.datetime64, pd.Timestamp)):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError) as e:
            raise BarDataError(f"`{name}`={value!r} is not a date; use 'YYYY-MM-DD' or a Timestamp") from e
        if stamp is not pd.NaT:
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert(NEW_YORK).tz_localize(None)
            return np.datetime64(stamp.date(), "D")
    raise BarDataError(f"`{name}`={value!r} is not a date; use 'YYYY-MM-DD' or a Timestamp")


def date_bounds(start: object, end: object) -> tuple[np.datetime64, np.datetime64]:
    """``(start, end)`` as New York dates for the half-open range ``[start, end)``; checks the order."""
    first, stop = to_ny_date(start, "start"), to_ny_date(end, "end")
    if stop <= first:
        raise BarDataError(
            f"`end` ({stop}) must be after `start` ({first}): the range is [start, end), end excluded"
        )
    return first, stop
