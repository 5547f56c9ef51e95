"""The simulator wrapper: vectorized strategies' signals in, kernel metrics (or one full run) out."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import numpy as np
import talib

from ..strategy._indicator_cache import indicator_cache
from ..strategy.vectorized import MovingAverageCross, VectorizedStrategy, apply_columns
from . import nb
from ._errors import SignalError
from ._market import Market
from ._parallel import local_workers
from ._signals import SweepInputs, call_error, signal_arrays
from ._vectorized_workers import ForkedWorkers, can_fork, parts, shared_array
from .enums import DENIAL_DT, FILL_DT, N_METRICS, N_RULES, Outputs, SignalInputs, SignalSource

__all__ = ["VectorizedRunner"]

Progress = Callable[[int, int], None]

#: combinations simulated per kernel call on the generic path
BATCH = 64
#: the most memory one batch of signals takes (entries and exits together)
BATCH_BYTES = 64 * 2**20
#: forking workers pays off once the combinations after the first are expected to take this long (seconds)
PARALLEL_FROM_SECONDS = 0.2
# placeholders for the kernel arguments a signal source does not use: 2 x 2 so they are Fortran-ordered only
_NO_MA = np.zeros((2, 2), order="F")
_NO_SIGNALS = np.zeros((2, 2), dtype=np.bool_, order="F")
_NO_WARMUP = np.zeros(2, dtype=np.int64)
# the records a metrics-only simulation does not keep
_NO_EQUITY = np.empty(0)
_NO_FILLS = np.empty(0, dtype=FILL_DT)
_NO_DENIALS = np.empty(0, dtype=DENIAL_DT)


class VectorizedRunner:
    """Runs one vectorized strategy over one ``Market`` for many parameter combinations.

    With a usable ``strategy.fused`` rule every distinct moving average is
    computed once and all combinations run in one fused kernel; otherwise
    ``generate_signals`` is called per combination, its indicator helpers
    memoised for the run, and the signals are simulated here in batches by
    ``sweep_signals_nb``, or, when the work pays for it, combination by
    combination by ``simulate_nb`` on up to ``max_workers`` forked processes
    (the same numbers in the same order).
    """

    def __init__(self, strategy: VectorizedStrategy, market: Market, cfg: np.ndarray, *, fused: bool = True,
                 max_workers: int | None = None):
        self.strategy = strategy
        self.market = market
        self.cfg = cfg
        self.use_fused = fused
        self.max_workers = max_workers
        self._inputs: SweepInputs | None = None
        self._single: tuple[np.ndarray, np.ndarray] | None = None

    def inputs(self) -> SweepInputs:
        """The frames ``generate_signals`` receives, built on first use (the fused path needs none); the strategy
        also gets them as ``bars``, every field as a DataFrame (e.g. for ``atr``)."""
        if self._inputs is None:
            self._inputs = SweepInputs(self.market)
            self.strategy.bars = self._inputs.bars
        return self._inputs

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
        rule = self.fused_rule(combos)
        if rule is not None:
            return self._run_fused(rule, combos, lo, hi, progress)
        if not combos:
            return _outputs(0)
        return self._run_signals(combos, lo, hi, progress)

    def _run_fused(self, rule: MovingAverageCross, combos: list[dict], lo: int, hi: int, progress: Progress | None):
        metrics, counts, status = _outputs(len(combos))
        ma, fast_col, slow_col, warmup = self._averages(rule, combos)
        source = SignalSource.CROSS_GUIDE if rule.rule == "guide" else SignalSource.CROSS_STRICT
        step = len(combos) if progress is None else max(16, -(-len(combos) // 10))
        for a in range(0, len(combos), step):
            b = min(a + step, len(combos))
            metrics[a:b], counts[a:b], status[a:b] = nb.sweep_cross_nb(
                self.market.arrays, self.cfg, lo, hi, ma, source, fast_col[a:b], slow_col[a:b], warmup[a:b],
                _NO_SIGNALS)
            if progress is not None:
                progress(b, len(combos))
        return metrics, counts, status

    def _run_signals(self, combos: list[dict], lo: int, hi: int, progress: Progress | None):
        """``generate_signals`` per combination, its indicator helpers memoised; the first combination runs here
        and its time tells whether the others are worth spreading over forked processes."""
        with indicator_cache():
            started = time.perf_counter()
            first = self.signals(combos[0])
            processes = self._processes(len(combos), time.perf_counter() - started)
            if processes > 1:
                return self._run_on_workers(combos, first, lo, hi, processes, progress)
            return self._run_batches(combos, first, lo, hi, progress)

    def _run_batches(self, combos: list[dict], first, lo: int, hi: int, progress: Progress | None):
        """Here: batches of signal matrices, each simulated in one call of ``sweep_signals_nb`` (on every core)."""
        m = self.market
        metrics, counts, status = _outputs(len(combos))
        size = self._batch_size(len(combos))
        entries = np.zeros((m.n_bars, size * m.width), dtype=np.bool_, order="F")
        exits = np.zeros_like(entries, order="F")
        _place(first, entries, exits, 0)
        for a in range(0, len(combos), size):
            b = min(a + size, len(combos))
            for k in range(max(a, 1), b):
                _place(self.signals(combos[k]), entries, exits, (k - a) * m.width)
            used = (b - a) * m.width
            metrics[a:b], counts[a:b], status[a:b] = nb.sweep_signals_nb(
                m.arrays, self.cfg, lo, hi, entries[:, :used], exits[:, :used], _NO_MA)
            if progress is not None:
                progress(b, len(combos))
        return metrics, counts, status

    def _run_on_workers(self, combos: list[dict], first, lo: int, hi: int, processes: int,
                        progress: Progress | None):
        """On ``processes`` forked workers: each runs ``generate_signals`` and ``simulate_nb`` for the combinations
        it is sent and writes their rows into shared memory (this process keeps the first combination)."""
        outputs = _outputs(len(combos), shared=True)
        simulate = functools.partial(self._simulate, outputs=outputs, lo=lo, hi=hi)
        simulate(0, first)
        done = 1

        def finished(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, len(combos))

        with ForkedWorkers(functools.partial(self._run_part, combos, simulate), processes) as workers:
            failed = workers.run(parts(1, len(combos), processes), finished)
        if failed is not None:
            k, message = failed
            self.signals(combos[k])  # again here, so that the error reaches the caller with its traceback
            raise SignalError(message)
        return outputs

    def _batch_size(self, n_combos: int) -> int:
        per_combination = 2 * self.market.n_bars * self.market.width
        return max(1, min(BATCH, n_combos, BATCH_BYTES // max(per_combination, 1)))

    def _processes(self, n_combos: int, first_seconds: float) -> int:
        """Processes for the combinations after the first: ``max_workers`` when given, else one per core when the
        first combination's time says the rest take ``PARALLEL_FROM_SECONDS`` or more; 1 runs them here."""
        if n_combos < 3 or not can_fork():
            return 1
        if self.max_workers is None and first_seconds * (n_combos - 1) < PARALLEL_FROM_SECONDS:
            return 1
        return min(local_workers(self.max_workers), n_combos - 1)

    def _run_part(self, combos: list[dict], simulate, first: int, stop: int) -> tuple[int, str] | None:
        """A worker's part: ``None``, or the first combination that failed and its message."""
        for k in range(first, stop):
            try:
                signals = self.signals(combos[k])
            except SignalError as e:
                return k, str(e)
            simulate(k, signals)
        return None

    def _simulate(self, k: int, signals: tuple[np.ndarray, np.ndarray], outputs: tuple, lo: int, hi: int) -> None:
        """One combination's metrics, denial counts and status into row ``k`` of ``outputs`` (``simulate_nb``,
        the kernel ``sweep_signals_nb`` runs per combination)."""
        metrics, counts, status = outputs
        entries, exits = self._single_matrices()
        _place(signals, entries, exits, 0)
        source = SignalInputs(SignalSource.ARRAYS, entries, exits, 0, _NO_MA, 0, 0, _NO_WARMUP)
        out = Outputs(False, _NO_EQUITY, _NO_FILLS, _NO_DENIALS, np.zeros(2, dtype=np.int64), metrics[k], counts[k])
        status[k] = nb.simulate_nb(self.market.arrays, self.cfg, source, lo, hi, out)

    def _single_matrices(self) -> tuple[np.ndarray, np.ndarray]:
        if self._single is None:
            shape = (self.market.n_bars, self.market.width)
            self._single = (np.zeros(shape, dtype=np.bool_, order="F"), np.zeros(shape, dtype=np.bool_, order="F"))
        return self._single

    def signals(self, params: dict) -> tuple[np.ndarray, np.ndarray]:
        """``generate_signals`` for one combination, checked, as boolean ``(bars, symbols)`` arrays."""
        inputs = self.inputs()
        where = f"{type(self.strategy).__name__}.generate_signals"
        try:
            produced = self.strategy.generate_signals(inputs.prices, inputs.volumes, **params)
        except Exception as e:
            raise call_error(where, params, e) from e
        finally:
            inputs.restore(self.strategy)
        return signal_arrays(produced, inputs.prices, where, params)

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
            entries, exits = self._single_matrices()
            _place(self.signals(params), entries, exits, 0)
            signals = SignalInputs(SignalSource.ARRAYS, entries, exits, 0, _NO_MA, 0, 0, _NO_WARMUP)
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


def _outputs(n_combos: int, shared: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Metrics, denial counts and status bits for ``n_combos`` combinations (``shared``: in memory that forked
    workers write to)."""
    new = shared_array if shared else np.zeros
    return new((n_combos, N_METRICS), np.float64), new((n_combos, N_RULES), np.int64), new(n_combos, np.int64)


def _place(signals: tuple[np.ndarray, np.ndarray], entries: np.ndarray, exits: np.ndarray, column: int) -> None:
    """One combination's ``(entries, exits)`` into the signal matrices from ``column`` on (the one copy)."""
    go_in, go_out = signals
    entries[:, column:column + go_in.shape[1]] = go_in
    exits[:, column:column + go_out.shape[1]] = go_out
