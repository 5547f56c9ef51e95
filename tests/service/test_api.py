"""The guide's REST endpoints (sections 8, 9 and 14) on real bars: the bodies of its curl examples, with the
strategies switched to bundled ones, the dates moved into the real bars and the Git URL to a local repository.
Every report is compared with the same run made here through the library."""

from __future__ import annotations

import warnings

import research_env
from research_env.data import BarStore, import_bars
from research_env.engine.result import BacktestResult
from tests.service.conftest import AUTH, submit, wait_for

#: Section 8's body, the strategy's own (no Git source) and the 5m dates of the real bars.
GUIDE_BACKTEST = {
    "strategy": "rsi_mean_reversion",
    "symbols": ["AAPL", "MSFT"],
    "start": "2025-06-02",
    "end": "2025-08-01",
    "timeframe": "5m",
    "initial_cash": 100000,
    "params": {"rsi_period": 14, "oversold": 25},
}
#: Section 9's vectorized sweep with a strategy that has a vectorized twin.
GUIDE_SWEEP = {
    "strategy": "bollinger_mean_reversion",
    "symbols": ["SPY", "QQQ"],
    "start": "2025-06-02",
    "end": "2025-08-01",
    "timeframe": "5m",
    "param_grid": {"bb_period": [10, 15, 20, 30], "bb_std": [1.5, 2.0, 2.5], "rsi_filter": [True, False]},
}
#: Section 9's parallel sweep, from a Git repository (untrusted: swept in the sandbox).
GUIDE_PARALLEL = {
    "strategy": "rsi_mean_reversion",
    "symbols": ["AAPL"],
    "start": "2025-06-02",
    "end": "2025-06-20",
    "timeframe": "5m",
    "param_grid": {"rsi_period": [10, 14, 20], "oversold": [20, 25, 30], "overbought": [70, 75, 80]},
    "strategy_path": "rsi_mean_reversion.py",
}
TASK_KEYS = {"task_id", "kind", "status", "progress", "created_at", "started_at", "finished_at", "request", "error"}


