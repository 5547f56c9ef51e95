"""Following, listing, cancelling tasks of a real service; failures as errors a user can act on."""

from __future__ import annotations

import pytest

import research_env
from research_env.client import (
    Client,
    RemoteStrategyError,
    ServiceRequestError,
    TaskCancelledError,
    TaskFailedError,
)
from research_env.engine.result import BacktestResult

ONE_YEAR = dict(symbols="SPY", start="2019-01-01", end="2020-01-01", timeframe="1d")


def test_wait_follows_the_task_and_reports_rising_progress(client):
    task_id = client.backtest("dual_ma_crossover", **ONE_YEAR, wait=False)
    assert isinstance(task_id, str) and task_id
    seen = []
    result = client.wait(task_id, progress=lambda done, total: seen.append((done, total)))
    assert isinstance(result, BacktestResult)
    assert all(total == 100 and 0 <= done <= 100 for done, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    record = client.status(task_id)
    assert (record["task_id"], record["kind"], record["status"]) == (task_id, "backtest", "done")
    assert record["error"] is None and record["request"]["strategy"] == "dual_ma_crossover"
    assert client.wait(task_id).report() == result.report()  # a finished task answers at once


class CountingClient(Client):
    """A client that notes every status request (``polled``); with ``socket=False`` its WebSocket never opens."""

    def __init__(self, *args, socket: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.socket, self.polled = socket, []

    def status(self, task_id: str) -> dict:
        self.polled.append(task_id)
        return super().status(task_id)

    def _follow_socket(self, task_id, tick):
        return super()._follow_socket(task_id, tick) if self.socket else None


@pytest.mark.parametrize("socket", [True, False], ids=["websocket", "polling"])
def test_wait_reports_progress_and_the_result_by_socket_or_by_polling(service, socket):
    with CountingClient(service.url, service.token, socket=socket) as client:
        task_id = client.backtest("slow_strategy", "SPY", "2019-01-01", "2019-07-01", "1d", wait=False)
        seen = []
        result = client.wait(task_id, progress=lambda done, total: seen.append(done))
    assert result.strategy == "slow_strategy"
    assert any(0 < done < 100 for done in seen), seen
    assert seen[-1] == 100
    if socket:
        assert client.polled == [task_id]  # once, before following the socket; nothing polled
    else:
        assert len(client.polled) > 3


def test_the_socket_gives_the_final_message_of_a_finished_task(client):
    task_id = client.backtest("dual_ma_crossover", **ONE_YEAR, wait=False)
    client.wait(task_id, progress=False)
    ticks = []
    message = client._follow_socket(task_id, ticks.append)
    assert message is not None, "the WebSocket did not answer; the client fell back to polling"
    assert (message["task_id"], message["status"]) == (task_id, "done")
    assert message["report"]["strategy"] == "dual_ma_crossover"


def test_wait_shows_the_progress_display_of_local_runs(client, capsys, monkeypatch):
    monkeypatch.setenv("RESEARCH_ENV_BATCH", "1")  # the text lines of `research-env run`, easy to read here
    result = client.backtest("slow_strategy", "SPY", "2019-01-01", "2019-07-01", "1d", progress=True)
    assert isinstance(result, BacktestResult)
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(line.startswith("backtest slow_strategy (service): ") for line in lines)
    assert lines[-1] == "backtest slow_strategy (service): 100% (100/100 steps)"


def test_a_strategy_error_raises_with_the_servers_message_symbol_and_bar(client, same_settings):
    with pytest.raises(research_env.StrategyError) as local:
        research_env.backtest("boom_on_bar", **ONE_YEAR)
    with pytest.raises(RemoteStrategyError) as remote:
        client.backtest("boom_on_bar", **ONE_YEAR, progress=False)
    error = remote.value
    assert isinstance(error, research_env.StrategyError)
    assert str(error) == str(local.value)
    assert "ZeroDivisionError" in str(error)
    assert (error.symbol, error.timestamp) == ("SPY", local.value.timestamp)
    assert error.error_type == "StrategyError"
    assert any("boom_on_bar.py" in line for line in error.user_traceback)
    assert error._render_traceback_()[0].startswith(f"StrategyError (service task {error.task_id}): ")


def test_a_run_that_fails_for_another_reason_raises_task_failed(client):
    with pytest.raises(TaskFailedError) as info:
        client.backtest("dual_ma_crossover", "NOSUCH", "2019-01-01", "2020-01-01", "1d", progress=False)
    assert "NOSUCH" in str(info.value) and info.value.task_id in str(info.value)


def test_a_cancelled_task_raises_task_cancelled(client):
    task_id = client.backtest("slow_strategy", **ONE_YEAR, wait=False)
    assert client.cancel(task_id) == {"task_id": task_id, "status": "cancelled"}
    with pytest.raises(TaskCancelledError, match=f"task `{task_id}` was cancelled"):
        client.wait(task_id)
    assert client.status(task_id)["status"] == "cancelled"


def test_cancelling_a_finished_task_is_refused_with_409(client):
    task_id = client.backtest("dual_ma_crossover", **ONE_YEAR, wait=False)
    client.wait(task_id, progress=False)
    with pytest.raises(ServiceRequestError) as info:
        client.cancel(task_id)
    assert info.value.status == 409 and "already finished" in str(info.value)


def test_tasks_lists_newest_first_by_page_and_status(client):
    first = client.backtest("dual_ma_crossover", **ONE_YEAR, wait=False)
    second = client.backtest("dual_ma_crossover", **ONE_YEAR, wait=False)
    client.wait(first, progress=False)
    client.wait(second, progress=False)
    page = client.tasks(status="done", per_page=2)
    assert (page["page"], page["per_page"]) == (1, 2) and page["total"] >= 2
    assert [t["task_id"] for t in page["tasks"]] == [second, first]
    assert all(t["status"] == "done" and "report" not in t for t in page["tasks"])


def test_unknown_task_is_an_input_error_with_the_servers_detail(client):
    with pytest.raises(ServiceRequestError) as info:
        client.status("no-such-task")
    assert info.value.status == 404 and "no-such-task" in str(info.value)


def test_clear_cache_answers_what_it_deleted(client):
    answer = client.clear_cache("NVDA")
    assert set(answer) >= {"deleted", "files"}
