"""Vectorized strategies (guide section 7): signals for a whole price history at once.

A ``VectorizedStrategy`` turns close prices and volumes (DataFrames: index =
bar time, one column per symbol) into boolean ``entries`` and ``exits`` of the
same shape. The sweep simulates them with the bar-by-bar engine's rules: an
entry at a bar's close buys at the next bar's open when the symbol is flat, an
exit sells the whole position.

The indicator helpers take and return DataFrames (or Series) and compute each
column with TA-Lib over that column's own bars, so their values are exactly
those ``Indicators`` gives a class-based strategy over the same bars, warm-up
NaNs included. Rows where a symbol has no bar (NaN) stay NaN and are skipped,
like bars the symbol never had. Inside ``indicator_cache()`` (every sweep
opens one) each distinct indicator of the sweep's frames is computed once and
handed out read-only (see ``_indicator_cache``).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import talib

from ..errors import InputError
from ._indicator_cache import active_cache, indicator_cache
from ._sweep_frame import SweepFrame, float_block, float_values, sweep_frame

__all__ = [
    "BollingerReversion",
    "MovingAverageCross",
    "RsiThreshold",
    "VectorizedStrategy",
    "atr",
    "band_width",
    "bollinger_bands",
    "ema",
    "indicator_cache",
    "indicator_period",
    "rsi",
    "signal_defaults",
    "sma",
]


class VectorizedStrategy:
    """Base of vectorized strategies: override ``generate_signals``.

    ``name`` should match the class-based twin's name; ``param_schema`` maps
    each tunable parameter to its ``(min, max)`` (for display and checks).
    Optional ``symbols`` and ``timeframe`` give defaults to sweeps. A
    strategy whose rule is a plain moving-average crossover may also set
    ``fused`` to a ``MovingAverageCross``: sweeps then run it on one fused
    kernel that computes each distinct average once, instead of calling
    ``generate_signals`` for every combination (both give the same numbers);
    ``RsiThreshold`` and ``BollingerReversion`` are the other fused rules.
    """

    name: str = ""
    param_schema: dict[str, tuple] = {}
    symbols: list[str] | None = None
    timeframe: str | None = None
    fused: MovingAverageCross | RsiThreshold | BollingerReversion | None = None

    def generate_signals(self, prices: pd.DataFrame, volumes: pd.DataFrame, **params) -> tuple[pd.DataFrame,
                                                                                                 pd.DataFrame]:
        """Return ``(entries, exits)``: boolean DataFrames shaped like ``prices``."""
        raise NotImplementedError(f"{type(self).__name__} must implement generate_signals(prices, volumes, **params)")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def signal_defaults(strategy: VectorizedStrategy) -> dict:
    """The parameters ``strategy.generate_signals`` declares with a default, and their defaults."""
    signature = inspect.signature(strategy.generate_signals)
    return {name: p.default for name, p in signature.parameters.items() if p.default is not inspect.Parameter.empty}


@dataclass(frozen=True)
class MovingAverageCross:
    """A fused rule: enter when the ``fast`` average rises above the ``slow`` one, exit when it falls below.

    ``fast`` and ``slow`` name the period parameters; ``average`` is ``"sma"``
    or ``"ema"``. ``rule="guide"`` is the guide's ``DualMaCrossoverStrategy``:
    once a symbol has ``slow`` bars (of the ``max_history`` it keeps), each bar
    compares fast > slow with the previous bar's comparison; a change to
    true enters, a change to false exits. ``rule="strict"`` is the usual
    crossover of vectorized libraries: fast > slow now, and fast was strictly
    below slow at some bar since both averages exist, with no bar of fast >
    slow in between (exits mirror it).
    """

    fast: str = "fast_period"
    slow: str = "slow_period"
    average: str = "sma"
    rule: str = "guide"
    max_history: int = 500

    def __post_init__(self):
        if self.average not in ("sma", "ema"):
            raise InputError(f"MovingAverageCross `average` must be 'sma' or 'ema', got {self.average!r}")
        if self.rule not in ("guide", "strict"):
            raise InputError(f"MovingAverageCross `rule` must be 'guide' or 'strict', got {self.rule!r}")


@dataclass(frozen=True)
class RsiThreshold:
    """A fused rule: enter while RSI(``period``) is below ``oversold``, exit while it is above ``overbought``,
    once a symbol has ``period + 1`` bars (of the ``max_history`` it keeps): the bundled ``rsi_mean_reversion``.

    Each field names a parameter of ``generate_signals``; one the grid does not move takes its default there.
    """

    period: str = "rsi_period"
    oversold: str = "oversold"
    overbought: str = "overbought"
    max_history: int = 500


@dataclass(frozen=True)
class BollingerReversion:
    """A fused rule: enter when the close is at or below the lower Bollinger band (TA-Lib ``BBANDS`` of
    ``period`` and ``std``), exit at or above the upper band, once a symbol has ``period + warmup`` bars (of
    the ``max_history`` it keeps): the bundled ``bollinger_mean_reversion``.

    While the ``rsi_filter`` parameter is true, entries also need RSI(``rsi_period``) below ``rsi_below``, and
    no signal is given while that RSI is undefined (``rsi_filter=None``: no such parameter, no filter). Each
    field naming a parameter takes its ``generate_signals`` default when the grid does not move it.
    """

    period: str = "bb_period"
    std: str = "bb_std"
    rsi_filter: str | None = "rsi_filter"
    rsi_period: int = 14
    rsi_below: float = 40.0
    warmup: int = 5
    max_history: int = 500


# --- helpers -------------------------------------------------------------------------------------------


def sma(series, period: int):
    """Simple moving average (TA-Lib ``SMA``) of each column."""
    return _per_column(talib.SMA, (series,), timeperiod=indicator_period(period, "sma"))


def ema(series, period: int):
    """Exponential moving average (TA-Lib ``EMA``, seeded with the first SMA) of each column."""
    return _per_column(talib.EMA, (series,), timeperiod=indicator_period(period, "ema"))


def rsi(series, period: int = 14):
    """Relative Strength Index (TA-Lib ``RSI``, Wilder smoothing), 0-100, of each column."""
    return _per_column(talib.RSI, (series,), timeperiod=indicator_period(period, "rsi"))


def atr(high, low, close, period: int = 14):
    """Average True Range (TA-Lib ``ATR``) of each column of ``high``/``low``/``close``."""
    return _per_column(talib.ATR, (high, low, close), timeperiod=indicator_period(period, "atr"))


def bollinger_bands(series, period: int = 20, std_dev: float = 2.0):
    """``(upper, mid, lower)`` Bollinger Bands (TA-Lib ``BBANDS``, SMA middle, population std)."""
    std_dev = band_width(std_dev)
    return _per_column(talib.BBANDS, (series,), outputs=3, timeperiod=indicator_period(period, "bollinger_bands"),
                       nbdevup=std_dev, nbdevdn=std_dev, matype=0)


def _per_column(function, inputs: tuple, outputs: int = 1, **settings):
    """``function`` over each column's rows where every input is a number; NaN elsewhere."""
    frames = [_as_frame(x, i) for i, x in enumerate(inputs)]
    first = frames[0]
    for other in frames[1:]:
        if other.shape != first.shape:
            raise InputError(f"inputs must have the same shape; got {first.shape} and {other.shape}")
    cache = active_cache()
    if cache is None:
        results = apply_columns(function, [float_values(f) for f in frames], outputs, **settings)
    else:
        source = float_block(first) if len(frames) == 1 else None
        arrays = [source.T] if source is not None else [float_values(f) for f in frames]
        results = cache.results(function, {"outputs": outputs, **settings}, arrays,
                                lambda: apply_columns(function, arrays, outputs, **settings), source=source)
    wrapped = tuple(_wrap(out, inputs[0]) for out in results)
    return wrapped if outputs > 1 else wrapped[0]


