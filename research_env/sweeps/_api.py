"""``sweep()``, ``walk_forward()`` and ``vectorized_backtest()``: the sweep layer's entry points."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..api import benchmark_closes, partial_coverage, resolve_bars, with_deadline
from ..core.enums import OrderSide, OrderType
from ..core.models import Fill
from ..data import BarData, BarDataError, BarStore, load_bars, session_dates
from ..engine.config import BacktestConfig, RiskConfig
from ..engine.events import OrderDenied, RiskRule
from ..engine.metrics import compute_metrics, drawdown_series
from ..engine.result import BacktestResult
from ..engine.risk import RISK_RULES, denial_message, rule_limit
from ..engine.trades import round_trips
from ..manifest import sweep_manifest
from ..run_spec import DEFAULT_MAX_COMBINATIONS, DEFAULT_MAX_YEARS, DataLike, DateLike, StrategyLike, build_run
from ..strategy.params import coerce_value, strategy_defaults
from ..strategy.vectorized import indicator_cache
from ._errors import SweepError
from ._folds import fold_windows
from ._grid import check_grid, expand_grid
from ._lookahead import LookaheadError, sweep_verdict
from ._market import Market, config_vector, market_arrays
from ._parallel import run_bar_sweep
from ._vectorized import VectorizedRunner
from .enums import DUPLICATE_SLOTS as _DUP_SLOTS
from .enums import RULES, Side, describe_status
from .result import SweepResult, WalkForwardResult, metric_row, rank_key

__all__ = ["sweep", "vectorized_backtest", "walk_forward"]

#: each rule code's name in result rows' ``denials``
_RULE_NAMES = tuple(str(rule) for rule in RULES)

Progress = Callable[[int, int], None]
_MODES = ("auto", "vectorized", "bar")


#: daily returns a sweep keeps by default (combinations x sessions x float32)
KEEP_RETURNS_BYTES = 64 * 2**20


def sweep(
    strategy: StrategyLike | None = None,
    symbols: list[str] | str | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    timeframe: str | None = None,
    param_grid: dict | None = None,
    *,
    initial_cash: float | None = None,
    data: DataLike = None,
    risk: RiskConfig | None = None,
    config: BacktestConfig | None = None,
    quantity: float | None = None,
    metric: str = "sharpe_ratio",
    mode: str = "auto",
    fused: bool = True,
    lookahead: bool = True,
    keep_returns: bool | None = None,
    executor=None,
    client=None,
    max_workers: int | None = None,
    max_combinations: int | None = DEFAULT_MAX_COMBINATIONS,
    max_years: float | None = DEFAULT_MAX_YEARS,
    allow_demo: bool | None = None,
    timeout: float | None = None,
    git_repo: str | None = None,
    git_branch: str | None = None,
    git_commit: str | None = None,
    strategy_path: str | None = None,
    offline: bool = False,
    progress: Progress | None = None,
    untrusted: bool = False,
) -> SweepResult:
    """Backtest every combination of ``param_grid`` and return their metrics.

    ``strategy``: a ``VectorizedStrategy`` (class or instance) for the fast
    vectorized sweep on numba kernels, a ``StrategyBase`` for the bar-by-bar
    sweep spread over processes, or a name / ``.py`` path (a name finds
    ``<name>_vectorized.py`` first; ``mode="bar"`` or ``"vectorized"`` forces
    one kind). Both kinds apply the engine's matching, sizing and risk rules
    and give the numbers ``backtest()`` gives. ``symbols``, ``start``,
    ``end``, ``timeframe``, ``initial_cash``, ``data``, ``risk`` and
    ``config`` mean what they mean for ``backtest()``.

    ``quantity`` buys a fixed number of shares per entry instead of the 2%
    auto-size (vectorized only). ``metric`` ranks the combinations for
    ``best``. Bar-by-bar sweeps run on local processes (``max_workers``), on
    ``executor`` (any ``concurrent.futures.Executor``) or on a
    ``dask.distributed`` ``client``. A vectorized strategy without a fused
    rule has its indicator helpers memoised for the sweep and its kernels
    run on one thread per core beside ``generate_signals``, or its
    combinations spread over forked local processes (``max_workers`` of
    them when given, by default one per core when ``generate_signals`` is
    slow enough to pay for it; ``max_workers=1``: all in this process).
    Such a sweep first checks its first combination for look-ahead (signals
    that change when later bars are taken away: ``check_lookahead``) and stops
    with a ``LookaheadError`` naming the first changed signal; ``lookahead=False``
    skips the check. The verdict is remembered per strategy source and
    parameters, and declared fused rules are causal by construction.
    Both kinds keep each combination's daily returns (float32, one per New
    York session) when ``keep_returns`` is true, or by default when they take
    under 64 MB; they feed ``SweepResult.overfitting()``.
    ``max_combinations`` (500) and ``max_years`` (3) are the guide's limits;
    pass larger values (or ``None``) to raise them. ``allow_demo=False`` refuses synthetic demo
    bars; ``timeout`` stops a sweep that takes longer (seconds).
    ``progress(done, total)`` is called as combinations finish. Unset
    arguments, and the Git source (``git_repo``, ``git_branch``,
    ``git_commit``, ``strategy_path``, ``offline``), resolve as for
    ``backtest()`` (see ``research_env.run_spec``). ``untrusted=True`` treats
    the strategy file as code you did not write: validated, and swept bar by
    bar in one sandboxed process (``docs/untrusted_code.md``).
    """
    if untrusted:
        from ..contained import sweep_untrusted

        limits = {"max_combinations": max_combinations, "max_years": max_years}
        return sweep_untrusted(strategy, symbols, start, end, timeframe, param_grid, initial_cash=initial_cash,
                               data=data, risk=risk, config=config, metric=metric, allow_demo=allow_demo,
                               timeout=timeout, git_repo=git_repo, git_branch=git_branch, git_commit=git_commit,
                               strategy_path=strategy_path, offline=offline, **limits)
    t0 = time.perf_counter()
    job = _prepare(strategy, symbols, start, end, timeframe, param_grid, initial_cash, risk, config, quantity,
                   mode, max_combinations, max_years, metric, data, allow_demo, timeout, progress,
                   git=dict(git_repo=git_repo, git_branch=git_branch, git_commit=git_commit,
                            strategy_path=strategy_path, offline=offline))
    progress = job.progress
    bars = resolve_bars(data, job.symbols, job.start, job.end, job.timeframe, allow_demo=job.spec.allow_demo)
    if job.kind == "vectorized":
        bench = benchmark_closes(job.config.benchmark, data, bars, job.start, job.end, job.timeframe)
        job.warnings.extend(_local_only(executor, client))
        market = _market(bars, job, data, bench)
        runner = VectorizedRunner(job.strategy, market, config_vector(job.config, quantity), fused=fused,
                                  max_workers=max_workers)
        kind = "vectorized-fused" if runner.fused_params(job.combos) is not None else "vectorized"
        verdict = _lookahead_verdict(job, market) if kind == "vectorized" and lookahead else None
        keep = keep_returns if keep_returns is not None else _small(len(job.combos), market.sessions(0, market.n_bars))
        metrics, counts, status, returns = runner.run(job.combos, progress=progress, keep_returns=keep)
        rows = [metric_row(c, m, _denials(k)) for c, m, k in zip(job.combos, metrics.tolist(), counts.tolist(),
                                                                 strict=True)]
        note = market.bench_note
        job.warnings.extend(_status_notes(status, job.combos))
    else:
        kind, verdict = "bar-by-bar", None
        shared = _with_benchmark(bars, data, job.config, job.start, job.end, job.timeframe)
        # the manifest's benchmark closes, from the frame just loaded for the workers
        bench = benchmark_closes(job.config.benchmark, data, shared, job.start, job.end, job.timeframe)
        keep = keep_returns if keep_returns is not None else _small(len(job.combos), len(_sessions(bars, job)))
        results = run_bar_sweep(job.loaded, job.combos, job.symbols, job.start, job.end, job.timeframe, shared,
                                job.config, executor=executor, client=client, max_workers=max_workers,
                                progress=progress, timeout=job.spec.timeout, keep_returns=keep)
        rows = [metric_row(c, m, d) for c, (m, d, _) in zip(job.combos, results, strict=True)]
        returns = np.vstack([r for _, _, r in results]) if keep else None  # the same bars: the same sessions
        note = results[0][0].get("benchmark_note") if results else None
    manifest = sweep_manifest(job.spec, bars.frames, bars.sources, bars.origins, strategy_class=_class_name(job),
                              benchmark=bench[0], rows=rows,
                              options={"metric": metric, "quantity": quantity, "fused": fused})
    return SweepResult(
        strategy=job.name, kind=kind, symbols=job.symbols, timeframe=job.timeframe,
        start=job.start.to_pydatetime(), end=job.end.to_pydatetime(), grid=job.grid, rows=rows,
        elapsed_seconds=time.perf_counter() - t0, metric=metric,
        risk_rules=risk_notes(job.config, vectorized=job.kind == "vectorized"),
        data_sources={s: bars.sources[s] for s in job.symbols},
        data_origins={s: bars.origins[s] for s in job.symbols}, benchmark_note=note, warnings=job.warnings,
        origin=job.spec.origin, lookahead=verdict,
        daily_returns=returns if returns is not None and returns.shape[1] else None, manifest=manifest,
    )


def walk_forward(
    strategy: StrategyLike | None = None,
    symbols: list[str] | str | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    timeframe: str | None = None,
    param_grid: dict | None = None,
    *,
    splits: int = 4,
    train: int | None = None,
    test: int | None = None,
    anchored: bool = False,
    metric: str = "sharpe_ratio",
    initial_cash: float | None = None,
    data: DataLike = None,
    risk: RiskConfig | None = None,
    config: BacktestConfig | None = None,
    quantity: float | None = None,
    mode: str = "auto",
    fused: bool = True,
    lookahead: bool = True,
    executor=None,
    client=None,
    max_workers: int | None = None,
    max_combinations: int | None = DEFAULT_MAX_COMBINATIONS,
    max_years: float | None = DEFAULT_MAX_YEARS,
    allow_demo: bool | None = None,
    timeout: float | None = None,
    git_repo: str | None = None,
    git_branch: str | None = None,
    git_commit: str | None = None,
    strategy_path: str | None = None,
    offline: bool = False,
    progress: Progress | None = None,
) -> WalkForwardResult:
    """Walk-forward evaluation: per fold, sweep the grid in sample, keep the best by ``metric``, and
    backtest those parameters on the following out-of-sample sessions.

    Folds are counted in sessions of the loaded bars: ``train`` in-sample and
    ``test`` out-of-sample sessions (by default the sessions split into
    ``splits + 1`` equal blocks). Rolling folds slide the training window by
    ``test`` sessions; ``anchored=True`` keeps it starting at the first
    session. Each window starts from ``initial_cash``. Vectorized strategies
    compute signals once over all bars, so indicators are warm at each
    window's start; bar-by-bar strategies run a fresh backtest per window
    (their warm-up counts inside it). A vectorized strategy without a fused
    rule is first checked for look-ahead as ``sweep()`` checks it (a
    ``LookaheadError`` stops it; ``lookahead=False`` skips the check); the
    verdict is ``WalkForwardResult.lookahead``.
    """
    t0 = time.perf_counter()
    job = _prepare(strategy, symbols, start, end, timeframe, param_grid, initial_cash, risk, config, quantity,
                   mode, max_combinations, max_years, metric, data, allow_demo, timeout, progress,
                   git=dict(git_repo=git_repo, git_branch=git_branch, git_commit=git_commit,
                            strategy_path=strategy_path, offline=offline))
    progress = job.progress
    bars = resolve_bars(data, job.symbols, job.start, job.end, job.timeframe, allow_demo=job.spec.allow_demo)
    days = _sessions(bars, job)
    windows = fold_windows(len(days), splits, train, test, anchored)
    key = rank_key(metric)
    folds = []
    total = len(windows) * (len(job.combos) + 1)
    tick = _progress_offset(progress, total)
    if job.kind == "vectorized":
        job.warnings.extend(_local_only(executor, client))
        market = _market(bars, job, data)
        runner = VectorizedRunner(job.strategy, market, config_vector(job.config, quantity), fused=fused,
                                  max_workers=max_workers)
        checked = lookahead and runner.fused_params(job.combos) is None
        verdict = _lookahead_verdict(job, market, "walk-forward") if checked else None
        with indicator_cache():  # every fold computes its signals over all bars: the same indicators
            for n, (a, b, c, d) in enumerate(windows):
                lo, hi = market.rows(a, b)
                metrics, counts, _, _ = runner.run(job.combos, lo, hi, progress=tick(n * (len(job.combos) + 1)))
                rows = [metric_row(p, m, _denials(k)) for p, m, k in zip(job.combos, metrics.tolist(),
                                                                         counts.tolist(), strict=True)]
                best = sorted(rows, key=key)[0]
                lo, hi = market.rows(c, d)
                oos_metrics, oos_counts, _, _ = runner.run([best["params"]], lo, hi)
                oos = metric_row(best["params"], oos_metrics[0], _denials(oos_counts[0]))
                folds.append(_fold(n, days, (a, b, c, d), best, oos))
                if progress is not None:
                    progress((n + 1) * (len(job.combos) + 1), total)
        kind = "vectorized"
    else:
        verdict = None
        shared = _with_benchmark(bars, data, job.config, job.start, job.end, job.timeframe)
        for n, (a, b, c, d) in enumerate(windows):
            train_start, train_end = _bounds(days, a, b)
            part = _slice(shared, days[a], days[b - 1])
            results = run_bar_sweep(job.loaded, job.combos, job.symbols, train_start, train_end, job.timeframe,
                                    part, job.config, executor=executor, client=client, max_workers=max_workers,
                                    progress=tick(n * (len(job.combos) + 1)), timeout=job.spec.timeout)
            rows = [metric_row(p, m, dn) for p, (m, dn, _) in zip(job.combos, results, strict=True)]
            best = sorted(rows, key=key)[0]
            test_start, test_end = _bounds(days, c, d)
            oos_part = _slice(shared, days[c], days[d - 1])
            (oos_m, oos_d, _), = run_bar_sweep(job.loaded, [best["params"]], job.symbols, test_start, test_end,
                                            job.timeframe, oos_part, job.config, max_workers=1,
                                            timeout=job.spec.timeout)
            folds.append(_fold(n, days, (a, b, c, d), best, metric_row(best["params"], oos_m, oos_d)))
            if progress is not None:
                progress((n + 1) * (len(job.combos) + 1), total)
        kind = "bar-by-bar"
    return WalkForwardResult(strategy=job.name, kind=kind, metric=metric, anchored=anchored, folds=folds,
                             elapsed_seconds=time.perf_counter() - t0, warnings=job.warnings,
                             origin=job.spec.origin, lookahead=verdict)


def vectorized_backtest(
    strategy: StrategyLike,
    symbols: list[str] | str | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    timeframe: str | None = None,
    params: dict | None = None,
    *,
    initial_cash: float | None = None,
    data: DataLike = None,
    risk: RiskConfig | None = None,
    config: BacktestConfig | None = None,
    quantity: float | None = None,
    fused: bool = True,
    allow_demo: bool | None = None,
) -> BacktestResult:
    """One combination of a vectorized strategy on the sweep kernel, as a full ``BacktestResult``.

    Fills, round trips, denials, equity and metrics are what ``backtest()``
    gives the equivalent class-based strategy (order ids included: every
    signal gets the next id, denied or not). ``orders`` is left empty: the
    kernel records fills and denials, not the order book.
    """
    job = _prepare(strategy, symbols, start, end, timeframe, {k: [v] for k, v in (params or {}).items()} or None,
                   initial_cash, risk, config, quantity, "vectorized", None, None, "total_return", data, allow_demo,
                   None, None, allow_empty=True)
    bars = resolve_bars(data, job.symbols, job.start, job.end, job.timeframe, allow_demo=job.spec.allow_demo)
    market = _market(bars, job, data)
    runner = VectorizedRunner(job.strategy, market, config_vector(job.config, quantity), fused=fused)
    combo = job.combos[0] if job.combos else {}
    equity_values, fill_records, denial_records, _, _, status = runner.record(combo)
    stamps = list(market.index.to_pydatetime())
    fills = [Fill(order_id=f"O{int(f['order']):06d}", symbol=market.symbols[int(f["col"])],
                  side=OrderSide.BUY if f["side"] == Side.BUY else OrderSide.SELL, quantity=float(f["quantity"]),
                  price=float(f["price"]), commission=float(f["commission"]), timestamp=stamps[int(f["row"])])
             for f in fill_records]
    denials = [_denial(d, market, stamps, job.config) for d in denial_records]
    equity = pd.Series(equity_values, index=market.index, name="equity")
    trades = round_trips(fills)
    cfg = job.config
    bench = None
    if market.bench_close.size:
        bench = pd.Series(market.bench_close, index=pd.DatetimeIndex(market.days.astype("datetime64[ns]"))).dropna()
    metrics = compute_metrics(equity, cfg.initial_cash, trades, session_dates(market.index), benchmark_close=bench,
                              benchmark_missing_reason=market.bench_note,
                              total_commission=_sequential_sum(f.commission for f in fills))
    warnings_ = describe_status(status, _DUP_SLOTS)
    return BacktestResult(
        strategy=job.name, strategy_class=type(job.strategy).__name__, symbols=list(job.symbols),
        timeframe=job.timeframe, start=job.start.to_pydatetime(), end=job.end.to_pydatetime(), config=cfg,
        parameters=dict(combo), variables={}, equity=equity, drawdown=drawdown_series(equity, cfg.initial_cash),
        fills=fills, trades=trades, orders=[], denials=denials, data_sources={s: bars.sources[s] for s in job.symbols},
        data_origins={s: bars.origins[s] for s in job.symbols},
        metrics=metrics, benchmark=bench, warnings=warnings_, spec=job.spec,
        closes={s: bars.frames[s]["close"] for s in job.symbols}, bars={s: bars.frames[s] for s in job.symbols},
        coverage=partial_coverage(bars, job.symbols), run_options={"quantity": quantity, "fused": fused},
    )


def risk_notes(config: BacktestConfig, *, vectorized: bool) -> list[dict]:
    """How each rule of the engine's risk table was applied in this sweep (never silently dropped)."""
    where = "numba kernel, same checks and order as engine/risk.py" if vectorized else "event engine (backtest())"
    notes = []
    for spec in RISK_RULES:
        limit = rule_limit(spec.rule, config)
        off = limit is None or (spec.rule is RiskRule.TRADING_HOURS and not limit) or (
            spec.rule in (RiskRule.ALLOW_MARGIN, RiskRule.ALLOW_SHORT) and limit)
        if vectorized and spec.kernel.startswith("not applicable"):
            notes.append({"rule": str(spec.rule), "status": "not applicable",
                          "detail": spec.kernel.removeprefix("not applicable: ")})
        elif off:
            notes.append({"rule": str(spec.rule), "status": "off", "detail": "switched off in the risk config"})
        else:
            detail = f"{where}; {spec.kernel.format(slots=_DUP_SLOTS)}" if vectorized and spec.kernel else where
            notes.append({"rule": str(spec.rule), "status": "applied", "detail": detail})
    return notes


