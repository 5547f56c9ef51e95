"""What the chain is made of: ``data_sources`` (reachability and holdings) and ``clear_cache``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...settings import Settings, load_settings
from .._errors import SourceUnavailableError
from .._store import BarStore
from .._symbols import normalize_symbol
from ._chain import build_chain, s3_cache
from ._postgres import PostgresBars
from ._s3 import S3FlatFiles, clear_s3_cache

__all__ = ["clear_cache", "data_sources"]

_COLUMNS = ["order", "source", "where", "reachable", "holds"]


def clear_cache(symbol: str | None = None, *, store: BarStore | None = None) -> list[Path]:
    """Delete the bars cached from S3 flat files (of one ``symbol``, or all); imported bars are never touched.

    Returns the files deleted (none when nothing was cached).
    """
    store = store if store is not None else BarStore()
    return clear_s3_cache(s3_cache(store), None if symbol is None else normalize_symbol(symbol))


def _postgres_row(settings: Settings, symbol: str | None) -> tuple[str, object, str]:
    table = PostgresBars.from_settings(settings)
    try:
        table.check()
        held = table.holdings(symbol) if symbol else f"{len(table.symbols())} symbols"
        return repr(table), True, held or "nothing"
    except SourceUnavailableError as e:
        return repr(table), False, str(e)
    finally:
        table.dispose()


def _s3_row(settings: Settings, store: BarStore, symbol: str | None) -> tuple[str, object, str]:
    cache = s3_cache(store)
    files = S3FlatFiles.from_settings(settings, cache=cache)
    cached = (cache.holdings(symbol) if symbol else f"{len(cache.symbols())} symbols") or "nothing"
    try:
        files.check()
    except SourceUnavailableError as e:
        return repr(files), False, f"{e}; cached: {cached}"
    return repr(files), True, f"1m and 1d flat files by day; cached: {cached}"


def data_sources(symbol: str | None = None, *, store: BarStore | None = None,
                 settings: Settings | None = None) -> pd.DataFrame:
    """The chain in order, one row per source: ``source``, ``where`` (server, bucket or folder; never a
    password), ``reachable`` (``True``/``False``; ``None`` for sources that are always there) and ``holds``
    (what it has of ``symbol``, or a summary; the reason when it cannot be reached)."""
    settings = settings if settings is not None else load_settings()
    store = store if store is not None else BarStore()
    symbol = None if symbol is None else normalize_symbol(symbol)
    chain = build_chain(settings, store)
    rows = []
    for name in chain.names:
        if name == "postgres":
            rows.append((name, *_postgres_row(settings, symbol)))
        elif name == "s3":
            rows.append((name, *_s3_row(settings, store, symbol)))
        else:
            held = store.holdings(symbol) if symbol else f"{len(store.symbols())} symbols"
            rows.append((name, str(store.root), None, held or "nothing"))
    if chain.demo:
        rows.append(("demo", "generated", None, "synthetic bars, used only when allowed (allow_demo / --demo)"))
    return pd.DataFrame([(i + 1, *row) for i, row in enumerate(rows)], columns=_COLUMNS)
