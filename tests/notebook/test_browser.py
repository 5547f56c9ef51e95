"""A real browser: JupyterLab on loopback with a fresh Jupyter data folder, Debian's chromium driven by Playwright.

Two notebooks in one JupyterLab:

- ``quickstart.ipynb``, run cell by cell in the page: the report's chart is
  on the page, a slider redraws the explorer's chart, which fills the output's
  width;
- an executed report notebook (papermill, before JupyterLab starts: a 2-symbol
  daily run, a 5-minute run and a sweep), opened and never run. The fresh
  Jupyter data folder holds no notebook signatures, so it is untrusted, as for
  anyone who did not run it: its charts must draw from plotly's own mimetype.
  The equity axis spans the strategy's own returns (not the fully invested
  benchmark's, which a button brings in); candlesticks, volume, trade returns
  and heatmap cell values are there;
- that notebook's HTML export, opened from disk: every chart draws with the
  shared plotly.js beside it.

Screenshots go to ``artifacts/`` (printed in the output; CI keeps that folder).
Skipped (with the reason) where chromium or Playwright is missing, except
under CI (``CI`` set), where their absence fails the test. Real bars from
``../shared/data`` when present, else synthetic demo bars.
"""

from __future__ import annotations

import contextlib
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

from tests.batch.builders import write_notebook
from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO_ROOT / "artifacts"
ARTIFACT = ARTIFACTS / "quickstart.png"

#: The executed notebook: its charts must draw without re-running it. ``store`` is the parameter.
REPORT_CELLS = (
    "import warnings\n\nimport research_env\n\n"
    "warnings.simplefilter('ignore')  # the reports list them (the real 5-minute bars lack 2025-07-03)",
    "daily = research_env.backtest('dual_ma_crossover', symbols='AAPL,MSFT', start='2023-01-01', end='2024-01-01',\n"
    "                              timeframe='1d', data=store, params={'fast_period': 10, 'slow_period': 30})\ndaily",
    "intraday = research_env.backtest('rsi_mean_reversion', symbols='AAPL,MSFT', start='2025-06-02',\n"
    "                                 end='2025-09-02', timeframe='5m', data=store)\nintraday",
    "research_env.sweep('dual_ma_crossover', symbols='AAPL', start='2021-01-01', end='2024-01-01', data=store,\n"
    "                   param_grid={'fast_period': [5, 10, 20], 'slow_period': [30, 50, 100]})",
)


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (required under CI: .ci/run installs it)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def store(request, tmp_path_factory) -> Path:
    """The real bar store when ``../shared/data`` is there, else an empty one (synthetic demo bars)."""
    try:
        return request.getfixturevalue("real_store")
    except pytest.skip.Exception:
        return tmp_path_factory.mktemp("empty_store")


