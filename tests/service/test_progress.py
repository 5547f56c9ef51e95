"""``WS /ws/backtest/{task_id}``: progress as the task advances, never backwards, at most about four
messages a second, then one final message with the report (or the error), and the server closes."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from tests.service.conftest import TOKEN, submit, wait_for

SLOW = {"strategy": "sleepy_hold", "params": {"pause": 0.006}, "symbols": ["SPY"], "start": "2023-01-01",
        "end": "2024-01-01", "timeframe": "1d"}


def _messages(client, task_id: str) -> list[tuple[float, dict]]:
    """Every message of the task's stream with the time it came, up to the server's close."""
    received = []
    with client.websocket_connect(f"/ws/backtest/{task_id}?token={TOKEN}") as socket:
        while True:
            try:
                received.append((time.monotonic(), socket.receive_json()))
            except WebSocketDisconnect as closed:
                assert closed.code == 1000
                return received


def test_the_stream_shows_progress_in_order_then_the_report_and_closes(client):
    task_id = submit(client, SLOW)
    received = _messages(client, task_id)
    messages = [m for _, m in received]

    *updates, final = messages
    assert all(set(m) == {"task_id", "status", "progress"} and m["task_id"] == task_id for m in updates)
    progress = [m["progress"] for m in messages]
    assert progress == sorted(progress) and any(0 < p < 100 for p in progress)
    statuses = [m["status"] for m in updates]
    assert statuses == sorted(statuses, key=["queued", "running"].index)  # queued (maybe), then running
    assert len(updates) / max(received[-1][0] - received[0][0], 0.25) <= 5  # about four a second at most
    assert (final["status"], final["progress"], final["error"]) == ("done", 100.0, None)
    assert final["report"]["metrics"]["trading_days"] == 250 and final["report"]["strategy"] == "sleepy_hold"
    assert final["report"]["variables"] == {"edge": None}  # NaN: JSON has no such number


def test_a_client_connecting_after_the_end_gets_the_final_message_at_once(client):
    done = wait_for(client, submit(client, {**SLOW, "params": {"pause": 0}}))
    failed = wait_for(client, submit(client, {"strategy": "raises_on_bar", "symbols": "SPY", "start": "2023-01-01",
                                              "end": "2023-06-01"}))

    [(_, last)] = _messages(client, done["task_id"])
    assert last == {"task_id": done["task_id"], "status": "done", "progress": 100.0, "report": done["report"],
                    "error": None}
    [(_, last)] = _messages(client, failed["task_id"])
    assert (last["status"], last["report"], last["error"]) == ("failed", None, failed["error"])
    assert last["error"]["type"] == "StrategyError"


def test_a_cancelled_task_ends_its_stream_with_cancelled(client):
    task_id = submit(client, {**SLOW, "params": {"pause": 0.05}})
    wait_for(client, task_id, ("running",))
    with client.websocket_connect(f"/ws/backtest/{task_id}", headers={"Authorization": f"Bearer {TOKEN}"}) as socket:
        assert socket.receive_json()["status"] == "running"
        client.delete(f"/api/backtest/{task_id}", headers={"Authorization": f"Bearer {TOKEN}"})
        while (message := socket.receive_json())["status"] == "running":
            pass
        assert (message["status"], message["report"], message["error"]) == ("cancelled", None, None)


def test_an_unknown_task_is_refused_with_a_404(client):
    with pytest.raises(WebSocketDenialResponse) as denied:
        client.websocket_connect(f"/ws/backtest/nope?token={TOKEN}").__enter__()
    assert denied.value.status_code == 404 and denied.value.json()["field"] is None
