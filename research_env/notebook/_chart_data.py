"""The numbers behind the report's charts, computed from a ``BacktestResult`` and kept apart from the traces.

Everything here is display arithmetic on what the engine already produced
(equity, fills, closes, bars): exposure, the benchmark at the strategy's
exposure, drawdown landmarks, downsampling that keeps extremes, candle
buckets, New York x values and the NYSE calendar's gaps as plotly
``rangebreaks``. Nothing here changes a result's numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import timeframe_delta

NEW_YORK = "America/New_York"

#: Above this many points a line is downsampled, keeping each bucket's first, lowest, highest and last point.
MAX_LINE_POINTS = 4000
#: Above this many bars candles are merged into coarser ones (within a session for intraday bars).
MAX_CANDLES = 3000
#: Up to this many candles are drawn as candlesticks; more as OHLC bars.
MAX_CANDLESTICKS = 600

_BUCKET_MINUTES = (15, 30, 60, 130, 390)
_OHLCV = ("open", "high", "low", "close", "volume")


def is_daily(timeframe: str) -> bool:
    """True for daily bars: their x values are session dates."""
    return str(timeframe).endswith("d")


def timeframe_minutes(timeframe: str) -> int:
    """Minutes per bar (``5m`` -> 5, ``1h`` -> 60), from the data layer's table of timeframes."""
    return int(timeframe_delta(timeframe) / pd.Timedelta(minutes=1))


def x_values(index, daily: bool) -> list[str]:
    """New York x values as text plotly reads as dates: session dates for daily bars, else wall-clock times."""
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert(NEW_YORK).tz_localize(None)
    return list(index.strftime("%Y-%m-%d" if daily else "%Y-%m-%d %H:%M:%S"))


# --- exposure and benchmark --------------------------------------------------------------------------


def exposure(result) -> pd.Series:
    """Gross exposure at each equity stamp: sum over symbols of |position| x close, over equity (a fraction).

    The position after a fill counts from the fill's bar on (the equity of that
    bar already holds it); closes are carried forward over a symbol's gaps.
    """
    timeline = pd.DatetimeIndex(result.equity.index)
    equity = result.equity.to_numpy(dtype=np.float64)
    gross = np.zeros(len(timeline))
    by_symbol: dict[str, list] = {}
    for fill in result.fills:
        by_symbol.setdefault(fill.symbol, []).append(fill)
    for symbol, fills in by_symbol.items():
        closes = result.closes.get(symbol)
        if closes is None or not len(closes):
            continue
        stamps = pd.DatetimeIndex([f.timestamp for f in fills])
        if stamps.tz is None:
            stamps = stamps.tz_localize("UTC")
        delta = np.zeros(len(timeline) + 1)
        at = timeline.searchsorted(stamps.tz_convert(timeline.tz) if timeline.tz is not None else stamps)
        signed = [f.quantity if str(f.side) == "BUY" else -f.quantity for f in fills]
        np.add.at(delta, at, signed)
        position = np.cumsum(delta[:-1])
        price = closes.reindex(timeline, method="ffill").to_numpy(dtype=np.float64)
        gross += np.abs(position) * np.nan_to_num(price)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(equity > 0, gross / equity, 0.0)
    return pd.Series(share, index=timeline, name="exposure")


def benchmark_returns(benchmark: pd.Series, weight: float = 1.0) -> pd.Series:
    """Cumulative return (fraction) of holding ``weight`` of equity in the benchmark, rebalanced each session.

    ``weight=1`` is the benchmark itself (last / first - 1).
    """
    close = benchmark.astype(float)
    if weight == 1.0:
        return close / close.iloc[0] - 1.0
    daily = close.pct_change().fillna(0.0)
    return (1.0 + weight * daily).cumprod() - 1.0


# --- drawdown landmarks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Landmarks:
    """Positions (into the equity series) of the peak, the deepest drawdown and the longest drawdown.

    ``longest`` is ``(start, end, recovered)``: from the last peak before
    equity fell to the first bar back at that peak (or the last bar), or None
    when equity never fell below its running peak; ``longest_level`` is that
    peak's equity (the initial cash when equity fell from the first bar on).
    """

    peak: int
    trough: int | None
    longest: tuple[int, int, bool] | None
    longest_days: float
    longest_level: float


def landmarks(equity: pd.Series, initial_cash: float) -> Landmarks:
    """Peak, deepest drawdown and longest drawdown of ``equity`` (running peak starting at ``initial_cash``)."""
    values = equity.to_numpy(dtype=np.float64)
    peak_level = np.maximum.accumulate(np.concatenate(([float(initial_cash)], values)))[1:]
    under = values < peak_level
    drawdown = values / peak_level - 1.0
    trough = int(np.argmin(drawdown)) if under.any() else None
    longest, longest_days, longest_level = None, 0.0, float(initial_cash)
    if under.any():
        times = pd.DatetimeIndex(equity.index)
        edges = np.diff(np.concatenate(([0], under.astype(np.int8), [0])))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for first, stop in zip(starts, stops, strict=True):
            begin = max(first - 1, 0)
            end = min(stop, len(values) - 1)
            days = (times[end] - times[begin]).total_seconds() / 86400.0
            if longest is None or days > longest_days:
                longest, longest_days = (int(begin), int(end), bool(stop < len(values))), days
                longest_level = float(peak_level[first])
    return Landmarks(peak=int(np.argmax(values)), trough=trough, longest=longest, longest_days=longest_days,
                     longest_level=longest_level)


