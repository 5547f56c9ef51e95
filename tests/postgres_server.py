"""``PostgresServer``: a throwaway PostgreSQL server in a temporary folder, started with ``initdb`` and ``pg_ctl``.

Used by the test fixtures (``tests/fixtures_postgres.py``) and the benchmarks. The server listens on
127.0.0.1 at a free port, accepts the superuser ``postgres`` with ``PASSWORD`` (scram-sha-256) and runs
without fsync (its data is thrown away). PostgreSQL refuses to run as root, so as root every server
command runs as the ``postgres`` OS user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["PostgresServer", "find_binaries"]

#: The superuser's password of every test server.
PASSWORD = "test-secret-0xPG"
USER = "postgres"
_HOST = "127.0.0.1"
_FAST = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def find_binaries() -> Path | None:
    """The folder holding ``initdb`` and ``pg_ctl``: ``$PATH`` first, then ``/usr/lib/postgresql/*/bin``."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl", path=str(Path(initdb).parent)):
        return Path(initdb).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((_HOST, 0))
        return probe.getsockname()[1]


class PostgresServer:
    """A PostgreSQL server of its own folder; ``start()`` runs ``initdb`` the first time.

    Use it as a context manager (started on enter, stopped and deleted on exit) or call
    ``start()``/``stop()``/``close()``. ``dsn(...)`` gives ``postgresql://`` URLs to it.
    """

    def __init__(self, binaries: Path | None = None) -> None:
        found = binaries or find_binaries()
        if found is None:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl); install the Debian package "
                                    "`postgresql` (`apt-get install postgresql`)")
        self.binaries = Path(found)
        self.host = _HOST
        self.port = _free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="research-env-pg-"))
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self._initialised = False
        self.running = False

    def __enter__(self) -> PostgresServer:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresServer({self.host}:{self.port}, {'running' if self.running else 'stopped'})"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.binaries / program), *args]
        if self._as_root:
            command = ["runuser", "-u", USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.is_file() else ""
            raise RuntimeError(f"`{' '.join(command)}` failed ({done.returncode}):\n{done.stdout}{done.stderr}{tail}")

    def _initdb(self) -> None:
        password = self.folder / "password"
        password.write_text(PASSWORD + "\n")
        if self._as_root:
            shutil.chown(self.folder, USER)
            shutil.chown(password, USER)
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth-local=trust", "--auth-host=scram-sha-256",
                  f"--pwfile={password}", "--no-sync", "-E", "UTF8", "--locale=C")
        password.unlink()
        self._initialised = True

    def start(self) -> None:
        """Start the server (creating its cluster the first time); waits until it accepts connections."""
        if self.running:
            return
        if not self._initialised:
            self._initdb()
        options = f"-p {self.port} -c listen_addresses={self.host} -k {self.folder} {_FAST}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")
        self.running = True

    def stop(self) -> None:
        """Stop the server (fast shutdown: open connections are closed)."""
        if self.running:
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            self.running = False

    def close(self) -> None:
        """Stop the server and delete its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def dsn(self, database: str = "postgres", password: str | None = PASSWORD, user: str = USER) -> str:
        """A ``postgresql://`` URL of ``database`` as ``user`` (``password=None``: none given)."""
        secret = f":{password}" if password is not None else ""
        return f"postgresql://{user}{secret}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create the empty database ``name``; returns its DSN."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn(name)
