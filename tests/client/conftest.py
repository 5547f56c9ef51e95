"""Fixtures of the client tests: one real ``research-env serve`` for the session, on real daily bars."""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path

import pytest

from tests.client.service_server import ServiceServer, import_daily_bars, service_environment

#: Strategies only these tests use, in a folder on the server's ``RESEARCH_ENV_STRATEGIES``.
BOOM = '''"""Raises on its tenth bar."""
from strategies.base import StrategyBase


class BoomOnBar(StrategyBase):
    def __init__(self, symbols=None):
        super().__init__(name="boom_on_bar", symbols=symbols or ["SPY"])

    def on_bar(self, bar):
        if self._bars[bar.symbol].count == 10:
            return 1 / 0
        return []
'''
SLOW = '''"""Sleeps on every bar: a task that is still running when a test cancels it."""
import time

from strategies.base import StrategyBase


class SlowStrategy(StrategyBase):
    def __init__(self, symbols=None):
        super().__init__(name="slow_strategy", symbols=symbols or ["SPY"])

    def on_bar(self, bar):
        time.sleep(0.02)
        return []
'''


@pytest.fixture(scope="session")
def service(shared_data, tmp_path_factory):
    """A running service (``url``, ``token``, ``environ``) with the real daily bars; stopped at the end."""
    if any(importlib.util.find_spec(name) is None for name in ("research_env.service", "research_env.commands.serve")):
        pytest.skip("the service (research_env.service, `research-env serve`) is not written yet")
    root = tmp_path_factory.mktemp("service")
    strategies = root / "strategies"
    strategies.mkdir()
    (strategies / "boom_on_bar.py").write_text(BOOM)
    (strategies / "slow_strategy.py").write_text(SLOW)
    data = import_daily_bars(shared_data, root / "data")
    environ = service_environment(data, strategies, XDG_CONFIG_HOME=str(root / "config"))
    server = ServiceServer(environ, root, root / "server.log", token=secrets.token_hex(16))
    try:
        server.start()
    except RuntimeError as e:
        pytest.fail(str(e))
    yield server
    server.stop()


@pytest.fixture()
def same_settings(service, monkeypatch) -> Path:
    """This process's environment as the server's (data folder, strategy folder, no other setting), for local
    runs to compare with; returns the data folder."""
    for name in [n for n in os.environ if n.startswith("RESEARCH_ENV_")]:
        monkeypatch.delenv(name)
    for name in ("RESEARCH_ENV_DATA", "RESEARCH_ENV_STRATEGIES", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, service.environ[name])
    return Path(service.environ["RESEARCH_ENV_DATA"])


@pytest.fixture()
def client(service):
    """A ``Client`` of the session's service."""
    from research_env.client import Client

    with Client(service.url, service.token) as client:
        yield client
