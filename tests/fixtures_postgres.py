"""A real PostgreSQL server for the tests (Debian's postgresql, started with initdb/pg_ctl).

``postgres_server`` starts one server per session (``tests/postgres_server.py``); ``postgres_dsn`` gives
each test a fresh empty database on it. Without the server binaries these tests skip, naming the package.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.postgres_server import PostgresServer, find_binaries

_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL server (``dsn()``, ``host``, ``port``, ``stop()``, ``start()``, ``create_database()``);
    a test that stops it must start it again."""
    if find_binaries() is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package `postgresql`")
    from research_env.db import dispose_engines

    with PostgresServer() as server:
        try:
            yield server
        finally:
            dispose_engines()  # close the pooled connections before the server stops


@pytest.fixture()
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """The ``postgresql://`` URL of a new empty database of its own (no tables: not migrated)."""
    postgres_server.start()  # a test that stopped the server and failed before restarting it
    return postgres_server.create_database(f"test_{next(_NUMBERS)}")
