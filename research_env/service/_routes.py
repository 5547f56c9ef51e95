"""The guide's REST endpoints (section 14), every one behind the token."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from ._auth import UNAUTHORIZED
from ._catalog import strategy_catalog
from ._errors import ServiceError
from ._figure import figure_json
from ._models import BacktestRequest, CacheClearRequest, SweepRequest
from ._service import Service
from ._store import STATUSES

__all__ = ["router"]

_BEARER = HTTPBearer(auto_error=False, description="the token `research-env serve` printed")
_QUERY = APIKeyQuery(name="token", auto_error=False, description="the same token, as ?token= (browsers)")


def require_token(request: Request, bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
                  query: Annotated[str | None, Depends(_QUERY)]) -> None:
    """Refuse a request without the service's token (401, saying how to pass it)."""
    presented = bearer.credentials if bearer is not None else query
    if not request.app.state.service.accepts(presented):
        raise ServiceError(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


def _service(request: Request) -> Service:
    return request.app.state.service


Shared = Annotated[Service, Depends(_service)]
Status = Literal[STATUSES]


router = APIRouter(dependencies=[Depends(require_token)])
_CREATED = {202: {"description": '{"task_id": "<hex>"}: the task is stored, queued to run'}}


@router.post("/api/backtest", status_code=202, responses=_CREATED, summary="Start a backtest")
def start_backtest(body: BacktestRequest, service: Shared) -> dict:
    return {"task_id": service.submit("backtest", body)}


@router.post("/api/backtest/sweep", status_code=202, responses=_CREATED,
             summary="Start a vectorized parameter sweep (numba kernels)")
def start_sweep(body: SweepRequest, service: Shared) -> dict:
    return {"task_id": service.submit("sweep", body)}


@router.post("/api/backtest/sweep/parallel", status_code=202, responses=_CREATED,
             summary="Start a bar-by-bar parameter sweep (in parallel)")
def start_parallel_sweep(body: SweepRequest, service: Shared) -> dict:
    return {"task_id": service.submit("sweep_parallel", body)}


@router.post("/api/backtest/cache/clear", summary="Clear the bars cached from S3 flat files")
def clear_cache(service: Shared, body: Annotated[CacheClearRequest | None, Body()] = None) -> dict:
    from ..data import BarStore
    from ..data import clear_cache as clear

    files = clear(body.symbol if body is not None else None, store=BarStore(service.data_folder))
    return {"deleted": len(files), "files": [str(path) for path in files]}


@router.get("/api/backtest", summary="List the tasks, newest first")
def list_tasks(service: Shared, status: Status | None = None, page: Annotated[int, Query(ge=1)] = 1,
               per_page: Annotated[int, Query(ge=1, le=500)] = 50) -> dict:
    tasks, total = service.store.page(status, page, per_page)
    return {"tasks": tasks, "page": page, "per_page": per_page, "total": total}


@router.get("/api/backtest/{task_id}", summary="A task's status, progress and, once done, its report")
def get_task(task_id: str, service: Shared) -> Response:
    text = service.store.get_json(task_id)
    if text is None:
        raise _unknown(task_id)
    return Response(text, media_type="application/json")


@router.get("/api/backtest/{task_id}/figure", summary="A done task's plotly figure (the notebook report's)")
def get_figure(task_id: str, service: Shared) -> Response:
    task = service.store.get(task_id)
    if task is None:
        raise _unknown(task_id)
    if task["status"] != "done":
        raise ServiceError(409, f"task {task_id} is `{task['status']}`: its figure is drawn once it is `done` "
                                f"(follow /ws/backtest/{task_id})", "task_id")
    return Response(figure_json(task), media_type="application/json")


@router.get("/api/strategies", summary="The server's strategies, their parameters and defaults")
def list_strategies() -> dict:
    return {"strategies": strategy_catalog()}


@router.delete("/api/backtest/{task_id}", summary="Cancel a queued or running task")
def cancel_task(task_id: str, service: Shared) -> dict:
    if not service.runner.cancel(task_id):
        task = service.store.get(task_id, report=False)
        if task is None:
            raise _unknown(task_id)
        if task["status"] != "cancelled":  # cancelling again is no error: the task is cancelled
            raise ServiceError(409, f"task {task_id} has already finished (status `{task['status']}`); only a "
                                    "queued or running task can be cancelled", "task_id")
    return {"task_id": task_id, "status": "cancelled"}


def _unknown(task_id: str) -> ServiceError:
    return ServiceError(404, f"no task has the id {task_id!r}; use a `task_id` a POST returned (GET /api/backtest "
                             "lists them)", "task_id")
