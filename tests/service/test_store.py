"""``TaskStore`` on SQLite and on a real PostgreSQL server: every change of state is conditional, so a task
is started once, cancelled only while unfinished, and finished only while running; and the whole service on
PostgreSQL."""

from __future__ import annotations

import pytest

from research_env.db import database_url
from research_env.service._store import TaskStore
from research_env.settings import PostgresSettings, Settings
from tests.service.conftest import AUTH, submit, wait_for

REQUEST = {"strategy": "dual_ma_crossover", "symbols": ["SPY"], "start": "2023-01-01", "end": "2024-01-01",
           "timeframe": "1d"}
ERROR = {"type": "StrategyError", "message": "m", "symbol": "SPY", "bar": "2023-02-14T21:00:00+00:00",
         "traceback": ["line"]}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path) -> TaskStore:
    url = (database_url(Settings(), data_folder=tmp_path) if request.param == "sqlite"
           else request.getfixturevalue("postgres_dsn"))
    tasks = TaskStore(url)
    tasks.migrate()
    return tasks


def test_a_task_goes_queued_running_done_once_with_its_report(store):
    task_id = store.add("sweep_parallel", {"param_grid": {"a": [1, 2]}})
    queued = store.get(task_id)
    assert (queued["status"], queued["progress"], queued["started_at"], queued["report"]) == ("queued", 0.0, None,
                                                                                               None)
    assert queued["kind"] == "sweep_parallel" and queued["created_at"].endswith("+00:00")

    assert store.start(task_id) and not store.start(task_id)
    store.progress(task_id, 40.0)
    store.progress(task_id, 25.0)  # never backwards
    running = store.get(task_id, report=False)
    assert (running["status"], running["progress"], "report" in running) == ("running", 40.0, False)
    assert store.finish(task_id, "done", report='{"total_combinations": 2}')
    assert not store.finish(task_id, "failed", error=ERROR) and not store.cancel(task_id)
    done = store.get(task_id)
    assert (done["status"], done["progress"], done["report"], done["error"]) == ("done", 100.0,
                                                                                 {"total_combinations": 2}, None)
    assert done["created_at"] <= done["started_at"] <= done["finished_at"]


def test_a_cancelled_task_is_never_started_nor_finished(store):
    waiting, running = store.add("backtest", REQUEST), store.add("backtest", REQUEST)
    store.start(running)

    assert store.cancel(waiting) and store.cancel(running) and not store.cancel("0000")
    assert not store.start(waiting) and not store.finish(running, "failed", error=ERROR)
    assert [store.get(t)["status"] for t in (waiting, running)] == ["cancelled", "cancelled"]


def test_pages_are_newest_first_and_count_every_match(store):
    ids = [store.add("backtest", {**REQUEST, "n": n}) for n in range(5)]
    store.start(ids[1])
    store.finish(ids[1], "failed", error=ERROR)

    tasks, total = store.page(None, page=2, per_page=2)
    assert [t["task_id"] for t in tasks] == [ids[2], ids[1]] and total == 5 and "report" not in tasks[0]
    failed, total = store.page("failed", page=1, per_page=50)
    assert [t["task_id"] for t in failed] == [ids[1]] and total == 1 and failed[0]["error"] == ERROR
    assert store.recover() == [ids[0], ids[2], ids[3], ids[4]]


def test_the_service_runs_on_postgresql(make_client, postgres_dsn):
    client = make_client(settings=Settings(pg=PostgresSettings(dsn=postgres_dsn)))
    task = wait_for(client, submit(client, REQUEST))
    assert task["status"] == "done" and task["report"]["metrics"]["trading_days"] == 250
    assert client.get("/api/backtest", headers=AUTH).json()["total"] == 1
    assert TaskStore(postgres_dsn).get(task["task_id"])["report"] == task["report"]



def test_the_json_of_a_task_is_its_object_with_the_stored_report_spliced_in(store):
    import json

    task_id = store.add("backtest", REQUEST)
    assert json.loads(store.get_json(task_id)) == store.get(task_id)  # "report": null
    store.start(task_id)
    store.finish(task_id, "done", report='{"metrics": {"sharpe_ratio": 1.25}, "trades": []}')
    assert json.loads(store.get_json(task_id)) == store.get(task_id)
    assert store.get_json("f" * 32) is None
