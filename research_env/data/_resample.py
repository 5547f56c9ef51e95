"""``resample``: aggregate bars to a coarser timeframe on session boundaries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._calendar import locate, ny_dates, session_table
from ._errors import BarDataError
from ._frame import BAR_COLUMNS, check_bars, empty_bars, make_bars
from ._timeframes import TIMEFRAMES, check_timeframe, timeframe_delta, timeframe_rank
from ._warn import warn

__all__ = ["resample", "infer_timeframe", "timeframe_of_spacing", "bucket_ends", "aggregate"]

_MINUTE_NS = 60_000_000_000


def bucket_ends(stamps: np.ndarray, timeframe: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For bar close stamps (int64 ns UTC): the close stamp of the ``timeframe`` bar each falls in.

    Intraday buckets are anchored on the session open and capped at the session close;
    ``"1d"`` buckets are the session close. Returns ``(bucket, on_session_day, in_session)``.
    """
    table = session_table()
    position, on_session_day = locate(ny_dates(stamps))
    opens, closes = table.open[position], table.close[position]
    in_session = on_session_day & (stamps > opens) & (stamps <= closes)
    if timeframe == "1d":
        return closes.copy(), on_session_day, in_session
    length = timeframe_delta(timeframe).value
    steps = -((opens - stamps) // length)  # ceil((stamp - open) / length)
    bucket = opens + steps * length
    bucket = np.where(in_session, np.minimum(bucket, closes), bucket)
    return bucket, on_session_day, in_session


def aggregate(bucket: np.ndarray, open_, high, low, close, volume) -> tuple[np.ndarray, ...]:
    """OHLCV of consecutive runs of equal ``bucket``: first, max, min, last, sum."""
    if len(bucket) == 0:
        return (np.empty(0, "int64"),) + tuple(np.empty(0) for _ in range(5))
    starts = np.concatenate(([0], np.flatnonzero(np.diff(bucket)) + 1))
    lasts = np.concatenate((starts[1:] - 1, [len(bucket) - 1]))
    return (
        bucket[starts],
        open_[starts],
        np.maximum.reduceat(high, starts),
        np.minimum.reduceat(low, starts),
        close[lasts],
        np.add.reduceat(volume, starts),
    )


def infer_timeframe(stamps: np.ndarray) -> str | None:
    """Guess the timeframe of sorted bar close stamps; ``None`` when the data cannot tell."""
    if len(stamps) < 2:
        return None
    dates = ny_dates(stamps)
    same_day = dates[1:] == dates[:-1]
    if not same_day.any():
        position, on_session_day = locate(dates)
        if (on_session_day & (stamps == session_table().close[position])).all():
            return "1d"
        return None
    return timeframe_of_spacing(np.diff(stamps)[same_day])


def timeframe_of_spacing(steps: np.ndarray, argument: str = "from_timeframe") -> str:
    """The timeframe whose length is the most common of ``steps`` (int64 ns), else ``BarDataError``."""
    values, counts = np.unique(steps, return_counts=True)
    common = int(values[np.argmax(counts)])
    for timeframe in TIMEFRAMES[:-1]:
        if timeframe_delta(timeframe).value == common:
            return timeframe
    raise BarDataError(
        f"the most common bar spacing is {common / _MINUTE_NS:g} minutes, which is not one of "
        f"{', '.join(TIMEFRAMES)}; pass `{argument}=` to say what the bars are"
    )


def resample(frame: pd.DataFrame, to_timeframe: str, *, from_timeframe: str | None = None) -> pd.DataFrame:
    """Aggregate a bar frame to the coarser ``to_timeframe`` without merging sessions.

    1h bars are anchored on the 09:30 open (the last one ends at the close); 1d gives one bar
    per session stamped at its close. ``from_timeframe`` is inferred from the spacing of the
    bars when not given (or read from ``frame.attrs["timeframe"]`` when the data cannot tell).
    """
    target = check_timeframe(to_timeframe, "to_timeframe")
    bars = check_bars(frame, symbol=None, origin="resample() input")
    source = from_timeframe or infer_timeframe(bars.index.asi8) or frame.attrs.get("timeframe")
    if source is None:
        if bars.empty:
            return empty_bars()
        raise BarDataError("cannot infer the timeframe of a one-bar frame; pass `from_timeframe=`")
    source = check_timeframe(source, "from_timeframe")
    if timeframe_rank(target) < timeframe_rank(source):
        raise BarDataError(
            f"cannot resample {source} bars to the finer {target}: resampling only aggregates; "
            f"load {target} data instead"
        )
    if target == source:
        return bars
    stamps = bars.index.asi8
    bucket, on_session_day, in_session = bucket_ends(stamps, target)
    keep = in_session if target == "1d" else on_session_day
    if not keep.all():
        dropped = np.flatnonzero(~keep)
        where = "outside regular sessions" if target == "1d" else "on non-trading days"
        warn(f"resample: dropped {len(dropped)} bar(s) {where}, first at {bars.index[dropped[0]]}")
    columns = [bars[name].to_numpy()[keep] for name in BAR_COLUMNS]
    return make_bars(*aggregate(bucket[keep], *columns))
