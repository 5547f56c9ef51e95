"""``research-env serve``: the backtest service (REST API, WebSocket) on this machine."""

from __future__ import annotations

import argparse
import copy
import ipaddress
import logging
import os
import re
import sys
from dataclasses import fields, replace

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``serve`` subcommand; each option overrides its ``[service]`` setting for this run."""
    serve = commands.add_parser("serve", help="serve backtests and sweeps over HTTP (the guide's REST API and "
                                              "WebSocket), behind a token")
    serve.add_argument("--host", help="address to bind (default: `[service] host`, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (default: `[service] port`, 8765)")
    serve.add_argument("--workers", type=int, metavar="N",
                       help="tasks run at the same time, each in its own process (default: `[service] workers`, 2)")
    serve.add_argument("--dask-scheduler", metavar="ADDRESS",
                       help="run tasks on this Dask cluster instead, e.g. tcp://10.0.0.5:8786")
    serve.add_argument("--token", help="the API token (default: `[service] token`, else one generated at first "
                                       "start and kept in the data folder)")
    serve.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the service and serve until interrupted (Ctrl-C or SIGTERM: running tasks are queued again)."""
    from ..errors import InputError
    from ..settings import load_settings

    try:
        import uvicorn

        from ..service import create_app
    except ModuleNotFoundError as e:
        raise InputError(f"`research-env serve` needs {e.name}, which is not installed: pip install fastapi "
                         "uvicorn websockets") from e
    settings = load_settings()
    service = _overridden(settings.service, {"host": args.host, "port": args.port, "workers": args.workers,
                                             "dask_scheduler": args.dask_scheduler, "token": args.token})
    app = create_app(replace(settings, service=service))
    host = f"[{service.host}]" if ":" in service.host else service.host
    where = (f"on the Dask cluster at {service.dask_scheduler}" if service.dask_scheduler
             else f"in up to {service.workers} worker processes")
    # A token handed over in the environment (JupyterLab's proxy does so) belongs to the launcher: not printed.
    shown = "***" if args.token is None and "RESEARCH_ENV_SERVICE_TOKEN" in os.environ else app.state.service.token
    print(f"research-env serve: http://{host}:{service.port}/?token={shown}", flush=True)
    print(f"  API docs: http://{host}:{service.port}/docs; tasks run {where}", flush=True)
    if not _loopback(service.host):
        print(f"research-env serve: warning: {service.host} is reachable from other machines and this server has no "
              "TLS: the token and every result cross the network in clear text; put an HTTPS proxy in front, or "
              "bind 127.0.0.1", file=sys.stderr, flush=True)
    uvicorn.run(app, host=service.host, port=service.port, log_config=_log_config())
    return 0


def _overridden(service, given: dict):
    """``service`` with the options given, each checked as its setting is (the settings' own parser)."""
    parsers = {spec.name: spec.metadata["parse"] for spec in fields(service)}
    return replace(service, **{name: parsers[name](value, f"`--{name.replace('_', '-')}`")
                               for name, value in given.items() if value is not None})


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _HiddenToken(logging.Filter):
    """Writes ``token=...`` in a logged request line (``?token=`` in a URL) as ``token=***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


_TOKEN = re.compile(r"(\btoken=)[^&\s\"]*")


def _log_config() -> dict:
    """Uvicorn's logging, with the token hidden from the access log and the WebSocket lines."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"hidden_token": {"()": _HiddenToken}}
    for handler in config["handlers"].values():
        handler["filters"] = ["hidden_token"]
    return config
