"""``research-env db init|upgrade|status``: create, migrate and inspect the project database."""

from __future__ import annotations

import argparse

__all__ = ["register"]

_DSN_HELP = ("database URL, e.g. postgresql://USER:PASSWORD@HOST:5432/DB or sqlite:///PATH "
             "(default: RESEARCH_ENV_PG_DSN, else research-env.db in the data folder)")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``db`` subcommand and its own subcommands."""
    db = commands.add_parser("db", help="create, migrate and inspect the project database")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    init = db_commands.add_parser("init", help="create the database's tables, or bring them up to date")
    init.add_argument("--dsn", help=_DSN_HELP)
    init.set_defaults(handler=_init)
    upgrade = db_commands.add_parser("upgrade", help="apply the migrations up to the newest (or --revision)")
    upgrade.add_argument("--dsn", help=_DSN_HELP)
    upgrade.add_argument("--revision", default="head", help="the revision to migrate to (default: head)")
    upgrade.set_defaults(handler=_upgrade)
    status = db_commands.add_parser("status", help="show the database's revision, the newest and what is pending")
    status.add_argument("--dsn", help=_DSN_HELP)
    status.set_defaults(handler=_status)


def _url(args) -> str:
    from ..data import default_data_dir
    from ..db import database_url, normalize_url

    return normalize_url(args.dsn) if args.dsn else database_url(data_folder=default_data_dir())


def _migrate(url: str, revision: str) -> int:
    from ..db import redact, upgrade

    applied = upgrade(url, revision)
    print(f"database: {redact(url)}")
    print(f"applied: {', '.join(applied)}" if applied else "applied: nothing (already up to date)")
    return 0


def _init(args) -> int:
    return _migrate(_url(args), "head")


def _upgrade(args) -> int:
    return _migrate(_url(args), args.revision)


def _status(args) -> int:
    from ..db import status

    print(status(_url(args)))
    return 0
