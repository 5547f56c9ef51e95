"""The project database: one engine per URL (SQLAlchemy 2), versioned migrations (Alembic), clear failures.

The database is the PostgreSQL server of ``pg.dsn`` (``RESEARCH_ENV_PG_DSN``) when set, else the SQLite
file ``research-env.db`` of the data folder. ``research-env db init`` creates or upgrades it. SQLAlchemy,
Alembic and psycopg load on first use, not on import. Passwords never appear in messages: ``redact``.
Binary ``COPY`` payloads are built and read with numpy (``encode_rows``, ``copy_payload``, ``decode_rows``).
"""

from ._copy import PG_EPOCH_US, copy_payload, decode_rows, encode_rows
from ._engine import dispose_engines, get_engine
from ._errors import DatabaseError
from ._migrate import DbStatus, status, upgrade
from ._problems import connection_problem
from ._url import database_url, is_postgres, normalize_url, redact

__all__ = [
    "PG_EPOCH_US",
    "DatabaseError",
    "DbStatus",
    "connection_problem",
    "copy_payload",
    "database_url",
    "decode_rows",
    "dispose_engines",
    "encode_rows",
    "get_engine",
    "is_postgres",
    "normalize_url",
    "redact",
    "status",
    "upgrade",
]
