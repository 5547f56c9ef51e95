"""``load_bars`` and its fallback chain: PostgreSQL, S3 flat files, the local store, demo bars.

The chain's order and members come from the settings (``data.sources``, ``RESEARCH_ENV_SOURCES``); see
``_chain``. The one rule for demo bars (``allow_demo``): ``True`` allows them, ``False`` never, ``None``
(the default) only while no real source is configured or holds any bars (a fresh install). Demo bars never
complete a partly covered range and, unless allowed outright, never stand in for one symbol next to real ones.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..settings import load_settings
from ._calendar import session_dates
from ._dates import date_bounds
from ._demo import demo_bars
from ._errors import BarDataError
from ._gaps import SessionGap, describe_gaps, expected_sessions, missing_sessions, today
from ._origin import DataOrigin
from ._store import BarStore
from ._symbols import normalize_symbol
from ._timeframes import check_timeframe, timeframe_rank
from ._warn import warn
from .sources import Chain, build_chain

__all__ = ["BarData", "load_bars"]

_DEMO_FIX = "pass allow_demo=True (`--demo`) to run on synthetic bars"


@dataclass(frozen=True)
class BarData:
    """Bars of several symbols at one timeframe, with where each symbol's bars came from (``origins``).

    ``gaps`` holds, per symbol keyed as in ``frames``, the runs of NYSE sessions of the
    requested range that the real bars miss (leading and trailing ones included); a symbol
    whose bars cover every session has no entry.
    """

    frames: dict[str, pd.DataFrame]
    origins: dict[str, DataOrigin]
    timeframe: str
    gaps: dict[str, tuple[SessionGap, ...]] = field(default_factory=dict)

    @property
    def sources(self) -> dict[str, str]:
        """``{symbol: "local"}``, ``"local(5m→1h)"``, ``"s3 cached"``, ``"demo"``, ``"user"``: each origin's label."""
        return {symbol: origin.label(self.timeframe) for symbol, origin in self.origins.items()}

    @property
    def synthetic_symbols(self) -> list[str]:
        """Symbols whose bars are synthetic (source ``"demo"``, possibly resampled)."""
        return [symbol for symbol, origin in self.origins.items() if origin.source == "demo"]


def _symbol_list(symbols: str | Iterable[str]) -> dict[str, str]:
    """``{symbol as given: ticker}``; the store and the demo generator use the upper-case ticker."""
    items = [symbols] if isinstance(symbols, str) else list(symbols)
    names = {
        item.strip() if isinstance(item, str) else item: normalize_symbol(item, "symbols") for item in items
    }
    if not names:
        raise BarDataError("`symbols` is empty; pass a ticker such as 'SPY' or a list of them")
    return names


def _no_bars(store: BarStore, symbol: str, timeframe: str, first, stop, allow_demo: bool | None,
             stored_demo: bool) -> str:
    """Why ``symbol`` has no usable bars, and the fix."""
    if stored_demo:
        why = "allow_demo=False (`--no-demo`)" if allow_demo is False else "the store holds real bars of other symbols"
        return (f"the store at {store.root} has only synthetic demo {timeframe} bars for {symbol} (written by "
                f"`research-env data demo`) and {why}; import real {symbol} bars, or {_DEMO_FIX}")
    held = store.holdings(symbol)
    if held:
        stored = store.timeframes(symbol)
        if all(timeframe_rank(tf) > timeframe_rank(timeframe) for tf in stored):
            names = " or ".join(repr(tf) for tf in stored)
            return (f"no {timeframe} bars for {symbol}, nor finer ones to resample: the store at {store.root} has "
                    f"{symbol} {held}; pass timeframe={names} (`--timeframe {stored[0]}`), or import {symbol} "
                    f"{timeframe} bars")
        return (f"no {timeframe} bars for {symbol} in [{first}, {stop}) (the store at {store.root} has {symbol} "
                f"{held}); pick dates in that range, import bars of those dates, or {_DEMO_FIX}")
    stored = store.symbols()
    if not stored:
        return (f"no {timeframe} bars for {symbol}: the store at {store.root} is empty; import bars with "
                f"`research-env data import FILE` (import_bars), or {_DEMO_FIX}")
    close = difflib.get_close_matches(symbol, stored, n=3, cutoff=0.6)
    guess = f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
    listing = ", ".join(stored[:12]) + (f" and {len(stored) - 12} more" if len(stored) > 12 else "")
    return (f"`symbols` has `{symbol}`, which the store at {store.root} does not hold{guess} (it holds {listing}). "
            f"Import {symbol} bars with `research-env data import FILE` (import_bars), or {_DEMO_FIX}")


