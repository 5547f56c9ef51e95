"""A real browser: JupyterLab on loopback, Debian's chromium driven by Playwright, quickstart.ipynb run in it.

Runs every cell, checks that the plotly equity chart and the parameter sliders
are on the page, moves a slider and checks that the chart changed; the
screenshot goes to ``artifacts/quickstart.png`` (printed in the output).
Skipped (with the reason) where chromium or Playwright is missing, except
under CI (``CI`` set), where their absence fails the test.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACT = REPO_ROOT / "artifacts" / "quickstart.png"


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required under CI: .ci/run installs it)")
        pytest.skip(reason)


@pytest.fixture()
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 serving a copy of quickstart.ipynb, with a clean configuration and bar store."""
    _need(CHROMIUM.is_file(), f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    root = tmp_path / "lab"
    root.mkdir()
    book = nbformat.read(str(REPO_ROOT / "notebooks" / "quickstart.ipynb"), as_version=4)
    nbformat.write(book, str(root / "quickstart.ipynb"))
    settings = tmp_path / "settings"
    (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    (settings / "@jupyterlab" / "notebook-extension").mkdir(parents=True)
    (settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"}))  # every cell in the page, so the test sees them all
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    env = {**os.environ, "RESEARCH_ENV_DATA": str(tmp_path / "store"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces")}
    env.pop("RESEARCH_ENV_BATCH", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
         "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield f"{base}/lab/tree/quickstart.ipynb?token={token}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


EXPLORER_Y = """() => {
    const plot = document.querySelector('.widget-vbox .js-plotly-plot');
    return plot && plot.data ? Array.from(plot.data[0].y).slice(-5).join(',') + '|' + plot.layout.title.text : null;
}"""


def test_quickstart_in_jupyterlab_draws_the_chart_and_a_slider_redraws_it(lab):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "the playwright package is not installed")
    ARTIFACT.parent.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(lab)
            page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
            _wait_for_kernel(page)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            _wait_until_all_cells_ran(page, timeout=240)

            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                  has_text="Traceback")
            assert errors.count() == 0, errors.first.inner_text()
            assert page.locator(".research-env-report .js-plotly-plot").count() >= 1  # %backtest's equity chart
            sliders = page.locator(".widget-slider")
            assert sliders.count() >= 2
            page.wait_for_function(f"() => ({EXPLORER_Y})() !== null", timeout=30_000)
            before = page.evaluate(EXPLORER_Y)

            fast = page.locator(".widget-slider", has_text="fast_period")
            fast.scroll_into_view_if_needed()
            handle = fast.locator(".noUi-handle")
            handle.focus()
            handle.press("ArrowRight")  # 10 -> 11; with continuous_update=False each key press is one change
            page.wait_for_function(f"() => ({EXPLORER_Y})() !== {json.dumps(before)}", timeout=30_000)
            after = page.evaluate(EXPLORER_Y)
            assert after != before
            assert "fast_period=10" in before.split("|")[1]
            assert "fast_period=11" in after.split("|")[1]
            fast.screenshot()  # the slider is on screen
            page.locator(".widget-vbox .js-plotly-plot").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACT))
        except Exception:
            page.screenshot(path=str(ARTIFACT))
            raise
        finally:
            print(f"screenshot: {ARTIFACT}")
            browser.close()


def _wait_for_kernel(page, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = page.locator(".jp-StatusBar-TextItem", has_text="research-env | Idle")
        if status.count():
            return
        dialog = page.locator(".jp-Dialog button.jp-mod-accept")
        if dialog.count():
            dialog.first.click()
        time.sleep(0.5)
    raise AssertionError("the research-env kernel did not become idle in JupyterLab")


def _wait_until_all_cells_ran(page, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        prompts = page.evaluate("() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
                                ".map(p => p.textContent.trim())")
        if prompts and all(p.startswith("[") and p[1:-2].strip().isdigit() for p in prompts):
            return
        time.sleep(1)
    raise AssertionError(f"not every cell ran within {timeout} s: prompts {prompts}")


def test_chromium_is_debians(lab):
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True).stdout
    assert "Chromium" in version
    assert shutil.which("chromium") is not None
