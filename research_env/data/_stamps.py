"""Parse source time stamps and turn them into bar close stamps on the session calendar."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ._calendar import locate, ny_dates, session_table
from ._errors import BarDataError
from ._timeframes import timeframe_delta

__all__ = ["Stamps", "parse_stamps", "close_stamps"]

_OFFSET_ONLY = r"\s*(?:Z|[+-]\d\d:?\d\d)$"
_AWARE = r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d:?\d\d)$"
_EPOCH_UNITS = ((10**17, 1), (10**14, 1_000), (10**11, 1_000_000), (0, 1_000_000_000))


class Stamps(NamedTuple):
    """Parsed stamps: int64 ns UTC, or with ``dates_only`` the dates as naive-midnight ns."""

    ns: np.ndarray
    dates_only: bool


class _Where(NamedTuple):
    origin: str
    lines: np.ndarray
    row_word: str

    def at(self, i: int) -> str:
        return f"{self.row_word} {self.lines[i]}"


def _fail_at(where: _Where, bad: np.ndarray, values, what: str, fix: str) -> BarDataError:
    i = int(np.flatnonzero(bad)[0])
    value = values.iloc[i] if isinstance(values, pd.Series) else values[i]
    return BarDataError(f"`{where.origin}`: {what} {value!r} at {where.at(i)}; {fix}")


def _naive(wall: pd.DatetimeIndex, tz: str, where: _Where, values) -> Stamps:
    if (wall == wall.normalize()).all():
        return Stamps(wall.as_unit("ns").asi8, True)
    local = wall.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    if local.isna().any():
        raise _fail_at(
            where,
            np.asarray(local.isna()),
            values,
            "ambiguous or non-existent local time",
            f"it falls in a daylight-saving change in {tz}; use UTC stamps or offsets",
        )
    return Stamps(local.tz_convert("UTC").as_unit("ns").asi8, False)


def _parse_text(values: pd.Series, tz: str, where: _Where) -> Stamps:
    text = values.astype(str).str.strip()
    if text.str.fullmatch(r"\d+").all():
        return _parse_numbers(text.astype("int64").to_numpy(), tz, where)
    aware = text.str.contains(_AWARE, regex=True).to_numpy()
    if aware.any() and not aware.all():
        first = int(np.flatnonzero(aware != aware[0])[0])
        kinds = ("has no UTC offset", "has one") if aware[0] else ("has a UTC offset", "has none")
        raise BarDataError(
            f"`{where.origin}`: {where.at(first)} {text.iloc[first]!r} {kinds[0]} but {where.at(0)} "
            f"{text.iloc[0]!r} {kinds[1]}; make all stamps one kind"
        )
    if aware.all():
        stamps = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")
        bare = text.str.replace(_OFFSET_ONLY, "", regex=True)
        wall = pd.to_datetime(bare, format="ISO8601", errors="coerce")
        if stamps.isna().any() or wall.isna().any():
            bad = (stamps.isna() | wall.isna()).to_numpy()
            raise _fail_at(
                where, bad, text, "unreadable time stamp", "use ISO 8601, e.g. 2024-01-02 09:30:00"
            )
        wall = pd.DatetimeIndex(wall)
        if (wall == wall.normalize()).all():
            return Stamps(wall.as_unit("ns").asi8, True)
        return Stamps(pd.DatetimeIndex(stamps).as_unit("ns").asi8, False)
    try:
        wall = pd.to_datetime(text, format="ISO8601")
    except (ValueError, TypeError):
        wall = pd.to_datetime(text, errors="coerce")
        if wall.isna().any():
            raise _fail_at(
                where,
                wall.isna().to_numpy(),
                text,
                "unreadable time stamp",
                "use ISO 8601, e.g. 2024-01-02 09:30:00",
            ) from None
    return _naive(pd.DatetimeIndex(wall), tz, where, text)


def _parse_numbers(numbers: np.ndarray, tz: str, where: _Where) -> Stamps:
    numbers = numbers.astype("int64")
    if ((numbers >= 19000101) & (numbers <= 21001231)).all():
        wall = pd.to_datetime(pd.Series(numbers.astype(str)), format="%Y%m%d", errors="coerce")
        if not wall.isna().any():
            return Stamps(pd.DatetimeIndex(wall).as_unit("ns").asi8, True)
    biggest = int(np.abs(numbers).max()) if len(numbers) else 0
    factor = next(f for floor, f in _EPOCH_UNITS if biggest >= floor)
    ns = numbers * factor
    local = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC").tz_convert(tz).tz_localize(None)
    if (local == local.normalize()).all():
        return Stamps(local.as_unit("ns").asi8, True)
    return Stamps(ns, False)


def parse_stamps(values: pd.Series, *, tz: str, origin: str, lines: np.ndarray, row_word: str) -> Stamps:
    """Parse a time-stamp column (text, epoch numbers or datetimes) to ``Stamps``.

    Naive stamps are read in ``tz``; offset-aware ones are converted; stamps that are all
    midnight (in their own time zone) are dates, i.e. daily bars.
    """
    where = _Where(origin, lines, row_word)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        wall = pd.DatetimeIndex(values).tz_localize(None)
        if (wall == wall.normalize()).all():
            return Stamps(wall.as_unit("ns").asi8, True)
        return Stamps(pd.DatetimeIndex(values).tz_convert("UTC").as_unit("ns").asi8, False)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _naive(pd.DatetimeIndex(values), tz, where, values.astype(str))
    if pd.api.types.is_integer_dtype(values.dtype):
        return _parse_numbers(values.to_numpy(), tz, where)
    if values.dtype == object and len(values) and not isinstance(values.iloc[0], str):
        try:
            converted = pd.to_datetime(values, utc=False)
        except (ValueError, TypeError) as e:
            raise BarDataError(f"`{origin}`: the time-stamp column holds {type(values.iloc[0])}") from e
        return parse_stamps(converted, tz=tz, origin=origin, lines=lines, row_word=row_word)
    return _parse_text(values, tz, where)


def close_stamps(
    stamps: Stamps, timeframe: str, convention: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bar close stamps (int64 ns UTC) with masks ``(on_session_day, in_session)``.

    Daily bars close at their session's close. Intraday stamps that are bar starts get the
    bar length added, capped at the session close for bars that start inside the session.
    """
    table = session_table()
    if stamps.dates_only or timeframe == "1d":
        dates = stamps.ns.view("datetime64[ns]").astype("datetime64[D]") if stamps.dates_only else None
        if dates is None:
            dates = ny_dates(stamps.ns)
        position, on_session_day = locate(dates)
        return table.close[position], on_session_day, on_session_day
    length = timeframe_delta(timeframe).value
    probe = stamps.ns if convention == "start" else stamps.ns - 1
    position, on_session_day = locate(ny_dates(probe))
    opens, closes = table.open[position], table.close[position]
    if convention == "start":
        in_session = on_session_day & (stamps.ns >= opens) & (stamps.ns < closes)
        ends = stamps.ns + length
        return np.where(in_session, np.minimum(ends, closes), ends), on_session_day, in_session
    in_session = on_session_day & (stamps.ns > opens) & (stamps.ns <= closes)
    return stamps.ns.copy(), on_session_day, in_session
