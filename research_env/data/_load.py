"""``load_bars`` and its fallback chain: local store, finer local data resampled, demo bars."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from ._dates import date_bounds
from ._demo import demo_bars
from ._errors import BarDataError
from ._resample import resample
from ._store import BarStore
from ._symbols import normalize_symbol
from ._timeframes import TIMEFRAMES, check_timeframe, timeframe_rank
from ._warn import warn

__all__ = ["BarData", "load_bars"]


@dataclass(frozen=True)
class BarData:
    """Bars of several symbols at one timeframe, with where each symbol's bars came from."""

    frames: dict[str, pd.DataFrame]
    sources: dict[str, str]
    timeframe: str

    @property
    def synthetic_symbols(self) -> list[str]:
        """Symbols whose bars are synthetic (source ``"demo"``, possibly resampled)."""
        return [symbol for symbol, source in self.sources.items() if source.startswith("demo")]


def _symbol_list(symbols: str | Iterable[str]) -> dict[str, str]:
    """``{symbol as given: ticker}``; the store and the demo generator use the upper-case ticker."""
    items = [symbols] if isinstance(symbols, str) else list(symbols)
    names = {
        item.strip() if isinstance(item, str) else item: normalize_symbol(item, "symbols") for item in items
    }
    if not names:
        raise BarDataError("`symbols` is empty; pass a ticker such as 'SPY' or a list of them")
    return names


def _what_store_has(store: BarStore, symbol: str) -> str:
    coverage = store.coverage()
    rows = coverage[coverage["symbol"] == symbol]
    if rows.empty:
        return f"the store at {store.root} has no data for {symbol}"
    held = "; ".join(
        f"{row.timeframe} {row.first.date()} to {row.last.date()} ({row.rows} rows)"
        for row in rows.itertuples()
    )
    return f"the store at {store.root} has {symbol} {held}"


def _from_store(store: BarStore, symbol: str, timeframe: str, first, stop) -> tuple[pd.DataFrame, str]:
    frame = store.read(symbol, timeframe, first, stop)
    if not frame.empty:
        return frame, _label(store, symbol, timeframe)
    for finer in reversed(TIMEFRAMES[: timeframe_rank(timeframe)]):
        frame = store.read(symbol, finer, first, stop)
        if not frame.empty:
            label = f"{_label(store, symbol, finer)}({finer}→{timeframe})"
            return resample(frame, timeframe, from_timeframe=finer), label
    return frame, ""


def _label(store: BarStore, symbol: str, timeframe: str) -> str:
    """"local" for stored market data; "demo" for synthetic bars written by ``research-env data demo``."""
    return "demo" if store.source(symbol, timeframe) == "demo" else "local"


def load_bars(
    symbols: str | Iterable[str],
    start: object,
    end: object,
    timeframe: str,
    *,
    store: BarStore | None = None,
    allow_demo: bool = True,
) -> BarData:
    """Bars of each symbol with New York session date in ``[start, end)``, keyed as given.

    For each symbol: the local store at ``timeframe``, else a finer stored timeframe
    resampled (source ``"local(5m→1h)"``), else synthetic demo bars (source ``"demo"``,
    with a warning) when ``allow_demo``; otherwise ``BarDataError`` saying what the store has.
    """
    timeframe = check_timeframe(timeframe)
    first, stop = date_bounds(start, end)
    names = _symbol_list(symbols)
    store = store if store is not None else BarStore()
    frames, sources = {}, {}
    for name, symbol in names.items():
        frame, source = _from_store(store, symbol, timeframe, first, stop)
        if frame.empty and allow_demo:
            frame, source = demo_bars(symbol, timeframe, first, stop), "demo"
        if frame.empty:
            fix = "import data with import_bars(...)" + ("" if allow_demo else " or pass allow_demo=True")
            why = "no NYSE sessions in that range" if source == "demo" else _what_store_has(store, symbol)
            raise BarDataError(f"no {timeframe} bars for {symbol} in [{first}, {stop}) ({why}); {fix}")
        frames[name], sources[name] = frame, source
    synthetic = [symbol for symbol, source in sources.items() if source == "demo"]
    if synthetic:
        warn(
            f"load_bars: no local {timeframe} data for {', '.join(synthetic)} in [{first}, {stop}) in "
            f"{store.root}; using SYNTHETIC demo bars, not market prices. Import real data with "
            "import_bars(...) or pass allow_demo=False to fail instead"
        )
    return BarData(frames, sources, timeframe)
