"""``PostgresBars``: bars in the PostgreSQL table ``bars`` (created by ``research-env db init``).

Reads and writes move rows with binary ``COPY``, built and read with numpy: no Python loop per row.
A file's frames are written in one transaction, so either all its symbols land or none.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ...db import PG_EPOCH_US, connection_problem, copy_payload, decode_rows, encode_rows, get_engine, is_postgres
from ...db import redact as redact_url
from ...settings import Settings, load_settings
from .._dates import NEW_YORK
from .._errors import BarDataError, SourceUnavailableError
from .._frame import BAR_COLUMNS, make_bars
from .._store import MergeReport, bars_to_merge
from .._symbols import normalize_symbol
from .._timeframes import TIMEFRAMES, check_timeframe

__all__ = ["PostgresBars"]

_BAR_FORMATS = (">i8", ">f8", ">f8", ">f8", ">f8", ">f8")  # ts (microseconds since 2000), open ... volume
_READ = ("COPY (SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = %s AND timeframe = %s "
         "AND ts >= %s AND ts < %s ORDER BY ts) TO STDOUT (FORMAT BINARY)")
_INCOMING = ("CREATE TEMPORARY TABLE incoming (symbol text NOT NULL, ts timestamptz NOT NULL, "
             "open float8 NOT NULL, high float8 NOT NULL, low float8 NOT NULL, close float8 NOT NULL, "
             "volume float8 NOT NULL) ON COMMIT DROP")
_VALUES = "(b.open, b.high, b.low, b.close, b.volume) IS DISTINCT FROM (i.open, i.high, i.low, i.close, i.volume)"
_COUNT = (f"SELECT i.symbol, count(*), count(*) FILTER (WHERE {_VALUES}) FROM incoming i "
          "JOIN bars b ON b.symbol = i.symbol AND b.timeframe = %s AND b.ts = i.ts GROUP BY i.symbol")
_COLUMNS = ("open", "high", "low", "close", "volume", "source")
_UPSERT = ("INSERT INTO bars (symbol, timeframe, ts, open, high, low, close, volume, source) "
           "SELECT symbol, %(timeframe)s::text, ts, open, high, low, close, volume, %(source)s::text FROM incoming "
           "ON CONFLICT (symbol, timeframe, ts) DO UPDATE SET "
           + ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS)
           + f" WHERE ({', '.join(f'bars.{c}' for c in _COLUMNS)}) IS DISTINCT FROM "
           f"({', '.join(f'EXCLUDED.{c}' for c in _COLUMNS)})")
# The symbols by a loose index scan of the primary key: one index probe per symbol, not a scan of every bar.
_SYMBOLS = ("WITH RECURSIVE s(symbol) AS ((SELECT symbol FROM bars ORDER BY symbol LIMIT 1) UNION ALL "
            "SELECT (SELECT b.symbol FROM bars b WHERE b.symbol > s.symbol ORDER BY b.symbol LIMIT 1) "
            "FROM s WHERE s.symbol IS NOT NULL) SELECT symbol FROM s WHERE symbol IS NOT NULL")
_TIMEFRAMES = ("SELECT t.timeframe FROM unnest(%s::text[]) AS t(timeframe) "
               "WHERE EXISTS (SELECT 1 FROM bars b WHERE b.symbol = %s AND b.timeframe = t.timeframe)")
_COVERAGE = ("SELECT timeframe, symbol, count(*), min(ts), max(ts), string_agg(DISTINCT source, ' + ') "
             "FROM bars GROUP BY timeframe, symbol")
_HOLDINGS = "SELECT timeframe, count(*), min(ts), max(ts) FROM bars WHERE symbol = %s GROUP BY timeframe"


def _ny_midnight(date: np.datetime64):
    """The UTC instant New York's ``date`` begins: bars closing from then on have that session date or later."""
    return pd.Timestamp(date).tz_localize(NEW_YORK).tz_convert("UTC").to_pydatetime()


def _ny_date(stamp) -> datetime.date:
    return pd.Timestamp(stamp).tz_convert(NEW_YORK).date()