# --- preparation -------------------------------------------------------------------------------------------


class _Job:
    __slots__ = ("kind", "strategy", "loaded", "name", "symbols", "timeframe", "start", "end", "grid", "combos",
                 "config", "warnings", "spec", "progress")


def _prepare(strategy, symbols, start, end, timeframe, param_grid, initial_cash, risk, config, quantity, mode,
             max_combinations, max_years, metric, data, allow_demo, timeout, progress,
             allow_empty=False, git: dict | None = None) -> _Job:
    if mode not in _MODES:
        raise SweepError(f"`mode` must be one of {', '.join(_MODES)}, got {mode!r}")
    from .result import METRIC_NAMES

    if metric not in METRIC_NAMES:
        raise SweepError(f"`metric` {metric!r} is not a report metric; use one of {', '.join(METRIC_NAMES)}")
    run = build_run(strategy, symbols=symbols, start=start, end=end, timeframe=timeframe, initial_cash=initial_cash,
                    data=data, risk=risk, config=config, grid=param_grid, mode=mode,
                    max_combinations=max_combinations, max_years=max_years, allow_demo=allow_demo, timeout=timeout,
                    **(git or {}))
    spec = run.spec
    job = _Job()
    job.warnings = []
    job.spec, job.loaded = spec, run.strategy
    job.symbols, job.timeframe = list(spec.symbols), spec.timeframe
    job.start, job.end = spec.start_date, spec.end_date
    job.config = spec.config
    if run.vectorized:
        job.kind, job.strategy = "vectorized", run.target
        job.name = run.target.name or type(run.target).__name__
        schema = dict(run.target.param_schema or {})
        known = list(schema) if schema else None
    else:
        if quantity is not None:
            raise SweepError("`quantity` is for vectorized sweeps; a bar-by-bar strategy sizes its own signals")
        job.kind, job.strategy = "bar", type(run.target)
        job.name = run.target.name
        defaults = strategy_defaults(job.strategy)
        known, schema = list(defaults), {}
    if quantity is not None and not (isinstance(quantity, int | float) and quantity > 0):
        raise SweepError(f"`quantity` must be a positive number of shares, got {quantity!r}")
    if quantity is not None and not job.config.fractional_shares and float(quantity) != int(quantity):
        raise SweepError(f"`quantity`={quantity!r} is not a whole number of shares; round it, or allow fractions "
                         "with config=BacktestConfig(fractional_shares=True)")
    check_years(job.start, job.end, spec.max_years)
    if allow_empty and not param_grid:
        job.grid, job.combos = {}, [{}]
    else:
        job.grid = check_grid(param_grid, known, job.name, spec.max_combinations)
        if job.kind == "bar":
            job.grid = {k: [coerce_value(k, v, defaults.get(k)) for v in vs] for k, vs in job.grid.items()}
        job.combos = expand_grid(job.grid)
    job.warnings.extend(_schema_warnings(job.grid, schema, job.name))
    job.progress = with_deadline(progress, spec.timeout, f"the sweep of {job.name}")
    return job


