"""``check_lookahead``: does a strategy decide anything differently when the bars after a decision are
taken away?

Vectorized strategies are checked signal by signal (``sweeps/_lookahead.py``);
bar-by-bar strategies, class or function style, fill by fill and denial by
denial: each cut history is backtested again and every decision before the cut
must be the same. The engine only ever hands a strategy the bars it has
reached, so a bar-by-bar strategy that fails reads the future some other way
(a file, a global, data fetched by itself). See ``docs/integrity.md``.
"""

from __future__ import annotations

import warnings

import pandas as pd

from .api import backtest, resolve_bars
from .errors import InputError
from .run_spec import build_run
from .strategy.params import coerce_value
from .strategy.vectorized import VectorizedStrategy, signal_defaults
from .sweeps._lookahead import LookaheadReport, check_signals_causal, cut_rows
from .sweeps._market import market_arrays

__all__ = ["LookaheadReport", "check_lookahead"]

#: cut points checked by default: vectorized strategies are cheap to re-run, bar-by-bar ones are not
DEFAULT_CUTS = {"vectorized": 8, "bar-by-bar": 3}


def check_lookahead(strategy, symbols=None, start=None, end=None, timeframe=None, params: dict | None = None, *,
                    data=None, config=None, cuts: int | None = None, allow_demo: bool | None = None
                    ) -> LookaheadReport:
    """Run ``strategy`` on the full history and on histories cut at ``cuts`` bars spread over the range,
    and report the first decision that differs before a cut (``LookaheadReport``).

    Arguments resolve like ``backtest``'s; a file with a vectorized twin checks the twin. ``params`` are one
    combination's parameters.
    """
    run = build_run(strategy, symbols=symbols, start=start, end=end, timeframe=timeframe, data=data,
                    config=config, mode="auto", allow_demo=allow_demo,
                    params=None if _vectorized_target(strategy) else params)
    spec = run.spec
    kind = "vectorized" if run.vectorized else "bar-by-bar"
    n_cuts = DEFAULT_CUTS[kind] if cuts is None else _cut_count(cuts)
    bars = resolve_bars(run.data, list(spec.symbols), spec.start_date, spec.end_date, spec.timeframe,
                        allow_demo=spec.allow_demo)
    if run.vectorized:
        market = market_arrays(bars, list(spec.symbols))
        name = run.target.name or type(run.target).__name__
        return check_signals_causal(run.target, market, _typed(run.target, params or {}), n_cuts, name)
    return _check_bars(run, bars, params, n_cuts)


def _check_bars(run, bars, params: dict | None, cuts: int) -> LookaheadReport:
    symbols = list(run.spec.symbols)
    frames = {s: bars.frames[s] for s in symbols}
    index = pd.DatetimeIndex(sorted(set().union(*(f.index for f in frames.values()))))
    rows = cut_rows(len(index), cuts)
    name = run.target.name
    full = _decisions(run, frames, params)
    found = None
    for k in rows:
        last = index[k - 1]
        cut = _decisions(run, {s: f[f.index <= last] for s, f in frames.items()}, params)
        difference = _first_difference([d for d in full if d[0] <= last], cut)
        if difference is not None and (found is None or difference[0][0] < found[0][0]):
            found = (*difference, index[k])
    times = [index[k] for k in rows]
    if found is None:
        return LookaheadReport(name, "bar-by-bar", times)
    (time, symbol, action), in_full, in_cut, cut_at = found
    return LookaheadReport(name, "bar-by-bar", times, symbol, time, action, in_full, in_cut, cut_at)


def _first_difference(full: list[tuple], cut: list[tuple]) -> tuple[tuple, bool, bool] | None:
    """The earliest decision only one of two time-ordered lists holds, and which holds it."""
    only_full, only_cut = sorted(set(full) - set(cut)), sorted(set(cut) - set(full))
    if not only_full and not only_cut:
        return None
    first = min(only_full[:1] + only_cut[:1])
    return first, first in only_full, first in only_cut


def _decisions(run, frames: dict, params: dict | None) -> list[tuple]:
    """Every fill and denial of a backtest on ``frames``, as ``(time, symbol, action)`` in time order."""
    spec = run.spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(run.strategy, list(spec.symbols), spec.start_date, spec.end_date, spec.timeframe,
                          params=params, data=frames, config=spec.config, allow_demo=False)
    done = [(pd.Timestamp(f.timestamp), f.symbol, f"fill {f.side} {f.quantity:g}") for f in result.fills]
    done += [(pd.Timestamp(d.timestamp), d.symbol, f"denial {d.rule}") for d in result.denials]
    return sorted(done)


def _typed(target: VectorizedStrategy, params: dict) -> dict:
    """``params`` given as text (the CLI, the magics) in the types of ``generate_signals``' defaults."""
    defaults = signal_defaults(target)
    return {name: coerce_value(name, value, defaults.get(name)) for name, value in params.items()}


def _vectorized_target(strategy) -> bool:
    return isinstance(strategy, VectorizedStrategy) or (isinstance(strategy, type)
                                                        and issubclass(strategy, VectorizedStrategy))


def _cut_count(cuts) -> int:
    if isinstance(cuts, bool) or not isinstance(cuts, int) or cuts < 1:
        raise InputError(f"`cuts` must be a whole number of cut points >= 1, got {cuts!r}")
    return cuts