# --- downsampling ------------------------------------------------------------------------------------


def extremes_positions(values: np.ndarray, limit: int = MAX_LINE_POINTS) -> np.ndarray:
    """Positions to draw of a long line: all of them up to ``limit``, else per bucket the first, lowest,
    highest and last point (so the drawn line keeps every extreme, the overall min and max included)."""
    n = len(values)
    if n <= limit:
        return np.arange(n)
    buckets = max(limit // 4, 1)
    size = math.ceil(n / buckets)
    padded = np.full(buckets * size, np.nan)
    padded[:n] = values
    grid = padded.reshape(buckets, size)
    rows = np.arange(buckets) * size
    valid = ~np.isnan(grid).all(axis=1)
    filled = np.where(np.isnan(grid), np.inf, grid)
    lows = rows + np.argmin(filled, axis=1)
    filled = np.where(np.isnan(grid), -np.inf, grid)
    highs = rows + np.argmax(filled, axis=1)
    lasts = np.minimum(rows + size - 1, n - 1)
    keep = np.concatenate((rows[valid], lows[valid], highs[valid], lasts[valid], [0, n - 1]))
    return np.unique(keep)


@dataclass(frozen=True)
class Candles:
    """Bars as drawn: maybe merged into coarser candles; ``label`` says how (``"5m"``, ``"1h"``, ``"1w"`` ...)."""

    frame: pd.DataFrame
    label: str
    merged: bool


def candles(bars: pd.DataFrame, timeframe: str, limit: int = MAX_CANDLES) -> Candles:
    """``bars`` (OHLCV, UTC close times) as at most ``limit`` candles.

    Intraday bars merge within a session into 15, 30, 60, 130 or 390 minutes
    (the first size that fits), then into weeks; daily bars into weeks, then
    months. A merged candle opens at its first bar's open, closes at its last
    bar's close (and takes its time), spans the highs and lows, sums volume.
    """
    frame = bars.loc[:, [c for c in _OHLCV if c in bars.columns]]
    if len(frame) <= limit:
        return Candles(frame, str(timeframe), False)
    local = pd.DatetimeIndex(frame.index).tz_convert(NEW_YORK)
    days = local.normalize().tz_localize(None).as_unit("ns")
    keys = []
    if not is_daily(timeframe):
        step = timeframe_minutes(timeframe)
        minutes = (local.hour * 60 + local.minute - (9 * 60 + 30)).to_numpy()
        for size in _BUCKET_MINUTES:
            if size > step and size % step == 0 or size == 390:
                slot = np.maximum(minutes - 1, 0) // size
                keys.append((_minutes_label(size), days.asi8 // 86_400_000_000_000 * 1000 + slot))
    week = (days - pd.to_timedelta(days.day_of_week, unit="D")).asi8
    keys.append(("1w", week))
    keys.append(("1mo", (days.year * 12 + days.month - 1).to_numpy()))
    for label, key in keys:
        groups = int(pd.unique(np.asarray(key)).size)
        if groups <= limit or label == "1mo":
            return Candles(_merge(frame, np.asarray(key)), label, True)
    raise AssertionError("unreachable: the monthly bucket always returns")


def _minutes_label(size: int) -> str:
    if size == 390:
        return "1d"
    return f"{size // 60}h" if size % 60 == 0 else f"{size}m"


def _merge(frame: pd.DataFrame, key: np.ndarray) -> pd.DataFrame:
    grouped = frame.groupby(key, sort=False)
    merged = pd.DataFrame({"open": grouped["open"].first(), "high": grouped["high"].max(),
                           "low": grouped["low"].min(), "close": grouped["close"].last()})
    if "volume" in frame.columns:
        merged["volume"] = grouped["volume"].sum()
    stamps = pd.Series(frame.index, index=key).groupby(level=0, sort=False).last()
    merged.index = pd.DatetimeIndex(stamps.loc[merged.index].to_numpy())
    return merged


# --- the trading calendar's gaps -------------------------------------------------------------------


def rangebreaks(start, end, daily: bool) -> list[dict]:
    """plotly ``rangebreaks`` that hide what the NYSE does not trade between ``start`` and ``end``.

    Weekends, every weekday without a session (holidays) and, for intraday
    bars, the nights (16:00 to 09:30) and the afternoons after early closes;
    a bar stamped at the close (16:00, 13:00) stays visible. Derived from
    ``research_env.data.sessions``.
    """
    from ..data import sessions

    table = sessions(start, end)
    if table.empty:
        return []
    first, last = table.index[0], table.index[-1]
    weekdays = pd.bdate_range(first, last)
    holidays = weekdays.difference(table.index)
    breaks: list[dict] = [{"bounds": ["sat", "mon"]}]
    if len(holidays):
        breaks.append({"values": list(holidays.strftime("%Y-%m-%d"))})
    if not daily:
        # Bars are stamped at their close: the 16:00 bar stays visible, the night break starts just after it.
        breaks.append({"bounds": [16.001, 9.5], "pattern": "hour"})
        close = table["close"].dt.tz_convert(NEW_YORK)
        early = close[(close.dt.hour * 60 + close.dt.minute) < 16 * 60]
        for stamp in early:
            gap = (16 * 60 - stamp.hour * 60 - stamp.minute) * 60_000 - 1000
            after = stamp + pd.Timedelta(seconds=1)
            breaks.append({"values": [after.strftime("%Y-%m-%d %H:%M:%S")], "dvalue": gap})
    return breaks
