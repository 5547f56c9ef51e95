"""What went wrong talking to a database, in a few words, and how to fix it."""

from __future__ import annotations

import re

__all__ = ["connection_problem"]

_DSN = "the DSN (RESEARCH_ENV_PG_DSN, `[pg] dsn` or `--dsn`)"
_INIT = "run `research-env db init` (with RESEARCH_ENV_PG_DSN or `--dsn` naming this database) to create it"

#: (pattern of the driver's message, reason, fix); ``{name}`` fills from the pattern's groups and the URL.
_KNOWN = (
    (r'password authentication failed for user "(?P<user>[^"]*)"', "the password of user `{user}` was rejected",
     f"check the user and password in {_DSN}"),
    (r"no password supplied", "the server wants a password for user `{user}` and none was given",
     "add it to the DSN (postgresql://USER:PASSWORD@HOST/DATABASE) or to ~/.pgpass"),
    (r'role "(?P<user>[^"]*)" does not exist', "user `{user}` does not exist on the server",
     f"create it with `createuser -h {{host}} -p {{port}} {{user}}`, or check the user in {_DSN}"),
    (r'database "(?P<database>[^"]*)" does not exist', "database `{database}` does not exist on the server",
     "create the database with `createdb -h {host} -p {port} -U {user} {database}`"),
    (r'relation "(?P<table>[^"]*)" does not exist', "the database has no `{table}` table: it is not migrated", _INIT),
    (r"no such table: (?P<table>\w+)", "the database has no `{table}` table: it is not migrated", _INIT),
    (r"statement timeout", "a query ran past the statement timeout",
     "raise `pg.statement_timeout` (RESEARCH_ENV_PG_STATEMENT_TIMEOUT), or read a shorter range"),
    (r"timeout expired|timed out", "the server did not answer within the connect timeout",
     "check that the server is running and that {host}:{port} is reachable from here (firewall, VPN), "
     "or raise `pg.connect_timeout` (RESEARCH_ENV_PG_CONNECT_TIMEOUT)"),
    (r"failed to resolve host|could not translate host name|name or service not known",
     "the host `{host}` is unknown", f"check the host name in {_DSN}"),
    (r"no pg_hba\.conf entry", "the server does not accept this host, user and database (pg_hba.conf)",
     "ask the server's administrator to allow them in pg_hba.conf"),
    (r"connection refused|could not connect|no such file or directory|server closed the connection|"
     r"terminating connection|shutting down|starting up|connection is (?:lost|closed)|network is unreachable",
     "the server is not reachable", "start the server, or check the host and port ({host}:{port}) in " + _DSN),
    (r"unable to open database file", "the SQLite file cannot be opened",
     "check that its folder exists and is writable, or run `research-env db init`"),
)
_PATTERNS = tuple((re.compile(pattern, re.IGNORECASE), reason, fix) for pattern, reason, fix in _KNOWN)


def connection_problem(error: BaseException, url: str) -> str | None:
    """``"<reason>; <fix>"`` for a failure to use the database of ``url`` (server down, login refused,
    database or table missing, timeout); ``None`` when ``error`` is not such a failure.

    The text never holds the password of ``url``.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    cause = getattr(error, "orig", None) or error
    text = str(cause)
    try:
        parsed = make_url(url)
        facts = {"user": parsed.username or "", "host": parsed.host or "localhost", "port": parsed.port or 5432,
                 "database": parsed.database or ""}
        secret = parsed.password
    except (ArgumentError, ValueError, TypeError):
        facts, secret = {"user": "", "host": "localhost", "port": 5432, "database": ""}, None
    for pattern, reason, fix in _PATTERNS:
        found = pattern.search(text)
        if found:
            values = facts | found.groupdict()
            return _hide(f"{reason.format(**values)}; {fix.format(**values)}", secret)
    if any(kind.__name__ in ("OperationalError", "InterfaceError") for kind in type(cause).__mro__):
        first = text.strip().splitlines()[0] if text.strip() else type(cause).__name__
        return _hide(f"the database failed: {first}; check that the server is running and the DSN is right", secret)
    return None


def _hide(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text
