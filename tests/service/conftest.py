"""Fixtures of the service tests: an app on a copy of the real bars, test strategies, a local Git repository."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FINISHED = ("done", "failed", "cancelled")

#: Strategies only these tests use, in a folder on ``RESEARCH_ENV_STRATEGIES`` (the server's own: trusted).
STRATEGIES = {
    "sleepy_hold": '''
        """Sleeps ``pause`` seconds on every bar and never trades: a task that runs as long as a test needs.
        Its variable is not a number JSON knows (NaN)."""
        import time

        from strategies.base import StrategyBase


        class SleepyHoldStrategy(StrategyBase):
            parameters = ["pause"]
            variables = ["edge"]

            def __init__(self, symbols=None, pause=0.01):
                super().__init__(name="sleepy_hold", symbols=symbols or ["SPY"])
                self.pause = pause
                self.edge = float("nan")

            def on_bar(self, bar):
                time.sleep(self.pause)
                return []
        ''',
    "raises_on_bar": '''
        """Raises on its 30th bar."""
        from strategies.base import StrategyBase


        class RaisesOnBarStrategy(StrategyBase):
            timeframe = "1d"

            def __init__(self, symbols=None):
                super().__init__(name="raises_on_bar", symbols=symbols or ["SPY"])

            def on_bar(self, bar):
                if len(self._bars[bar.symbol]) == 30:
                    raise ValueError(f"no price model for {bar.close:.2f}")
                return []
        ''',
    "deaf_to_alarms": '''
        """Ignores the alarm that stops a run past its timeout, and sleeps an hour on its first bar.

        The alarm is blocked from the moment the file is loaded, so the run is deaf to it however long its
        bars take to load (on a slow machine the alarm may come before the first bar).
        """
        import signal
        import time

        from strategies.base import StrategyBase

        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})


        class DeafToAlarmsStrategy(StrategyBase):
            timeframe = "1d"

            def __init__(self, symbols=None):
                super().__init__(name="deaf_to_alarms", symbols=symbols or ["SPY"])

            def on_bar(self, bar):
                signal.signal(signal.SIGALRM, signal.SIG_IGN)
                time.sleep(3600)
        ''',
    "crashes_process": '''
        """Takes its process down on the first bar: ``how`` is "segfault" or "exit"."""
        import os
        import signal

        from strategies.base import StrategyBase


        class CrashesProcessStrategy(StrategyBase):
            def __init__(self, symbols=None, how="segfault"):
                super().__init__(name="crashes_process", symbols=symbols or ["SPY"])
                self.how = how

            def on_bar(self, bar):
                if self.how == "segfault":
                    os.kill(os.getpid(), signal.SIGSEGV)
                os._exit(3)
        ''',
}


def wait_for(client, task_id: str, statuses=FINISHED, timeout: float = 30.0) -> dict:
    """The task once its status is one of ``statuses`` (polled every 50 ms)."""
    deadline = time.monotonic() + timeout
    while True:
        task = client.get(f"/api/backtest/{task_id}", headers=AUTH).json()
        if task["status"] in statuses or time.monotonic() > deadline:
            assert task["status"] in statuses, f"task {task_id} is still {task['status']} after {timeout}s"
            return task
        time.sleep(0.05)


def submit(client, body: dict, path: str = "/api/backtest") -> str:
    """POST ``body`` and return the task id (the answer must be 202)."""
    answer = client.post(path, json=body, headers=AUTH)
    assert answer.status_code == 202, answer.json()
    return answer.json()["task_id"]


@pytest.fixture()
def data_folder(real_store, tmp_path) -> Path:
    """A data folder of its own (bars, database, token) holding a copy of the real bars."""
    folder = tmp_path / "data"
    shutil.copytree(real_store, folder)
    return folder


@pytest.fixture()
def environment(tmp_path, monkeypatch) -> Path:
    """The test strategies on ``RESEARCH_ENV_STRATEGIES`` and a Git cache of the test's own."""
    folder = tmp_path / "strategies"
    folder.mkdir()
    for name, text in STRATEGIES.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(text))
    monkeypatch.setenv("RESEARCH_ENV_STRATEGIES", str(folder))
    monkeypatch.setenv("RESEARCH_ENV_GIT_CACHE", str(tmp_path / "git-cache"))
    return folder


@pytest.fixture()
def make_client(data_folder, environment):
    """``make_client(settings=None, **service_settings)``: a ``TestClient`` of a new app on ``data_folder``
    (entered: its lifespan runs), with the test token; left at the end of the test."""
    from fastapi.testclient import TestClient

    from research_env.service import create_app
    from research_env.settings import ServiceSettings, Settings

    clients = []

    def make(settings: Settings | None = None, **service):
        settings = replace(settings or Settings(), service=ServiceSettings(**{"token": TOKEN, **service}))
        client = TestClient(create_app(settings, data_folder=data_folder))
        clients.append(client.__enter__())
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture()
def client(make_client):
    """A client of an app with two workers and the `file` scheme allowed for Git repositories."""
    return make_client(workers=2, git_schemes=("https", "ssh", "file"))


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def strategy_repo(tmp_path) -> Path:
    """A Git repository with the bundled ``rsi_mean_reversion.py`` at its root, on branch ``main``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    shutil.copy(REPO_ROOT / "strategies" / "rsi_mean_reversion.py", repo / "rsi_mean_reversion.py")
    git("add", "-A", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "rsi", cwd=repo)
    return repo