def _small(n_combos: int, n_days: int) -> bool:
    """Whether the daily returns of a sweep are small enough to keep by default."""
    return n_combos * n_days * 4 <= KEEP_RETURNS_BYTES


def _lookahead_verdict(job: _Job, market: Market, what: str = "sweep") -> dict:
    """The look-ahead check of the first combination, as ``SweepResult.lookahead``; a failure stops the ``what``."""
    verdict = sweep_verdict(job.strategy, market, job.combos[0], job.name)
    if not verdict.ok:
        raise LookaheadError(f"{verdict.message()}. The {what} did not run: fix generate_signals, or pass "
                             "lookahead=False to run it anyway")
    return verdict.to_dict()


def _sessions(bars: BarData, job: _Job) -> np.ndarray:
    """The New York session dates of the job's symbols' bars, in order."""
    return np.unique(np.concatenate([session_dates(bars.frames[s].index) for s in job.symbols]))


def check_years(start: pd.Timestamp, end: pd.Timestamp, max_years: float | None) -> None:
    """``SweepError`` when ``[start, end)`` spans more than ``max_years`` (the guide's 3-year limit of a sweep)."""
    if max_years is None:
        return
    if float(max_years).is_integer():
        limit = start + pd.DateOffset(years=int(max_years))
    else:
        limit = start + pd.Timedelta(days=math.ceil(365.25 * float(max_years)))
    if end > limit:
        years = (end - start).days / 365.25
        raise SweepError(f"the date range {start:%Y-%m-%d} to {end:%Y-%m-%d} spans {years:.1f} years, over the "
                         f"{max_years:g}-year limit; shorten it or pass max_years={math.ceil(years)} to raise it")


