"""What a starting service does: the token (given, or generated once and kept readable by its owner only),
the database migrated, tasks a stopped server left running failed, queued ones resumed, old results dropped."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from research_env.db import database_url, get_engine, status
from research_env.service import create_app
from research_env.service._store import TaskStore
from research_env.settings import ServiceSettings, Settings
from tests.service.conftest import AUTH, TOKEN, wait_for

REQUEST = {"strategy": "dual_ma_crossover", "symbols": ["SPY"], "start": "2024-01-01", "end": "2024-03-01",
           "timeframe": "1d"}


def test_a_generated_token_is_kept_in_the_data_folder_for_its_owner_only(tmp_path):
    first = create_app(Settings(), data_folder=tmp_path).state.service.token
    kept = tmp_path / "service" / "token"
    assert len(first) >= 40 and kept.read_text().strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert create_app(Settings(), data_folder=tmp_path).state.service.token == first
    given = Settings(service=ServiceSettings(token="from-settings"))
    assert create_app(given, data_folder=tmp_path / "other").state.service.token == "from-settings"
    assert not (tmp_path / "other" / "service" / "token").exists()


def test_start_fails_interrupted_tasks_resumes_queued_ones_and_drops_old_results(make_client, data_folder):
    store = TaskStore(database_url(Settings(), data_folder=data_folder))
    store.migrate()
    interrupted, queued = store.add("backtest", REQUEST), store.add("backtest", REQUEST)
    assert store.start(interrupted)
    finished = []
    for age in (40, 3, 2, 1):  # days
        finished.append(store.add("backtest", REQUEST))
        store.start(finished[-1])
        store.finish(finished[-1], "failed", error={"type": "X", "message": "x", "symbol": None, "bar": None,
                                                    "traceback": []})
        _age(store, finished[-1], age)

    client = make_client(keep_results=2, keep_days=30)
    assert status(store.url).pending == []
    stopped = client.get(f"/api/backtest/{interrupted}", headers=AUTH).json()
    assert stopped["status"] == "failed" and stopped["finished_at"] is not None
    assert stopped["error"]["message"].startswith("interrupted by restart")
    assert wait_for(client, queued)["status"] == "done"
    kept = {t["task_id"] for t in client.get("/api/backtest", headers=AUTH).json()["tasks"]}
    # the 40-day-old task is past keep_days; of the others the two newest finished ones stay (pruned again
    # once the resumed task is done)
    assert kept == {interrupted, queued}


def _age(store: TaskStore, task_id: str, days: float) -> None:
    table = sa.table("service_tasks", sa.column("id"), sa.column("created_at", sa.DateTime(timezone=True)))
    with get_engine(store.url).begin() as connection:
        connection.execute(table.update().where(table.c.id == task_id)
                           .values(created_at=datetime.now(UTC) - timedelta(days=days)))


def test_pruning_keeps_the_newest_finished_tasks_and_never_a_queued_or_running_one(tmp_path):
    store = TaskStore(database_url(Settings(), data_folder=tmp_path))
    store.migrate()
    waiting = store.add("sweep", {"param_grid": {}})
    _age(store, waiting, 400)
    done = []
    for age in (5, 4, 3):
        done.append(store.add("backtest", REQUEST))
        store.start(done[-1])
        store.finish(done[-1], "done", report="{}")
        _age(store, done[-1], age)

    assert store.prune(keep_results=2, keep_days=None) == 1
    assert store.get(done[0]) is None and store.get(done[1])["report"] == {} and store.get(waiting) is not None
    assert store.prune(keep_results=10, keep_days=3.5) == 1 and store.get(done[1]) is None
    assert store.recover() == [waiting]


def test_the_table_refuses_an_unknown_kind(tmp_path):
    store = TaskStore(database_url(Settings(), data_folder=tmp_path))
    store.migrate()
    with pytest.raises(sa.exc.IntegrityError):
        store.add("walk_forward", REQUEST)


def test_a_server_stopped_cleanly_queues_its_running_tasks_again(make_client, data_folder):
    from fastapi.testclient import TestClient

    settings = Settings(service=ServiceSettings(token=TOKEN, workers=1))
    long = {**REQUEST, "strategy": "sleepy_hold", "params": {"pause": 0.05}}
    with TestClient(create_app(settings, data_folder=data_folder)) as first:
        task_id = first.post("/api/backtest", json=long, headers=AUTH).json()["task_id"]
        wait_for(first, task_id, ("running",))
    assert TaskStore(database_url(settings, data_folder=data_folder)).get(task_id)["status"] == "queued"

    again = make_client(workers=1)
    assert wait_for(again, task_id, ("running",))["progress"] < 100
    assert again.delete(f"/api/backtest/{task_id}", headers=AUTH).status_code == 200
