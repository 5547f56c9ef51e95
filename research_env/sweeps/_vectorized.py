"""The simulator wrapper: vectorized strategies' signals in, kernel metrics (or one full run) out."""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..strategy._indicator_cache import active_cache, indicator_cache
from ..strategy.vectorized import VectorizedStrategy
from . import nb
from ._errors import SignalError
from ._fused import fused_inputs, fused_parameters
from ._market import Market
from ._parallel import local_workers
from ._signals import SweepInputs, call_error, signal_arrays
from ._vectorized_workers import ForkedWorkers, can_fork, parts, shared_array
from .enums import (
    DENIAL_DT,
    FILL_DT,
    N_FUSED_COLS,
    N_FUSED_LEVELS,
    N_METRICS,
    N_RULES,
    Outputs,
    SignalInputs,
    SignalSource,
)

__all__ = ["VectorizedRunner"]

Progress = Callable[[int, int], None]

#: combinations simulated per kernel call on the generic path
BATCH = 16
#: the most memory one batch of signals takes (entries and exits together)
BATCH_BYTES = 16 * 2**20
#: what forking the workers costs, in seconds (starting them, and their first writes to memory they share with
#: this process)
FORK_SECONDS = 0.02
# placeholders for the kernel arguments a signal source does not use: 2 x 2 so they are Fortran-ordered only
_NO_SERIES = np.zeros((2, 2), order="F")
_NO_SIGNALS = np.zeros((2, 2), dtype=np.bool_, order="F")
_NO_WARMUP = np.zeros(2, dtype=np.int64)
_NO_COLS = np.full(N_FUSED_COLS, -1, dtype=np.int64)
_NO_LEVELS = np.full(N_FUSED_LEVELS, np.nan)
# the daily returns a recorded run does not keep
_NO_RETURNS = np.empty(0, dtype=np.float32)


