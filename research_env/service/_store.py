"""The service's tasks in the project database (``service_tasks``, migration ``0003_service_tasks``).

Every change of state is one conditional ``UPDATE`` (``queued`` -> ``running`` -> ``done``/``failed``, or ->
``cancelled``), so a cancellation and a finishing worker never both win. Rows come back as the API's task
objects: ISO 8601 times in UTC, ``request``, ``error`` and ``report`` decoded. SQLAlchemy loads on first use.
"""

from __future__ import annotations

import functools
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["FINISHED", "INTERRUPTED", "KINDS", "STATUSES", "TaskStore"]

KINDS = ("backtest", "sweep", "sweep_parallel")
STATUSES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = ("done", "failed", "cancelled")
#: The error of a task that was running when its server stopped without a chance to finish it.
INTERRUPTED = {"type": "Interrupted", "message": "interrupted by restart: the server stopped while the task ran; "
               "submit it again", "symbol": None, "bar": None, "traceback": []}


@functools.cache
def _table():
    """``service_tasks`` as the migration creates it."""
    import sqlalchemy as sa

    stamp = sa.DateTime(timezone=True)
    return sa.Table(
        "service_tasks", sa.MetaData(),
        sa.Column("id", sa.Text, primary_key=True), sa.Column("kind", sa.Text), sa.Column("status", sa.Text),
        sa.Column("progress", sa.Float), sa.Column("request", sa.Text), sa.Column("report", sa.Text),
        sa.Column("error", sa.Text), sa.Column("created_at", stamp), sa.Column("started_at", stamp),
        sa.Column("finished_at", stamp),
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    """SQLite hands back naive times (stored as UTC), PostgreSQL aware ones."""
    if value is None:
        return None
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)).isoformat()


