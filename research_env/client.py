"""``Client``: run backtests and sweeps on a research-env service (``research-env serve``) from Python.

    from research_env.client import Client

    client = Client("http://127.0.0.1:8765")          # token: argument, env, settings, or the local token file
    result = client.backtest("dual_ma_crossover", "SPY", "2015-01-01", "2021-01-01")
    result                                             # the same report as a local run

A finished task comes back as the object a local run returns: a
``BacktestResult`` rebuilt from the service's JSON (``from_dict``) or a
``SweepResult``. A strategy that raised comes back as a ``RemoteStrategyError``
(a ``StrategyError``) with the server's message, symbol and bar; a request the
service refused (4xx) as an ``InputError`` carrying the server's ``detail``.

httpx and websockets are imported on first use: importing this module loads
nothing but the standard library and ``research_env.errors``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import InputError, ResearchEnvError, StrategyError

__all__ = [
    "DEFAULT_URL",
    "TOKEN_ENV",
    "Client",
    "RemoteStrategyError",
    "ServiceError",
    "ServiceRequestError",
    "TaskCancelledError",
    "TaskFailedError",
    "resolve_token",
    "token_file",
]

DEFAULT_URL = "http://127.0.0.1:8765"
#: The environment variable of the ``service.token`` setting.
TOKEN_ENV = "RESEARCH_ENV_SERVICE_TOKEN"
#: Task states after which nothing changes.
FINAL = ("done", "failed", "cancelled")
_POLL_SECONDS = 0.5

#: What ``progress=`` takes: True (the display of local runs), False/None (nothing), or ``callable(percent, 100)``.
ProgressLike = bool | Callable[[int, int], None] | None


class ServiceError(ResearchEnvError):
    """The service could not be reached or answered with a server error; the message says where and what to do."""


class ServiceRequestError(InputError):
    """The service refused a request (4xx): ``status``, the server's ``detail`` as the message, and ``field``."""

    def __init__(self, message: str, *, status: int, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


class TaskFailedError(ResearchEnvError):
    """A task failed on the service for a reason other than the strategy (bars, limits, a timeout ...)."""

    def __init__(self, task_id: str, error: Mapping):
        self.task_id = task_id
        self.error_type = error.get("type")
        self.error_message = error.get("message")
        self.server_traceback = _lines(error.get("traceback"))
        super().__init__(f"task `{task_id}` failed on the service: {self.error_type}: {self.error_message}")


class TaskCancelledError(ResearchEnvError):
    """The task was cancelled before it finished."""


class RemoteStrategyError(StrategyError):
    """A strategy raised while the service ran it: the server's message, ``symbol``, ``timestamp`` (the bar),
    ``error_type``, ``user_traceback`` (the lines the server sent) and ``task_id``."""

    def __init__(self, task_id: str, error: Mapping, strategy: str | None = None):
        message = error.get("message") or f"strategy `{strategy}` raised on the service"
        ResearchEnvError.__init__(self, message)
        self.task_id = task_id
        self.strategy, self.hook = strategy, None
        self.symbol = error.get("symbol")
        self.timestamp = datetime.fromisoformat(error["bar"]) if error.get("bar") else None
        self.error_type = error.get("type")
        self.error_message = message
        self.user_traceback = _lines(error.get("traceback"))

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of this process's frames: the message and the service's traceback."""
        lines = [f"StrategyError (service task {self.task_id}): {self}"]
        if self.user_traceback:
            lines.append("Traceback on the service:")
            lines.extend(self.user_traceback)
        return lines


def token_file() -> Path:
    """Where ``research-env serve`` keeps the token it generated: ``<data folder>/service/token``."""
    from .data import default_data_dir

    return default_data_dir() / "service" / "token"


def resolve_token(token: str | None = None) -> str:
    """``token``, else the setting ``service.token`` (``$RESEARCH_ENV_SERVICE_TOKEN`` or a settings file), else
    the local token file; ``InputError`` naming all three when none is set."""
    if token:
        return token
    from .settings import load_settings

    configured = load_settings().service.token
    if configured:
        return configured
    path = token_file()
    if path.is_file() and path.read_text(encoding="utf-8").strip():
        return path.read_text(encoding="utf-8").strip()
    raise InputError(f"no token for the research-env service: pass `token=`, set ${TOKEN_ENV} (or `service.token` "
                     f"in research-env.toml), or start `research-env serve` on this machine, which keeps its token "
                     f"in {path}")


class Client:
    """A research-env service at ``url``, called with ``token`` (see ``resolve_token``); ``timeout`` in seconds
    for each HTTP request (a task may take longer: ``wait`` follows it)."""

    def __init__(self, url: str = DEFAULT_URL, token: str | None = None, *, timeout: float = 30):
        import httpx

        if not url.startswith(("http://", "https://")):
            raise InputError(f"`url` must start with http:// or https://, e.g. {DEFAULT_URL!r}, got {url!r}")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {resolve_token(token)}"}
        self._http = httpx.Client(base_url=self.url, headers=self._headers, timeout=timeout)

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- runs ---------------------------------------------------------------
    def backtest(self, strategy: str | None = None, symbols: list[str] | str | None = None, start=None, end=None,
                 timeframe: str | None = None, initial_cash: float | None = None, params: dict | None = None, *,
                 git_repo: str | None = None, git_branch: str | None = None, git_commit: str | None = None,
                 strategy_path: str | None = None, wait: bool = True, progress: ProgressLike = True):
        """Run a backtest on the service; the arguments mean what they mean for ``research_env.backtest``.

        Returns the ``BacktestResult``, or with ``wait=False`` the task id (``wait(task_id)`` gets the result).
        """
        task_id = self.submit_backtest(strategy, symbols, start, end, timeframe, initial_cash, params,
                                       git_repo=git_repo, git_branch=git_branch, git_commit=git_commit,
                                       strategy_path=strategy_path)
        return self.wait(task_id, progress=progress) if wait else task_id

    def sweep(self, strategy: str | None = None, symbols: list[str] | str | None = None, start=None, end=None,
              timeframe: str | None = None, param_grid: dict | None = None, *, initial_cash: float | None = None,
              parallel: bool = False, metric: str | None = None, git_repo: str | None = None,
              git_branch: str | None = None, git_commit: str | None = None, strategy_path: str | None = None,
              wait: bool = True, progress: ProgressLike = True):
        """Sweep ``param_grid`` on the service: vectorized, or bar by bar across its workers with ``parallel=True``.

        Returns the ``SweepResult``, or with ``wait=False`` the task id.
        """
        task_id = self.submit_sweep(strategy, symbols, start, end, timeframe, param_grid, initial_cash=initial_cash,
                                    parallel=parallel, metric=metric, git_repo=git_repo, git_branch=git_branch,
                                    git_commit=git_commit, strategy_path=strategy_path)
        return self.wait(task_id, progress=progress) if wait else task_id

    def submit_backtest(self, strategy: str | None = None, symbols: list[str] | str | None = None, start=None,
                        end=None, timeframe: str | None = None, initial_cash: float | None = None,
                        params: dict | None = None, *, git_repo: str | None = None, git_branch: str | None = None,
                        git_commit: str | None = None, strategy_path: str | None = None) -> str:
        """Queue a backtest (``POST /api/backtest``) and return its task id."""
        body = _body(strategy=_strategy_name(strategy), symbols=symbols, start=start, end=end, timeframe=timeframe,
                     initial_cash=initial_cash, params=params, git_repo=git_repo, git_branch=git_branch,
                     git_commit=git_commit, strategy_path=strategy_path)
        return self._request("POST", "/api/backtest", content=body)["task_id"]

    def submit_sweep(self, strategy: str | None = None, symbols: list[str] | str | None = None, start=None, end=None,
                     timeframe: str | None = None, param_grid: dict | None = None, *,
                     initial_cash: float | None = None, parallel: bool = False, metric: str | None = None,
                     git_repo: str | None = None, git_branch: str | None = None, git_commit: str | None = None,
                     strategy_path: str | None = None) -> str:
        """Queue a sweep (``POST /api/backtest/sweep``, or ``/sweep/parallel``) and return its task id."""
        body = _body(strategy=_strategy_name(strategy), symbols=symbols, start=start, end=end, timeframe=timeframe,
                     param_grid=param_grid, initial_cash=initial_cash, metric=metric, git_repo=git_repo,
                     git_branch=git_branch, git_commit=git_commit, strategy_path=strategy_path)
        path = "/api/backtest/sweep/parallel" if parallel else "/api/backtest/sweep"
        return self._request("POST", path, content=body)["task_id"]

    def wait(self, task_id: str, progress: ProgressLike = True):
        """The result of task ``task_id`` once it ends, following its WebSocket (polling when that fails).

        ``progress``: ``True`` shows the bar local runs show (in a notebook, or tqdm in a terminal), a callable
        gets ``(percent, 100)``, ``False`` shows nothing. A failed task raises ``RemoteStrategyError`` or
        ``TaskFailedError``, a cancelled one ``TaskCancelledError``.
        """
        info = self.status(task_id)
        if info["status"] not in FINAL:
            with _ticker(progress, _label(info)) as tick:
                tick(info.get("progress"))
                info = {**info, **self._follow(task_id, tick)}
        if info["status"] == "done" and info.get("report") is None:
            info = self.status(task_id)
        return _outcome(info)

    # --- tasks --------------------------------------------------------------
    def status(self, task_id: str) -> dict:
        """The task's record: ``kind``, ``status``, ``progress``, times, ``request``, ``error`` and ``report``."""
        return self._request("GET", f"/api/backtest/{task_id}")

    def tasks(self, status: str | None = None, page: int = 1, per_page: int = 50) -> dict:
        """One page of tasks, newest first (``{"tasks", "page", "per_page", "total"}``), optionally of one status."""
        query = {"page": page, "per_page": per_page, **({"status": status} if status else {})}
        return self._request("GET", "/api/backtest", params=query)

    def cancel(self, task_id: str) -> dict:
        """Cancel a queued or running task; a finished one is a ``ServiceRequestError`` (409)."""
        return self._request("DELETE", f"/api/backtest/{task_id}")

    def clear_cache(self, symbol: str | None = None) -> dict:
        """Drop the service's cached bars (of ``symbol``, else all): ``{"deleted", "files"}``."""
        return self._request("POST", "/api/backtest/cache/clear", content=_body(symbol=symbol))

    # --- plumbing -----------------------------------------------------------
    def _request(self, method: str, path: str, **kwargs) -> Any:
        import httpx

        if "content" in kwargs:
            kwargs["headers"] = {"Content-Type": "application/json"}
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as e:
            raise ServiceError(f"the service at {self.url} did not answer {method} {path} within {self.timeout:g} s; "
                               "raise `timeout` or check the server") from e
        except httpx.TransportError as e:
            raise ServiceError(f"cannot reach the research-env service at {self.url} ({e}); start it with "
                               "`research-env serve`, or pass the `url` it listens on") from e
        if response.status_code >= 400:
            raise _http_error(response, self.url, f"{method} {path}")
        return response.json()

    def _follow(self, task_id: str, tick: Callable[[Any], None]) -> dict:
        """The task's last message: from its WebSocket while that answers, else by polling its status."""
        message = self._follow_socket(task_id, tick)
        while message is None or message.get("status") not in FINAL:
            if message is not None:
                time.sleep(_POLL_SECONDS)
            message = self.status(task_id)
            tick(message.get("progress"))
        return message

    def _follow_socket(self, task_id: str, tick: Callable[[Any], None]) -> dict | None:
        """The final message of ``WS /ws/backtest/{task_id}``, ticking each progress; ``None`` when the socket
        cannot be opened or closes first."""
        try:
            from websockets.exceptions import WebSocketException
            from websockets.sync.client import connect
        except ImportError:
            return None
        address = "ws" + self.url.removeprefix("http") + f"/ws/backtest/{task_id}"
        try:
            with connect(address, additional_headers=self._headers, open_timeout=self.timeout,
                         max_size=None) as socket:
                for text in socket:
                    message = json.loads(text)
                    tick(message.get("progress"))
                    if message.get("status") in FINAL:
                        return message
        except (OSError, WebSocketException, ValueError):
            return None
        return None


def _strategy_name(strategy) -> str | None:
    if strategy is None or isinstance(strategy, str):
        return strategy
    raise InputError(f"`strategy` must be the name of a strategy the service can load (e.g. \"dual_ma_crossover\"), "
                     f"or None with `git_repo` and `strategy_path`; got a {type(strategy).__name__}, which only runs "
                     "locally: use research_env.backtest for it")


def _body(**fields) -> str:
    """The JSON body of the given fields, leaving out those that are ``None`` (the service fills in defaults)."""
    parts = []
    for name, value in fields.items():
        if value is None:
            continue
        try:
            parts.append(f"{json.dumps(name)}: {json.dumps(value, default=_plain)}")
        except (TypeError, ValueError) as e:
            raise InputError(f"`{name}` cannot be sent to the service as JSON ({e}); pass numbers, strings, dates, "
                             "lists or dicts of them") from None
    return "{" + ", ".join(parts) + "}"


def _plain(value):
    if isinstance(value, date):  # datetime and pandas.Timestamp too
        return value.isoformat()
    if hasattr(value, "item") and hasattr(value, "dtype"):  # numpy scalars
        return value.item()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"a {type(value).__name__} is not JSON")


