"""The Backtest page in a real browser: ``research-env serve`` on real daily bars, Debian's chromium driven by
Playwright (headless), as ``tests/notebook/test_browser.py`` drives it (skipped where chromium or Playwright is
missing, except under CI, where that fails).

A backtest and a sweep run from the form and draw their charts; a bad date range is shown beside the date;
one run is driven by the keyboard alone; a reload without the token in the address bar keeps the session.
Screenshots go to ``artifacts/`` (printed in the output).
"""

from __future__ import annotations

import secrets

import pytest

from tests.client.service_server import ServiceServer, import_daily_bars, service_environment
from tests.notebook.test_browser import ARTIFACTS, CHROMIUM, _need, chromium

#: The chart's first trace: the equity of a backtest, the heatmap of a sweep.
FIRST_TRACE = "() => { const c = document.querySelector('#chart'); return c && c.data ? c.data[0] : null; }"
EQUITY_DRAWN = f"() => ({FIRST_TRACE})()?.name === 'Equity'"
HEATMAP_DRAWN = f"() => ({FIRST_TRACE})()?.type === 'heatmap'"
DONE = ("() => document.querySelector('#progress').value === 100 && "
        "/done/.test(document.querySelector('#status').textContent)")


@pytest.fixture(scope="module")
def server(shared_data, tmp_path_factory):
    """``research-env serve`` on a free loopback port with the real daily bars of SPY."""
    _need(CHROMIUM.is_file(), f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    root = tmp_path_factory.mktemp("page")
    data = import_daily_bars(shared_data, root / "data", ["SPY"])
    service = ServiceServer(service_environment(data, XDG_CONFIG_HOME=str(root / "config")), root,
                            root / "server.log", token=secrets.token_hex(16))
    try:
        service.start()
    except RuntimeError as e:
        pytest.fail(str(e))
    yield service
    service.stop()


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as launched:
        yield launched


@pytest.fixture()
def page(browser, server):
    """A fresh tab on ``/?token=...``, once the strategies are listed."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    tab.goto(f"{server.url}/?token={server.token}")
    tab.wait_for_selector("#strategy option[value=dual_ma_crossover]", state="attached")
    yield tab
    context.close()


def _fill(page, start: str, end: str) -> None:
    page.select_option("#strategy", "dual_ma_crossover")
    page.fill("#symbols", "SPY")
    page.fill("#start", start)
    page.fill("#end", end)
    page.select_option("#timeframe", "1d")


def test_a_backtest_runs_from_the_page(page, server):
    assert server.token not in page.url  # kept in sessionStorage, out of the address bar
    _fill(page, "2022-01-01", "2024-01-01")
    assert page.input_value("#param-fast_period") == "10" and page.input_value("#param-slow_period") == "30"
    page.get_by_role("button", name="Run Backtest").click()
    page.wait_for_function(DONE)
    page.wait_for_function(EQUITY_DRAWN)
    assert page.locator("#chart.js-plotly-plot").count() == 1
    assert page.locator("#metrics td", has_text="sharpe_ratio").count() == 1
    assert page.locator("#trades table tbody tr").count() > 0
    assert page.locator("#tasks tbody tr", has_text="done").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "backtest_page.png"), full_page=True)
    page.reload()  # no token in the address bar now: the 401 page brings back the tab's token
    page.wait_for_selector("#strategy option[value=dual_ma_crossover]", state="attached")
    assert server.token not in page.url
    print(f"screenshot: {ARTIFACTS / 'backtest_page.png'}")


def test_a_sweep_draws_its_heatmap(page):
    page.get_by_role("tab", name="Sweep").click()
    _fill(page, "2021-01-01", "2024-01-01")
    page.fill("#grid-fast_period", "5, 10")
    page.fill("#grid-slow_period", "30, 50")
    assert page.is_checked("#mode-vectorized")
    page.get_by_role("button", name="Run Sweep").click()
    page.wait_for_function(DONE)
    page.wait_for_function(HEATMAP_DRAWN)
    assert page.locator("#combinations tbody tr").count() == 4
    page.screenshot(path=str(ARTIFACTS / "backtest_sweep.png"), full_page=True)
    print(f"screenshot: {ARTIFACTS / 'backtest_sweep.png'}")


def test_a_bad_date_range_is_shown_beside_the_date(page):
    _fill(page, "2024-01-01", "2023-01-01")
    page.get_by_role("button", name="Run Backtest").click()
    error = page.locator("#end-error")
    error.wait_for()
    assert "must be after" in error.text_content() and error.get_attribute("role") == "alert"
    assert page.get_attribute("#end", "aria-invalid") == "true"
    assert "end-error" in page.get_attribute("#end", "aria-describedby")
    assert page.evaluate("document.activeElement.id") == "end"


def test_one_run_with_the_keyboard_alone(page):
    visited = []

    def tab_to(target: str) -> None:
        for _ in range(12):
            page.keyboard.press("Tab")
            visited.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
            if visited[-1] == target:
                return
        raise AssertionError(f"Tab never reached #{target}: {visited}")

    tab_to("strategy")
    page.keyboard.type("dual")
    assert page.input_value("#strategy") == "dual_ma_crossover"
    tab_to("symbols")
    page.keyboard.type("SPY")
    tab_to("start")
    page.keyboard.type("01032022")
    tab_to("end")
    page.keyboard.type("01032024")
    assert (page.input_value("#start"), page.input_value("#end")) == ("2022-01-03", "2024-01-03")
    tab_to("param-fast_period")
    page.keyboard.press("Control+a")
    page.keyboard.type("15")
    tab_to("run")
    page.keyboard.press("Enter")
    page.wait_for_function(DONE)
    page.wait_for_function(EQUITY_DRAWN)
    assert visited[:2] == ["tab-backtest", "strategy"]
    order = ["strategy", "symbols", "start", "end", "timeframe", "initial_cash", "param-fast_period", "run"]
    assert list(dict.fromkeys(v for v in visited if v in order)) == order  # a date's segments are one stop each