@pytest.fixture(scope="module")
def lab(tmp_path_factory, store):
    """JupyterLab on 127.0.0.1 with a fresh configuration and data folder, serving a copy of quickstart.ipynb and
    the executed report notebook (and its HTML export); yields the server's base URL, its token and the folder."""
    _need(CHROMIUM.is_file(), f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from research_env.batch import run_notebook

    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "lab"
    root.mkdir()
    book = nbformat.read(str(REPO_ROOT / "notebooks" / "quickstart.ipynb"), as_version=4)
    nbformat.write(book, str(root / "quickstart.ipynb"))
    source = write_notebook(tmp / "report.ipynb", *REPORT_CELLS, parameters=f"store = {str(store)!r}")
    run_notebook(source, output=root / "executed.ipynb")
    settings = tmp / "settings"
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
    env = {**os.environ, "RESEARCH_ENV_DATA": str(tmp / "store"), "JUPYTER_CONFIG_DIR": str(tmp / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp / "data"),  # no notebook signatures: nothing is trusted
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces")}
    env.pop("RESEARCH_ENV_BATCH", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
         "--allow-root"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / "lab.log", "w"),  # noqa: SIM115
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
                    pytest.fail("JupyterLab did not start:\n" + (tmp / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield base, token, root
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


@contextlib.contextmanager
def chromium():
    """Debian's chromium driven by Playwright (never a downloaded browser), closed at the end."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "the playwright package is not installed")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(lab):
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 1400, "height": 1000})


def _open(page, lab, name: str) -> None:
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)


EXPLORER_Y = """() => {
    const plot = document.querySelector('.widget-vbox .js-plotly-plot');
    return plot && plot._fullData ? Array.from(plot._fullData[0].y).slice(-5).join(',') + '|' +
        plot._fullLayout.title.text : null;
}"""

EXPLORER_WIDTH = """() => {
    const plot = document.querySelector('.widget-vbox .js-plotly-plot');
    const area = plot.closest('.jp-OutputArea-output');
    return [plot._fullLayout.width, area.getBoundingClientRect().width];
}"""


def test_quickstart_in_jupyterlab_draws_the_chart_and_a_slider_redraws_it(lab, page):
    try:
        _open(page, lab, "quickstart.ipynb")
        _wait_for_kernel(page)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        _wait_until_all_cells_ran(page, timeout=240)

        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                              has_text="Traceback")
        assert errors.count() == 0, errors.first.inner_text()
        assert page.locator(".jp-RenderedPlotly.js-plotly-plot").count() >= 2  # %backtest's report, %sweep's
        assert page.locator(".jp-OutputArea-output", has_text="Error displaying widget").count() == 0
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
        plot_width, area_width = page.evaluate(EXPLORER_WIDTH)
        assert plot_width >= area_width - 40, (plot_width, area_width)  # fills the output, not plotly's 700 px
        page.set_viewport_size({"width": 1400, "height": 2000})  # the whole explorer in the window
        page.locator(".widget-vbox").first.scroll_into_view_if_needed()
        page.locator(".widget-vbox").first.screenshot(path=str(ARTIFACTS / "sliders.png"))
        page.locator(".widget-vbox .js-plotly-plot").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACT))
    except Exception:
        page.screenshot(path=str(ARTIFACT))
        raise
    finally:
        print(f"screenshots: {ARTIFACT}, {ARTIFACTS / 'sliders.png'}")


#: Per plotly figure drawn by JupyterLab's plotly renderer: trace names and types, visible equity values, the
#: equity axis range, and how many heatmap cells show a value.
FIGURES = """() => Array.from(document.querySelectorAll('.jp-RenderedPlotly.js-plotly-plot')).map(gd => {
    const traces = gd._fullData.map(t => ({name: t.name, type: t.type, visible: t.visible,
                                           y: t.y ? Array.from(t.y).filter(v => v !== null) : []}));
    return {title: gd._fullLayout.title.text, traces: traces,
            range: gd._fullLayout.yaxis ? gd._fullLayout.yaxis.range : null,
            breaks: gd._fullLayout.xaxis6 ? gd._fullLayout.xaxis6.rangebreaks.map(b => b.pattern || '') : [],
            cellTexts: gd.querySelectorAll('.heatmaplayer text').length};
})"""


#: True once ``n`` plots are drawn by JupyterLab's plotly renderer (each with its SVG and a nonzero height).
DRAWN = """n => Array.from(document.querySelectorAll('.jp-RenderedPlotly.js-plotly-plot'))
    .filter(gd => gd.querySelector('.main-svg') && gd.getBoundingClientRect().height > 0).length >= n"""


def test_an_executed_report_opened_untrusted_in_a_fresh_jupyterlab_draws_every_chart(lab, page):
    shots = {}
    try:
        _open(page, lab, "executed.ipynb")
        page.wait_for_function(DRAWN, arg=3, timeout=60_000)
        prompts = page.evaluate("() => Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))"
                                ".map(p => p.textContent.trim())")
        assert prompts == ["[1]:", "[2]:", "[3]:", "[4]:", "[5]:"]  # as papermill left them: nothing re-ran
        assert page.locator(".research-env-plot .js-plotly-plot").count() == 0  # the untrusted HTML fallback is idle
        daily, intraday, heatmap = page.evaluate(FIGURES)

        for figure, symbol in ((daily, "AAPL"), (intraday, "AAPL")):
            traces = {t["name"]: t for t in figure["traces"]}
            equity = traces["Equity"]["y"]
            low, high = figure["range"]
            assert low <= min(equity) and high >= max(equity), (figure["range"], min(equity), max(equity))
            shown = [t["y"] for t in figure["traces"] if t["visible"] is True and t["name"].startswith("SPY")]
            span = max(max(equity), *map(max, shown)) - min(min(equity), *map(min, shown))
            assert high - low <= 1.2 * span  # fitted to the strategy and the benchmark at its exposure
            assert traces["SPY fully invested"]["visible"] is False
            assert traces[f"{symbol} price"]["type"] in ("candlestick", "ohlc")
            assert traces[f"{symbol} volume"]["type"] == "bar" and len(traces[f"{symbol} volume"]["y"]) > 50
            assert traces["Trade returns"]["type"] == "scatter" and traces["Trade returns"]["y"]
            assert traces["Return distribution"]["type"] == "histogram"
            assert traces["MSFT price"]["visible"] is False  # the selector shows one symbol at a time
        assert "hour" not in daily["breaks"] and "hour" in intraday["breaks"]
        page.set_viewport_size({"width": 1400, "height": 3600})  # JupyterLab scrolls inside: fit a whole report
        cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
        for cell, name in ((2, "report_daily"), (3, "report_5m"), (4, "sweep_heatmap")):
            shots[name] = ARTIFACTS / f"{name}.png"
            output = cells.nth(cell).locator(".jp-Cell-outputArea")
            output.scroll_into_view_if_needed()
            output.screenshot(path=str(shots[name]))
        # the button shows the benchmark fully invested: the axis grows to its own range, which dwarfs the strategy's
        plots = page.locator(".jp-RenderedPlotly.js-plotly-plot")
        plots.nth(0).locator(".updatemenu-button", has_text="SPY fully invested").click()
        page.wait_for_function(f"() => ({FIGURES})()[0].traces[2].visible === true", timeout=10_000)
        raw = page.evaluate(FIGURES)[0]
        assert [t["visible"] for t in raw["traces"][1:3]] == [False, True]
        low, high = raw["range"]
        bench = raw["traces"][2]["y"]
        assert low <= min(bench) and high >= max(bench) and max(bench) - min(bench) > 5 * (daily["range"][1]
                                                                                          - daily["range"][0])
        assert page.evaluate(DRAWN, 3)  # the restyled figure keeps its height
        assert heatmap["title"] == "Sharpe Ratio by fast_period and slow_period"
        assert heatmap["cellTexts"] == 2 * 9  # every cell of the heatmap and of the stability view beside it
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "executed.png"))
        raise
    finally:
        print("screenshots: " + ", ".join(map(str, shots.values())))


def test_the_html_export_draws_every_chart_with_the_shared_plotly_js(lab, page):
    from research_env.batch.html import plotlyjs_file_name

    folder = lab[2]
    assert (folder / plotlyjs_file_name()).is_file()
    page.goto((folder / "executed.html").as_uri())
    page.wait_for_function("""() => Array.from(document.querySelectorAll('.research-env-plot'))
        .filter(el => el.querySelector('.main-svg') && el.getBoundingClientRect().height > 0).length === 3""",
                           timeout=30_000)
    assert page.locator(".research-env-report em", has_text="Loading the chart").count() == 0


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


def test_chromium_is_debians():
    _need(CHROMIUM.is_file(), f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True).stdout
    assert "Chromium" in version
    assert shutil.which("chromium") is not None