def _local_only(executor, client) -> list[str]:
    """The note for an ``executor`` or ``client`` given to a vectorized sweep, which runs on local processes."""
    given = [name for name, value in (("executor", executor), ("client", client)) if value is not None]
    if not given:
        return []
    text = (f"`{'` and `'.join(given)}` {'serve' if len(given) > 1 else 'serves'} bar-by-bar sweeps only; this "
            "vectorized sweep ran on this machine (`max_workers` local processes at most)")
    warnings.warn(text, stacklevel=3)
    return [text]


def _schema_warnings(grid: dict, schema: dict, name: str) -> list[str]:
    notes = []
    for key, values in grid.items():
        bounds = schema.get(key)
        if not (isinstance(bounds, tuple | list) and len(bounds) == 2):
            continue
        low, high = bounds
        outside = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)
                   and not low <= v <= high]
        if outside:
            text = f"{name}: `{key}` values {outside} are outside its param_schema range ({low}, {high})"
            warnings.warn(text, stacklevel=4)
            notes.append(text)
    return notes


# --- data --------------------------------------------------------------------------------------------------


def _market(bars: BarData, job: _Job, data, bench: tuple | None = None) -> Market:
    """The sweep's market arrays; ``bench`` is ``benchmark_closes``' answer when the caller has it already."""
    bench, reason = bench or benchmark_closes(job.config.benchmark, data, bars, job.start, job.end, job.timeframe)
    return market_arrays(bars, job.symbols, bench, reason, time_of_day=job.config.risk.trading_hours)


