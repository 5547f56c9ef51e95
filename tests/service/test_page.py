"""The Backtest page (the guide's "Method 1: Web UI") and its endpoints: the page and ``GET /``'s JSON behind
the token, static files without it, the strategies with their parameters, and a done task's figure, drawn by
the notebook report's own figure module."""

from __future__ import annotations

from pathlib import Path

import plotly

from tests.service.conftest import AUTH, TOKEN, submit, wait_for

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
BACKTEST = {"strategy": "dual_ma_crossover", "symbols": "SPY", "start": "2022-01-01", "end": "2024-01-01",
            "timeframe": "1d", "params": {"fast_period": 5}}


def test_the_page_is_served_with_the_token_and_refused_without(client):
    page = client.get(f"/?token={TOKEN}", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for part in ('<label for="strategy">', '<label for="start">', '<input id="end" name="end" type="date"',
                 '<progress id="progress"', 'src="static/plotly.min.js"', 'src="static/app.js"'):
        assert part in page.text
    assert client.get("/", headers={**HTML, **AUTH}).status_code == 200
    refused = client.get("/", headers=HTML)
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert "token" in refused.text and "sessionStorage" in refused.text  # brings back the tab's token once
    assert client.get("/?token=wrong", headers=HTML).status_code == 401


def test_api_clients_still_get_json_at_the_root(client):
    answer = client.get("/", headers={"Accept": "application/json", **AUTH})
    assert answer.json() == {"service": "research-env backtests", "docs": "/docs", "openapi": "/openapi.json"}
    assert client.get("/", headers={"Accept": "application/json"}).json()["detail"].startswith("missing or wrong")


def test_static_files_need_no_token(client):
    script, style = client.get("/static/app.js"), client.get("/static/app.css")
    assert script.status_code == 200 and "Authorization" in script.text and "sessionStorage" in script.text
    assert style.status_code == 200 and ":focus-visible" in style.text
    bundled = client.get("/static/plotly.min.js")
    assert bundled.status_code == 200 and "javascript" in bundled.headers["content-type"]
    assert bundled.content == (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    assert client.get("/static/nothing.js").status_code == 404


def test_the_strategies_come_with_their_parameters_and_defaults(client):
    assert client.get("/api/strategies").status_code == 401
    listed = {s["name"]: s for s in client.get("/api/strategies", headers=AUTH).json()["strategies"]}
    assert {"dual_ma_crossover", "rsi_mean_reversion", "bollinger_mean_reversion", "sleepy_hold"} <= set(listed)
    assert not any(name.endswith("_vectorized") for name in listed)  # the twins are folded into their strategy
    dual = listed["dual_ma_crossover"]
    assert (dual["bar_by_bar"], dual["vectorized"], dual["timeframe"], dual["error"]) == (True, True, "1d", None)
    assert [(p["name"], p["default"]) for p in dual["parameters"]] == [("fast_period", 10), ("slow_period", 30)]
    assert all(p["range"] is not None and len(p["range"]) == 2 for p in dual["parameters"])
    rsi = listed["rsi_mean_reversion"]
    assert rsi["vectorized"] is True and {p["name"]: p["default"] for p in rsi["parameters"]} == {
        "rsi_period": 14, "oversold": 30, "overbought": 70}
    assert listed["sleepy_hold"]["vectorized"] is False


def test_a_done_backtest_has_the_reports_figure(client):
    task_id = submit(client, BACKTEST)
    assert wait_for(client, task_id)["status"] == "done"
    answer = client.get(f"/api/backtest/{task_id}/figure", headers=AUTH)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    figure = answer.json()
    assert figure["data"][0]["name"] == "Equity" and figure["data"][0]["type"] == "scatter"
    assert any(trace.get("name") == "Drawdown %" for trace in figure["data"])
    assert "SPY" in figure["layout"]["title"]["text"]


def test_a_done_sweep_has_the_reports_heatmap(client):
    body = {**BACKTEST, "param_grid": {"fast_period": [5, 10], "slow_period": [30, 50]}}
    del body["params"]
    task_id = submit(client, body, "/api/backtest/sweep")
    assert wait_for(client, task_id)["status"] == "done"
    figure = client.get(f"/api/backtest/{task_id}/figure", headers=AUTH).json()
    heatmap = figure["data"][0]
    assert heatmap["type"] == "heatmap" and len(heatmap["z"]) == 2 and len(heatmap["z"][0]) == 2
    assert "Sharpe" in figure["layout"]["title"]["text"]


def test_a_figure_before_the_task_is_done_is_a_409(client):
    task_id = submit(client, {"strategy": "sleepy_hold", "symbols": "SPY", "start": "2023-01-01",
                              "end": "2024-01-01", "timeframe": "1d", "params": {"pause": 0.05}})
    answer = client.get(f"/api/backtest/{task_id}/figure", headers=AUTH)
    assert answer.status_code == 409 and answer.json()["field"] == "task_id"
    assert "once it is `done`" in answer.json()["detail"]
    assert client.delete(f"/api/backtest/{task_id}", headers=AUTH).status_code == 200
    assert client.get("/api/backtest/nothere/figure", headers=AUTH).status_code == 404
    assert client.get(f"/api/backtest/{task_id}/figure").status_code == 401