def _local(run, **arguments):
    """The same run through the library, here (quietly: the real 5m bars miss a session, which warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run(**arguments)


def test_a_backtest_of_the_guides_body_reports_what_the_library_reports(client, data_folder):
    task_id = submit(client, GUIDE_BACKTEST)
    task = wait_for(client, task_id)

    assert set(task) == TASK_KEYS | {"report"} and task["kind"] == "backtest" and task["error"] is None
    assert (task["status"], task["progress"], task["request"]) == ("done", 100.0, GUIDE_BACKTEST)
    assert task["created_at"] <= task["started_at"] <= task["finished_at"]
    report = task["report"]
    local = _local(research_env.backtest, **GUIDE_BACKTEST, data=data_folder)
    expected = local.to_payload()
    assert report["metrics"] == expected["metrics"] and report["metrics"]["total_trades"] > 0
    assert report["trades"] == expected["trades"] and report["denials"] == expected["denials"]
    assert report["equity"] == expected["equity"] and report["fills"] == expected["fills"]
    assert report["data_sources"] == {"AAPL": "local", "MSFT": "local"}
    assert report["data_origins"] == expected["data_origins"] and report["origin"] == expected["origin"]
    assert report["spec"]["params"] == {"rsi_period": 14, "oversold": 25}
    assert BacktestResult.from_dict(report).metrics == local.metrics


def test_the_guides_git_body_runs_the_repositorys_commit_contained(client, data_folder, strategy_repo):
    body = {**GUIDE_BACKTEST, "git_repo": f"file://{strategy_repo}", "git_branch": "main",
            "strategy_path": "rsi_mean_reversion.py"}
    task = wait_for(client, submit(client, body))

    assert task["status"] == "done", task["error"]
    report = task["report"]
    assert report["origin"]["kind"] == "git" and report["origin"]["repository"] == f"file://{strategy_repo}"
    assert report["origin"]["path"] == "rsi_mean_reversion.py" and len(report["origin"]["commit"]) == 40
    local = _local(research_env.backtest, **GUIDE_BACKTEST, data=data_folder)
    assert report["metrics"] == local.to_payload()["metrics"]  # the same code, contained, the same numbers


def test_a_vectorized_sweep_of_the_guides_body_carries_the_sweep_response(client, data_folder):
    task = wait_for(client, submit(client, GUIDE_SWEEP, "/api/backtest/sweep"))

    assert (task["kind"], task["status"]) == ("sweep", "done"), task["error"]
    report = task["report"]
    assert report["total_combinations"] == 24 and report["elapsed_seconds"] > 0
    assert report["grid"] == GUIDE_SWEEP["param_grid"] and report["maximize"] is True
    assert report["kind"].startswith("vectorized")
    local = _local(research_env.sweep, **GUIDE_SWEEP, mode="vectorized", data=data_folder)
    assert report["results"] == local.to_dict()["results"]  # params and every metric of every combination
    assert report["best"] == local.to_dict()["best"] and set(report["best"]) == {"params", "sharpe_ratio"}


def test_a_parallel_sweep_of_the_guides_git_body_runs_bar_by_bar(client, data_folder, strategy_repo):
    body = {**GUIDE_PARALLEL, "git_repo": f"file://{strategy_repo}"}
    task = wait_for(client, submit(client, body, "/api/backtest/sweep/parallel"))

    assert (task["kind"], task["status"]) == ("sweep_parallel", "done"), task["error"]
    report = task["report"]
    assert report["kind"] == "bar-by-bar" and report["total_combinations"] == 27
    assert report["origin"]["repository"] == f"file://{strategy_repo}"
    trusted = {k: v for k, v in GUIDE_PARALLEL.items() if k != "strategy_path"}
    local = _local(research_env.sweep, **trusted, mode="bar", max_workers=1, data=data_folder)
    assert report["results"] == local.to_dict()["results"]
    assert report["best"]["params"] == local.best["params"]


def test_the_list_is_newest_first_by_page_without_reports(client):
    first = submit(client, {"strategy": "dual_ma_crossover", "symbols": "SPY", "start": "2024-01-01",
                            "end": "2024-03-01"})
    wait_for(client, first)
    second = submit(client, {"strategy": "dual_ma_crossover", "symbols": "AAPL,MSFT", "start": "2024-01-01",
                             "end": "2024-03-01"})
    wait_for(client, second)
    failed = submit(client, {"strategy": "raises_on_bar", "start": "2024-01-01", "end": "2024-06-01"})
    wait_for(client, failed)

    page = client.get("/api/backtest?status=done&page=1&per_page=1", headers=AUTH).json()
    assert (page["page"], page["per_page"], page["total"]) == (1, 1, 2)
    assert [t["task_id"] for t in page["tasks"]] == [second] and set(page["tasks"][0]) == TASK_KEYS
    assert page["tasks"][0]["request"]["symbols"] == "AAPL,MSFT"
    everything = client.get("/api/backtest", headers=AUTH).json()
    assert [t["task_id"] for t in everything["tasks"]] == [failed, second, first]
    assert (everything["page"], everything["per_page"], everything["total"]) == (1, 50, 3)
    assert client.get("/api/backtest?page=2&per_page=2", headers=AUTH).json()["tasks"][0]["task_id"] == first
    wrong = client.get("/api/backtest?status=finished", headers=AUTH)
    assert wrong.status_code == 422 and wrong.json()["field"] == "status"


def test_clearing_the_cache_deletes_the_cached_flat_file_bars_only(client, data_folder, shared_data):
    cache = BarStore(data_folder / "cache" / "s3")
    import_bars([shared_data / "bars" / "1d" / "NVDA.csv", shared_data / "bars" / "1d" / "TSLA.csv"], store=cache,
                timeframe="1d")

    answer = client.post("/api/backtest/cache/clear", json={"symbol": "nvda"}, headers=AUTH).json()
    assert answer["deleted"] == len(answer["files"]) >= 1
    assert all("/cache/s3/" in f and "NVDA" in f for f in answer["files"])
    assert cache.symbols() == ["TSLA"] and "NVDA" in BarStore(data_folder).symbols()
    everything = client.post("/api/backtest/cache/clear", headers=AUTH).json()
    assert everything["deleted"] >= 1 and cache.symbols() == []
    assert client.post("/api/backtest/cache/clear", json={}, headers=AUTH).json() == {"deleted": 0, "files": []}
    bad = client.post("/api/backtest/cache/clear", json={"symbol": "$$"}, headers=AUTH)
    assert bad.status_code == 422 and bad.json()["field"] == "symbol"


def test_the_openapi_docs_describe_every_endpoint(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/backtest", "/api/backtest/{task_id}", "/api/backtest/sweep", "/api/backtest/sweep/parallel",
            "/api/backtest/cache/clear"} <= set(paths)
    assert set(paths["/api/backtest"]) == {"get", "post"} and set(paths["/api/backtest/{task_id}"]) == {"get",
                                                                                                         "delete"}
