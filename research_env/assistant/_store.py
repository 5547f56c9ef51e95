"""AI strategies: the source files under ``<data folder>/ai_strategies/<user_id>/<name>.py`` and their rows in
the project database (``ai_strategies``, ``ai_strategy_results``; migration ``0002_ai_strategies``).

The database is the project database of the settings (``research_env.db.database_url``: the PostgreSQL server
of ``pg.dsn``, else the SQLite file of the data folder), migrated on first use, so a fresh machine just works.
SQLAlchemy loads on first use.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from ._errors import AssistantError
from ._names import check_name, check_user_id

__all__ = ["MAX_RESULTS", "StoredResult", "StoredStrategy", "StrategyStore", "source_digest", "write_atomically"]

#: Backtest results kept per strategy; a new one drops the oldest beyond this.
MAX_RESULTS = 10
FOLDER = "ai_strategies"

_MIGRATED: set[str] = set()
_MIGRATE_LOCK = threading.Lock()


def source_digest(source: str) -> str:
    """SHA-256 of ``source`` (UTF-8), hex."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder: readers see the old or the new
    file, never half of one. Creates the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@dataclass(frozen=True)
class StoredStrategy:
    """One AI strategy: its row, with ``validation`` (the report's ``to_dict``) decoded."""

    id: int
    user_id: str
    name: str
    path: Path
    status: str
    created_at: datetime
    updated_at: datetime
    validation: dict
    source_digest: str
    promoted_path: Path | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: paths as text, times in ISO 8601 (UTC)."""
        return {"strategy_id": self.id, "user_id": self.user_id, "name": self.name, "path": str(self.path),
                "status": self.status, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "source_digest": self.source_digest,
                "promoted_path": str(self.promoted_path) if self.promoted_path else None,
                "validation": self.validation}


class StoredResult(NamedTuple):
    """One stored backtest: its id, when it ran and what ``run_backtest`` stored (result and arguments)."""

    id: int
    created_at: datetime
    result: dict


@functools.cache
def _tables():
    """The two tables as migration ``0002_ai_strategies`` creates them (the columns this module uses)."""
    import sqlalchemy as sa

    metadata = sa.MetaData()
    stamp = sa.DateTime(timezone=True)
    strategies = sa.Table(
        "ai_strategies", metadata,
        sa.Column("id", sa.Integer, primary_key=True), sa.Column("user_id", sa.Text), sa.Column("name", sa.Text),
        sa.Column("path", sa.Text), sa.Column("status", sa.Text), sa.Column("created_at", stamp),
        sa.Column("updated_at", stamp), sa.Column("validation", sa.Text), sa.Column("source_digest", sa.Text),
        sa.Column("promoted_path", sa.Text),
    )
    results = sa.Table(
        "ai_strategy_results", metadata,
        sa.Column("id", sa.Integer, primary_key=True), sa.Column("strategy_id", sa.Integer),
        sa.Column("created_at", stamp), sa.Column("result", sa.Text),
    )
    return strategies, results


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive times (stored as UTC), PostgreSQL aware ones in the session's zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StrategyStore:
    """The AI strategies of one data folder (default ``default_data_dir()``) and project database (default the
    one of the settings for that folder)."""

    def __init__(self, data_folder: str | os.PathLike | None = None, *, url: str | None = None):
        from ..data import default_data_dir
        from ..db import database_url

        self.folder = Path(data_folder).expanduser() if data_folder is not None else default_data_dir()
        self.url = url if url is not None else database_url(data_folder=self.folder)

    def path_of(self, user_id: str, name: str) -> Path:
        """Where the source of ``user_id``'s strategy ``name`` lives (both checked first)."""
        return self.folder / FOLDER / check_user_id(user_id) / f"{check_name(name)}.py"

    @contextlib.contextmanager
    def _connection(self, *, write: bool) -> Iterator:
        """A connection to the migrated database (a transaction committed on success when ``write``); failing to
        reach the database is a ``DatabaseError`` that names it and the fix."""
        from sqlalchemy.exc import DBAPIError

        from ..db import DatabaseError, connection_problem, get_engine, redact, upgrade

        with _MIGRATE_LOCK:
            if self.url not in _MIGRATED:
                upgrade(self.url)
                _MIGRATED.add(self.url)
        engine = get_engine(self.url)
        try:
            with engine.begin() if write else engine.connect() as connection:
                yield connection
        except DBAPIError as e:
            problem = connection_problem(e, self.url)
            if problem is None:
                raise
            raise DatabaseError(f"database `{redact(self.url)}`: {problem}") from None

    def save(self, user_id: str, name: str, source: str, validation: dict) -> StoredStrategy:
        """Save ``source`` as ``user_id``'s strategy ``name``, status ``draft``. A strategy of the same user and
        name is replaced: new source and validation, back to ``draft``, same id."""
        path = self.path_of(user_id, name)
        strategies, _ = _tables()
        now = datetime.now(UTC)
        changed = {"path": str(path), "status": "draft", "updated_at": now, "validation": json.dumps(validation),
                   "source_digest": source_digest(source)}
        with self._connection(write=True) as connection:
            insert = _insert_of(connection)(strategies).values(user_id=user_id, name=name, created_at=now, **changed)
            upsert = insert.on_conflict_do_update(index_elements=["user_id", "name"], set_=changed)
            strategy_id = connection.execute(upsert.returning(strategies.c.id)).scalar_one()
            try:  # inside the transaction: a file that cannot be written saves no row
                write_atomically(path, source)
            except OSError as e:
                raise AssistantError(f"the strategy file {path} cannot be written ({e.strerror}): make the data "
                                     "folder writable, or point RESEARCH_ENV_DATA at one that is") from e
        return self.get(strategy_id)

    def get(self, strategy_id: int) -> StoredStrategy:
        """The strategy of ``strategy_id``; ``AssistantError`` when there is none."""
        strategies, _ = _tables()
        if isinstance(strategy_id, bool) or not isinstance(strategy_id, int):
            raise AssistantError(f"`strategy_id` must be a whole number (the id create_strategy returned), "
                                 f"got {strategy_id!r}")
        with self._connection(write=False) as connection:
            row = connection.execute(strategies.select().where(strategies.c.id == strategy_id)).mappings().first()
        if row is None:
            raise AssistantError(f"no AI strategy has `strategy_id` {strategy_id}: use the id create_strategy "
                                 "returned (`research-env ai list` shows them all)")
        return _strategy(row)

    def strategies(self, user_id: str | None = None) -> list[StoredStrategy]:
        """Every strategy (of ``user_id`` when given), oldest first."""
        strategies, _ = _tables()
        query = strategies.select().order_by(strategies.c.id)
        if user_id is not None:
            query = query.where(strategies.c.user_id == check_user_id(user_id))
        with self._connection(write=False) as connection:
            return [_strategy(row) for row in connection.execute(query).mappings()]

    def read_source(self, record: StoredStrategy) -> str:
        """The saved source of ``record``, refused when the file is gone or changed since it was validated."""
        try:
            source = record.path.read_text(encoding="utf-8")
        except OSError as e:
            raise AssistantError(f"the source of strategy {record.id} (`{record.name}`) cannot be read at "
                                 f"{record.path} ({e.strerror}): create_strategy it again") from e
        if source_digest(source) != record.source_digest:
            raise AssistantError(f"{record.path} changed since strategy {record.id} (`{record.name}`) was "
                                 "validated: create_strategy it again so the new code is checked")
        return source

    def record_result(self, strategy_id: int, result: dict, digest: str) -> int:
        """Store a backtest ``result`` of the code whose digest is ``digest`` and return its id; keep the
        ``MAX_RESULTS`` newest of the strategy; a draft of that same code becomes ``tested``."""
        from sqlalchemy import delete, insert, select

        strategies, results = _tables()
        now = datetime.now(UTC)
        with self._connection(write=True) as connection:
            result_id = connection.execute(
                insert(results).values(strategy_id=strategy_id, created_at=now, result=json.dumps(result, default=str))
                .returning(results.c.id)).scalar_one()
            newest = (select(results.c.id).where(results.c.strategy_id == strategy_id)
                      .order_by(results.c.id.desc()).limit(MAX_RESULTS))
            connection.execute(delete(results).where(results.c.strategy_id == strategy_id,
                                                     results.c.id.not_in(newest)))
            connection.execute(strategies.update()
                               .where(strategies.c.id == strategy_id, strategies.c.status == "draft",
                                      strategies.c.source_digest == digest)
                               .values(status="tested", updated_at=now))
        return result_id

    def results(self, strategy_id: int) -> list[StoredResult]:
        """The stored backtests of ``strategy_id``, newest first."""
        _, results = _tables()
        query = results.select().where(results.c.strategy_id == strategy_id).order_by(results.c.id.desc())
        with self._connection(write=False) as connection:
            return [StoredResult(row["id"], _utc(row["created_at"]), json.loads(row["result"]))
                    for row in connection.execute(query).mappings()]

    def mark_promoted(self, strategy_id: int, target: Path) -> StoredStrategy:
        """Record that ``strategy_id`` was copied to ``target``: status ``promoted``."""
        strategies, _ = _tables()
        with self._connection(write=True) as connection:
            connection.execute(strategies.update().where(strategies.c.id == strategy_id)
                               .values(status="promoted", promoted_path=str(target), updated_at=datetime.now(UTC)))
        return self.get(strategy_id)


def _insert_of(connection):
    """The ``insert`` of the connection's dialect, which knows ``ON CONFLICT`` (SQLite and PostgreSQL)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _strategy(row) -> StoredStrategy:
    return StoredStrategy(
        id=row["id"], user_id=row["user_id"], name=row["name"], path=Path(row["path"]), status=row["status"],
        created_at=_utc(row["created_at"]), updated_at=_utc(row["updated_at"]),
        validation=json.loads(row["validation"]), source_digest=row["source_digest"],
        promoted_path=Path(row["promoted_path"]) if row["promoted_path"] else None,
    )
