"""``BarStore``: a local Parquet store, ``<root>/bars/<timeframe>/<SYMBOL>/<year>.parquet``.

Writes of one (symbol, timeframe) are serialised by a lock file under
``<root>/.locks/`` (``filelock``) and each year file is replaced atomically
(``_store_file.write_atomically``), so concurrent importers end with the union
of their bars and readers never see a half-written file. See ``docs/failures.md``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..settings import load_settings
from . import _store_file as sf
from ._calendar import session_dates
from ._dates import date_bounds, to_ny_date
from ._errors import BarDataError
from ._frame import BAR_COLUMNS, check_bars, empty_bars
from ._gaps import SessionGap, describe_gaps, missing_sessions
from ._resample import infer_timeframe
from ._symbols import normalize_symbol
from ._timeframes import TIMEFRAMES, check_timeframe

__all__ = ["BarStore", "MergeReport", "RepairAction", "default_data_dir"]

_JOIN = " + "
_DEMO = "demo"
#: Seconds a writer waits for another process's write of the same symbol and timeframe.
LOCK_TIMEOUT = 600.0


def default_data_dir() -> Path:
    """The setting ``data.folder`` (``$RESEARCH_ENV_DATA``, or ``[data] folder`` in a config file), else the
    checkout's ``data/`` folder, else ``~/.research-env/data``."""
    configured = load_settings().data.folder
    if configured:
        return Path(configured).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "data"
    return Path.home() / ".research-env" / "data"


def _join_labels(labels) -> str:
    parts: list[str] = []
    for label in labels:
        for part in label.split(_JOIN):
            if part not in parts:
                parts.append(part)
    return _JOIN.join(parts)


def _year_of(path: Path) -> int | None:
    return int(path.stem) if path.suffix == ".parquet" and path.stem.isdigit() else None


def bars_to_merge(symbol: str, timeframe: str, frame: pd.DataFrame, source: str, writer: str) -> pd.DataFrame:
    """``frame`` checked for writing as ``symbol`` ``timeframe`` bars labelled ``source``: the bar checks, and
    bars ``timeframe`` apart. ``writer`` (e.g. ``"BarStore.write"``) names the call in messages."""
    if not isinstance(source, str) or not source.strip():
        raise BarDataError(f"`source`={source!r} must be a label such as 'file:SPY.csv'")
    origin = f"{writer}({symbol!r}, {timeframe!r})"
    bars = check_bars(frame, symbol=symbol, origin=origin)
    try:
        looks_like = infer_timeframe(bars.index.asi8) if len(bars) else None
    except BarDataError:
        looks_like = None
    if looks_like not in (None, timeframe):
        raise BarDataError(f"{origin}: the frame's bars are {looks_like} apart; write it as {looks_like!r} or "
                           "resample it first")
    return bars


class MergeReport(NamedTuple):
    """What writing a frame did: ``rows`` given, stored bars ``replaced`` (same timestamp), of which
    ``changed`` had other values."""

    rows: int
    replaced: int
    changed: int


class RepairAction(NamedTuple):
    """One thing ``BarStore.repair`` did to ``path``: ``action`` and ``reason``."""

    path: Path
    action: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.action} ({self.reason})"


class _Summary(NamedTuple):
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    source: str
    problems: tuple[str, ...]