def _http_error(response, url: str, what: str) -> ResearchEnvError:
    """The error for a 4xx (``ServiceRequestError`` with the server's ``detail``) or 5xx (``ServiceError``)."""
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    detail, field = _detail(answer) if isinstance(answer, dict) else (None, None)
    status = response.status_code
    if status >= 500:
        return ServiceError(f"the service at {url} failed on {what} ({status}): {detail or response.text[:500]}; "
                            "see the server's log")
    if status == 401:
        return ServiceRequestError(
            f"the service at {url} refused the token ({detail or 'unauthorized'}); pass `token=` the token of that "
            f"server (`research-env serve` keeps a generated one in <data folder>/service/token) or set ${TOKEN_ENV}",
            status=status, field=field)
    return ServiceRequestError(detail or f"the service at {url} refused {what} ({status})", status=status,
                               field=field)


def _detail(answer: dict) -> tuple[str | None, str | None]:
    """``(detail, field)`` of an error answer (``{"detail", "field"}``)."""
    detail = answer.get("detail")
    return (str(detail) if detail is not None else None), answer.get("field")


def _label(info: dict) -> str:
    request = info.get("request") or {}
    name = request.get("strategy") or request.get("strategy_path") or request.get("git_repo") or info["task_id"]
    return f"{info.get('kind', 'task').replace('_', ' ')} {name} (service)"


