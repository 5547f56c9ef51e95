"""The local cache of the S3 flat files: a ``BarStore`` of its own, plus the sessions known to hold no bars.

A session whose flat file exists but has no (regular-hours) row of a symbol — before its listing, a
halt — is noted in ``<cache>/empty/<timeframe>/<SYMBOL>.txt`` (one ISO date a line), so that it is
not fetched again on every read. A day without a file is not noted: it may still be published.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._store import BarStore
from .._symbols import normalize_symbol

__all__ = ["clear_s3_cache", "known_empty", "remember_empty"]


def _empty_file(cache: BarStore, symbol: str, timeframe: str) -> Path:
    return cache.root / "empty" / timeframe / f"{symbol}.txt"


def known_empty(cache: BarStore, symbol: str, timeframe: str) -> np.ndarray:
    """The sessions (datetime64[D]) whose flat file held no bar of ``symbol``."""
    path = _empty_file(cache, symbol, timeframe)
    if not path.is_file():
        return np.empty(0, "datetime64[D]")
    return np.array(path.read_text().split(), dtype="datetime64[D]")


def remember_empty(cache: BarStore, symbol: str, timeframe: str, days: np.ndarray) -> None:
    """Add ``days`` to the sessions known to hold no bar of ``symbol`` (the file is replaced atomically;
    of two processes writing at once one's days may be lost, and are then fetched once more)."""
    if not len(days):
        return
    path = _empty_file(cache, symbol, timeframe)
    merged = np.union1d(known_empty(cache, symbol, timeframe), np.asarray(days, "datetime64[D]"))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text("".join(f"{day}\n" for day in merged))
    os.replace(temporary, path)


def clear_s3_cache(cache: BarStore, symbol: str | None = None) -> list[Path]:
    """Delete the cached flat-file bars of ``symbol`` (of every symbol when ``None``) from ``cache``.

    Returns the files deleted (none when nothing was cached); no other store is touched.
    """
    symbols = cache.symbols() if symbol is None else [normalize_symbol(symbol)]
    deleted = [path for name in symbols if cache.timeframes(name) for path in cache.delete(name)]
    pattern = "*.txt" if symbol is None else f"{symbols[0]}.txt"
    for path in sorted((cache.root / "empty").glob(f"*/{pattern}")):
        path.unlink()
        deleted.append(path)
    return deleted
