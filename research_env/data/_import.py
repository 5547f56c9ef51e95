"""``import_bars``: read bar files and write them into a ``BarStore``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ._errors import BarDataError, BarImportError
from ._read import read_bars
from ._store import BarStore

if TYPE_CHECKING:
    from .sources import PostgresBars

__all__ = ["import_bars"]

_SUMMARY = ["symbol", "timeframe", "rows", "replaced", "changed", "first", "last", "file"]


def import_bars(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    store: BarStore | PostgresBars | None = None,
    source: str | None = None,
    dry_run: bool = False,
    **read_options,
) -> pd.DataFrame:
    """Read each file with ``read_bar_file(path, **read_options)`` and merge it into ``store``.

    ``store`` is the local ``BarStore`` (default) or a ``PostgresBars`` table, which writes each file in
    one transaction.

    ``source`` labels the stored bars (default ``"file:<name>"``). Returns one summary row per
    file and symbol: symbol, timeframe, rows, replaced (stored bars with the same timestamp that
    the file's bars replaced), changed (of those, the ones with other values), first, last, file.
    ``dry_run=True`` reads, checks and counts without writing.

    One file that cannot be imported raises its ``BarDataError``. Of several files, every good
    one is stored; if any is refused, ``BarImportError`` lists what was stored and what was
    refused and why (its ``stored`` summary and ``refused`` dict say the same).
    """
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    store = store if store is not None else BarStore()
    summary, refused = [], {}
    for item in items:
        path = Path(item)
        try:
            if path.is_dir():
                raise BarDataError(
                    f"`{path}` is a folder; pass its files, e.g. `sorted(Path({str(path)!r}).glob('*.zip'))`"
                )
            frames, timeframe = read_bars(path, **read_options)
            reports = store.merge_frames(frames, timeframe, source or f"file:{path.name}", dry_run=dry_run)
            for symbol, frame in frames.items():
                report = reports[symbol]
                summary.append([symbol, timeframe, report.rows, report.replaced, report.changed, frame.index[0],
                                frame.index[-1], str(path)])
        except BarDataError as e:
            if len(items) == 1:
                raise
            refused[str(path)] = str(e)
    table = pd.DataFrame(summary, columns=_SUMMARY)
    if refused:
        raise BarImportError(table, refused, dry_run)
    return table