def _checked(symbol: str, timeframe: str, frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """``frame`` validated as ``BarStore.merge`` does, and in whole microseconds (PostgreSQL's resolution)."""
    bars = bars_to_merge(symbol, timeframe, frame, source, "PostgresBars.merge")
    fine = np.flatnonzero(bars.index.asi8 % 1000)
    if len(fine):
        raise BarDataError(f"PostgresBars.merge({symbol!r}, {timeframe!r}): PostgreSQL keeps timestamps to the "
                           f"microsecond and {bars.index[fine[0]]} has nanoseconds; round the index first "
                           "(`frame.index = frame.index.round('us')`)")
    return bars


def _records(symbol: str, bars: pd.DataFrame) -> np.ndarray:
    """The rows of ``incoming`` (symbol, ts, open ... volume) for one symbol's bars, in binary COPY form."""
    name = symbol.encode()
    micros = bars.index.asi8 // 1000 - PG_EPOCH_US
    formats = (f"S{len(name)}", *_BAR_FORMATS)
    return encode_rows(formats, [name, micros, *(bars[c].to_numpy() for c in BAR_COLUMNS)], len(bars))


class PostgresBars:
    """Bars in the PostgreSQL table ``bars`` of the server ``dsn``."""

    name = "postgres"

    def __init__(self, dsn: str, *, connect_timeout: float | None = 5.0, statement_timeout: float | None = 60.0,
                 pool_size: int = 4) -> None:
        if not isinstance(dsn, str) or not is_postgres(dsn):
            shown = redact_url(dsn) if isinstance(dsn, str) else repr(dsn)
            raise BarDataError(f"`dsn`={shown} is not a PostgreSQL URL; use postgresql://USER:PASSWORD@HOST:PORT/DB")
        self._dsn = dsn
        self._options = {"connect_timeout": connect_timeout, "statement_timeout": statement_timeout,
                         "pool_size": pool_size}

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PostgresBars | None:
        """The server of the settings ``[pg]`` (``RESEARCH_ENV_PG_DSN`` ...); ``None`` when ``pg.dsn`` is not set."""
        pg = (settings if settings is not None else load_settings()).pg
        if not pg.dsn:
            return None
        return cls(pg.dsn, connect_timeout=pg.connect_timeout, statement_timeout=pg.statement_timeout,
                   pool_size=pg.pool_size)

    def __repr__(self) -> str:
        return f"PostgresBars({redact_url(self._dsn)!r})"

    @contextlib.contextmanager
    def _connection(self, *, write: bool = False) -> Iterator:
        """A pooled psycopg connection in a transaction, committed when ``write`` (else rolled back).

        A server that cannot be used raises ``SourceUnavailableError`` saying why and what to do.
        """
        import psycopg
        from sqlalchemy.exc import DBAPIError

        engine = get_engine(self._dsn, **self._options)
        try:
            with engine.begin() if write else engine.connect() as connection:
                yield connection.connection.driver_connection
        except (DBAPIError, psycopg.Error) as e:
            problem = connection_problem(e, self._dsn)
            if problem is None:
                raise
            raise SourceUnavailableError(
                self.name, f"the postgres bar source `{redact_url(self._dsn)}` cannot be used: {problem}") from e

    def check(self) -> None:
        """Raise ``SourceUnavailableError`` unless the server answers and holds the ``bars`` table."""
        with self._connection() as connection:
            connection.execute("SELECT 1 FROM bars LIMIT 0")

    def dispose(self) -> None:
        """Close the pooled connections (a later call opens new ones)."""
        get_engine(self._dsn, **self._options).dispose()

    # --- reading -------------------------------------------------------------------------------------------

    def read(self, symbol: str, timeframe: str, first: np.datetime64, stop: np.datetime64) -> pd.DataFrame:
        """Bars whose New York session date is in ``[first, stop)`` (``datetime64[D]``), like ``BarStore.read``.

        A bar's session date is the New York date of its close, so the range is exactly the closes from
        New York midnight of ``first`` to that of ``stop``: one primary-key range scan, sent as binary COPY.
        """
        symbol, timeframe = normalize_symbol(symbol), check_timeframe(timeframe)
        payload = bytearray()
        with self._connection() as connection, connection.cursor() as cursor, cursor.copy(
                _READ, (symbol, timeframe, _ny_midnight(first), _ny_midnight(stop))) as copy:
            while data := copy.read():
                payload += data
        rows = decode_rows(payload, _BAR_FORMATS)
        stamps = (rows["f0"].astype("int64") + PG_EPOCH_US) * 1000
        return make_bars(stamps, rows["f1"], rows["f2"], rows["f3"], rows["f4"], rows["f5"])

    def timeframes(self, symbol: str) -> list[str]:
        """The timeframes stored for ``symbol``, finest first."""
        with self._connection() as connection:
            found = {row[0] for row in connection.execute(_TIMEFRAMES, (list(TIMEFRAMES), normalize_symbol(symbol)))}
        return [timeframe for timeframe in TIMEFRAMES if timeframe in found]

    def holdings(self, symbol: str) -> str:
        """What the table has of ``symbol``: ``"5m 2024-01-02 to 2024-01-05 (312 rows); 1d ..."``, or ``""``."""
        with self._connection() as connection:
            held = {row[0]: row[1:] for row in connection.execute(_HOLDINGS, (normalize_symbol(symbol),))}
        return "; ".join(f"{timeframe} {_ny_date(held[timeframe][1])} to {_ny_date(held[timeframe][2])} "
                         f"({held[timeframe][0]} rows)" for timeframe in TIMEFRAMES if timeframe in held)

    def symbols(self) -> list[str]:
        """Every symbol with stored bars, at any timeframe, sorted."""
        with self._connection() as connection:
            return [row[0] for row in connection.execute(_SYMBOLS)]

    def coverage(self) -> pd.DataFrame:
        """One row per stored (timeframe, symbol), finest timeframe first: rows, first and last bar close
        (UTC) and source (the labels of several sources joined by ``' + '``)."""
        columns = ["timeframe", "symbol", "rows", "first", "last", "source"]
        with self._connection() as connection:
            table = pd.DataFrame(connection.execute(_COVERAGE).fetchall(), columns=columns)
        table["first"] = pd.to_datetime(table["first"], utc=True)
        table["last"] = pd.to_datetime(table["last"], utc=True)
        rank = table["timeframe"].map(TIMEFRAMES.index)
        return table.assign(rank=rank).sort_values(["rank", "symbol"]).drop(columns="rank").reset_index(drop=True)

    def holds_bars(self) -> bool:
        """Whether the table holds any bar."""
        with self._connection() as connection:
            return connection.execute("SELECT EXISTS (SELECT 1 FROM bars)").fetchone()[0]

    # --- writing -------------------------------------------------------------------------------------------

    def merge(self, symbol: str, timeframe: str, frame: pd.DataFrame, source: str, *,
              dry_run: bool = False) -> MergeReport:
        """Validate ``frame`` and upsert it (its rows win on equal close times); ``dry_run`` writes nothing."""
        return self.merge_frames({symbol: frame}, timeframe, source, dry_run=dry_run)[symbol]

    def merge_frames(self, frames: dict[str, pd.DataFrame], timeframe: str, source: str, *,
                     dry_run: bool = False) -> dict[str, MergeReport]:
        """Upsert the ``{symbol: frame}`` of one file in one transaction; returns ``{symbol: MergeReport}``.

        Every frame is checked before anything is written: one bad frame writes none. Stored bars with the
        same (symbol, timeframe, close) count as ``replaced``, those with other values as ``changed``; bars
        that are already stored unchanged are not rewritten, so a second import changes nothing.
        """
        timeframe = check_timeframe(timeframe)
        names = {key: normalize_symbol(key) for key in frames}
        if len(set(names.values())) < len(names):
            raise BarDataError(f"the frames {list(frames)} name one symbol twice; merge them into one frame first")
        bars = {key: _checked(names[key], timeframe, frame, source) for key, frame in frames.items()}
        parts = [_records(names[key], frame) for key, frame in bars.items() if len(frame)]
        counts: dict[str, tuple[int, int]] = {}
        if parts:
            with self._connection(write=not dry_run) as connection, connection.cursor() as cursor:
                cursor.execute(_INCOMING)
                with cursor.copy("COPY incoming FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(copy_payload(parts))
                cursor.execute("ANALYZE incoming")
                counts = {row[0]: row[1:] for row in cursor.execute(_COUNT, (timeframe,)).fetchall()}
                if not dry_run:
                    cursor.execute(_UPSERT, {"timeframe": timeframe, "source": source})
        return {key: MergeReport(len(frame), *counts.get(names[key], (0, 0))) for key, frame in bars.items()}
