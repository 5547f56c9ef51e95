"""A function-style strategy through the doors: backtest() by path and by name, and the CLI, on real bars."""

import json

from research_env import backtest
from research_env.cli import main
from tests.conftest import REPO_ROOT

FUNCTION_RSI = str(REPO_ROOT / "strategies" / "function_rsi.py")


def test_cli_uses_backtest_config_dates_cash_and_timeframe(real_store, capsys):
    assert main(["backtest", FUNCTION_RSI, "--data", str(real_store), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["start"][:10], payload["end"][:10], payload["initial_cash"], payload["timeframe"]) == (
        "2015-01-01", "2020-01-01", 100000, "1d")  # end_date 2019-12-31 is inclusive
    assert payload["symbols"] == ["AAPL"] and payload["synthetic"] is False
    assert payload["parameters"] == {"RSI_PERIOD": 14, "RSI_OVERSOLD": 30, "RSI_OVERBOUGHT": 70, "SHARES": 100}


def test_cli_options_override_the_config_and_tune_constants(real_store, capsys):
    args = ["backtest", FUNCTION_RSI, "--data", str(real_store), "--start", "2018-01-01", "--end", "2019-01-01",
            "--cash", "50000", "--param", "RSI_OVERSOLD=35", "--json"]
    assert main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["start"][:10], payload["end"][:10], payload["initial_cash"]) == ("2018-01-01", "2019-01-01",
                                                                                     50000)
    assert payload["parameters"]["RSI_OVERSOLD"] == 35


def test_bundled_function_example_runs_by_name(real_store):
    result = backtest("function_rsi", data=real_store)
    assert result.strategy == "function_rsi" and result.metrics.total_trades == 6
