"""``backtest()``: the one entry point behind the CLI, the magics and the batch runner."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .data import BarData, BarDataError, BarStore, DataOrigin, load_bars, session_dates, validate_bars
from .engine.config import BacktestConfig, RiskConfig
from .engine.loop import BarLoop
from .engine.metrics import compute_metrics, drawdown_series
from .engine.result import BacktestResult
from .engine.trades import round_trips
from .errors import InputError
from .run_spec import DataLike, DateLike, Run, StrategyLike, build_run

__all__ = [
    "RunTimeoutError",
    "backtest",
    "benchmark_closes",
    "partial_coverage",
    "resolve_bars",
    "run_backtest",
    "with_deadline",
]


class RunTimeoutError(InputError):
    """A run took longer than its ``timeout``; the message says how far it got."""


def backtest(
    strategy: StrategyLike | Run | None = None,
    symbols: list[str] | str | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    timeframe: str | None = None,
    initial_cash: float | None = None,
    params: dict[str, Any] | None = None,
    data: DataLike = None,
    *,
    risk: RiskConfig | None = None,
    config: BacktestConfig | None = None,
    allow_demo: bool | None = None,
    timeout: float | None = None,
    git_repo: str | None = None,
    git_branch: str | None = None,
    git_commit: str | None = None,
    strategy_path: str | None = None,
    offline: bool = False,
    progress: Callable[[int, int], None] | None = None,
    untrusted: bool = False,
) -> BacktestResult:
    """Run ``strategy`` bar by bar and return its ``BacktestResult``.

    ``strategy``: a ``StrategyBase`` subclass, an instance, a registered name,
    a ``.py`` path, a ``LoadedStrategy`` or a ``Run`` built by ``build_run``.
    Every other argument left ``None`` comes from the strategy's own defaults
    (its ``symbols`` and ``timeframe``, ``default_start``/``default_end``/
    ``default_cash``; function-style files take them from ``BACKTEST_CONFIG``),
    else from the library's: ``1d`` bars, the year before today (``start``
    inclusive, ``end`` exclusive, New York session dates), 100,000 cash.
    ``data``: ``None`` (the local store), a store folder (which must exist),
    a ``BarData``, or bar frames (``{symbol: DataFrame}`` or one DataFrame).
    ``allow_demo``: ``True`` allows synthetic demo bars, ``False`` never,
    ``None`` only while no real source holds any bars. ``risk``/``config`` override
    the guide's risk and matching settings; giving the cash (or the risk rules)
    both as an argument and in ``config`` is an error when they differ.
    ``timeout`` stops a run that takes longer (seconds). ``git_repo`` takes the
    strategy from a Git repository (``git_branch``, a branch or tag;
    ``git_commit``; ``strategy_path`` inside the repository, else discovered;
    ``offline`` uses the commits fetched before); ``result.origin`` says which
    code ran. ``untrusted=True`` treats the strategy file as code you did not
    write: validated by the guide's five layers and run contained (a separate,
    sandboxed process; see ``docs/untrusted_code.md``). Warnings raised
    during the run (synthetic data, ...) are still emitted and also kept in
    ``result.warnings``.
    """
    if untrusted:
        from .contained import backtest_untrusted

        return backtest_untrusted(strategy, symbols, start, end, timeframe, initial_cash, params, data, risk=risk,
                                  config=config, allow_demo=allow_demo, timeout=timeout, git_repo=git_repo,
                                  git_branch=git_branch, git_commit=git_commit, strategy_path=strategy_path,
                                  offline=offline)
    run = strategy if isinstance(strategy, Run) else build_run(
        strategy, symbols=symbols, start=start, end=end, timeframe=timeframe, initial_cash=initial_cash,
        params=params, data=data, risk=risk, config=config, allow_demo=allow_demo, timeout=timeout, git_repo=git_repo,
        git_branch=git_branch, git_commit=git_commit, strategy_path=strategy_path, offline=offline)
    return run_backtest(run, progress)


def run_backtest(run: Run, progress: Callable[[int, int], None] | None = None) -> BacktestResult:
    """Run a resolved ``Run`` bar by bar (what ``backtest`` does after ``build_run``)."""
    with warnings.catch_warnings(record=True) as caught, _deadline_alarm(run.spec.timeout, run.spec.strategy.name):
        warnings.simplefilter("always")
        result = _run(run, with_deadline(progress, run.spec.timeout, run.spec.strategy.name))
    for message in dict.fromkeys(str(w.message) for w in caught):
        result.warnings.append(message)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def with_deadline(progress: Callable[[int, int], None] | None, timeout: float | None, what: str):
    """``progress`` that also raises ``RunTimeoutError`` once ``timeout`` seconds have passed."""
    if timeout is None:
        return progress
    deadline = time.monotonic() + timeout

    def tick(done: int, total: int) -> None:
        if time.monotonic() > deadline:
            raise RunTimeoutError(f"{what} ran past its timeout of {timeout:g}s ({done} of {total} steps done); "
                                  "shorten the date range or raise `timeout`")
        if progress is not None:
            progress(done, total)

    return tick


@contextlib.contextmanager
def _deadline_alarm(timeout: float | None, what: str) -> Iterator[None]:
    """Interrupt the block with ``RunTimeoutError`` after ``timeout`` seconds, even inside a strategy's endless
    loop (a ``SIGALRM`` timer; in the main thread only, elsewhere the progress check of ``with_deadline`` alone
    applies)."""
    if timeout is None or threading.current_thread() is not threading.main_thread() or not hasattr(signal,
                                                                                                  "setitimer"):
        yield
        return

    def interrupt(signum, frame):
        raise RunTimeoutError(f"{what} ran past its timeout of {timeout:g}s; shorten the date range or raise "
                              "`timeout`")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def partial_coverage(bars: BarData, symbols: list[str]) -> dict[str, tuple[str, str]]:
    """``{symbol: (first session, last session)}`` of the symbols whose bars start after or end before the
    sessions asked for (a leading or trailing gap in ``bars.gaps``, which the data layer measured)."""
    partial = {}
    for symbol in symbols:
        days = session_dates(bars.frames[symbol].index)
        first, last = str(days[0]) if len(days) else "", str(days[-1]) if len(days) else ""
        if any(gap.first < first or gap.last > last for gap in bars.gaps.get(symbol, ())):
            partial[symbol] = (first, last)
    return partial


def _run(run: Run, progress) -> BacktestResult:
    spec, instance = run.spec, run.target
    symbols, cfg = list(spec.symbols), spec.config
    start, end = spec.start_date, spec.end_date
    bars = resolve_bars(run.data, symbols, start, end, spec.timeframe, allow_demo=spec.allow_demo)
    frames = {s: bars.frames[s] for s in symbols}
    loop = BarLoop(instance, frames, spec.timeframe, bars.sources, session_dates, cfg)
    loop.run(progress)

    equity = pd.Series(loop.equity, index=loop.timeline, name="equity")
    trades = round_trips(loop.fills)
    bench, reason = benchmark_closes(cfg.benchmark, run.data, bars, start, end, spec.timeframe)
    metrics = compute_metrics(equity, cfg.initial_cash, trades, loop.days, benchmark_close=bench,
                              benchmark_missing_reason=reason, total_commission=loop.portfolio.total_commission)
    return BacktestResult(
        strategy=instance.name,
        strategy_class=type(instance).__name__,
        symbols=symbols,
        timeframe=spec.timeframe,
        start=start.to_pydatetime(),
        end=end.to_pydatetime(),
        config=cfg,
        parameters=instance.get_parameters(),
        variables=instance.get_variables(),
        equity=equity,
        drawdown=drawdown_series(equity, cfg.initial_cash),
        fills=loop.fills,
        trades=trades,
        orders=loop.orders,
        denials=loop.denials,
        data_sources={s: bars.sources[s] for s in symbols},
        data_origins={s: bars.origins[s] for s in symbols},
        metrics=metrics,
        benchmark=bench,
        logs=list(instance._logs),
        closes={s: frames[s]["close"] for s in symbols},
        bars={s: frames[s] for s in symbols},
        coverage=partial_coverage(bars, symbols),
        spec=spec,
    )


def resolve_bars(data, symbols, start, end, timeframe, *, allow_demo: bool | None = None) -> BarData:
    """The bars of ``symbols`` from whatever ``data`` is (see ``backtest``), validated.

    ``allow_demo`` is the run's demo rule (``load_bars``). A store folder given as ``data`` must
    exist: a mistyped folder is a ``BarDataError``, never an empty store that falls back to demo bars.
    """
    if data is None or isinstance(data, str | Path | BarStore):
        if isinstance(data, BarStore):
            BarStore.existing(data.root)  # checks the folder; the caller's store (and its settings) is used
            store = data
        else:
            store = BarStore.existing(data) if data is not None else None
        return load_bars(symbols, start, end, timeframe, store=store, allow_demo=allow_demo)
    if isinstance(data, BarData):
        missing = [s for s in symbols if s not in data.frames]
        if missing:
            raise BarDataError(f"`data` has no bars for {', '.join(missing)} (it has {', '.join(data.frames)})")
        return data
    if isinstance(data, pd.DataFrame):
        if len(symbols) != 1:
            raise BarDataError(f"one DataFrame in `data` but {len(symbols)} symbols; pass {{symbol: frame}}")
        data = {symbols[0]: data}
    if isinstance(data, Mapping):
        frames = {}
        for s in symbols:
            if s not in data:
                raise BarDataError(f"`data` has no frame for `{s}` (it has {', '.join(map(str, data))})")
            frame = validate_bars(data[s], symbol=s, origin="data")
            days = session_dates(frame.index)
            frames[s] = frame[(days >= start.to_datetime64()) & (days < end.to_datetime64())]
            if frames[s].empty:
                raise BarDataError(f"`data` has no bars of `{s}` between {start:%Y-%m-%d} and {end:%Y-%m-%d}")
        extra = {s: validate_bars(f, symbol=s, origin="data") for s, f in data.items() if s not in frames}
        return BarData(frames={**frames, **extra}, origins=dict.fromkeys(data, DataOrigin("user")), timeframe=timeframe)
    raise BarDataError(f"`data` must be None, a store folder, BarData or DataFrames, got {type(data).__name__}")


def benchmark_closes(symbol, data, bars: BarData, start, end, timeframe) -> tuple[pd.Series | None, str | None]:
    """Daily closes of the benchmark from the same source as the strategy's bars, or why there are none."""
    if symbol is None:
        return None, "benchmark switched off (config.benchmark=None)"
    frame = bars.frames.get(symbol)
    if frame is None:
        if data is not None and not isinstance(data, str | Path | BarStore):
            return None, f"{symbol} is not in the supplied `data`"
        demo = any(src == "demo" for src in bars.sources.values())
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                store = BarStore(data) if isinstance(data, str | Path) else data
                frame = load_bars([symbol], start, end, timeframe, store=store, allow_demo=demo).frames[symbol]
        except BarDataError as e:
            return None, f"{symbol} could not be loaded from the local store: {e}"
    days = session_dates(frame.index)
    close = pd.Series(frame["close"].to_numpy(), index=pd.DatetimeIndex(days)).groupby(level=0).last()
    return close, None