class TaskStore:
    """The tasks of the project database at ``url`` (``research_env.db.database_url``)."""

    def __init__(self, url: str):
        self.url = url

    def migrate(self) -> None:
        """Create or upgrade the database's tables (``research_env.db.upgrade``)."""
        from ..db import upgrade

        upgrade(self.url)

    def _begin(self):
        from ..db import get_engine

        return get_engine(self.url).begin()

    def add(self, kind: str, request: dict) -> str:
        """Store a new ``queued`` task and return its id (committed when this returns)."""
        table = _table()
        task_id = secrets.token_hex(8)
        with self._begin() as connection:
            connection.execute(table.insert().values(
                id=task_id, kind=kind, status="queued", progress=0.0, request=json.dumps(request),
                created_at=_now()))
        return task_id

    def get(self, task_id: str, *, report: bool = True) -> dict[str, Any] | None:
        """The task object of ``task_id`` (with ``report`` unless told not), or ``None`` when there is none."""
        import sqlalchemy as sa

        table = _table()
        columns = list(table.c) if report else [c for c in table.c if c.name != "report"]
        with self._begin() as connection:
            row = connection.execute(sa.select(*columns).where(table.c.id == task_id)).mappings().first()
        return _task(row) if row is not None else None

    def get_json(self, task_id: str) -> str | None:
        """``get(task_id)`` as JSON text, the stored report spliced in as it is (no decoding and encoding again
        of a report that may be megabytes); ``None`` when there is no such task."""
        import sqlalchemy as sa

        table = _table()
        with self._begin() as connection:
            row = connection.execute(sa.select(*table.c).where(table.c.id == task_id)).mappings().first()
        if row is None:
            return None
        head = json.dumps(_task({key: value for key, value in row.items() if key != "report"}))
        return f'{head[:-1]}, "report": {row["report"] if row["report"] is not None else "null"}}}'

    def page(self, status: str | None, page: int, per_page: int) -> tuple[list[dict], int]:
        """One page of tasks (without reports), newest first, and how many there are in all."""
        import sqlalchemy as sa

        table = _table()
        where = [table.c.status == status] if status is not None else []
        columns = [c for c in table.c if c.name != "report"]
        query = (sa.select(*columns).where(*where).order_by(table.c.created_at.desc(), table.c.id.desc())
                 .offset((page - 1) * per_page).limit(per_page))
        with self._begin() as connection:
            rows = [_task(row) for row in connection.execute(query).mappings()]
            total = connection.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one()
        return rows, total

    def _change(self, task_id: str, before: tuple[str, ...], **values) -> bool:
        table = _table()
        with self._begin() as connection:
            done = connection.execute(table.update().where(table.c.id == task_id, table.c.status.in_(before))
                                      .values(**values))
        return done.rowcount == 1

    def start(self, task_id: str) -> bool:
        """``queued`` -> ``running``; False when the task is no longer queued (cancelled meanwhile)."""
        return self._change(task_id, ("queued",), status="running", started_at=_now())

    def progress(self, task_id: str, percent: float) -> None:
        """Record how far a running task got (never backwards)."""
        table = _table()
        with self._begin() as connection:
            connection.execute(table.update().where(table.c.id == task_id, table.c.status == "running",
                                                    table.c.progress < percent).values(progress=percent))

    def finish(self, task_id: str, status: str, *, report: str | None = None, error: dict | None = None) -> bool:
        """``running`` -> ``done`` (with the ``report`` JSON text) or ``failed`` (with ``error``); False when the
        task was cancelled meanwhile."""
        values: dict[str, Any] = {"status": status, "finished_at": _now()}
        if status == "done":
            values.update(progress=100.0, report=report)
        else:
            values["error"] = json.dumps(error)
        return self._change(task_id, ("running",), **values)

    def cancel(self, task_id: str) -> bool:
        """Cancel a queued or running task; False when there is no such task or it has finished."""
        return self._change(task_id, ("queued", "running"), status="cancelled", finished_at=_now())

    def requeue(self, task_id: str) -> None:
        """A running task back to ``queued`` (the server stops; the next start runs it again)."""
        self._change(task_id, ("running",), status="queued", progress=0.0, started_at=None)

    def recover(self) -> list[str]:
        """At start: tasks left ``running`` become ``failed`` (interrupted by restart); returns the ``queued``
        ones, oldest first, to run."""
        import sqlalchemy as sa

        table = _table()
        with self._begin() as connection:
            connection.execute(table.update().where(table.c.status == "running")
                               .values(status="failed", finished_at=_now(), error=json.dumps(INTERRUPTED)))
            rows = connection.execute(sa.select(table.c.id).where(table.c.status == "queued")
                                      .order_by(table.c.created_at, table.c.id))
            return [row.id for row in rows]

    def prune(self, keep_results: int, keep_days: float | None) -> int:
        """Drop finished tasks older than ``keep_days`` (``None``: none for age) and beyond the ``keep_results``
        newest; returns how many were dropped."""
        import sqlalchemy as sa

        table = _table()
        finished = table.c.status.in_(FINISHED)
        newest = (sa.select(table.c.id).where(finished).order_by(table.c.created_at.desc(), table.c.id.desc())
                  .limit(keep_results))
        stale = finished & table.c.id.not_in(newest)
        if keep_days is not None:
            stale = stale | (finished & (table.c.created_at < _now() - timedelta(days=keep_days)))
        with self._begin() as connection:
            return connection.execute(table.delete().where(stale)).rowcount


def _task(row) -> dict[str, Any]:
    task = {
        "task_id": row["id"], "kind": row["kind"], "status": row["status"], "progress": row["progress"],
        "created_at": _iso(row["created_at"]), "started_at": _iso(row["started_at"]),
        "finished_at": _iso(row["finished_at"]), "request": json.loads(row["request"]),
        "error": json.loads(row["error"]) if row["error"] is not None else None,
    }
    if "report" in row:
        task["report"] = json.loads(row["report"]) if row["report"] is not None else None
    return task