def _class_name(job: _Job) -> str:
    return job.strategy.__name__ if isinstance(job.strategy, type) else type(job.strategy).__name__


def _with_benchmark(bars: BarData, data, config: BacktestConfig, start, end, timeframe) -> BarData:
    """``bars`` plus the benchmark's frame, loaded the way ``backtest()`` would, so workers need no store."""
    symbol = config.benchmark
    if symbol is None or symbol in bars.frames:
        return bars
    if data is not None and not isinstance(data, str | Path | BarStore):
        return bars
    demo = any(src == "demo" for src in bars.sources.values())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store = BarStore(data) if isinstance(data, str | Path) else data
            loaded = load_bars([symbol], start, end, timeframe, store=store, allow_demo=demo)
    except BarDataError:
        return bars
    return BarData(frames={**bars.frames, symbol: loaded.frames[symbol]},
                   origins={**bars.origins, symbol: loaded.origins[symbol]}, timeframe=bars.timeframe)


def _slice(bars: BarData, first_day, last_day) -> BarData:
    frames = {}
    for symbol, frame in bars.frames.items():
        days = session_dates(frame.index)
        frames[symbol] = frame[(days >= first_day) & (days <= last_day)]
    return BarData(frames=frames, origins=dict(bars.origins), timeframe=bars.timeframe)