def _check_coverage(name: str, frame: pd.DataFrame, source: str, timeframe: str, first, stop) -> list[SessionGap]:
    """The sessions of ``[first, stop)`` (up to yesterday) without bars, with one warning naming them."""
    until = min(stop, today())
    present = np.unique(session_dates(frame.index))
    gaps = missing_sessions(present, first, until)
    if gaps:
        expected = len(expected_sessions(first, until))
        missing = sum(gap.sessions for gap in gaps)
        warn(
            f"{name}: the {timeframe} bars ({source}) cover {present[0]} to {present[-1]}, {expected - missing} of "
            f"the {expected} NYSE sessions in [{first}, {until}); missing {describe_gaps(gaps)}. The run uses "
            "only the bars there are: import the missing sessions or narrow the range"
        )
    return gaps


def load_bars(
    symbols: str | Iterable[str],
    start: object,
    end: object,
    timeframe: str,
    *,
    store: BarStore | str | os.PathLike | None = None,
    allow_demo: bool | None = None,
    sources: str | Iterable[str] | None = None,
) -> BarData:
    """Bars of each symbol with New York session date in ``[start, end)``, keyed as given.

    For each symbol, the sources of the chain in order (``sources``, default the settings'
    ``data.sources``: PostgreSQL when configured, S3 flat files when configured, the local
    ``store``, demo): the first that holds every session of the range wins, at ``timeframe`` or
    resampled from a finer stored one (``BarData.origins`` says which, e.g. ``local(5m→1h)``);
    one that holds part is completed from the next real ones. A source that cannot be reached
    warns and is skipped. Synthetic demo bars (with a warning) only when allowed:
    ``allow_demo=True``, or ``None`` while no real source is configured or holds bars. Otherwise
    ``BarDataError`` says what the store has (with "did you mean" suggestions for an unknown
    symbol). Real bars that miss sessions of the range warn with the missing ranges, recorded
    in ``BarData.gaps``. ``store``: a ``BarStore``, the folder of one (which must exist), or
    ``None`` for the default store.
    """
    if allow_demo not in (None, True, False):
        raise BarDataError(f"`allow_demo`={allow_demo!r}; use True, False or None (demo bars on a fresh install)")
    timeframe = check_timeframe(timeframe)
    first, stop = date_bounds(start, end)
    names = _symbol_list(symbols)
    if not len(expected_sessions(first, stop)):
        raise BarDataError(f"no {timeframe} bars for {', '.join(dict.fromkeys(names.values()))} in [{first}, "
                           f"{stop}) (no NYSE sessions in that range); widen the range")
    store = _store(store)
    chain = build_chain(load_settings(), store, sources)
    demo_allowed = allow_demo  # None: decided below, once, if a symbol needs it
    frames, origins, gaps = {}, {}, {}
    for name, symbol in names.items():
        found = chain.read(symbol, timeframe, first, stop)
        synthetic = found is not None and found.origin.source == "demo"
        if found is None or synthetic:
            if demo_allowed is None:
                demo_allowed = chain.demo and not chain.remote and not store.holds_real_bars()
            if not (demo_allowed and chain.demo):
                raise BarDataError(_why_none(chain, symbol, timeframe, first, stop, allow_demo, synthetic))
        if found is None:
            frames[name], origins[name] = demo_bars(symbol, timeframe, first, stop), DataOrigin("demo")
            continue
        if not synthetic:
            found_gaps = _check_coverage(name, found.frame, found.origin.label(timeframe), timeframe, first, stop)
            if found_gaps:
                gaps[name] = tuple(found_gaps)
        frames[name], origins[name] = found.frame, found.origin
    synthetic = [name for name, origin in origins.items() if origin.source == "demo"]
    if synthetic:
        warn(
            f"load_bars: no local {timeframe} data for {', '.join(synthetic)} in [{first}, {stop}) in "
            f"{store.root}; using SYNTHETIC demo bars, not market prices. Import real data with "
            "import_bars(...) or pass allow_demo=False (`--no-demo`) to fail instead"
        )
    return BarData(frames, origins, timeframe, gaps)


def _why_none(chain: Chain, symbol: str, timeframe: str, first, stop, allow_demo, synthetic: bool) -> str:
    """``_no_bars`` for the local store, plus the other sources looked in and why demo bars were not used."""
    message = _no_bars(chain.store, symbol, timeframe, first, stop, allow_demo, synthetic)
    if not chain.demo and allow_demo is not False:
        message += " (demo bars are not among the configured sources `data.sources`)"
    if chain.remote:
        message += f". Sources looked in: {chain.tried()}"
    return message


def _store(store) -> BarStore:
    if store is None:
        return BarStore()
    if isinstance(store, BarStore):
        return store
    if isinstance(store, str | os.PathLike):
        return BarStore.existing(store, name="store")
    raise BarDataError(f"`store` must be a BarStore or a store folder, got {type(store).__name__}")
