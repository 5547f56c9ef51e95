"""Tasks in worker processes: a strategy that raises fails its task with the symbol and bar, one that takes
its process down fails its task and nothing else, a task past the server's time limit stops, cancelling
stops a queued task before it runs and a running one's worker, a task that ended done or failed cannot be
cancelled (cancelling a cancelled one again is no error)."""

from __future__ import annotations

import time

import pytest

from tests.service.conftest import AUTH, submit, wait_for

SPY_2023 = {"symbols": ["SPY"], "start": "2023-01-01", "end": "2024-01-01", "timeframe": "1d"}
QUICK = {"strategy": "dual_ma_crossover", **SPY_2023}


def test_a_strategy_that_raises_fails_its_task_with_the_symbol_bar_and_its_own_traceback(client):
    task = wait_for(client, submit(client, {"strategy": "raises_on_bar", **SPY_2023}))

    assert (task["status"], task["report"]) == ("failed", None)
    error = task["error"]
    assert error["type"] == "StrategyError" and error["symbol"] == "SPY"
    assert error["bar"].startswith("2023-02-14")  # the 30th session of 2023, its close
    assert "strategy `raises_on_bar` raised in on_bar() on the SPY bar of 2023-02-14" in error["message"]
    assert "ValueError: no price model for" in error["message"]
    assert any("raises_on_bar.py" in line for line in error["traceback"])
    assert not any("research_env" in line for line in error["traceback"])  # the strategy's frames only


@pytest.mark.parametrize(("how", "words"), [("segfault", "killed by signal SIGSEGV"),
                                            ("exit", "exited with status 3 before it finished")])
def test_a_strategy_that_takes_its_process_down_fails_its_task_and_the_server_lives_on(client, how, words):
    task = wait_for(client, submit(client, {"strategy": "crashes_process", "params": {"how": how}, **SPY_2023}))

    assert task["status"] == "failed" and task["error"]["type"] == "WorkerCrashed"
    assert words in task["error"]["message"] and "the server is unaffected" in task["error"]["message"]
    assert wait_for(client, submit(client, QUICK))["status"] == "done"


def test_a_task_past_the_servers_time_limit_fails_naming_the_setting(make_client):
    client = make_client(task_timeout=0.5)
    task = wait_for(client, submit(client, {"strategy": "sleepy_hold", "params": {"pause": 0.05}, **SPY_2023}))

    assert task["status"] == "failed"  # the alarm lands in the strategy's sleep (a StrategyError) or between bars
    assert "RunTimeoutError: sleepy_hold ran past its timeout of 0.5s" in f"{task['error']['type']}: " \
                                                                        f"{task['error']['message']}"
    assert "ask the server's operator to raise `[service] task_timeout`" in task["error"]["message"]


def test_a_worker_deaf_to_the_apis_timeout_is_stopped_from_outside(make_client):
    # long enough for a fresh worker to load a year of bars and finish a quick backtest on a slow machine
    client = make_client(task_timeout=2.0)
    began = time.monotonic()
    task = wait_for(client, submit(client, {"strategy": "deaf_to_alarms", **SPY_2023}))

    assert task["status"] == "failed" and task["error"]["type"] == "RunTimeoutError"
    assert "ran past the server's limit of 2 s and its worker was stopped" in task["error"]["message"]
    assert time.monotonic() - began < 12
    assert wait_for(client, submit(client, QUICK))["status"] == "done"


def test_cancelling_stops_a_queued_task_before_it_runs_and_a_running_ones_worker(make_client):
    client = make_client(workers=1)
    slow = submit(client, {"strategy": "sleepy_hold", "params": {"pause": 0.05}, **SPY_2023})
    waiting = submit(client, QUICK)
    running = wait_for(client, slow, ("running",))
    assert client.get(f"/api/backtest/{waiting}", headers=AUTH).json()["status"] == "queued"

    assert client.delete(f"/api/backtest/{waiting}", headers=AUTH).json() == {"task_id": waiting,
                                                                               "status": "cancelled"}
    assert client.delete(f"/api/backtest/{slow}", headers=AUTH).json() == {"task_id": slow, "status": "cancelled"}
    after = submit(client, QUICK)  # the one worker is free again at once
    assert wait_for(client, after, timeout=10)["status"] == "done"

    time.sleep(0.3)
    stopped = client.get(f"/api/backtest/{slow}", headers=AUTH).json()
    never = client.get(f"/api/backtest/{waiting}", headers=AUTH).json()
    assert (stopped["status"], stopped["report"], stopped["started_at"]) == ("cancelled", None, running["started_at"])
    assert stopped["finished_at"] is not None and stopped["progress"] < 100
    assert (never["status"], never["started_at"], never["report"]) == ("cancelled", None, None)
    again = client.delete(f"/api/backtest/{slow}", headers=AUTH)
    assert again.status_code == 200 and again.json() == {"task_id": slow, "status": "cancelled"}
    done = client.delete(f"/api/backtest/{after}", headers=AUTH)
    assert done.status_code == 409 and "already finished (status `done`)" in done.json()["detail"]
    assert client.get(f"/api/backtest/{after}", headers=AUTH).json()["status"] == "done"
    unknown = client.delete("/api/backtest/0123abcd", headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["field"] == "task_id"
    assert client.get("/api/backtest/0123abcd", headers=AUTH).status_code == 404
