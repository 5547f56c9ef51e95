"""``%sweep``: grid parsing (shared with the command line), help, errors, and the real sweep with its display."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from research_env.sweeps import GridError, parse_grid
from tests.notebook.builders import RANGE, run_cell, sma_cell


def test_grid_lists_and_inclusive_ranges_are_parsed_to_numbers():
    grid = parse_grid(["fast=5,10,20", "std=1.5:3.0:0.5", "slow=30:90:30", "mode=a,b", "flag=true,false"])
    assert grid == {"fast": [5, 10, 20], "std": [1.5, 2.0, 2.5, 3.0], "slow": [30, 60, 90], "mode": ["a", "b"],
                    "flag": [True, False]}


def test_float_ranges_do_not_accumulate_rounding_error():
    assert parse_grid(["x=0.1:0.5:0.1"]) == {"x": [0.1, 0.2, 0.3, 0.4, 0.5]}


@pytest.mark.parametrize(("items", "message"), [
    ([], "no --grid given"),
    (["fast"], "--grid expects NAME=VALUES"),
    (["fast="], "has no values"),
    (["fast=1:2"], "must be start:stop:step"),
    (["fast=5:1:1"], "stops before it starts"),
    (["fast=1,2", "fast=3"], "names `fast` twice"),
])
def test_bad_grids_raise_grid_error(items, message):
    with pytest.raises(GridError, match=message):
        parse_grid(items)


def test_sweep_help_documents_the_grid_syntax(ip, capsys):
    run_cell(ip, "%sweep?")
    text = capsys.readouterr().out
    assert "--grid" in text and "start:stop:step" in text and "--metric" in text


def test_sweep_returns_the_result_and_shows_heatmap_best_table_and_walk_forward(ip, unique):
    from IPython.utils.capture import capture_output

    assert run_cell(ip, f"%%strategy sw_{unique}\n{sma_cell(cls=f'Sw{unique}', name=unique)}").success
    with capture_output() as shown:
        outcome = run_cell(ip, f"sw = %sweep sw_{unique} --symbols SPY {RANGE} --walk-forward 2 "
                               "--grid fast_period=3,5 slow_period=10,20 --option max_workers=1")
    assert outcome.success, outcome.error_in_exec
    sw = ip.user_ns["sw"]
    frame = sw.to_frame()
    assert list(frame[["fast_period", "slow_period"]].itertuples(index=False, name=None)) == [
        (3, 10), (3, 20), (5, 10), (5, 20)]
    html = "".join(o.data.get("text/html", "") for o in shown.outputs)
    heatmaps = [o.data["application/vnd.plotly.v1+json"] for o in shown.outputs
                if "application/vnd.plotly.v1+json" in o.data]
    assert [h["layout"]["title"]["text"] for h in heatmaps] == ["Sharpe Ratio by fast_period and slow_period",
                                                                "Walk-forward: Sharpe Ratio per fold"]
    assert "<h3>Sweep: 4 combinations of fast_period, slow_period in " in html
    assert "Sharpe Ratio by fast_period and slow_period" in html and 'class="sortable"' in html
    best = sw.best["params"]
    assert f"<b>Best combination</b>: fast_period={best['fast_period']}, slow_period={best['slow_period']}" in html
    assert "Walk-forward: Sharpe Ratio per fold" in html
    assert "SYNTHETIC DATA: SPY" in html


def test_the_lookahead_option_reaches_the_walk_forward_too(ip, unique):
    from tests.sweeps.test_lookahead import NextBar

    ip.user_ns[f"peek_{unique}"] = NextBar
    line = f"%sweep peek_{unique} --symbols SPY {RANGE} --grid lag=1,2 --walk-forward 2 --quiet"
    refused = run_cell(ip, line)
    assert isinstance(refused.error_in_exec, UsageError) and "pass lookahead=False" in str(refused.error_in_exec)
    outcome = run_cell(ip, f"{line} --option lookahead=False max_workers=1")  # walk_forward would refuse it too
    assert outcome.success, outcome.error_in_exec


def test_sweep_grid_errors_from_the_sweep_are_usage_errors(ip, unique):
    assert run_cell(ip, f"%%strategy swe_{unique}\n{sma_cell(cls=f'Swe{unique}', name=unique)}").success
    outcome = run_cell(ip, f"%sweep swe_{unique} --symbols SPY {RANGE} --grid fats_period=3,5")
    assert isinstance(outcome.error_in_exec, UsageError)
    assert "did you mean `fast_period`" in str(outcome.error_in_exec)


@pytest.mark.parametrize(("option", "message"), [
    ("--no-demo", "no 1d bars for SPY: the store at"),
    ("--demo --no-demo", "--demo and --no-demo contradict each other; give one"),
])
def test_demo_options_reach_the_sweep(ip, unique, option, message):
    assert run_cell(ip, f"%%strategy swd_{unique}\n{sma_cell(cls=f'Swd{unique}', name=unique)}").success
    outcome = run_cell(ip, f"%sweep swd_{unique} --symbols SPY {RANGE} --grid fast_period=3,5 --quiet {option}")
    assert isinstance(outcome.error_in_exec, UsageError)
    assert message in str(outcome.error_in_exec)
