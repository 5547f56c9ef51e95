"""``backtest()``: the one entry point behind the CLI, the magics and the batch runner."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

from .data import BarData, BarDataError, BarStore, check_timeframe, load_bars, session_dates, validate_bars
from .engine.config import BacktestConfig, RiskConfig
from .engine.loop import BarLoop
from .engine.metrics import compute_metrics, drawdown_series
from .engine.result import BacktestResult
from .engine.trades import round_trips
from .strategy.base import StrategyBase
from .strategy.loader import load_strategy_class
from .strategy.params import ParameterError, instantiate

__all__ = ["backtest", "benchmark_closes", "date_range", "resolve_bars"]


def backtest(
    strategy,
    symbols: list[str] | str | None = None,
    start=None,
    end=None,
    timeframe: str | None = None,
    initial_cash: float | None = None,
    params: dict | None = None,
    data=None,
    *,
    risk: RiskConfig | None = None,
    config: BacktestConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> BacktestResult:
    """Run ``strategy`` bar by bar and return its ``BacktestResult``.

    ``strategy``: a ``StrategyBase`` subclass, an instance, a registered name or
    a ``.py`` path. ``symbols`` default to the strategy's own, ``timeframe`` to
    its ``timeframe`` attribute, ``end`` to today and ``start`` to a year before
    ``end`` (``start`` inclusive, ``end`` exclusive, New York session dates),
    ``initial_cash`` to 100,000. A strategy may carry its own defaults in
    ``default_start``, ``default_end`` and ``default_cash`` (function-style
    strategies take them from ``BACKTEST_CONFIG``); arguments given here win.
    ``data``: ``None`` (local store, then synthetic demo bars), a store folder,
    a ``BarData``, or bar frames (``{symbol: DataFrame}`` or one DataFrame).
    ``risk``/``config`` override the guide's default risk and matching settings.
    Warnings raised during the run (synthetic data, ...) are still emitted and
    also kept in ``result.warnings``.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _run(strategy, symbols, start, end, timeframe, initial_cash, params, data, risk, config, progress)
    for message in dict.fromkeys(str(w.message) for w in caught):
        result.warnings.append(message)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def _run(strategy, symbols, start, end, timeframe, initial_cash, params, data, risk, config, progress):
    instance = _strategy_instance(strategy, symbols, params)
    symbols = instance.symbols
    if not symbols:
        raise ParameterError("`symbols` is empty; pass e.g. symbols=['AAPL']")
    timeframe = check_timeframe(timeframe or getattr(instance, "timeframe", None) or "1d")
    start, end = date_range(start if start is not None else getattr(instance, "default_start", None),
                             end if end is not None else getattr(instance, "default_end", None))
    if initial_cash is None:
        initial_cash = getattr(instance, "default_cash", None) or 100_000.0
    cfg = config or BacktestConfig()
    cfg = cfg.with_changes(initial_cash=float(initial_cash) if config is None else cfg.initial_cash,
                           risk=risk or cfg.risk)
    bars = resolve_bars(data, symbols, start, end, timeframe)
    frames = {s: bars.frames[s] for s in symbols}
    loop = BarLoop(instance, frames, timeframe, bars.sources, session_dates, cfg)
    loop.run(progress)

    equity = pd.Series(loop.equity, index=loop.timeline, name="equity")
    days = loop.days
    trades = round_trips(loop.fills)
    bench, reason = benchmark_closes(cfg.benchmark, data, bars, start, end, timeframe)
    metrics = compute_metrics(equity, cfg.initial_cash, trades, days, benchmark_close=bench,
                              benchmark_missing_reason=reason, total_commission=loop.portfolio.total_commission)
    return BacktestResult(
        strategy=instance.name,
        strategy_class=type(instance).__name__,
        symbols=list(symbols),
        timeframe=timeframe,
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
        metrics=metrics,
        benchmark=bench,
        logs=list(instance._logs),
        closes={s: frames[s]["close"] for s in symbols},
    )


def _strategy_instance(strategy, symbols, params) -> StrategyBase:
    loaded = load_strategy_class(strategy)
    if isinstance(symbols, str):
        symbols = [s.strip() for s in symbols.split(",") if s.strip()]
    if isinstance(loaded, StrategyBase):
        if params:
            raise ParameterError("`params` cannot change an instance; pass the strategy class or its name instead")
        if loaded._bars:
            raise ParameterError(
                f"this {type(loaded).__name__} instance has already seen bars; pass a fresh instance or the class"
            )
        if symbols:
            loaded.symbols = [s.upper() for s in symbols]
        return loaded
    return instantiate(loaded, symbols, params)


def date_range(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``start``/``end`` as naive New York dates (``end`` defaults to today, ``start`` to a year before)."""
    try:
        end_ts = pd.Timestamp(end) if end is not None else pd.Timestamp.now(tz="America/New_York").normalize()
        start_ts = pd.Timestamp(start) if start is not None else end_ts - pd.DateOffset(years=1)
    except (ValueError, TypeError) as e:
        raise ParameterError(f"`start`/`end` must be dates like '2023-01-01': {e}") from e
    start_ts, end_ts = (t.tz_localize(None) if t.tzinfo else t for t in (start_ts, end_ts))
    if end_ts <= start_ts:
        raise ParameterError(f"`end` ({end_ts:%Y-%m-%d}) must be after `start` ({start_ts:%Y-%m-%d})")
    return start_ts, end_ts


def resolve_bars(data, symbols, start, end, timeframe) -> BarData:
    """The bars of ``symbols`` from whatever ``data`` is (see ``backtest``), validated."""
    if data is None or isinstance(data, str | Path | BarStore):
        store = data if isinstance(data, BarStore) else (BarStore(data) if data is not None else None)
        return load_bars(symbols, start, end, timeframe, store=store)
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
        return BarData(frames={**frames, **extra}, sources=dict.fromkeys(data, "user"), timeframe=timeframe)
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
