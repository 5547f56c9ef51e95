"""The bar-source chain: the real sources in the settings' order, and one symbol's bars read through them.

Per symbol, the first source whose bars cover every session of the range wins; a source that covers part of
it is completed, session by session, from the sources after it. A source that cannot be reached gives one
warning per call and is skipped. Demo bars are never part of this: ``load_bars`` decides on them afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pandas as pd

from ...settings import Settings, parse_sources
from .._calendar import session_dates
from .._errors import BarDataError, SourceUnavailableError
from .._gaps import expected_sessions, today
from .._origin import DataOrigin
from .._resample import resample
from .._store import BarStore
from .._timeframes import TIMEFRAMES, timeframe_rank
from .._warn import warn
from ._postgres import PostgresBars
from ._s3 import S3FlatFiles

__all__ = ["Chain", "Found", "build_chain", "s3_cache"]

#: Reads (symbol, timeframe, first, stop) -> (bars, served from a local cache, source name).
ReadFunction = Callable[[str, str, np.datetime64, np.datetime64], tuple[pd.DataFrame, bool, str]]


class Found(NamedTuple):
    """One symbol's bars and where they came from."""

    frame: pd.DataFrame
    origin: DataOrigin


class Reader(NamedTuple):
    """One real source of the chain: its ``name`` and how to read from it."""

    name: str
    read: ReadFunction


def s3_cache(store: BarStore) -> BarStore:
    """The local cache of S3 bars: ``<store>/cache/s3``, a store of its own beside the imported bars."""
    return BarStore(store.root / "cache" / "s3", lock_timeout=store.lock_timeout)


def _order(settings: Settings) -> tuple[str, ...]:
    if settings.data.sources is not None:
        return settings.data.sources
    remote = [name for name, on in (("postgres", settings.pg.dsn), ("s3", settings.s3.bucket)) if on]
    return (*remote, "local", "demo")


def _postgres_reader(settings: Settings) -> Reader:
    if not settings.pg.dsn:
        raise BarDataError("the bar sources (`data.sources`, RESEARCH_ENV_SOURCES) list postgres but no server is "
                           "configured; set RESEARCH_ENV_PG_DSN (or `[pg] dsn` in research-env.toml), or drop postgres")
    table = PostgresBars.from_settings(settings)
    return Reader("postgres", lambda symbol, timeframe, first, stop: (
        table.read(symbol, timeframe, first, stop), False, "postgres"))


def _s3_reader(settings: Settings, store: BarStore) -> Reader:
    if not settings.s3.bucket:
        raise BarDataError("the bar sources (`data.sources`, RESEARCH_ENV_SOURCES) list s3 but no bucket is "
                           "configured; set RESEARCH_ENV_S3_BUCKET (or `[s3] bucket` in research-env.toml), or drop s3")
    files = S3FlatFiles.from_settings(settings, cache=s3_cache(store))
    return Reader("s3", lambda symbol, timeframe, first, stop: (*files.read(symbol, timeframe, first, stop), "s3"))


def _local_reader(store: BarStore) -> Reader:
    def read(symbol: str, timeframe: str, first, stop) -> tuple[pd.DataFrame, bool, str]:
        frame = store.read(symbol, timeframe, first, stop)
        synthetic = not frame.empty and store.source(symbol, timeframe) == "demo"  # written by `data demo`
        return frame, False, "demo" if synthetic else "local"

    return Reader("local", read)


class Chain:
    """The real sources in order (``readers``) and whether demo bars are a member (``demo``)."""

    def __init__(self, readers: list[Reader], demo: bool, store: BarStore) -> None:
        self.readers, self.demo, self.store = readers, demo, store
        self.down: dict[str, str] = {}

    @property
    def names(self) -> list[str]:
        """The real sources' names, in order."""
        return [reader.name for reader in self.readers]

    @property
    def remote(self) -> bool:
        """Whether a remote source (PostgreSQL, S3) is configured."""
        return any(name != "local" for name in self.names)

    def read(self, symbol: str, timeframe: str, first: np.datetime64, stop: np.datetime64) -> Found | None:
        """``symbol``'s bars of ``[first, stop)`` from the first source with all of them, completed from the
        next ones when it has only part; synthetic bars a store holds come back only when no source has real
        ones. ``None`` when no source has any."""
        until = min(stop, today())
        wanted = expected_sessions(first, until)
        parts: list[Found] = []
        synthetic = None
        missing = wanted
        for reader in self.readers:
            found = self._read_one(reader, symbol, timeframe, first, stop)
            if found is None:
                continue
            if found.origin.source == "demo":
                synthetic = synthetic or found
                continue
            days = session_dates(found.frame.index)
            if parts:  # completing: only the sessions still missing
                found = Found(found.frame[np.isin(days, missing)], found.origin)
                if found.frame.empty:
                    continue
                days = session_dates(found.frame.index)
            parts.append(found)
            missing = missing[~np.isin(missing, days)]
            if not len(missing):
                break
        if not parts:
            return synthetic
        return _combine(parts)

    def _read_one(self, reader: Reader, symbol: str, timeframe: str, first, stop) -> Found | None:
        """The source's bars at ``timeframe``, else the nearest finer stored timeframe resampled."""
        if reader.name in self.down:
            return None
        try:
            for stored in (timeframe, *reversed(TIMEFRAMES[: timeframe_rank(timeframe)])):
                frame, cached, name = reader.read(symbol, stored, first, stop)
                if not frame.empty:
                    if stored != timeframe:
                        frame = resample(frame, timeframe, from_timeframe=stored)
                    return Found(frame, DataOrigin(name, cached, None if stored == timeframe else stored))
        except SourceUnavailableError as e:
            self.down[reader.name] = str(e)
            rest = [name for name in self.names if name != reader.name and name not in self.down]
            warn(f"bar source {reader.name} skipped: {e}. Trying {', '.join(rest) or 'no other source'} instead")
        return None

    def tried(self) -> str:
        """``"postgres (unreachable: ...), s3, local"``: the sources looked in, for an error message."""
        return ", ".join(f"{name} (unreachable)" if name in self.down else name for name in self.names)


def _combine(parts: list[Found]) -> Found:
    if len(parts) == 1:
        return parts[0]
    names = list(dict.fromkeys(part.origin.source for part in parts))
    frame = pd.concat([part.frame for part in parts]).sort_index()
    origin = DataOrigin("+".join(names), all(part.origin.cached for part in parts), parts[0].origin.resampled_from)
    return Found(frame, origin)


def build_chain(settings: Settings, store: BarStore, sources=None) -> Chain:
    """The chain of ``sources`` (names in order; default: the settings' ``data.sources``, else PostgreSQL when
    configured, S3 when configured, the local store, demo)."""
    order = (parse_sources(sources) if sources is not None else None) or _order(settings)
    readers = []
    for name in order:
        if name == "postgres":
            readers.append(_postgres_reader(settings))
        elif name == "s3":
            readers.append(_s3_reader(settings, store))
        elif name == "local":
            readers.append(_local_reader(store))
    return Chain(readers, "demo" in order, store)
