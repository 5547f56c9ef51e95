"""What the service refuses before it queues anything: no token, bad input (naming the field and the fix),
the server's limits, Git schemes it does not take, bodies too large; and its CORS policy."""

from __future__ import annotations

import pytest
from starlette.testclient import WebSocketDenialResponse

from tests.service.conftest import AUTH, TOKEN

ENDPOINTS = [
    ("get", "/"), ("get", "/api/backtest"), ("get", "/api/backtest/abc"), ("delete", "/api/backtest/abc"),
    ("post", "/api/backtest"), ("post", "/api/backtest/sweep"), ("post", "/api/backtest/sweep/parallel"),
    ("post", "/api/backtest/cache/clear"),
]
SWEEP = {"strategy": "bollinger_mean_reversion", "symbols": "SPY", "start": "2024-01-01", "end": "2024-06-01",
         "timeframe": "1d", "param_grid": {"bb_period": [10, 20, 30], "bb_std": [1.5, 2.0]}}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_every_endpoint_and_the_websocket_want_the_token(client, headers):
    for method, path in ENDPOINTS:
        answer = client.request(method, path, headers=headers, json={})
        assert answer.status_code == 401, (method, path)
        assert "Authorization: Bearer <token>" in answer.json()["detail"] and "?token=" in answer.json()["detail"]
        assert answer.headers["www-authenticate"] == "Bearer"
    with pytest.raises(WebSocketDenialResponse) as denied:
        client.websocket_connect("/ws/backtest/abc?token=wrong", headers=headers).__enter__()
    assert denied.value.status_code == 401 and "?token=" in denied.value.json()["detail"]


def test_the_token_is_accepted_as_a_header_or_in_the_query(client):
    assert client.get("/api/backtest", headers=AUTH).status_code == 200
    assert client.get(f"/api/backtest?token={TOKEN}").status_code == 200
    assert client.get("/").json()["detail"].startswith("missing or wrong API token")


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"strategy": "rsi_mean_reversio"}, "strategy", "did you mean `rsi_mean_reversion`?"),
    ({"strategy": "/etc/passwd.py"}, "strategy", "is not a strategy of this server"),
    ({}, "strategy", "`strategy` is missing"),
    ({"strategy": "rsi_mean_reversion", "params": {"rsi_perod": 3}}, "params", "did you mean `rsi_period`?"),
    ({"strategy": "rsi_mean_reversion", "start": "2023-13-01"}, "start", "dates like '2023-01-01'"),
    ({"strategy": "rsi_mean_reversion", "start": "2024-01-01", "end": "2023-01-01"}, "end", "must be after"),
    ({"strategy": "rsi_mean_reversion", "symbols": "AAPL,$$"}, "symbols", "is not a ticker"),
    ({"strategy": "rsi_mean_reversion", "timeframe": "7m"}, "timeframe", "one of 1m, 5m"),
    ({"strategy": "rsi_mean_reversion", "initial_cash": -5}, "initial_cash", "positive number"),
    ({"strategy": "rsi_mean_reversion", "initial_cash": "lots"}, "initial_cash", "valid number"),
    ({"strategy": "rsi_mean_reversion", "max_combinations": 10}, "max_combinations", "is not a field"),
    ({"strategy": "rsi_mean_reversion", "strategy_path": "x.py"}, "strategy_path", "need `git_repo`"),
])
def test_bad_input_is_a_422_naming_the_field_and_the_fix(client, body, field, words):
    answer = client.post("/api/backtest", json=body, headers=AUTH)
    assert answer.status_code == 422
    assert answer.json()["field"] == field and words in answer.json()["detail"], answer.json()
    assert client.get("/api/backtest", headers=AUTH).json()["total"] == 0  # nothing was queued


