"""Bars and settings as the arrays the kernels take (the only place that converts pandas to arrays)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import BarData, session_dates
from ..engine.config import BacktestConfig
from .enums import CFG_SIZE, CfgField, MarketArrays

__all__ = ["Market", "config_vector", "market_arrays"]


@dataclass(frozen=True)
class Market:
    """Every symbol's bars on the union of their bar times, as Fortran-ordered ``(bars, symbols)`` arrays
    (one symbol is padded with an empty column: see ``nb.py``).

    ``prices``/``volumes`` are the DataFrames ``generate_signals`` receives
    (NaN where a symbol has no bar); ``day`` numbers the New York sessions
    of ``days``, and ``session_end[d]`` is the row after session ``d``'s
    last bar; ``bench_close`` is the benchmark's close per session (NaN
    where it has none, empty without a benchmark).
    """

    symbols: list[str]
    index: pd.DatetimeIndex
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    has_bar: np.ndarray
    times: np.ndarray
    day: np.ndarray
    session_end: np.ndarray
    days: np.ndarray
    tod: np.ndarray
    bench_close: np.ndarray
    bench_note: str | None

    @property
    def n_bars(self) -> int:
        return len(self.index)

    @property
    def arrays(self) -> MarketArrays:
        """The arrays the kernels read."""
        return MarketArrays(self.open, self.close, self.has_bar, self.times, self.day, self.session_end, self.tod,
                            self.bench_close)

    @property
    def width(self) -> int:
        """Columns of the arrays: the symbols, padded to two with a column that never has a bar."""
        return self.close.shape[1]

    def frame(self, field: str) -> pd.DataFrame:
        """One field (``open``/``high``/``low``/``close``/``volume``) as a DataFrame: bar times x symbols."""
        values = getattr(self, field)[:, :len(self.symbols)]
        return pd.DataFrame(values, index=self.index, columns=list(self.symbols), copy=True)

    def sessions(self, lo: int, hi: int) -> int:
        """How many sessions rows ``[lo, hi)`` span (the length of a simulation's daily returns)."""
        return int(self.day[hi - 1] - self.day[lo] + 1) if hi > lo else 0

    def rows(self, first_day: int, stop_day: int) -> tuple[int, int]:
        """The row range of sessions ``[first_day, stop_day)`` (session numbers of ``days``)."""
        lo, hi = np.searchsorted(self.day, [first_day, stop_day])
        return int(lo), int(hi)


def market_arrays(bars: BarData, symbols: list[str], bench: pd.Series | None = None,
                  bench_note: str | None = None, time_of_day: bool = True) -> Market:
    """Align ``symbols``' frames of ``bars`` on one timeline (the engine's: every bar time of every symbol).

    ``time_of_day=False`` leaves ``tod`` zero (it is read only by the trading-hours rule).
    """
    frames = [bars.frames[s] for s in symbols]
    if all(f.index.equals(frames[0].index) for f in frames[1:]):
        index = frames[0].index
    else:
        union = np.unique(np.concatenate([f.index.as_unit("ns").asi8 for f in frames]))
        index = pd.DatetimeIndex(union.view("datetime64[ns]")).tz_localize("UTC")
    stamps = index.as_unit("ns").asi8
    n, m = len(index), max(len(symbols), 2)  # one symbol gets an empty second column (see nb.py)
    fields = {name: np.full((n, m), np.nan, order="F") for name in ("open", "high", "low", "close", "volume")}
    has_bar = np.zeros((n, m), dtype=np.bool_, order="F")
    for j, frame in enumerate(frames):
        rows = np.searchsorted(stamps, frame.index.as_unit("ns").asi8)
        has_bar[rows, j] = True
        for name, values in fields.items():
            values[rows, j] = frame[name].to_numpy(dtype=np.float64)
    dates = session_dates(index)
    days, day = np.unique(dates, return_inverse=True)
    if time_of_day:
        local = index.tz_convert("America/New_York")
        tod = ((local.hour.to_numpy(np.int64) * 3600 + local.minute.to_numpy(np.int64) * 60
                + local.second.to_numpy(np.int64)) * 1_000_000 + local.microsecond.to_numpy(np.int64))
    else:
        tod = np.zeros(n, dtype=np.int64)
    if bench is not None:
        bench_index = pd.DatetimeIndex(bench.index)
        if bench_index.tz is not None:
            bench_index = bench_index.tz_localize(None)
        closes = pd.Series(bench.to_numpy(dtype=np.float64), index=bench_index.normalize())
        bench_close = np.array(closes.reindex(pd.DatetimeIndex(days.astype("datetime64[ns]"))), dtype=np.float64)
    else:
        bench_close = np.empty(0)
    return Market(symbols=list(symbols), index=index, has_bar=has_bar, times=np.ascontiguousarray(stamps),
                  day=day.astype(np.int64), session_end=np.searchsorted(day, np.arange(len(days)), side="right"),
                  days=days, tod=np.ascontiguousarray(tod), bench_close=bench_close,
                  bench_note=bench_note, **fields)


def config_vector(config: BacktestConfig, quantity: float | None = None) -> np.ndarray:
    """The kernels' float config vector (``CfgField`` positions; NaN switches a limit off)."""
    config = config.resolved()
    risk = config.risk
    cfg = np.full(CFG_SIZE, np.nan)
    cfg[CfgField.INITIAL_CASH] = config.initial_cash
    cfg[CfgField.SLIPPAGE] = config.slippage_bps / 10_000
    cfg[CfgField.COMMISSION] = config.commission_per_share
    cfg[CfgField.SIZE_RATIO] = config.position_size_ratio
    cfg[CfgField.FIXED_QUANTITY] = _off(quantity)
    cfg[CfgField.MAX_ORDER_VALUE] = _off(risk.max_order_value)
    cfg[CfgField.MAX_SYMBOL_WEIGHT] = _off(risk.max_symbol_weight)
    cfg[CfgField.MAX_TOTAL_WEIGHT] = _off(risk.max_total_weight)
    cfg[CfgField.MIN_CASH_RATIO] = _off(risk.min_cash_ratio)
    cfg[CfgField.ALLOW_MARGIN] = 1.0 if risk.allow_margin else 0.0
    cfg[CfgField.MAX_DAILY_LOSS] = _off(risk.max_daily_loss)
    cfg[CfgField.MAX_DRAWDOWN] = _off(risk.max_drawdown)
    cfg[CfgField.MAX_PRICE_DEVIATION] = _off(risk.max_price_deviation)
    cfg[CfgField.DUPLICATE_WINDOW] = _off(risk.duplicate_window_seconds)
    cfg[CfgField.TRADING_HOURS] = 1.0 if risk.trading_hours else 0.0
    return cfg


def _off(value) -> float:
    return math.nan if value is None else float(value)
