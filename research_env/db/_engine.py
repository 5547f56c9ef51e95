"""One SQLAlchemy engine per database URL and options, shared by the process."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING

from ._url import is_postgres, normalize_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = ["dispose_engines", "get_engine"]

_ENGINES: dict[tuple, Engine] = {}
_LOCK = threading.Lock()


def get_engine(url: str, *, connect_timeout: float | None = 5.0, statement_timeout: float | None = 60.0,
               pool_size: int = 4) -> Engine:
    """The engine of ``url``, created on first use and cached per (url, options).

    PostgreSQL engines pool ``pool_size`` connections, ping a connection before lending it, give up
    connecting after ``connect_timeout`` seconds and cancel a statement after ``statement_timeout``
    seconds (``None``: no limit). SQLite engines ignore the options.
    """
    url = normalize_url(url)
    key = (url, connect_timeout, statement_timeout, pool_size)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = _create(url, connect_timeout, statement_timeout, pool_size)
        return engine


def _create(url: str, connect_timeout: float | None, statement_timeout: float | None, pool_size: int) -> Engine:
    from sqlalchemy import create_engine

    if not is_postgres(url):
        return create_engine(url)
    connect_args: dict[str, object] = {}
    if connect_timeout is not None:
        connect_args["connect_timeout"] = max(1, math.ceil(connect_timeout))  # libpq counts whole seconds
    if statement_timeout is not None:
        connect_args["options"] = f"-c statement_timeout={max(1, round(statement_timeout * 1000))}"
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                         connect_args=connect_args)


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (a later ``get_engine`` creates new ones)."""
    with _LOCK:
        engines = list(_ENGINES.values())
        _ENGINES.clear()
    for engine in engines:
        engine.dispose()