@pytest.mark.parametrize(("path", "change", "field", "words"), [
    ("/api/backtest/sweep", {"param_grid": {"bb_perod": [10]}}, "param_grid", "did you mean `bb_period`?"),
    ("/api/backtest/sweep", {"strategy": "class_rsi", "param_grid": {"oversold": [20]}}, "strategy",
     "POST /api/backtest/sweep/parallel"),
    ("/api/backtest/sweep/parallel", {"metric": "luck"}, "metric", "not a report metric"),
    ("/api/backtest/sweep/parallel", {"params": {"bb_std": 2.0}}, "params", "one-value list in `param_grid`"),
    ("/api/backtest/sweep/parallel", {"param_grid": None}, "param_grid", "valid dictionary"),
])
def test_a_sweep_is_checked_before_it_is_queued(client, path, change, field, words):
    answer = client.post(path, json={**SWEEP, **change}, headers=AUTH)
    assert answer.status_code == 422 and answer.json()["field"] == field and words in answer.json()["detail"]


def test_the_servers_limits_apply_and_a_request_cannot_raise_them(make_client, strategy_repo):
    client = make_client(max_combinations=5, max_years=0.5, git_schemes=("file",))
    too_many = client.post("/api/backtest/sweep", json=SWEEP, headers=AUTH)
    assert too_many.status_code == 422 and too_many.json()["field"] == "param_grid"
    assert "6 combinations" in too_many.json()["detail"] and "over the limit of 5" in too_many.json()["detail"]
    assert "`[service] max_combinations` (RESEARCH_ENV_SERVICE_MAX_COMBINATIONS)" in too_many.json()["detail"]
    too_long = client.post("/api/backtest/sweep/parallel", json={**SWEEP, "end": "2024-12-01",
                                                                 "param_grid": {"bb_period": [10]}}, headers=AUTH)
    assert too_long.status_code == 422 and too_long.json()["field"] == "start"
    assert "0.5-year limit" in too_long.json()["detail"] and "`[service] max_years`" in too_long.json()["detail"]
    raised = client.post("/api/backtest/sweep", json={**SWEEP, "max_combinations": 100}, headers=AUTH)
    assert raised.status_code == 422 and raised.json()["field"] == "max_combinations"
    from_git = client.post("/api/backtest/sweep/parallel", headers=AUTH, json={
        **SWEEP, "strategy": None, "git_repo": str(strategy_repo), "param_grid": {"oversold": [1, 2, 3, 4, 5, 6]}})
    assert from_git.status_code == 422 and "over the limit of 5" in from_git.json()["detail"]


@pytest.mark.parametrize("url", ["/srv/strategies", "file:///srv/strategies", "git://example.com/s.git",
                                 "http://example.com/s.git", "ext::sh -c touch% /tmp/x"])
def test_a_git_repository_of_a_scheme_the_server_does_not_take_is_refused(make_client, url):
    client = make_client()  # the defaults: https and ssh
    answer = client.post("/api/backtest", json={"git_repo": url}, headers=AUTH)
    assert answer.status_code == 422 and answer.json()["field"] == "git_repo"
    assert "it allows https, ssh" in answer.json()["detail"] and "`[service] git_schemes`" in answer.json()["detail"]


def test_a_body_over_the_size_limit_is_a_413(make_client):
    client = make_client(max_request_kb=1)
    big = {"strategy": "rsi_mean_reversion", "params": {"note": "x" * 2000}}
    answer = client.post("/api/backtest", json=big, headers=AUTH)
    assert answer.status_code == 413 and "`[service] max_request_kb`" in answer.json()["detail"]
    chunked = client.post("/api/backtest", content=iter([b"{" + b" " * 800, b" " * 800 + b"}"]),
                          headers={**AUTH, "Content-Type": "application/json"})
    assert chunked.status_code == 413


def test_cors_is_closed_unless_origins_are_set(make_client):
    preflight = {"Origin": "https://lab.example.com", "Access-Control-Request-Method": "POST"}
    closed = make_client()
    assert "access-control-allow-origin" not in closed.options("/api/backtest", headers=preflight).headers
    opened = make_client(cors_origins=("https://lab.example.com",))
    answer = opened.options("/api/backtest", headers=preflight)
    assert answer.headers["access-control-allow-origin"] == "https://lab.example.com"
    assert "access-control-allow-origin" not in opened.get(
        "/api/backtest", headers={**AUTH, "Origin": "https://evil.example.com"}).headers
