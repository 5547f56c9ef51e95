"""``[service] dask_scheduler``: tasks run on a Dask cluster (here a local one, in worker processes) and come
back with the same report; a failing strategy fails its task there too."""

from __future__ import annotations

import pytest

from tests.service.conftest import submit, wait_for

QUICK = {"strategy": "dual_ma_crossover", "symbols": ["SPY"], "start": "2023-01-01", "end": "2024-01-01",
         "timeframe": "1d"}


@pytest.fixture()
def cluster(data_folder, environment, monkeypatch):
    """A one-worker cluster whose worker process sees the test's data folder and strategies."""
    from distributed import LocalCluster

    monkeypatch.setenv("RESEARCH_ENV_DATA", str(data_folder))
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster


def test_tasks_run_on_the_dask_cluster_named_by_the_settings(cluster, make_client):
    client = make_client(dask_scheduler=cluster.scheduler_address)
    on_cluster = wait_for(client, submit(client, QUICK), timeout=60)
    failed = wait_for(client, submit(client, {"strategy": "raises_on_bar", "symbols": "SPY", "start": "2023-01-01",
                                              "end": "2023-06-01"}), timeout=60)

    assert on_cluster["status"] == "done", on_cluster["error"]
    assert failed["status"] == "failed" and failed["error"]["symbol"] == "SPY", failed["error"]
    assert failed["error"]["type"] == "StrategyError"
    here = make_client()  # local worker processes, on the same database
    local = wait_for(here, submit(here, QUICK))
    assert on_cluster["report"]["metrics"] == local["report"]["metrics"]
    assert on_cluster["report"]["equity"] == local["report"]["equity"]
