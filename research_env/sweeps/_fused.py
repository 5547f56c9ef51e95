"""Fused rules: each distinct indicator of a sweep computed once, and per combination the columns and bounds
the kernel reads (``nb.sweep_fused_nb``) instead of calling ``generate_signals``."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import talib

from ..errors import InputError
from ..strategy.vectorized import (
    BollingerReversion,
    MovingAverageCross,
    RsiThreshold,
    VectorizedStrategy,
    apply_columns,
    band_width,
    indicator_period,
    present_rows,
    signal_defaults,
)
from .enums import N_FUSED_COLS, N_FUSED_LEVELS, FusedCol, FusedLevel, SignalSource

__all__ = ["FusedInputs", "fused_inputs", "fused_parameters"]

FUSED_RULES = (MovingAverageCross, RsiThreshold, BollingerReversion)


class FusedInputs(NamedTuple):
    """What ``nb.sweep_fused_nb`` reads: the rule's ``SignalSource``, the distinct indicator series (bars,
    series x width), and per combination the columns (``FusedCol``), bounds (``FusedLevel``) and warm-up."""

    source: int
    series: np.ndarray
    cols: np.ndarray
    levels: np.ndarray
    warmup: np.ndarray


def rule_parameters(rule) -> list[str]:
    """The ``generate_signals`` parameters a fused rule reads."""
    if isinstance(rule, MovingAverageCross):
        return [rule.fast, rule.slow]
    if isinstance(rule, RsiThreshold):
        return [rule.period, rule.oversold, rule.overbought]
    return [rule.period, rule.std] + ([rule.rsi_filter] if rule.rsi_filter else [])


def fused_parameters(strategy: VectorizedStrategy, combos: list[dict]) -> list[dict] | None:
    """Each combination's values of the strategy's fused-rule parameters, or ``None`` when the strategy has no
    fused rule, the grid moves a parameter the rule does not read, or a parameter has no value. A moving-average
    cross needs both periods in the grid; the other rules take ``generate_signals`` defaults for the rest."""
    rule = getattr(strategy, "fused", None)
    if not isinstance(rule, FUSED_RULES):
        return None
    names = rule_parameters(rule)
    if any(set(c) - set(names) for c in combos):
        return None
    if isinstance(rule, MovingAverageCross):
        return combos if all(all(n in c for n in names) for c in combos) else None
    defaults = signal_defaults(strategy)
    if any(n not in defaults and any(n not in c for c in combos) for n in names):
        return None
    return [{n: c.get(n, defaults.get(n)) for n in names} for c in combos]


def fused_inputs(rule, params: list[dict], close: np.ndarray, width: int) -> FusedInputs:
    """The kernel inputs of ``rule`` for each combination's ``params``; ``close`` holds the real symbols'
    closes (bars, symbols) and ``width`` the market's column count (padded)."""
    book = _SeriesBook(close, width)
    n = len(params)
    cols = np.full((n, N_FUSED_COLS), -1, dtype=np.int64)
    levels = np.full((n, N_FUSED_LEVELS), np.nan)
    warmup = np.empty((n, 2), dtype=np.int64)
    warmup[:, 1] = rule.max_history
    for k, p in enumerate(params):
        if isinstance(rule, MovingAverageCross):
            fast = indicator_period(p[rule.fast], rule.fast)
            slow = indicator_period(p[rule.slow], rule.slow)
            cols[k, FusedCol.FAST] = book.column(rule.average, fast)
            cols[k, FusedCol.SLOW] = book.column(rule.average, slow)
            warmup[k, 0] = slow
        elif isinstance(rule, RsiThreshold):
            period = indicator_period(p[rule.period], rule.period)
            cols[k, FusedCol.VALUE] = book.column("rsi", period)
            levels[k, FusedLevel.LOWER] = _number(p[rule.oversold], rule.oversold)
            levels[k, FusedLevel.UPPER] = _number(p[rule.overbought], rule.overbought)
            warmup[k, 0] = period + 1
        else:
            period = indicator_period(p[rule.period], rule.period)
            std = band_width(p[rule.std])
            cols[k, FusedCol.VALUE] = book.column("close")
            cols[k, FusedCol.LOWER] = book.column("lower", period, std)
            cols[k, FusedCol.UPPER] = book.column("upper", period, std)
            if rule.rsi_filter and p[rule.rsi_filter]:
                cols[k, FusedCol.FILTER] = book.column("rsi", rule.rsi_period)
                levels[k, FusedLevel.FILTER_BELOW] = rule.rsi_below
            warmup[k, 0] = period + rule.warmup
    return FusedInputs(_source(rule), book.series(), cols, levels, warmup)


def _source(rule) -> int:
    if isinstance(rule, MovingAverageCross):
        return SignalSource.CROSS_GUIDE if rule.rule == "guide" else SignalSource.CROSS_STRICT
    return SignalSource.LEVELS_STRICT if isinstance(rule, RsiThreshold) else SignalSource.LEVELS_INCLUSIVE


def _number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"`{name}` must be a number, got {value!r}")
    return float(value)


class _SeriesBook:
    """Distinct indicator series: each gets its series number on first use, and ``series()`` computes each once
    with the helpers' arithmetic (``apply_columns``), straight into one block."""

    def __init__(self, close: np.ndarray, width: int):
        self.close = close
        self.width = width
        self.keys: dict[tuple, int] = {}

    def column(self, kind: str, *args) -> int:
        """The series number of ``kind`` (``sma``, ``ema``, ``rsi``, ``lower``, ``upper``, ``close``) and
        its arguments."""
        key = (kind, *args)
        if key not in self.keys:
            if kind in ("lower", "upper"):  # one BBANDS call gives both
                self.keys[("lower", *args)] = len(self.keys)
                self.keys[("upper", *args)] = len(self.keys)
            else:
                self.keys[key] = len(self.keys)
        return self.keys[key]

    def series(self) -> np.ndarray:
        """Every series, series ``i`` in columns ``[i * width, i * width + symbols)``; NaN in the padding."""
        n_sym = self.close.shape[1]
        out = np.empty((self.close.shape[0], max(len(self.keys), 1) * self.width), order="F")
        if self.width > n_sym or not self.keys:
            out.fill(np.nan)
        present = present_rows([self.close])

        def block(key: tuple) -> np.ndarray:
            i = self.keys[key]
            return out[:, i * self.width:i * self.width + n_sym]

        for (kind, *args) in self.keys:
            if kind == "lower":
                period, std = args
                middle = np.empty(self.close.shape, order="F")  # the kernel reads only the bands
                apply_columns(talib.BBANDS, [self.close], 3, out=[block(("upper", *args)), middle,
                                                                  block(("lower", *args))], present=present,
                              timeperiod=period, nbdevup=std, nbdevdn=std, matype=0)
            elif kind == "close":
                block(("close",))[:] = self.close
            elif kind != "upper":
                function = {"sma": talib.SMA, "ema": talib.EMA, "rsi": talib.RSI}[kind]
                apply_columns(function, [self.close], out=[block((kind, *args))], present=present,
                              timeperiod=args[0])
        return out
