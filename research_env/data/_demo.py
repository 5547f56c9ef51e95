"""``demo_bars``: deterministic synthetic bars on the real NYSE calendar."""

from __future__ import annotations

import functools
import zlib

import numpy as np
import pandas as pd

from ._calendar import check_supported, session_table
from ._dates import date_bounds
from ._frame import empty_bars, make_bars
from ._resample import aggregate, bucket_ends
from ._symbols import normalize_symbol
from ._timeframes import check_timeframe

__all__ = ["demo_bars"]

_MINUTE_NS = 60_000_000_000
_DAILY_SIGMA = 0.012  # daily log-return volatility
_DRIFT = 0.0002  # daily log drift of the trend
_REVERSION = 0.002  # pull of the log level back to its trend, per session
_GAP_SIGMA = 0.003  # overnight gap
_MINUTE_SIGMA = 0.010 / np.sqrt(390)  # intraday noise per minute
_CHUNK = 256  # sessions generated at a time


def _seed(symbol: str) -> int:
    return zlib.crc32(symbol.encode("utf-8"))


@functools.lru_cache(maxsize=64)
def _daily_path(symbol: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Log open and log close of every session of the table, and the symbol's daily volume."""
    seed = _seed(symbol)
    count = len(session_table().dates)
    shocks = np.random.default_rng(seed).standard_normal((2, count))
    level = np.log(20.0 + seed % 181)
    trend = level + _DRIFT * np.arange(count)
    deviation = np.empty(count)
    value = 0.0
    for i, shock in enumerate((_DAILY_SIGMA * shocks[0]).tolist()):
        value = value * (1.0 - _REVERSION) + shock
        deviation[i] = value
    log_close = trend + deviation
    log_open = np.concatenate(([level], log_close[:-1])) + _GAP_SIGMA * shocks[1]
    volume = 10 ** (5.5 + 1.5 * ((seed >> 8) % 1000) / 1000)
    log_open.flags.writeable = log_close.flags.writeable = False  # shared through the cache
    return log_open, log_close, float(volume)


def _minute_bars(symbol: str, positions: np.ndarray) -> tuple[np.ndarray, ...]:
    """1-minute bars (close stamps, open, high, low, close, volume) of the sessions at ``positions``."""
    table = session_table()
    seed = _seed(symbol)
    log_open, log_close, daily_volume = _daily_path(symbol)
    lengths = ((table.close[positions] - table.open[positions]) // _MINUTE_NS).astype("int64")
    total = int(lengths.sum())
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    noise = np.empty((4, total))
    days = table.dates[positions].astype("int64")
    for position_day, start, length in zip(days.tolist(), starts.tolist(), lengths.tolist(), strict=True):
        rng = np.random.default_rng([seed, position_day])
        block = noise[:, start : start + length]
        block[:] = rng.standard_normal((4, length))
        block[0] = np.cumsum(block[0] * _MINUTE_SIGMA)  # a random walk, restarted every session
    session = np.repeat(np.arange(len(positions)), lengths)
    step = np.arange(total) - starts[session] + 1  # 1..N within each session
    fraction = step / lengths[session]
    walk = noise[0]
    bridge = walk - fraction * np.repeat(walk[starts + lengths - 1], lengths)
    lo, lc = log_open[positions][session], log_close[positions][session]
    path = lo + fraction * (lc - lo) + bridge
    previous = np.concatenate(([0.0], path[:-1]))
    previous[starts] = log_open[positions]
    close = np.exp(path)
    open_ = np.exp(previous)
    high = np.maximum(open_, close) * np.exp(np.abs(noise[1]) * _MINUTE_SIGMA * 0.5)
    low = np.minimum(open_, close) * np.exp(-np.abs(noise[2]) * _MINUTE_SIGMA * 0.5)
    profile = 1.0 + 8.0 * (fraction - 0.5) ** 2  # busier at the open and the close
    volume = daily_volume / 390 * profile * np.exp(0.5 * noise[3] - 0.125)
    stamps = np.repeat(table.open[positions], lengths) + step * _MINUTE_NS
    return (
        stamps,
        np.round(open_, 2),
        np.round(high, 2),
        np.round(low, 2),
        np.round(close, 2),
        np.maximum(1.0, np.rint(volume)),
    )


def demo_bars(symbol: str, timeframe: str, start: object, end: object) -> pd.DataFrame:
    """Synthetic bars for any symbol on NYSE sessions with date in ``[start, end)``.

    Deterministic: a (symbol, timestamp) always gives the same bar whatever range is asked;
    every timeframe is aggregated from the same 1-minute path, so they agree with ``resample``.
    """
    name = normalize_symbol(symbol)
    timeframe = check_timeframe(timeframe)
    first, stop = date_bounds(start, end)
    check_supported(first, stop)
    lo, hi = np.searchsorted(session_table().dates, [first, stop])
    parts = []
    for chunk in range(lo, hi, _CHUNK):
        bars = _minute_bars(name, np.arange(chunk, min(chunk + _CHUNK, hi)))
        if timeframe != "1m":
            bars = aggregate(bucket_ends(bars[0], timeframe)[0], *bars[1:])
        parts.append(bars)
    if not parts:
        return empty_bars()
    return make_bars(*(np.concatenate(column) for column in zip(*parts, strict=True)))
