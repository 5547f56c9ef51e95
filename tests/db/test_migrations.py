"""The project database: its URL, one engine per URL, Alembic migrations on SQLite and a real PostgreSQL
server, failures that name the database and the fix (never the password), and ``research-env db``."""

from __future__ import annotations

import socket

import pytest

from research_env.cli import main
from research_env.db import (
    DatabaseError,
    database_url,
    dispose_engines,
    get_engine,
    redact,
    status,
    upgrade,
)
from research_env.errors import InputError
from research_env.settings import PostgresSettings, Settings
from tests.postgres_server import PASSWORD

HEAD = "0003_service_tasks"
REVISIONS = ["0001_bars", "0002_ai_strategies", HEAD]
LISTED = ", ".join(REVISIONS)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> str:
    """An empty database: a SQLite file in a folder not created yet, or a new database on the test server."""
    if request.param == "sqlite":
        return database_url(Settings(), data_folder=tmp_path / "data")
    return request.getfixturevalue("postgres_dsn")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_database_is_the_server_of_the_settings_else_sqlite_in_the_data_folder(tmp_path):
    server = Settings(pg=PostgresSettings(dsn="postgres://ann:pw@db.example.com:5433/bars"))
    assert database_url(server, data_folder=tmp_path) == "postgresql+psycopg://ann:pw@db.example.com:5433/bars"
    assert database_url(Settings(), data_folder=tmp_path) == f"sqlite:///{tmp_path / 'research-env.db'}"
    with pytest.raises(DatabaseError, match="RESEARCH_ENV_PG_DSN.*RESEARCH_ENV_DATA") as caught:
        database_url(Settings())
    assert isinstance(caught.value, InputError)


def test_redact_masks_the_password_wherever_it_stands():
    assert redact("postgresql://ann:s3cret@db:5432/bars") == "postgresql://ann:***@db:5432/bars"
    assert redact("postgresql+psycopg://ann@db/bars?password=s3cret") == "postgresql+psycopg://ann@db/bars?password=***"
    assert redact("host=db user=ann password=s3cret") == "host=db user=ann password=***"
    assert redact("sqlite:////tmp/x/research-env.db") == "sqlite:////tmp/x/research-env.db"


def test_one_engine_per_url_and_options_until_disposed(postgres_dsn):
    engine = get_engine(postgres_dsn, pool_size=2)
    assert get_engine(postgres_dsn.replace("postgresql://", "postgresql+psycopg://"), pool_size=2) is engine
    assert get_engine(postgres_dsn, pool_size=3) is not engine
    assert engine.pool.size() == 2 and PASSWORD not in repr(engine)
    with get_engine(postgres_dsn, statement_timeout=1.5).connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1500ms"
    dispose_engines()
    assert get_engine(postgres_dsn, pool_size=2) is not engine


def test_init_creates_bars_keyed_by_symbol_timeframe_and_close_and_a_second_upgrade_does_nothing(url):
    from sqlalchemy import inspect

    before = status(url)
    assert (before.current, before.head, before.pending) == (None, HEAD, REVISIONS)

    assert upgrade(url) == REVISIONS
    assert upgrade(url) == []

    after = status(url)
    assert (after.current, after.head, after.pending) == (HEAD, HEAD, [])
    schema = inspect(get_engine(url))
    assert schema.get_pk_constraint("bars")["constrained_columns"] == ["symbol", "timeframe", "ts"]
    columns = {c["name"]: c for c in schema.get_columns("bars")}
    assert list(columns) == ["symbol", "timeframe", "ts", "open", "high", "low", "close", "volume", "source"]
    assert not any(c["nullable"] for c in columns.values())
    tasks = {c["name"]: c["nullable"] for c in schema.get_columns("service_tasks")}
    assert tasks == {"id": False, "kind": False, "status": False, "progress": False, "request": False,
                     "report": True, "error": True, "created_at": False, "started_at": True, "finished_at": True}
    assert schema.get_pk_constraint("service_tasks")["constrained_columns"] == ["id"]
    assert PASSWORD not in after.url and PASSWORD not in str(after)


def test_an_unknown_revision_names_the_known_ones(url):
    with pytest.raises(DatabaseError, match=f"to '0042_nothing'.*knows the revisions {LISTED}"):
        upgrade(url, "0042_nothing")


def test_the_cli_inits_upgrades_and_reports_a_database_without_showing_its_password(url, capsys):
    assert main(["db", "status", "--dsn", url]) == 0
    assert f"current:  none (not migrated)\nhead:     {HEAD}\npending:  {LISTED}" in capsys.readouterr().out

    assert main(["db", "init", "--dsn", url]) == 0
    out = capsys.readouterr().out
    assert out == f"database: {redact(url.replace('postgresql://', 'postgresql+psycopg://'))}\napplied: {LISTED}\n"
    assert main(["db", "upgrade", "--dsn", url]) == 0
    assert "applied: nothing (already up to date)" in capsys.readouterr().out

    assert main(["db", "status", "--dsn", url]) == 0
    out = capsys.readouterr().out
    assert f"current:  {HEAD}\nhead:     {HEAD}\npending:  none (up to date)" in out
    assert PASSWORD not in out


def test_the_cli_uses_the_sqlite_file_of_the_data_folder_by_default(data_dir, monkeypatch, capsys):
    monkeypatch.delenv("RESEARCH_ENV_PG_DSN", raising=False)
    assert main(["db", "status"]) == 0
    assert "current:  none (not migrated)" in capsys.readouterr().out
    assert not (data_dir / "research-env.db").exists()  # status creates nothing
    assert main(["db", "init"]) == 0
    assert capsys.readouterr().out == f"database: sqlite:///{data_dir / 'research-env.db'}\napplied: {LISTED}\n"
    assert (data_dir / "research-env.db").is_file()


def test_a_server_that_is_down_is_named_with_the_fix_and_without_the_password(capsys):
    dsn = f"postgresql://ann:s3cret-pw@127.0.0.1:{_closed_port()}/bars"
    with pytest.raises(DatabaseError) as caught:
        status(dsn)
    message = str(caught.value)
    assert message.startswith(f"database `{redact(dsn.replace('postgresql://', 'postgresql+psycopg://'))}`: ")
    assert "the server is not reachable; start the server" in message and "s3cret-pw" not in message

    assert main(["db", "init", "--dsn", dsn]) == 2
    err = capsys.readouterr().err
    assert "not reachable" in err and "s3cret-pw" not in err


def test_a_wrong_password_and_a_missing_database_say_how_to_fix_them(postgres_server):
    with pytest.raises(DatabaseError, match="the password of user `postgres` was rejected; check the user and "
                                            "password") as caught:
        status(postgres_server.dsn(password="not-the-pw-42"))
    assert "not-the-pw-42" not in str(caught.value)

    with pytest.raises(DatabaseError, match=f"database `nowhere` does not exist on the server; create the database "
                                            f"with `createdb -h 127.0.0.1 -p {postgres_server.port} -U postgres "
                                            "nowhere`"):
        upgrade(postgres_server.dsn("nowhere"))