class BarStore:
    """Bars per symbol and timeframe in yearly Parquet files (years of New York session dates).

    Each file carries its symbol, timeframe, source label and row count in the Parquet
    key-value metadata, checked on every read.
    """

    def __init__(self, root: str | os.PathLike | None = None, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.root = Path(root).expanduser() if root is not None else default_data_dir()
        self.lock_timeout = lock_timeout

    @classmethod
    def existing(cls, folder: str | os.PathLike, name: str = "data") -> BarStore:
        """The store at ``folder``, which must exist: a mistyped folder is an error, not an empty store.

        ``name`` is the argument the folder came from, for the message.
        """
        root = Path(folder).expanduser()
        given = f"`{name}=` (`--{name}`)"
        if not root.is_dir():
            what = "is a file, not a folder" if root.exists() else "does not exist"
            raise BarDataError(
                f"the bar store folder `{root}` given as {given} {what}; check the path, or create a store "
                f"there by importing into it: `research-env data import FILE --{name} {root}`"
            )
        store = cls(root)
        if not (root / "bars").is_dir() and any(not p.name.startswith(".") for p in root.iterdir()):
            inside = sorted(p.name for p in root.iterdir() if p.name in TIMEFRAMES)
            hint = (f"it looks like the `bars` folder of a store: pass its parent `{root.parent}`" if inside
                    else "pass the folder that holds `bars/<timeframe>/<SYMBOL>/<year>.parquet`")
            raise BarDataError(f"`{root}` given as {given} is not a bar store (it has no `bars` folder); {hint}")
        return store

    def __repr__(self) -> str:
        return f"BarStore({str(self.root)!r})"

    # --- files and locks ---------------------------------------------------------------------------------

    def _folder(self, symbol: str, timeframe: str) -> Path:
        return self.root / "bars" / timeframe / symbol

    def _files(self, symbol: str, timeframe: str) -> list[sf.FileId]:
        folder = self._folder(symbol, timeframe)
        if not folder.is_dir():
            return []
        found = ((_year_of(path), path) for path in folder.iterdir())
        return [sf.FileId(path, symbol, timeframe, year) for year, path in sorted(
            (year, path) for year, path in found if year is not None)]

    def _stored(self) -> Iterator[tuple[str, str]]:
        """Every (timeframe, symbol) folder of the store, finest timeframe first."""
        for timeframe in TIMEFRAMES:
            folder = self.root / "bars" / timeframe
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if path.is_dir() and not path.name.startswith("."):
                    yield timeframe, path.name

    @contextlib.contextmanager
    def _locked(self, symbol: str, timeframe: str) -> Iterator[None]:
        """Hold the write lock of (symbol, timeframe) (``<root>/.locks/<timeframe>-<SYMBOL>.lock``)."""
        import filelock

        path = self.root / ".locks" / f"{timeframe}-{symbol}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(path, timeout=self.lock_timeout)
        try:
            lock.acquire()
        except filelock.Timeout as e:
            raise BarDataError(
                f"another process has held the write lock `{path}` of {symbol} {timeframe} for over "
                f"{self.lock_timeout:g}s; wait for its import to finish and try again"
            ) from e
        try:
            yield
        finally:
            lock.release()

    # --- writing -------------------------------------------------------------------------------------------

    def write(self, symbol: str, timeframe: str, frame: pd.DataFrame, source: str) -> int:
        """Validate ``frame`` and merge it into the store (its rows win on equal timestamps).

        ``source`` labels where the bars came from (e.g. ``"file:SPY.csv"``); returns the rows given.
        """
        return self.merge(symbol, timeframe, frame, source).rows

    def merge(self, symbol: str, timeframe: str, frame: pd.DataFrame, source: str, *,
              dry_run: bool = False) -> MergeReport:
        """``write``, reporting how many stored bars the frame replaced; ``dry_run`` writes nothing.

        The year files of (symbol, timeframe) are read, merged and replaced under one lock, so
        concurrent writers serialise: the frame written last wins on equal timestamps.
        """
        symbol, timeframe = normalize_symbol(symbol), check_timeframe(timeframe)
        bars = bars_to_merge(symbol, timeframe, frame, source, "BarStore.write")
        if bars.empty:
            return MergeReport(0, 0, 0)
        years = session_dates(bars.index).astype("datetime64[Y]").astype("int64") + 1970
        folder = self._folder(symbol, timeframe)
        replaced = changed = 0
        with contextlib.nullcontext() if dry_run else self._locked(symbol, timeframe):
            for year in np.unique(years):
                part = bars[years == year]
                file = sf.FileId(folder / f"{year}.parquet", symbol, timeframe, int(year))
                label = source
                if file.path.exists():
                    old, metadata = sf.read_checked(file)
                    overlap = old.index.isin(part.index)
                    replaced += int(overlap.sum())
                    before = old[overlap].to_numpy()
                    after = part.loc[old.index[overlap], list(BAR_COLUMNS)].to_numpy()
                    changed += int((before != after).any(axis=1).sum())
                    kept = old[~overlap]
                    if len(kept):
                        label = _join_labels([metadata[sf.SOURCE].decode(), source])
                    part = pd.concat([kept, part]).sort_index()
                if not dry_run:
                    folder.mkdir(parents=True, exist_ok=True)
                    sf.write_atomically(file.path, part, sf.file_metadata(symbol, timeframe, part, label))
        return MergeReport(len(bars), replaced, changed)

    def merge_frames(self, frames: dict[str, pd.DataFrame], timeframe: str, source: str, *,
                     dry_run: bool = False) -> dict[str, MergeReport]:
        """``merge`` each ``{symbol: frame}`` of one file; returns ``{symbol: MergeReport}``."""
        return {symbol: self.merge(symbol, timeframe, frame, source, dry_run=dry_run)
                for symbol, frame in frames.items()}

    def delete(self, symbol: str, timeframe: str | None = None, year: int | None = None) -> list[Path]:
        """Delete the year files of ``symbol`` (of one ``timeframe`` and/or ``year`` when given).

        Returns the files deleted; deleting nothing raises ``BarDataError`` saying what is stored.
        """
        symbol = normalize_symbol(symbol)
        timeframes = [check_timeframe(timeframe)] if timeframe is not None else self.timeframes(symbol)
        deleted = []
        for frame in timeframes:
            with self._locked(symbol, frame):
                for file in self._files(symbol, frame):
                    if year is None or file.year == year:
                        file.path.unlink()
                        deleted.append(file.path)
                if deleted:
                    sf.sync_folder(self._folder(symbol, frame))
        if not deleted:
            held = ", ".join(f"{f.timeframe} {f.year}" for frame in TIMEFRAMES for f in self._files(symbol, frame))
            wanted = " ".join(x for x in (symbol, timeframe, None if year is None else str(year)) if x)
            raise BarDataError(f"the store at {self.root} has no files for {wanted}"
                               + (f"; it has {symbol} {held}" if held else ""))
        return deleted

    def repair(self) -> list[RepairAction]:
        """Make every file readable again: remove unfinished writes, label files written before the
        metadata checks, and move damaged or misplaced files to ``<root>/quarantine/`` (never deleted).

        Returns what was done; bars moved aside must be imported again.
        """
        actions: list[RepairAction] = []
        for timeframe, symbol in list(self._stored()):
            folder = self._folder(symbol, timeframe)
            with self._locked(symbol, timeframe):
                for path in sorted(folder.glob(f".*{sf.TEMPORARY_SUFFIX}")):
                    path.unlink()
                    actions.append(RepairAction(path, "removed", "an unfinished write of a process that stopped"))
                for file in self._files(symbol, timeframe):
                    try:
                        bars, _ = sf.read_checked(file)
                    except sf.StoreFileError as e:
                        actions.append(self._repair_file(file, e.problem))
                        continue
                    try:
                        check_bars(bars, symbol=symbol, origin=str(file.path))
                    except BarDataError as e:
                        actions.append(self._repair_file(file, f"holds bars that fail the checks: {e}"))
        return actions

    def _repair_file(self, file: sf.FileId, problem: str) -> RepairAction:
        labelled = self._relabel(file)
        if labelled is not None:
            return labelled
        target = self.root / "quarantine" / file.path.relative_to(self.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        number = 0
        while target.exists():
            number += 1
            target = target.with_name(f"{file.year}.parquet.{number}")
        os.replace(file.path, target)
        sf.sync_folder(file.path.parent)
        return RepairAction(file.path, f"moved to {target}",
                            f"it {problem}; import {file.symbol} {file.timeframe} bars of {file.year} again")

    @staticmethod
    def _relabel(file: sf.FileId) -> RepairAction | None:
        """Label a readable file that lacks the symbol/timeframe/rows metadata (written before they existed)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(file.path)
            metadata = table.schema.metadata or {}
            if sf.SYMBOL in metadata or sf.SOURCE not in metadata:
                return None
            bars = check_bars(table.to_pandas(), symbol=file.symbol, origin=str(file.path))
        except (pa.ArrowException, OSError, ValueError, TypeError):  # unreadable or not bars: moved aside instead
            return None
        years = set((session_dates(bars.index).astype("datetime64[Y]").astype("int64") + 1970).tolist())
        if bars.empty or years != {file.year}:
            return None
        label = metadata[sf.SOURCE].decode()
        sf.write_atomically(file.path, bars, sf.file_metadata(file.symbol, file.timeframe, bars, label))
        return RepairAction(file.path, "labelled", f"added symbol {file.symbol}, timeframe {file.timeframe} "
                                                   f"and {len(bars)} rows to its metadata")

    # --- reading -------------------------------------------------------------------------------------------

    def read(self, symbol: str, timeframe: str, start: object = None, end: object = None) -> pd.DataFrame:
        """Bars whose New York session date is in ``[start, end)`` (open-ended when ``None``).

        Opens only the year files that overlap the range (a damaged file of another year does not
        matter); missing data gives an empty frame.
        """
        symbol, timeframe = normalize_symbol(symbol), check_timeframe(timeframe)
        if start is not None and end is not None:
            first, stop = date_bounds(start, end)
        else:
            first = to_ny_date(start, "start") if start is not None else None
            stop = to_ny_date(end, "end") if end is not None else None
        low = -1 if first is None else first.astype("datetime64[Y]").astype(int) + 1970
        high = 10**6 if stop is None else (stop - 1).astype("datetime64[Y]").astype(int) + 1970
        parts = [sf.read_checked(file)[0] for file in self._files(symbol, timeframe) if low <= file.year <= high]
        if not parts:
            return empty_bars()
        bars = pd.concat(parts) if len(parts) > 1 else parts[0]
        dates = session_dates(bars.index)
        keep = np.ones(len(bars), bool)
        if first is not None:
            keep &= dates >= first
        if stop is not None:
            keep &= dates < stop
        return check_bars(bars[keep], symbol=symbol, origin=str(self._folder(symbol, timeframe)))

    def source(self, symbol: str, timeframe: str) -> str | None:
        """The source label of the stored bars (labels of several sources joined by ``' + '``)."""
        summary = self._summary(normalize_symbol(symbol), check_timeframe(timeframe))
        if summary is None or not summary.source:
            return None
        return summary.source

    def _summary(self, symbol: str, timeframe: str) -> _Summary | None:
        """Rows, first and last close, source and problems of (symbol, timeframe) from the footers;
        ``None`` when nothing is stored. Damaged files are listed in ``problems``, not raised."""
        files = self._files(symbol, timeframe)
        if not files:
            return None
        footers, problems = [], []
        for file in files:
            try:
                footers.append(sf.read_footer(file))
            except BarDataError as e:
                problems.append(str(e))
        if not footers:
            return _Summary(0, None, None, "", tuple(problems))
        return _Summary(
            rows=sum(count for count, _ in footers),
            first=pd.Timestamp(footers[0][1][sf.FIRST].decode()),
            last=pd.Timestamp(footers[-1][1][sf.LAST].decode()),
            source=_join_labels(metadata[sf.SOURCE].decode() for _, metadata in footers),
            problems=tuple(problems),
        )

    def gaps(self, symbol: str, timeframe: str) -> list[SessionGap]:
        """NYSE sessions between the first and the last stored bar without a single bar
        (damaged files count as missing)."""
        symbol, timeframe = normalize_symbol(symbol), check_timeframe(timeframe)
        present = []
        for file in self._files(symbol, timeframe):
            with contextlib.suppress(BarDataError):
                present.append(sf.read_stamps(file))
        stamps = np.concatenate(present) if present else np.empty(0, "int64")
        if not len(stamps):
            return []
        dates = session_dates(pd.DatetimeIndex(stamps.view("datetime64[ns]")).tz_localize("UTC"))
        return missing_sessions(dates, dates.min(), dates.max() + 1)

    def coverage(self, *, gaps: bool = False) -> pd.DataFrame:
        """One row per stored (timeframe, symbol): rows, first and last bar close, source and
        ``problems`` (a tuple of messages, one per damaged or misplaced file, which the other columns
        leave out), read from the file footers only. ``gaps=True`` adds ``missing`` (sessions
        without bars between the first and the last bar) and ``gaps`` (their ranges), reading the
        timestamps."""
        columns = ["timeframe", "symbol", "rows", "first", "last", "source", "problems"]
        rows = []
        for timeframe, symbol in self._stored():
            summary = self._summary(symbol, timeframe)
            if summary is None:
                continue
            row = {"timeframe": timeframe, "symbol": symbol, "rows": summary.rows, "first": summary.first,
                   "last": summary.last, "source": summary.source, "problems": summary.problems}
            if gaps:
                found = self.gaps(symbol, timeframe)
                row.update(missing=sum(gap.sessions for gap in found), gaps=describe_gaps(found, limit=10))
            rows.append(row)
        return pd.DataFrame(rows, columns=columns + (["missing", "gaps"] if gaps else []))

    def holdings(self, symbol: str) -> str:
        """What the store has of ``symbol``: ``"5m 2024-01-02 to 2024-01-05 (312 rows); 1d ..."``, or ``""``."""
        symbol = normalize_symbol(symbol)
        held = []
        for timeframe in TIMEFRAMES:
            summary = self._summary(symbol, timeframe)
            if summary is None:
                continue
            if summary.first is None:
                held.append(f"{timeframe} (damaged: {len(summary.problems)} file(s))")
            else:
                held.append(f"{timeframe} {summary.first.tz_convert('America/New_York').date()} to "
                            f"{summary.last.tz_convert('America/New_York').date()} ({summary.rows} rows)")
        return "; ".join(held)

    def timeframes(self, symbol: str) -> list[str]:
        """The timeframes stored for ``symbol``, finest first."""
        symbol = normalize_symbol(symbol)
        return [timeframe for timeframe in TIMEFRAMES if self._files(symbol, timeframe)]

    def symbols(self) -> list[str]:
        """Every symbol with a stored file, at any timeframe, sorted."""
        return sorted({symbol for timeframe, symbol in self._stored() if self._files(symbol, timeframe)})

    def holds_real_bars(self) -> bool:
        """Whether any stored file holds bars other than synthetic ones (``research-env data demo``).

        A file that cannot be read counts as real: something was stored there.
        """
        for timeframe, symbol in self._stored():
            for file in self._files(symbol, timeframe):
                try:
                    _, metadata = sf.read_footer(file)
                except BarDataError:
                    return True
                if metadata[sf.SOURCE].decode() != _DEMO:
                    return True
        return False