class VectorizedRunner:
    """Runs one vectorized strategy over one ``Market`` for many parameter combinations.

    With a usable ``strategy.fused`` rule every distinct moving average is
    computed once and all combinations run in one fused kernel; otherwise
    ``generate_signals`` is called per combination, its indicator helpers
    memoised for the run, and the signals are simulated in batches by
    ``sweep_signals_nb`` on one thread per core while this thread builds the
    next batches; or combination by combination by the same kernel on forked
    processes, when ``max_workers`` asks for them or ``generate_signals`` is
    slow enough for them to pay (``max_workers=1``: never). Every way gives
    the same numbers in the same order.
    """

    def __init__(self, strategy: VectorizedStrategy, market: Market, cfg: np.ndarray, *, fused: bool = True,
                 max_workers: int | None = None):
        self.strategy = strategy
        self.market = market
        self.cfg = cfg
        self.use_fused = fused
        self.max_workers = max_workers
        self._inputs: SweepInputs | None = None
        self._single: _SignalBatch | None = None
        self._fused_for: tuple[list[dict], list[dict] | None] | None = None

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

    def fused_params(self, combos: list[dict]) -> list[dict] | None:
        """Each combination's parameters of the strategy's fused rule when the sweep can run it fused (see
        ``fused_parameters``), else ``None``: ``generate_signals`` runs. Worked out once per list of combinations
        (a sweep asks before its run and in it)."""
        if self._fused_for is None or self._fused_for[0] is not combos:
            self._fused_for = (combos, fused_parameters(self.strategy, combos) if self.use_fused else None)
        return self._fused_for[1]

    # --- many combinations ------------------------------------------------
    def run(self, combos: list[dict], lo: int = 0, hi: int | None = None, progress: Progress | None = None,
            keep_returns: bool = False) -> RunOutputs:
        """Metrics, denials per rule and status bits of every combination over rows ``[lo, hi)``, and with
        ``keep_returns`` their daily returns (``RunOutputs``)."""
        hi = self.market.n_bars if hi is None else hi
        days = self.market.sessions(lo, hi) if keep_returns else 0
        params = self.fused_params(combos)
        if params is not None:
            return self._run_fused(params, lo, hi, progress, days)
        if not combos:
            return _outputs(0, days)
        return self._run_signals(combos, lo, hi, progress, days)

    def _run_fused(self, params: list[dict], lo: int, hi: int, progress: Progress | None, days: int):
        out = _outputs(len(params), days)
        fused = self._fused_inputs(params)
        step = len(params) if progress is None else max(16, -(-len(params) // 10))
        for a in range(0, len(params), step):
            b = min(a + step, len(params))
            out.metrics[a:b], out.counts[a:b], out.status[a:b] = nb.sweep_fused_nb(
                self.market.arrays, self.cfg, lo, hi, fused.series, fused.source, fused.cols[a:b],
                fused.levels[a:b], fused.warmup[a:b], _NO_SIGNALS, out.returns[a:b])
            if progress is not None:
                progress(b, len(params))
        return out

    def _fused_inputs(self, params: list[dict]):
        m = self.market
        return fused_inputs(self.strategy.fused, params, m.close[:, :len(m.symbols)], m.width)

    def _run_signals(self, combos: list[dict], lo: int, hi: int, progress: Progress | None, days: int):
        """``generate_signals`` per combination, its indicator helpers memoised: on ``max_workers`` forked processes
        when more than one is asked for, else here, the kernels on threads beside it (``_run_here``)."""
        n = len(combos)
        forks = self.max_workers is not None and self.max_workers > 1 and n >= 3 and can_fork()
        auto = self.max_workers is None and can_fork()
        out = _outputs(n, days, shared=forks or auto)
        with indicator_cache():
            if forks:
                self._simulate(0, self.signals(combos[0]), out, lo, hi)
                return self._run_on_workers(combos, 1, out, lo, hi, min(self.max_workers, n - 1), progress)
            return self._run_here(combos, out, lo, hi, progress, may_fork=auto)

    def _run_here(self, combos: list[dict], out: RunOutputs, lo: int, hi: int, progress: Progress | None,
                  may_fork: bool):
        """Batches of signal matrices, each simulated in one call of ``sweep_signals_nb``. The first batch runs
        here and times both halves of the work; the others have their kernels run on one thread per core while
        this thread builds the next batches (the kernels release the GIL), or, with ``may_fork`` and a
        ``generate_signals`` slow enough for it to pay (``_forks_pay``), go to forked processes."""
        m = self.market
        n = len(combos)
        size = self._batch_size(n)
        first = _SignalBatch(m.n_bars, size * m.width)
        cache = active_cache()
        started, computing = time.perf_counter(), cache.compute_seconds
        self._fill(first, combos, 0, size)
        built, computing = time.perf_counter(), cache.compute_seconds - computing
        self._kernel(first, out, 0, size, lo, hi)
        simulated = time.perf_counter()
        if progress is not None:
            progress(size, n)
        if size == n:
            return out
        threads = local_workers(None)
        # per combination, leaving out the indicators computed (each is computed once per sweep)
        build, kernel = (built - started - computing) / size, (simulated - built) / size
        if may_fork and _forks_pay(n - size, build, kernel, threads):
            return self._run_on_workers(combos, size, out, lo, hi, min(threads, n - size), progress)
        return self._run_on_threads(combos, size, out, lo, hi, threads, progress, first)

    def _run_on_threads(self, combos: list[dict], size: int, out: RunOutputs, lo: int, hi: int, threads: int,
                        progress: Progress | None, first: _SignalBatch):
        """Combinations ``[size, n)``: this thread builds each batch, ``threads`` threads simulate them (at most one
        batch per thread in flight, each with its own signal matrices)."""
        n = len(combos)
        free = [first] + [_SignalBatch(*first.entries.shape) for _ in range(threads)]
        running: collections.deque = collections.deque()
        with concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="research-env-kernel") as pool:
            for a in range(size, n, size):
                b = min(a + size, n)
                if not free:
                    free.append(self._finished(running.popleft(), n, progress))
                batch = free.pop()
                self._fill(batch, combos, a, b)
                running.append((pool.submit(self._kernel, batch, out, a, b, lo, hi), batch, b))
            while running:
                self._finished(running.popleft(), n, progress)
        return out

    @staticmethod
    def _finished(job, n: int, progress: Progress | None) -> _SignalBatch:
        future, batch, done = job
        future.result()
        if progress is not None:
            progress(done, n)
        return batch

    def _fill(self, batch: _SignalBatch, combos: list[dict], a: int, b: int) -> None:
        """The signals of combinations ``[a, b)`` into ``batch``."""
        for k in range(a, b):
            _place(self.signals(combos[k]), batch.entries, batch.exits, (k - a) * self.market.width)

    def _kernel(self, batch: _SignalBatch, out: RunOutputs, a: int, b: int, lo: int, hi: int) -> None:
        """Rows ``[a, b)`` of ``out`` from the batch's signals (``sweep_signals_nb``, which releases the GIL)."""
        used = (b - a) * self.market.width
        out.metrics[a:b], out.counts[a:b], out.status[a:b] = nb.sweep_signals_nb(
            self.market.arrays, self.cfg, lo, hi, batch.entries[:, :used], batch.exits[:, :used], _NO_SERIES,
            out.returns[a:b])

    def _run_on_workers(self, combos: list[dict], start: int, outputs: RunOutputs, lo: int, hi: int,
                        processes: int, progress: Progress | None):
        """Combinations ``[start, n)`` on ``processes`` forked workers: each runs ``generate_signals`` and
        the kernel for the combinations it is sent and writes their rows into ``outputs`` (shared memory)."""
        simulate = functools.partial(self._simulate, outputs=outputs, lo=lo, hi=hi)
        done = start

        def finished(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, len(combos))

        with ForkedWorkers(functools.partial(self._run_part, combos, simulate), processes) as workers:
            failed = workers.run(parts(start, len(combos), processes), finished)
        if failed is not None:
            k, message = failed
            self.signals(combos[k])  # again here, so that the error reaches the caller with its traceback
            raise SignalError(message)
        return outputs

    def _batch_size(self, n_combos: int) -> int:
        per_combination = 2 * self.market.n_bars * self.market.width
        return max(1, min(BATCH, n_combos, BATCH_BYTES // max(per_combination, 1)))

    def _run_part(self, combos: list[dict], simulate, first: int, stop: int) -> tuple[int, str] | None:
        """A worker's part: ``None``, or the first combination that failed and its message."""
        for k in range(first, stop):
            try:
                signals = self.signals(combos[k])
            except SignalError as e:
                return k, str(e)
            simulate(k, signals)
        return None

    def _simulate(self, k: int, signals: tuple[np.ndarray, np.ndarray], outputs: RunOutputs, lo: int,
                  hi: int) -> None:
        """One combination's metrics, denial counts, status and daily returns into row ``k`` of ``outputs``
        (``sweep_signals_nb`` on one combination: the kernel every path of a sweep runs, loaded once)."""
        entries, exits = self._matrices(signals)
        row = slice(k, k + 1)
        outputs.metrics[row], outputs.counts[row], outputs.status[row] = nb.sweep_signals_nb(
            self.market.arrays, self.cfg, lo, hi, entries, exits, _NO_SERIES, outputs.returns[row])

    def _signal_source(self, signals: tuple[np.ndarray, np.ndarray]) -> SignalInputs:
        """``signals`` as ``simulate_nb`` reads them."""
        return _arrays_source(*self._matrices(signals))

    def _matrices(self, signals: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``signals`` in the layout the kernels are compiled for (Fortran-ordered booleans, one column per market
        column): the arrays themselves when they have it (numba would type an array that is also C-ordered, as
        one row is, as another layout), else copied into it."""
        shape = (self.market.n_bars, self.market.width)
        if all(a.shape == shape and a.dtype == np.bool_ and a.flags.f_contiguous and not a.flags.c_contiguous
               for a in signals):
            return signals
        if self._single is None:
            self._single = _SignalBatch(*shape)
        _place(signals, self._single.entries, self._single.exits, 0)
        return self._single.entries, self._single.exits

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

    # --- one combination with every record --------------------------------
    def record(self, params: dict, lo: int = 0, hi: int | None = None):
        """One combination with equity per row and fill/denial records: ``(equity, fills, denials, metrics,
        counts, status)``."""
        m = self.market
        hi = m.n_bars if hi is None else hi
        fused_params = self.fused_params([params])
        if fused_params is not None:
            fused = self._fused_inputs(fused_params)
            signals = SignalInputs(fused.source, _NO_SIGNALS, _NO_SIGNALS, 0, fused.series, fused.cols[0],
                                   fused.levels[0], fused.warmup[0])
        else:
            signals = self._signal_source(self.signals(params))
        equity = np.full(m.n_bars, np.nan)
        size = max(hi - lo, 0) * m.width + 1
        fills = np.empty(size, dtype=FILL_DT)
        denials = np.empty(2 * size, dtype=DENIAL_DT)
        counts_out = np.zeros(2, dtype=np.int64)
        metrics = np.empty(N_METRICS)
        rule_counts = np.zeros(N_RULES, dtype=np.int64)
        out = Outputs(True, equity, fills, denials, counts_out, metrics, rule_counts, _NO_RETURNS)
        status = nb.simulate_nb(m.arrays, self.cfg, signals, lo, hi, out)
        return (equity[lo:hi], fills[:counts_out[0]], denials[:counts_out[1]], metrics, rule_counts, int(status))


class _SignalBatch:
    """The signal matrices of one batch: ``entries`` and ``exits`` (bars, combinations x market columns), Fortran
    ordered as ``sweep_signals_nb`` reads them."""

    def __init__(self, n_bars: int, n_columns: int):
        self.entries = np.zeros((n_bars, n_columns), dtype=np.bool_, order="F")
        self.exits = np.zeros((n_bars, n_columns), dtype=np.bool_, order="F")


def _forks_pay(rest: int, build_seconds: float, kernel_seconds: float, cores: int) -> bool:
    """Whether ``rest`` combinations, each taking ``build_seconds`` in ``generate_signals`` and ``kernel_seconds``
    in the kernel, finish sooner on ``cores`` forked processes (each doing both, after ``FORK_SECONDS``) than here
    with the kernels on threads (``generate_signals`` holds the GIL, so it runs one call at a time)."""
    if rest < 2 or cores < 2:
        return False
    spread = (build_seconds + kernel_seconds) / cores
    return rest * (max(build_seconds, spread) - spread) > FORK_SECONDS


class RunOutputs(NamedTuple):
    """What a run of many combinations produced: metrics ``(combos, N_METRICS)``, denials per rule
    ``(combos, N_RULES)``, status bits ``(combos,)`` and daily returns ``(combos, sessions)`` float32 (no columns
    unless kept)."""

    metrics: np.ndarray
    counts: np.ndarray
    status: np.ndarray
    returns: np.ndarray


def _outputs(n_combos: int, days: int = 0, shared: bool = False) -> RunOutputs:
    """Empty ``RunOutputs`` for ``n_combos`` combinations (``shared``: in memory that forked workers write to)."""
    new = shared_array if shared else np.zeros
    return RunOutputs(new((n_combos, N_METRICS), np.float64), new((n_combos, N_RULES), np.int64),
                      new(n_combos, np.int64), new((n_combos, days), np.float32))


def _arrays_source(entries: np.ndarray, exits: np.ndarray) -> SignalInputs:
    """Signals from column 0 of ``entries``/``exits``."""
    return SignalInputs(SignalSource.ARRAYS, entries, exits, 0, _NO_SERIES, _NO_COLS, _NO_LEVELS, _NO_WARMUP)


def _place(signals: tuple[np.ndarray, np.ndarray], entries: np.ndarray, exits: np.ndarray, column: int) -> None:
    """One combination's ``(entries, exits)`` into the signal matrices from ``column`` on (the one copy)."""
    go_in, go_out = signals
    entries[:, column:column + go_in.shape[1]] = go_in
    exits[:, column:column + go_out.shape[1]] = go_out
