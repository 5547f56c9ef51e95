"""Versioned migrations (Alembic, configured in code): ``upgrade`` a database and report its ``status``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from ._engine import get_engine
from ._errors import DatabaseError
from ._problems import connection_problem
from ._url import is_postgres, normalize_url, redact

__all__ = ["DbStatus", "status", "upgrade"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DbStatus(NamedTuple):
    """Where a database stands: its ``url`` (password masked), ``current`` revision (``None``: never
    migrated), the ``head`` revision of this research-env and the ``pending`` revisions, oldest first."""

    url: str
    current: str | None
    head: str
    pending: list[str]

    def __str__(self) -> str:
        pending = ", ".join(self.pending) if self.pending else "none (up to date)"
        return (f"database: {self.url}\ncurrent:  {self.current or 'none (not migrated)'}\n"
                f"head:     {self.head}\npending:  {pending}")


def _config(connection=None):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _scripts():
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def _between(scripts, upper: str, lower: str | None, url: str) -> list[str]:
    """The revisions above ``lower`` up to ``upper``, oldest first."""
    from alembic.util import CommandError

    try:
        return [script.revision for script in reversed(list(scripts.iterate_revisions(upper, lower or "base")))]
    except CommandError as e:
        raise _unknown(scripts, url, f"cannot go from revision {lower or 'base'} to {upper}") from e


def _unknown(scripts, url: str, what: str) -> DatabaseError:
    known = ", ".join(script.revision for script in reversed(list(scripts.walk_revisions())))
    return DatabaseError(
        f"database `{redact(url)}`: {what}; this research-env knows the revisions {known} (oldest first): "
        "pass one of them, or upgrade research-env if the database was migrated by a newer one"
    )


@contextlib.contextmanager
def _connected(url: str, *, write: bool) -> Iterator:
    """A connection to ``url`` in a transaction (committed when ``write``); failures become ``DatabaseError``."""
    from sqlalchemy.exc import DBAPIError

    engine = get_engine(url)
    try:
        with engine.begin() if write else engine.connect() as connection:
            yield connection
    except DBAPIError as e:
        problem = connection_problem(e, url)
        if problem is None:
            raise
        raise DatabaseError(f"database `{redact(url)}`: {problem}") from None


def _current(connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> list[str]:
    """Migrate the database of ``url`` up to ``revision`` (default: the newest); returns the revisions
    applied, oldest first (empty when it was already there). Creates the folder of a SQLite file."""
    from alembic import command
    from alembic.util import CommandError

    url = normalize_url(url)
    if not is_postgres(url):
        _sqlite_file(url).parent.mkdir(parents=True, exist_ok=True)
    scripts = _scripts()
    with _connected(url, write=True) as connection:
        before = _current(connection)
        try:
            command.upgrade(_config(connection), revision)
        except CommandError as e:
            raise _unknown(scripts, url, f"cannot upgrade from revision {before or 'base'} to {revision!r}") from e
        after = _current(connection)
    return _between(scripts, after, before, url) if after != before else []


def status(url: str) -> DbStatus:
    """The current revision of the database of ``url``, this research-env's head and what is pending.

    A SQLite file that does not exist yet is reported as never migrated (and is not created).
    """
    url = normalize_url(url)
    scripts = _scripts()
    head = scripts.get_current_head()
    if not is_postgres(url) and not _sqlite_file(url).exists():
        current = None
    else:
        with _connected(url, write=False) as connection:
            current = _current(connection)
    return DbStatus(redact(url), current, head, _between(scripts, head, current, url))


def _sqlite_file(url: str) -> Path:
    from sqlalchemy.engine import make_url

    return Path(make_url(url).database or "")
