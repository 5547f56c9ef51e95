"""``WS /ws/backtest/{task_id}``: a task's status and progress as it advances, then its outcome.

Messages are ``{"task_id", "status", "progress"}``, sent when either changes (the task is looked at four
times a second); the last one also carries ``report`` and ``error`` (``null`` when there is none), then
the server closes. A client that connects after the end gets that last message at once. The token comes
as ``?token=`` (browsers) or ``Authorization: Bearer``; a refused handshake is answered 401 or 404 as JSON
where the server can (else the socket is closed with code 1008).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ._auth import UNAUTHORIZED, presented_token
from ._store import FINISHED

__all__ = ["router"]

#: Seconds between looks at the task (so at most four messages a second).
INTERVAL = 0.25

router = APIRouter()


@router.websocket("/ws/backtest/{task_id}")
async def task_progress(websocket: WebSocket, task_id: str) -> None:
    service = websocket.app.state.service
    presented = presented_token(websocket.headers.get("authorization"), websocket.query_params.get("token"))
    if not service.accepts(presented):
        await _deny(websocket, 401, UNAUTHORIZED)
        return
    task = await run_in_threadpool(service.store.get, task_id, report=False)
    if task is None:
        await _deny(websocket, 404, f"no task has the id {task_id!r}; use a `task_id` a POST returned")
        return
    await websocket.accept()
    try:
        await _stream(websocket, service.store, task)
    except WebSocketDisconnect:
        return
    await websocket.close()


async def _stream(websocket: WebSocket, store, task: dict) -> None:
    """Send each new (status, progress) until the task finishes, then the final message."""
    shown = None
    while task["status"] not in FINISHED:
        now = (task["status"], task["progress"])
        if now != shown:
            await websocket.send_json(_message(task))
            shown = now
        if await _client_left(websocket):
            raise WebSocketDisconnect()
        task = await run_in_threadpool(store.get, task["task_id"], report=False)
    final = await run_in_threadpool(store.get, task["task_id"]) or {**task, "report": None}  # dropped meanwhile
    await websocket.send_json({**_message(final), "report": final["report"], "error": final["error"]})


def _message(task: dict) -> dict:
    return {"task_id": task["task_id"], "status": task["status"], "progress": task["progress"]}


async def _client_left(websocket: WebSocket) -> bool:
    """Wait ``INTERVAL`` seconds for the client to go away (what it sends meanwhile is ignored)."""
    clock = asyncio.get_running_loop().time
    deadline = clock() + INTERVAL
    while (left := deadline - clock()) > 0:
        try:
            message = await asyncio.wait_for(websocket.receive(), left)
        except TimeoutError:
            return False
        if message["type"] == "websocket.disconnect":
            return True
    return False


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    try:
        await websocket.send_denial_response(JSONResponse({"detail": detail, "field": None}, status_code=status))
    except RuntimeError:  # the server cannot answer a handshake with HTTP
        await websocket.close(code=1008, reason=detail[:120])
