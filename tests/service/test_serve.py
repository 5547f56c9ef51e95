"""``research-env serve`` as a real process on a free loopback port: killed (SIGKILL) during a long run and
started again, the interrupted task has failed, the queued one runs, finished results are still there."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import AUTH, TOKEN, submit, wait_for

QUICK = {"strategy": "dual_ma_crossover", "symbols": ["SPY"], "start": "2023-01-01", "end": "2024-01-01",
         "timeframe": "1d"}
LONG = {**QUICK, "strategy": "sleepy_hold", "params": {"pause": 0.1}}  # 250 bars: 25 s


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Server:
    """``research-env serve`` in a process group of its own, its output in ``log``."""

    def __init__(self, log: Path, *options: str):
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "research_env", "serve", *options], stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def ready(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/", headers=AUTH, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise AssertionError(f"the server did not answer within {timeout}s:\n{self.log.read_text()}")

    def end(self) -> None:
        """Whatever the group still runs (a worker the killed server left) is stopped too."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@pytest.fixture()
def servers(tmp_path, environment, data_folder, monkeypatch):
    """``start()``: a new server on one port with the test token, one worker and ``data_folder``."""
    monkeypatch.setenv("RESEARCH_ENV_DATA", str(data_folder))
    port, started = _free_port(), []

    def start() -> tuple[_Server, httpx.Client]:
        server = _Server(tmp_path / "server.log", "--port", str(port), "--workers", "1", "--token", TOKEN)
        started.append(server)
        url = f"http://127.0.0.1:{port}"
        server.ready(url)
        return server, httpx.Client(base_url=url, headers=AUTH, timeout=10)

    yield start
    for server in started:
        server.end()


def test_a_killed_server_restarts_with_interrupted_tasks_failed_queued_ones_run_and_results_kept(servers, tmp_path):
    server, client = servers()
    finished = wait_for(client, submit(client, QUICK))
    long = submit(client, LONG)
    wait_for(client, long, ("running",))
    queued = submit(client, QUICK)
    assert client.get(f"/api/backtest/{queued}").json()["status"] == "queued"  # one worker, and it is busy

    server.process.kill()  # SIGKILL: no shutdown of any kind
    server.process.wait()
    _, client = servers()

    interrupted = client.get(f"/api/backtest/{long}").json()
    assert interrupted["status"] == "failed" and interrupted["finished_at"] is not None
    assert interrupted["error"]["message"].startswith("interrupted by restart")
    assert wait_for(client, queued)["status"] == "done"
    assert client.get(f"/api/backtest/{finished['task_id']}").json() == finished


def test_the_token_is_printed_once_with_the_url_and_hidden_in_the_request_log(servers, tmp_path):
    _, client = servers()
    url = f"http://127.0.0.1:{client.base_url.port}"
    assert httpx.get(f"{url}/api/backtest?per_page=1&token={TOKEN}").status_code == 200
    assert httpx.get(f"{url}/api/backtest?token=guess").status_code == 401

    log = (tmp_path / "server.log").read_text()
    assert f"research-env serve: {url}/?token={TOKEN}\n" in log and log.count(TOKEN) == 1
    assert '"GET /api/backtest?per_page=1&token=*** HTTP/1.1" 200' in log and "guess" not in log


def test_serving_beyond_loopback_warns_that_there_is_no_tls(tmp_path, environment):
    log = tmp_path / "server.log"
    server = _Server(log, "--host", "192.0.2.1", "--port", str(_free_port()), "--token", TOKEN)  # TEST-NET-1:
    try:  # not this machine's, so the bind fails after the warning
        assert server.process.wait(timeout=60) != 0
    finally:
        server.end()
    assert "warning: 192.0.2.1 is reachable from other machines and this server has no TLS" in log.read_text()