def apply_columns(function, arrays: list[np.ndarray], outputs: int = 1, out: list[np.ndarray] | None = None,
                  present: np.ndarray | None = None, **settings) -> list[np.ndarray]:
    """The helpers' arithmetic on plain ``(rows, columns)`` arrays: ``function`` (a TA-Lib function) over
    each column's rows where every input is a number, NaN elsewhere; one array per output, written into
    ``out`` when given (arrays of the inputs' shape, e.g. slices of one preallocated block). ``present``, when
    given, is ``present_rows(arrays)`` computed once for many calls on the same inputs."""
    shape = arrays[0].shape
    results = out if out is not None else [np.full(shape, np.nan, order="F") for _ in range(outputs)]
    if present is None:
        present = present_rows(arrays)
    wholes = present.all(axis=0)
    for j in range(shape[1]):
        columns = [np.ascontiguousarray(a[:, j]) for a in arrays]
        whole = wholes[j]
        rows = present[:, j]
        if out is not None and not whole:
            for result in results:
                result[:, j] = np.nan
        if not whole and not rows.any():
            continue
        values = function(*(c if whole else np.ascontiguousarray(c[rows]) for c in columns), **settings)
        for result, part in zip(results, values if outputs > 1 else (values,), strict=True):
            if whole:
                result[:, j] = part
            else:
                result[rows, j] = part
    return results


def present_rows(arrays: list[np.ndarray]) -> np.ndarray:
    """Where every one of ``arrays`` (the same shape) holds a number: the rows ``apply_columns`` computes."""
    present = ~np.isnan(arrays[0])
    for values in arrays[1:]:
        present &= ~np.isnan(values)
    return present


def _as_frame(x, position: int) -> pd.DataFrame:
    if isinstance(x, pd.DataFrame):
        return x
    if isinstance(x, pd.Series):
        return x.to_frame()
    raise TypeError(f"indicator input {position + 1} must be a pandas DataFrame or Series, got {type(x).__name__}")


def _wrap(values: np.ndarray, like):
    """``values`` (not copied: a cached result stays read-only) with the axes of the input ``like`` (a sweep's
    ``SweepFrame`` gives one)."""
    if isinstance(like, pd.Series):
        return pd.Series(values[:, 0], index=like.index, name=like.name, copy=False)
    if isinstance(like, SweepFrame):
        return sweep_frame(values, like.index, like.columns)
    return pd.DataFrame(values, index=like.index, columns=like.columns, copy=False)


def band_width(value) -> float:
    """A Bollinger width in standard deviations (a number >= 0), or an ``InputError``."""
    try:
        width = float(value)
    except (TypeError, ValueError):
        width = math.nan
    if not math.isfinite(width) or width < 0:
        raise InputError(f"`std_dev` of bollinger_bands must be a number >= 0, got {value!r}")
    return width


def indicator_period(value, name: str) -> int:
    """``value`` as a positive whole number of bars, or an ``InputError`` naming ``name``."""
    try:
        period = int(value)
    except (TypeError, ValueError):
        period = None
    if period is None or period != value or period < 1 or isinstance(value, bool):
        raise InputError(f"`{name}` period must be a positive whole number, got {value!r}")
    return period
