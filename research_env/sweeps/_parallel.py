"""Bar-by-bar sweeps: one ``backtest()`` per combination, spread over an executor's workers.

Local processes (``concurrent.futures.ProcessPoolExecutor``) by default, any
``concurrent.futures.Executor`` the caller passes, or a ``dask.distributed``
``Client`` (its cluster's workers get the bars once, by ``scatter``).
Combinations go out in chunks, so each task carries the bars once.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..data import BarData, session_dates
from ..engine.config import BacktestConfig
from ..engine.metrics import daily_equity, daily_returns
from ..strategy.base import StrategyBase
from ..strategy.loader import LoadedStrategy, StrategyLoadError, load_strategy

__all__ = ["local_workers", "portable_strategy", "run_bar_sweep", "session_returns"]

Progress = Callable[[int, int], None]


def local_workers(max_workers: int | None) -> int:
    """How many local processes a sweep may use: ``max_workers``, by default one per core."""
    return max_workers or os.cpu_count() or 1


def portable_strategy(loaded: LoadedStrategy):
    """What a worker process rebuilds the strategy from: the file of a strategy loaded from a file (a worker
    loads it through the same loader and cache), otherwise the class itself (pickled by reference)."""
    if loaded.kind == "file" and loaded.path is not None:
        # the file's own digest: a name's entry digests it together with its vectorized twin
        return ("file", str(loaded.path), load_strategy(loaded.path).digest)
    return ("class", loaded.bar_class(), loaded.digest)


def _rebuild(portable) -> type[StrategyBase]:
    kind, where, digest = portable
    if kind == "class":
        return where
    loaded = load_strategy(Path(where))
    if digest is not None and loaded.digest != digest:
        raise StrategyLoadError(f"{where} changed on disk while the sweep ran; run the sweep again")
    return loaded.bar_class()


def run_chunk(portable, chunk: list[tuple[int, dict]], symbols, start, end, timeframe, bars: BarData,
              config: BacktestConfig, timeout: float | None = None,
              keep_returns: bool = False) -> list[tuple[int, dict, dict, np.ndarray | None]]:
    """Backtest each ``(position, params)`` of ``chunk`` (each within ``timeout`` seconds); returns ``(position,
    metrics dict, denial counts, daily returns)``, the returns (``session_returns``) only with ``keep_returns``."""
    from ..api import backtest

    bars = bars if bars is not None else _WORKER_BARS
    cls = _rebuild(portable)
    out = []
    for position, params in chunk:
        result = backtest(cls, symbols=symbols, start=start, end=end, timeframe=timeframe, params=params,
                          data=bars, config=config, timeout=timeout)
        returns = session_returns(result.equity, result.config.initial_cash) if keep_returns else None
        out.append((position, result.metrics.to_dict(), result.denial_counts(), returns))
    return out


def session_returns(equity, initial_cash: float) -> np.ndarray:
    """Daily returns as a vectorized sweep keeps them: the last equity of each New York session over the one
    before (the first over ``initial_cash``), float32."""
    daily = daily_equity(equity, session_dates(equity.index))
    return daily_returns(daily, initial_cash).to_numpy(dtype=np.float32)


def run_bar_sweep(strategy: LoadedStrategy, combos: list[dict], symbols: list[str], start, end, timeframe: str,
                  bars: BarData, config: BacktestConfig, *, executor: cf.Executor | None = None, client=None,
                  max_workers: int | None = None, progress: Progress | None = None, timeout: float | None = None,
                  keep_returns: bool = False) -> list[tuple[dict, dict, np.ndarray | None]]:
    """``(metrics dict, denial counts, daily returns)`` per combination of ``strategy``'s bar-by-bar class, in
    ``combos`` order; the returns (float32 per session) only with ``keep_returns``, else ``None``.

    Local processes get the bars once each (pool initializer); other executors and Dask workers get them
    with each chunk or by ``scatter``. ``timeout`` bounds each combination's backtest (an endless loop in a
    strategy ends with its ``StrategyError`` instead of hanging a worker).
    """
    portable = portable_strategy(strategy)
    indexed = list(enumerate(combos))
    results: list = [None] * len(combos)
    done = 0

    def collect(part):
        nonlocal done
        for position, metrics, denials, returns in part:
            results[position] = (metrics, denials, returns)
        done += len(part)
        if progress is not None:
            progress(done, len(combos))

    if client is not None:
        from distributed import as_completed

        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        shared = client.scatter(bars, broadcast=True)
        futures = [client.submit(run_chunk, portable, chunk, symbols, start, end, timeframe, shared, config,
                                 timeout, keep_returns, pure=False) for chunk in _chunks(indexed, workers)]
        for future in as_completed(futures):
            collect(future.result())
        return results
    if executor is not None:
        workers = getattr(executor, "_max_workers", None) or local_workers(max_workers)
        _submit_all(executor, portable, _chunks(indexed, workers), symbols, start, end, timeframe, bars, config,
                    collect, timeout, keep_returns)
        return results
    workers = local_workers(max_workers)
    if workers == 1 or len(combos) == 1:
        for chunk in _chunks(indexed, 1):
            collect(run_chunk(portable, chunk, symbols, start, end, timeframe, bars, config, timeout, keep_returns))
        return results
    # Forked workers share the parent's memory copy-on-write; freezing the parent's objects keeps the
    # workers' garbage collections from touching (and so copying) every page of it.
    gc.freeze()
    try:
        with cf.ProcessPoolExecutor(max_workers=min(workers, len(combos)), initializer=_keep_bars,
                                    initargs=(bars,)) as pool:
            _submit_all(pool, portable, _chunks(indexed, workers), symbols, start, end, timeframe, None, config,
                        collect, timeout, keep_returns)
    finally:
        gc.unfreeze()
    return results


_WORKER_BARS: BarData | None = None


def _keep_bars(bars: BarData) -> None:
    """Process-pool initializer: each worker receives the bars once, not with every chunk."""
    global _WORKER_BARS
    _WORKER_BARS = bars


def _submit_all(executor, portable, chunks, symbols, start, end, timeframe, bars, config, collect, timeout,
                keep_returns) -> None:
    futures = [executor.submit(run_chunk, portable, chunk, symbols, start, end, timeframe, bars, config, timeout,
                               keep_returns) for chunk in chunks]
    for future in cf.as_completed(futures):
        collect(future.result())


def _chunks(items: list, workers: int) -> list[list]:
    """About four chunks per worker (balance against per-task overhead), dealt round-robin."""
    count = min(len(items), workers * 4) if workers > 1 else 1
    return [items[i::count] for i in range(count)]