def _bounds(days: np.ndarray, first: int, stop: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(days[first])
    end = pd.Timestamp(days[stop - 1]) + pd.Timedelta(days=1)
    return start, end


# --- results -----------------------------------------------------------------------------------------------


def _denials(counts: np.ndarray | list) -> dict[str, int]:
    return {_RULE_NAMES[k]: int(v) for k, v in enumerate(counts) if v}


def _status_notes(status: np.ndarray, combos: list[dict]) -> list[str]:
    notes = []
    for i in np.flatnonzero(status):
        for text in describe_status(int(status[i]), _DUP_SLOTS):
            notes.append(f"{combos[i]}: {text}")
    return notes


def _fold(n: int, days: np.ndarray, window: tuple[int, int, int, int], best: dict, oos: dict) -> dict:
    a, b, c, d = window
    return {"fold": n, "train_start": str(days[a]), "train_end": str(days[b - 1]), "test_start": str(days[c]),
            "test_end": str(days[d - 1]), "params": best["params"],
            "in_sample": {k: v for k, v in best.items() if k != "params"},
            "out_of_sample": {k: v for k, v in oos.items() if k != "params"}}


def _progress_offset(progress: Progress | None, total: int):
    def at(offset: int):
        if progress is None:
            return None
        return lambda done, _count: progress(offset + done, total)

    return at


def _sequential_sum(values) -> float:
    total = 0.0
    for v in values:
        total += v
    return total


def _denial(record, market: Market, stamps: list, config: BacktestConfig) -> OrderDenied:
    """A kernel's denial record as the engine's ``OrderDenied``, worded by the same risk-table template."""
    code = int(record["rule"])
    rule = RULES[code]
    col, row = int(record["col"]), int(record["row"])
    symbol = market.symbols[col]
    side = OrderSide.BUY if record["side"] == Side.BUY else OrderSide.SELL
    quantity = float(record["quantity"])
    at_fill = rule is RiskRule.MAX_PRICE_DEVIATION  # measured at the fill bar's open, not the signal close
    price = float(market.open[row, col] if at_fill else market.close[row, col])
    limit = rule_limit(rule, config)
    text = denial_message(rule, value=float(record["value"]), other=float(record["other"]),
                          limit=float(limit) if not isinstance(limit, bool) else math.nan, quantity=quantity,
                          price=price, symbol=symbol, side=str(side))
    return OrderDenied(timestamp=stamps[row], symbol=symbol, side=side, order_type=OrderType.MARKET,
                       quantity=quantity, rule=rule, reason=text, order_id=f"O{int(record['order']):06d}")
