"""Database URLs: the project database of the settings, PostgreSQL's driver name, passwords masked."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..settings import Settings, load_settings
from ._errors import DatabaseError

__all__ = ["SQLITE_FILE", "database_url", "is_postgres", "normalize_url", "redact"]

#: The SQLite file of the project database inside the data folder, when no PostgreSQL server is set.
SQLITE_FILE = "research-env.db"
_DRIVER = "postgresql+psycopg://"
_SCHEMES = re.compile(r"^(postgresql|postgres)://", re.IGNORECASE)
_SECRET_IN_QUERY = re.compile(r"(password=)[^&\s]*", re.IGNORECASE)
_SECRET_IN_NETLOC = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def normalize_url(url: str) -> str:
    """``url`` with ``postgresql://`` or ``postgres://`` spelled ``postgresql+psycopg://`` (psycopg 3)."""
    return _SCHEMES.sub(_DRIVER, url.strip())


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL server."""
    return normalize_url(url).lower().startswith("postgresql")


def database_url(settings: Settings | None = None, *, data_folder: str | os.PathLike | None = None) -> str:
    """The project database: the server of ``pg.dsn`` (``RESEARCH_ENV_PG_DSN``) when set, else the SQLite
    file ``research-env.db`` in ``data_folder`` (default: the setting ``data.folder``)."""
    settings = settings if settings is not None else load_settings()
    if settings.pg.dsn:
        return normalize_url(settings.pg.dsn)
    folder = data_folder if data_folder is not None else settings.data.folder
    if folder is None:
        raise DatabaseError(
            "no project database is configured: set RESEARCH_ENV_PG_DSN (or `[pg] dsn`) to a PostgreSQL server, "
            "or RESEARCH_ENV_DATA (or `[data] folder`) to the folder of the SQLite file"
        )
    return f"sqlite:///{Path(folder).expanduser() / SQLITE_FILE}"


def redact(url: str) -> str:
    """``url`` with its password shown as ``***``; safe for messages, logs and reprs (never raises)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        shown = _SECRET_IN_NETLOC.sub(r"\1***@", str(url))
    return _SECRET_IN_QUERY.sub(r"\1***", shown)
