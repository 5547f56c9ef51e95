"""The simulator wrapper: vectorized strategies' signals in, kernel metrics (or one full run) out."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import talib

from ..strategy.vectorized import MovingAverageCross, VectorizedStrategy, apply_columns
from . import nb
from ._errors import SignalError
from ._market import Market
from .enums import DENIAL_DT, FILL_DT, N_METRICS, N_RULES, Outputs, SignalInputs, SignalSource

__all__ = ["VectorizedRunner", "check_signals"]

Progress = Callable[[int, int], None]

BATCH = 64
# placeholders for the kernel arguments a signal source does not use: 2 x 2 so they are Fortran-ordered only
_NO_MA = np.zeros((2, 2), order="F")
_NO_SIGNALS = np.zeros((2, 2), dtype=np.bool_, order="F")


class VectorizedRunner:
    """Runs one vectorized strategy over one ``Market`` for many parameter combinations.

    With a usable ``strategy.fused`` rule every distinct moving average is
    computed once and all combinations run in one fused kernel; otherwise
    ``generate_signals`` is called per combination and batches of signal
    matrices go to ``sweep_signals_nb``.
    """

    def __init__(self, strategy: VectorizedStrategy, market: Market, cfg: np.ndarray, *, fused: bool = True):
        self.strategy = strategy
        self.market = market
        self.cfg = cfg
        self.use_fused = fused
        self._frames: tuple[pd.DataFrame, pd.DataFrame] | None = None

    def _inputs(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``prices`` and ``volumes`` for ``generate_signals``, built on first use (the fused path needs none);
        the strategy also gets ``bars``, every field as a DataFrame (e.g. for ``atr``)."""
        if self._frames is None:
            m = self.market
            self.strategy.bars = {name: m.frame(name) for name in ("open", "high", "low", "close", "volume")}
            self._frames = (self.strategy.bars["close"], self.strategy.bars["volume"])
        return self._frames

    @property
    def name(self) -> str:
        return self.strategy.name or type(self.strategy).__name__

    def fused_rule(self, combos: list[dict]) -> MovingAverageCross | None:
        """The strategy's fused rule when the grid only moves its two periods, else ``None``."""
        rule = getattr(self.strategy, "fused", None)
        if not self.use_fused or not isinstance(rule, MovingAverageCross):
            return None
        if any(set(c) - {rule.fast, rule.slow} for c in combos) or any(
                rule.fast not in c or rule.slow not in c for c in combos):
            return None
        return rule

    # --- many combinations ------------------------------------------------
    def run(self, combos: list[dict], lo: int = 0, hi: int | None = None,
            progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Metrics ``(combos, N_METRICS)``, denials per rule ``(combos, N_RULES)`` and status bits of rows
        ``[lo, hi)``."""
        hi = self.market.n_bars if hi is None else hi
        metrics = np.empty((len(combos), N_METRICS))
        counts = np.zeros((len(combos), N_RULES), dtype=np.int64)
        status = np.zeros(len(combos), dtype=np.int64)
        m = self.market
        rule = self.fused_rule(combos)
        if rule is not None:
            ma, fast_col, slow_col, warmup = self._averages(rule, combos)
            source = SignalSource.CROSS_GUIDE if rule.rule == "guide" else SignalSource.CROSS_STRICT
            step = len(combos) if progress is None else max(16, -(-len(combos) // 10))
            for a in range(0, len(combos), step):
                b = min(a + step, len(combos))
                metrics[a:b], counts[a:b], status[a:b] = nb.sweep_cross_nb(
                    m.arrays, self.cfg, lo, hi, ma, source, fast_col[a:b], slow_col[a:b], warmup[a:b], _NO_SIGNALS)
                if progress is not None:
                    progress(b, len(combos))
            return metrics, counts, status
        n_sym = m.width
        for a in range(0, len(combos), BATCH):
            b = min(a + BATCH, len(combos))
            entries = np.zeros((m.n_bars, (b - a) * n_sym), dtype=np.bool_, order="F")
            exits = np.zeros_like(entries, order="F")
            for k, params in enumerate(combos[a:b]):
                go_in, go_out = self.signals(params)
                entries[:, k * n_sym:k * n_sym + go_in.shape[1]] = go_in
                exits[:, k * n_sym:k * n_sym + go_in.shape[1]] = go_out
            metrics[a:b], counts[a:b], status[a:b] = nb.sweep_signals_nb(m.arrays, self.cfg, lo, hi, entries, exits,
                                                                         _NO_MA)
            if progress is not None:
                progress(b, len(combos))
        return metrics, counts, status

    def signals(self, params: dict) -> tuple[np.ndarray, np.ndarray]:
        """``generate_signals`` for one combination, checked, as boolean ``(bars, symbols)`` arrays."""
        prices, volumes = self._inputs()
        try:
            produced = self.strategy.generate_signals(prices.copy(), volumes.copy(), **params)
        except Exception as e:
            raise SignalError(f"{type(self.strategy).__name__}.generate_signals({_show(params)}) raised "
                              f"{type(e).__name__}: {e}") from e
        return check_signals(produced, prices, f"{type(self.strategy).__name__}.generate_signals", params)

    def _averages(self, rule: MovingAverageCross, combos: list[dict]):
        windows = sorted({int(c[rule.fast]) for c in combos} | {int(c[rule.slow]) for c in combos})
        position = {w: i for i, w in enumerate(windows)}
        function = talib.SMA if rule.average == "sma" else talib.EMA
        m = self.market
        n_sym = m.width
        close = m.close[:, :len(m.symbols)]
        ma = np.full((m.n_bars, len(windows) * n_sym), np.nan, order="F")
        for i, w in enumerate(windows):
            # the arithmetic of the sma/ema helpers, without the DataFrames
            values = apply_columns(function, [close], timeperiod=w)[0]
            ma[:, i * n_sym:i * n_sym + values.shape[1]] = values
        fast_col = np.array([position[int(c[rule.fast])] for c in combos], dtype=np.int64)
        slow_col = np.array([position[int(c[rule.slow])] for c in combos], dtype=np.int64)
        warmup = np.array([[int(c[rule.slow]), rule.max_history] for c in combos], dtype=np.int64).reshape(-1, 2)
        return ma, fast_col, slow_col, warmup

    # --- one combination with every record --------------------------------
    def record(self, params: dict, lo: int = 0, hi: int | None = None):
        """One combination with equity per row and fill/denial records: ``(equity, fills, denials, metrics,
        counts, status)``."""
        m = self.market
        hi = m.n_bars if hi is None else hi
        rule = self.fused_rule([params])
        if rule is not None:
            ma, fast_col, slow_col, warmup = self._averages(rule, [params])
            source = SignalSource.CROSS_GUIDE if rule.rule == "guide" else SignalSource.CROSS_STRICT
            signals = SignalInputs(source, _NO_SIGNALS, _NO_SIGNALS, 0, ma, int(fast_col[0]), int(slow_col[0]),
                                   warmup[0])
        else:
            go_in, go_out = self.signals(params)
            entries = np.zeros((m.n_bars, m.width), dtype=np.bool_, order="F")
            exits = np.zeros_like(entries, order="F")
            entries[:, :go_in.shape[1]] = go_in
            exits[:, :go_out.shape[1]] = go_out
            signals = SignalInputs(SignalSource.ARRAYS, entries, exits, 0, _NO_MA, 0, 0, np.zeros(2, dtype=np.int64))
        equity = np.full(m.n_bars, np.nan)
        size = max(hi - lo, 0) * m.width + 1
        fills = np.empty(size, dtype=FILL_DT)
        denials = np.empty(2 * size, dtype=DENIAL_DT)
        counts_out = np.zeros(2, dtype=np.int64)
        metrics = np.empty(N_METRICS)
        rule_counts = np.zeros(N_RULES, dtype=np.int64)
        out = Outputs(True, equity, fills, denials, counts_out, metrics, rule_counts)
        status = nb.simulate_nb(m.arrays, self.cfg, signals, lo, hi, out)
        return (equity[lo:hi], fills[:counts_out[0]], denials[:counts_out[1]], metrics, rule_counts, int(status))


def check_signals(produced, prices: pd.DataFrame, where: str, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """``(entries, exits)`` as boolean arrays shaped like ``prices``, or a ``SignalError`` saying what is wrong."""
    call = f"{where}({_show(params)})"
    if not isinstance(produced, tuple | list) or len(produced) != 2:
        raise SignalError(f"{call} must return (entries, exits), two boolean DataFrames; got "
                          f"{type(produced).__name__}")
    out = []
    for label, frame in zip(("entries", "exits"), produced, strict=True):
        if isinstance(frame, pd.Series) and prices.shape[1] == 1:
            frame = frame.to_frame(prices.columns[0])
        if not isinstance(frame, pd.DataFrame):
            raise SignalError(f"{call} returned {label} as {type(frame).__name__}; return a boolean DataFrame "
                              f"shaped like `prices` {prices.shape}")
        if frame.shape != prices.shape:
            raise SignalError(f"{call} returned {label} of shape {frame.shape}, but `prices` has shape "
                              f"{prices.shape} (bars x symbols); return one column per symbol and one row per bar")
        if set(frame.columns) != set(prices.columns):
            raise SignalError(f"{call} returned {label} with columns {list(frame.columns)}; expected the symbols "
                              f"{list(prices.columns)}")
        if not frame.index.equals(prices.index):
            raise SignalError(f"{call} returned {label} with an index other than `prices.index`; keep the bar times")
        frame = frame[list(prices.columns)]
        out.append(_booleans(frame, call, label))
    return out[0], out[1]


def _booleans(frame: pd.DataFrame, call: str, label: str) -> np.ndarray:
    values = np.empty(frame.shape, dtype=np.bool_)
    for j, (name, column) in enumerate(frame.items()):
        dtype = column.dtype
        if dtype == np.bool_:
            values[:, j] = column.to_numpy()
            continue
        if isinstance(dtype, pd.BooleanDtype) and not column.isna().any():
            values[:, j] = column.to_numpy(dtype=np.bool_)
            continue
        if dtype is np.dtype(object) and all(isinstance(v, bool | np.bool_) for v in column.to_numpy()):
            values[:, j] = column.to_numpy(dtype=np.bool_)
            continue
        raise SignalError(f"{call} returned {label} column `{name}` of dtype {dtype}; return booleans, e.g. "
                          f"`(prices <= lower).fillna(False)` (no NaN, no numbers)")
    return values


def _show(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())
