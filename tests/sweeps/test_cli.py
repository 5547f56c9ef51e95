"""``research-env sweep``: grids from the command line, JSON out, exit code 2 with a message on bad input."""

from __future__ import annotations

import json

import pytest

from research_env.cli import main
from tests.sweeps.fixtures import STRATEGIES

BASE = ["sweep", str(STRATEGIES / "bollinger_mean_reversion_vectorized.py"), "--symbols", "AAPL,MSFT",
        "--start", "2016-01-01", "--end", "2017-01-01", "--timeframe", "1d"]


def test_json_output_is_the_sweep_response(real_store, capsys):
    code = main([*BASE, "--data", str(real_store), "--grid", "bb_period=10,20", "--grid", "bb_std=1.5:2.5:0.5",
                 "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["total_combinations"] == 6
    assert payload["results"][1]["params"] == {"bb_period": 10, "bb_std": 2.0}
    assert payload["data_sources"] == {"AAPL": "local", "MSFT": "local"}
    assert payload["data_origins"]["MSFT"] == {"source": "local", "cached": False, "resampled_from": None}


def test_text_report_shows_the_best_rows(real_store, capsys):
    assert main([*BASE, "--data", str(real_store), "--grid", "bb_period=10,20", "--top", "1"]) == 0
    out = capsys.readouterr().out
    assert "Top 1 by sharpe_ratio" in out and "Best: {'bb_period'" in out


@pytest.mark.parametrize(("grid", "message"), [
    ([], "no --grid given"),
    (["--grid", "bb_perod=10"], "no parameter `bb_perod`; did you mean `bb_period`"),
    (["--grid", "bb_period=1:600:1"], "over the limit of 500"),
    (["--grid", "bb_period"], "expects NAME=VALUES"),
])
def test_bad_grids_exit_2_with_the_message(real_store, capsys, grid, message):
    assert main([*BASE, "--data", str(real_store), *grid]) == 2
    assert message in capsys.readouterr().err


def test_date_range_over_the_limit_exits_2(real_store, capsys):
    args = [*BASE, "--data", str(real_store), "--grid", "bb_period=10"]
    args[args.index("2016-01-01")] = "2010-01-01"
    assert main(args) == 2
    assert "over the 3-year limit" in capsys.readouterr().err


def test_demo_options_choose_whether_synthetic_bars_may_stand_in(real_store, data_dir, capsys):
    assert main([*BASE, "--grid", "bb_period=10,20", "--no-demo"]) == 2
    assert f"no 1d bars for AAPL: the store at {data_dir} is empty" in capsys.readouterr().err
    real = [*BASE[:3], "AAPL,XYZ", *BASE[4:], "--data", str(real_store), "--grid", "bb_period=10,20", "--json"]
    assert main(real) == 2
    assert "`--symbols` has `XYZ`, which the store at" in capsys.readouterr().err
    assert main([*real, "--demo"]) == 0
    assert json.loads(capsys.readouterr().out)["data_sources"] == {"AAPL": "local", "XYZ": "demo"}
