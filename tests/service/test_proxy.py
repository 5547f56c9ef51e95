"""The Backtest page through JupyterLab: a real Jupyter server on a free loopback port, jupyter-server-proxy
loading the ``research-env`` entry point, starting ``research-env serve`` at the first request to
``/research-env/`` and adding its token; the client holds Jupyter's token only. Real daily SPY bars."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time

import httpx
import psutil
import pytest

import research_env
from research_env.service._proxy import ICON, setup_research_env
from tests.service.conftest import FINISHED

BODY = {"strategy": "dual_ma_crossover", "symbols": ["SPY"], "start": "2023-01-01", "end": "2024-01-01",
        "timeframe": "1d"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def store(shared_data, tmp_path_factory):
    """A bar store holding the real daily SPY bars."""
    from research_env.data import BarStore, import_bars

    root = tmp_path_factory.mktemp("proxy_store")
    import_bars([shared_data / "bars" / "1d" / "SPY.csv"], store=BarStore(root), timeframe="1d")
    return root


@pytest.fixture(scope="module")
def jupyter(store, tmp_path_factory):
    """A Jupyter server on 127.0.0.1 with fresh configuration and data folders: an ``httpx.Client`` on its
    base URL (no token of its own) and Jupyter's token. Stopped at the end, with what it started."""
    tmp = tmp_path_factory.mktemp("jupyter")
    port, token = _free_port(), secrets.token_hex(16)
    env = {name: value for name, value in os.environ.items() if not name.startswith("RESEARCH_ENV_SERVICE_")}
    env.update({"RESEARCH_ENV_DATA": str(store), "JUPYTER_CONFIG_DIR": str(tmp / "cfg"),
                "JUPYTER_DATA_DIR": str(tmp / "data"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime")})
    log = tmp / "jupyter.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
             f"--ServerApp.root_dir={tmp}", "--allow-root"],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if client.get("/api/status", params={"token": token}).status_code == 200:
                    break
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        yield client, token
    finally:
        client.close()
        started = psutil.Process(server.pid).children(recursive=True) if server.poll() is None else []
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        for left in psutil.wait_procs(started, timeout=10)[1]:
            left.kill()


def test_each_spec_has_a_new_token_sent_as_the_proxys_header_and_never_on_the_command_line():
    first, second = setup_research_env(), setup_research_env()
    token = first["environment"]["RESEARCH_ENV_SERVICE_TOKEN"]
    assert first["request_headers_override"] == {"Authorization": f"Bearer {token}"}
    assert token != second["environment"]["RESEARCH_ENV_SERVICE_TOKEN"] and len(token) >= 40
    assert first["command"][:4] == [sys.executable, "-m", "research_env", "serve"]
    assert "{port}" in first["command"] and token not in " ".join(first["command"])
    assert ICON.read_text().lstrip().startswith("<svg")


def test_the_launcher_lists_the_backtest_page_with_its_icon(jupyter):
    client, token = jupyter
    servers = client.get("/server-proxy/servers-info", params={"token": token}).json()["server_processes"]
    [entry] = [server for server in servers if server["name"] == "research-env"]
    launcher = entry["launcher_entry"]
    assert launcher["enabled"] and launcher["title"] == "Backtest" and launcher["path_info"] == "research-env/"
    icon = client.get(launcher["icon_url"], params={"token": token})
    assert icon.status_code == 200 and icon.text == ICON.read_text()


def test_jupyters_token_alone_reaches_the_service_and_without_it_jupyter_refuses(jupyter):
    client, token = jupyter
    answer = client.get("/research-env/api/backtest", params={"token": token})
    assert answer.status_code == 200, answer.text
    assert set(answer.json()) >= {"tasks", "total"}
    assert client.get("/research-env/api/backtest").status_code == 200  # Jupyter's login cookie, as a browser
    with httpx.Client(base_url=client.base_url, follow_redirects=False) as stranger:
        refused = stranger.get("/research-env/api/backtest")
        assert refused.status_code in (302, 403) and "/login" in refused.headers.get("location", "/login")
        wrong = stranger.get("/research-env/api/backtest", headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code in (302, 403)


def test_a_backtest_submitted_through_jupyter_runs_and_reports_the_librarys_metrics(jupyter, store):
    client, token = jupyter
    auth = {"Authorization": f"token {token}"}  # Jupyter's; the proxy puts the service's in its place
    created = client.post("/research-env/api/backtest", json=BODY, headers=auth)
    assert created.status_code == 202, created.text
    task_id = created.json()["task_id"]
    deadline = time.monotonic() + 30
    while (task := client.get(f"/research-env/api/backtest/{task_id}", headers=auth).json())["status"] \
            not in FINISHED:
        assert time.monotonic() < deadline, f"task {task_id} is still {task['status']}"
        time.sleep(0.1)
    assert task["status"] == "done", task
    local = research_env.backtest(**BODY, data=store).to_payload()
    assert task["report"]["metrics"] == local["metrics"] and local["metrics"]["total_trades"] > 0


def test_the_page_and_its_assets_load_through_jupyter_with_addresses_relative_to_the_page(jupyter):
    client, token = jupyter
    page = client.get("/research-env/", params={"token": token}, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<form" in page.text
    assert 'src="static/app.js"' in page.text and 'src="static/plotly.min.js"' in page.text  # no leading /
    script = client.get("/research-env/static/app.js")
    assert script.status_code == 200 and "address(" in script.text
    assert client.get("/research-env/static/plotly.min.js").status_code == 200
