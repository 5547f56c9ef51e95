"""What the service checks before it queues a task, and the job a worker runs for it.

A strategy named from the server's own folders is trusted: ``build_run`` resolves its name, dates, symbols
and parameters here, cheaply, and a sweep's grid and date range are held to the server's limits. A request
with ``git_repo`` is untrusted: only its URL scheme, its grid size and (when both are given) its date range
are checked here; its code is read and run by the worker, contained (``untrusted=True``).
"""

from __future__ import annotations

import difflib
import re
import warnings
from urllib.parse import urlsplit

from ..errors import InputError
from ..run_spec import build_run, date_range
from ..settings import ServiceSettings
from ..strategy.loader import available_strategies
from ..strategy.params import strategy_defaults
from ..sweeps import check_grid, check_years
from ..sweeps.result import METRIC_NAMES
from ._errors import ServiceError
from ._terms import in_service_terms

__all__ = ["check_request", "job_for"]

_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


def _arguments(kind: str, request: dict) -> dict:
    """The keyword arguments of ``research_env.backtest``/``sweep`` a request gives (fields sent as null are
    left to the API's resolution, like fields left out)."""
    arguments = {name: value for name, value in request.items() if value is not None}
    if kind != "backtest" and not arguments.get("params"):
        arguments.pop("params", None)
    return arguments


def job_for(kind: str, request: dict, settings: ServiceSettings) -> dict:
    """What a worker needs to run the task of ``request``: the arguments and the server's limits."""
    return {"kind": kind, "arguments": _arguments(kind, request), "untrusted": request.get("git_repo") is not None,
            "timeout": settings.task_timeout, "max_combinations": settings.max_combinations,
            "max_years": settings.max_years}


def check_request(kind: str, request: dict, settings: ServiceSettings) -> None:
    """Refuse (``ServiceError``, or the library's ``InputError``) what can be found wrong before queuing."""
    arguments = _arguments(kind, request)
    sweep = kind != "backtest"
    if sweep and "params" in arguments:
        raise ServiceError(422, "a sweep takes no `params`: fix a parameter with a one-value list in `param_grid`, "
                                'e.g. {"oversold": [25]}', "params")
    if sweep and arguments.get("metric") is not None and arguments["metric"] not in METRIC_NAMES:
        raise ServiceError(422, f"`metric` {arguments['metric']!r} is not a report metric; use one of "
                                f"{', '.join(METRIC_NAMES)}", "metric")
    if "git_repo" in arguments:
        _check_scheme(arguments["git_repo"], settings.git_schemes)
        if sweep:
            check_grid(arguments["param_grid"], None, "the strategy", settings.max_combinations)
            if "start" in arguments and "end" in arguments:
                _check_range(*date_range(arguments["start"], arguments["end"]), settings.max_years)
        return
    _check_name(arguments.get("strategy"))
    given = {name: value for name, value in arguments.items() if name not in ("param_grid", "metric")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = build_run(given.pop("strategy"), **given, mode="vectorized" if kind == "sweep" else "bar")
    if sweep:
        if run.vectorized:
            known = list(run.target.param_schema) if run.target.param_schema else None
        else:
            known = list(strategy_defaults(type(run.target)))
        check_grid(arguments["param_grid"], known, run.spec.strategy.name, settings.max_combinations)
        _check_range(run.spec.start_date, run.spec.end_date, settings.max_years)


def _git_scheme(url: str) -> str:
    """The scheme of a repository as git reads it: ``https``, ``ssh`` (also ``user@host:path``), ... and
    ``file`` for a ``file://`` URL or a local path."""
    if "://" in url:
        return urlsplit(url).scheme.lower()
    return "ssh" if _SCP_LIKE.match(url) else "file"


def _check_scheme(url: str, allowed: tuple[str, ...]) -> None:
    scheme = _git_scheme(url)
    if scheme not in allowed:
        what = "a local path" if "://" not in url else f"the scheme `{scheme}`"
        raise ServiceError(422, f"`git_repo` is {what}, which this server does not take (it allows "
                                f"{', '.join(allowed)}); send an {' or '.join(f'{s}://' for s in allowed)} URL, or "
                                f"ask its operator to add `{scheme}` to `[service] git_schemes`", "git_repo")


def _check_name(name: str | None) -> None:
    known = available_strategies()
    if name in known:
        return
    names = ", ".join(sorted(known))
    if name is None:
        raise ServiceError(422, f"`strategy` is missing: name one of this server's strategies ({names}), or send "
                                "`git_repo` to take it from a Git repository", "strategy")
    hint = difflib.get_close_matches(name, list(known), n=1)
    guess = f"; did you mean `{hint[0]}`?" if hint else ""
    raise ServiceError(422, f"`strategy` {name!r} is not a strategy of this server{guess} (it has: {names}); "
                            "send `git_repo` to run one from a Git repository", "strategy")


def _check_range(start, end, max_years: float | None) -> None:
    try:
        check_years(start, end, max_years)
    except InputError as e:
        raise ServiceError(422, in_service_terms(str(e)), "start") from e