@contextlib.contextmanager
def _ticker(progress: ProgressLike, label: str) -> Iterator[Callable[[Any], None]]:
    """A ``tick(percent)`` for ``wait``: the progress display of local runs, the caller's callable, or nothing."""
    if progress is True:
        from .notebook.progress import Progress as Bar

        with Bar(label, unit="step") as bar:
            yield lambda percent: bar(round(percent or 0), 100)
    elif callable(progress):
        yield lambda percent: progress(round(percent or 0), 100)
    else:
        yield lambda percent: None


def _outcome(info: dict):
    """The result of a finished task, or its error raised."""
    status, task_id = info["status"], info["task_id"]
    if status == "done":
        return _result(info["kind"], info["report"])
    if status == "cancelled":
        raise TaskCancelledError(f"task `{task_id}` was cancelled before it finished; submit it again for a result")
    error = info.get("error") or {}
    if error.get("type") == "StrategyError" or error.get("bar"):
        raise RemoteStrategyError(task_id, error, (info.get("request") or {}).get("strategy"))
    raise TaskFailedError(task_id, error)


def _result(kind: str, report: dict):
    """The result object of a ``report``: a ``BacktestResult`` with its ``RunSpec``, or a ``SweepResult``."""
    if kind == "backtest":
        from .engine.result import BacktestResult
        from .run_spec import RunSpec

        spec = RunSpec.from_dict(report["spec"]) if report.get("spec") else None
        return BacktestResult.from_dict(report, spec=spec)
    from .sweeps.result import SweepResult

    return SweepResult.from_dict(report, grid=report["grid"], maximize=report.get("maximize", True))


def _lines(traceback) -> list[str]:
    if not traceback:
        return []
    if isinstance(traceback, str):
        return traceback.rstrip("\n").splitlines()
    return [str(line).rstrip("\n") for line in traceback]
