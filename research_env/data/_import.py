"""``import_bars``: read bar files and write them into a ``BarStore``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ._errors import BarDataError
from ._read import read_bars
from ._store import BarStore

__all__ = ["import_bars"]

_SUMMARY = ["symbol", "timeframe", "rows", "first", "last", "file"]


def import_bars(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    store: BarStore | None = None,
    source: str | None = None,
    **read_options,
) -> pd.DataFrame:
    """Read each file with ``read_bar_file(path, **read_options)`` and merge it into ``store``.

    ``source`` labels the stored bars (default ``"file:<name>"``). Returns one summary row per
    file and symbol: symbol, timeframe, rows, first, last, file.
    """
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    store = store if store is not None else BarStore()
    summary = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            raise BarDataError(
                f"`{path}` is a folder; pass its files, e.g. `sorted(Path({str(path)!r}).glob('*.zip'))`"
            )
        frames, timeframe = read_bars(path, **read_options)
        for symbol, frame in frames.items():
            store.write(symbol, timeframe, frame, source or f"file:{path.name}")
            summary.append([symbol, timeframe, len(frame), frame.index[0], frame.index[-1], str(path)])
    return pd.DataFrame(summary, columns=_SUMMARY)
