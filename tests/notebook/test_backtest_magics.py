"""``%backtest`` through a real InteractiveShell: parsing, help, UsageError cases, return values, failures."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from research_env.engine.result import BacktestResult
from tests.notebook.builders import FAILING_CELL, RANGE, run_cell, sma_cell


def _register(ip, name: str, cls: str = "SmaCross") -> None:
    outcome = run_cell(ip, f"%%strategy {name}\n{sma_cell(cls=cls, name=name)}")
    assert outcome.success, outcome.error_in_exec


def test_backtest_returns_the_result_with_the_given_symbols_dates_and_params(ip, unique):
    _register(ip, unique)
    with capture_output() as shown:
        outcome = run_cell(ip, f"res = %backtest {unique} --symbols spy {RANGE} --cash 50000 "
                               "--param fast_period=3 slow_period=12")
    assert outcome.success, outcome.error_in_exec
    res = ip.user_ns["res"]
    assert isinstance(res, BacktestResult)
    assert res.symbols == ["SPY"]
    assert res.parameters["fast_period"] == 3 and res.parameters["slow_period"] == 12
    assert res.config.initial_cash == 50_000
    assert f"{res.start:%Y-%m-%d}" == "2023-01-01" and f"{res.end:%Y-%m-%d}" == "2024-01-01"
    assert res.timeframe == "1d"
    head, figure, tail = shown.outputs  # summary and metrics; the figure; trades and denials
    assert "SYNTHETIC DATA" in head.data["text/html"] and "Total Return" in head.data["text/html"]
    assert figure.data["application/vnd.plotly.v1+json"]["data"][0]["name"] == "Equity"
    assert "research-env-plot" in figure.data["text/html"]
    assert "<h4>Trades (" in tail.data["text/html"]


def test_backtest_as_last_line_shows_the_report_once(ip, unique):
    _register(ip, unique)
    with capture_output() as shown:
        outcome = run_cell(ip, f"%backtest {unique} --symbols SPY {RANGE}")
    assert outcome.success
    assert isinstance(outcome.result, BacktestResult)
    figures = [o for o in shown.outputs if "application/vnd.plotly.v1+json" in o.data]
    assert len(figures) == 1
    assert shown.outputs[-1].data == {"text/plain": shown.outputs[-1].data["text/plain"]}
    assert shown.outputs[-1].data["text/plain"].endswith("(report shown above)>")
    assert "Total Return" not in shown.stdout


def test_backtest_accepts_a_class_from_the_namespace_and_comma_separated_symbols(ip, unique):
    outcome = run_cell(ip, sma_cell(cls=f"Cls{unique}", name=unique))
    assert outcome.success
    outcome = run_cell(ip, f"r = %backtest Cls{unique} --symbols SPY,QQQ {RANGE} --quiet")
    assert outcome.success, outcome.error_in_exec
    assert ip.user_ns["r"].symbols == ["SPY", "QQQ"]
    assert ip.user_ns["r"].strategy == unique


def test_backtest_runs_a_strategy_file_by_path(ip):
    outcome = run_cell(ip, f"r = %backtest strategies/dual_ma_crossover.py --symbols SPY {RANGE} --quiet")
    assert outcome.success, outcome.error_in_exec
    assert ip.user_ns["r"].strategy == "dual_ma_crossover"


def test_backtest_help_lists_every_option(ip, capsys):
    run_cell(ip, "%backtest?")
    text = capsys.readouterr().out
    for option in ("--symbols", "--start", "--end", "--timeframe", "--cash", "--param", "--interactive"):
        assert option in text


@pytest.mark.parametrize(("line", "message"), [
    ("no_such_strategy_xyz", "no strategy named `no_such_strategy_xyz`"),
    ("{name} --param fast_period", "--param expects NAME=VALUE"),
    ("{name} --param fats_period=3", "did you mean `fast_period`"),
    ("{name} --param fast_period=abc", "expects a number"),
    ("{name} --start 2024-01-01 --end 2023-01-01", "must be after `start`"),
    ("{name} --timeframe 7m", "7m"),
    ("{name} --cash lots", "invalid float value"),
    ("", "no strategy given: name one (a registered name"),
])
def test_bad_input_raises_usage_error_without_traceback(ip, unique, line, message, capsys):
    _register(ip, unique)
    capsys.readouterr()
    outcome = run_cell(ip, f"%backtest {line.format(name=unique)}")
    assert isinstance(outcome.error_in_exec, UsageError)
    err = capsys.readouterr()
    assert message in str(outcome.error_in_exec)
    assert "Traceback" not in err.out + err.err


def test_strategy_exception_shows_strategy_symbol_time_and_user_line_and_the_shell_survives(ip, capsys):
    assert run_cell(ip, f"%%strategy exploding\n{FAILING_CELL}").success
    capsys.readouterr()
    outcome = run_cell(ip, f"boom = %backtest exploding --symbols SPY {RANGE}")
    from research_env import StrategyError

    assert isinstance(outcome.error_in_exec, StrategyError)
    assert isinstance(outcome.error_in_exec.__cause__, ZeroDivisionError)
    text = capsys.readouterr().out
    assert "strategy `exploding` raised in on_bar() on the SPY bar of 2023-01-06 16:00 New York" in text
    assert "ZeroDivisionError: division by zero" in text
    assert "ratio = 1 / 0  # the user's bug" in text
    assert "engine/loop.py" not in text
    assert "boom" not in ip.user_ns
    assert run_cell(ip, "after = 1 + 1").success and ip.user_ns["after"] == 2


def test_interactive_flag_returns_the_explorer(ip, unique):
    _register(ip, unique)
    with capture_output():
        outcome = run_cell(ip, f"ex = %backtest {unique} --symbols SPY {RANGE} --interactive --param fast_period=4")
    assert outcome.success, outcome.error_in_exec
    explorer = ip.user_ns["ex"]
    assert explorer.controls["fast_period"].value == 4
    assert explorer.result.parameters["fast_period"] == 4


@pytest.mark.parametrize(("line", "message"), [
    ("{name} --symbols SPY " + RANGE + " --no-demo", "no 1d bars for SPY: the store at {store} is empty"),
    ("{name} --symbols SPY " + RANGE + " --demo --no-demo", "--demo and --no-demo contradict each other; give one"),
    ("{name} --symbols SPY " + RANGE + " --interactive --no-demo", "no 1d bars for SPY: the store at {store} is empty"),
    ("{name} --symbols SPY " + RANGE + " --data {store}/typo",
     "the bar store folder `{store}/typo` given as `data=` (`--data`) does not exist"),
])
def test_demo_options_and_a_missing_data_folder_raise_usage_errors(ip, unique, data_dir, line, message):
    _register(ip, unique)
    outcome = run_cell(ip, f"%backtest {line.format(name=unique, store=data_dir)}")
    assert isinstance(outcome.error_in_exec, UsageError)
    assert message.format(store=data_dir) in str(outcome.error_in_exec)


def test_demo_option_lets_synthetic_bars_stand_in_next_to_real_ones(ip, unique, data_dir):
    from research_env.data import BarStore, demo_bars

    BarStore(data_dir).write("AAPL", "1d", demo_bars("AAPL", "1d", "2023-01-01", "2024-01-01"), "file:AAPL.csv")
    _register(ip, unique)
    outcome = run_cell(ip, f"r = %backtest {unique} --symbols APPL {RANGE} --quiet")
    assert isinstance(outcome.error_in_exec, UsageError)
    assert "`symbols` has `APPL`, which the store at" in str(outcome.error_in_exec)
    assert "did you mean `AAPL`?" in str(outcome.error_in_exec)
    outcome = run_cell(ip, f"r = %backtest {unique} --symbols APPL {RANGE} --quiet --demo")
    assert outcome.success, outcome.error_in_exec
    assert ip.user_ns["r"].data_sources == {"APPL": "demo"}


def test_untrusted_runs_the_strategy_file_in_the_sandbox(ip, real_store):
    from tests.conftest import REPO_ROOT

    path = REPO_ROOT / "strategies" / "dual_ma_crossover.py"
    line = f"{path} --symbols SPY --start 2019-01-01 --end 2020-01-01 --data {real_store} --quiet"
    outcome = run_cell(ip, f"contained = %backtest {line} --untrusted\ntrusted = %backtest {line}")
    assert outcome.success, outcome.error_in_exec
    contained, trusted = ip.user_ns["contained"], ip.user_ns["trusted"]
    assert contained.equity.equals(trusted.equity)
    contained, trusted = contained.to_dict(), trusted.to_dict()
    assert contained["manifest"].pop("options") == {"untrusted": True}  # so a replay runs it contained too
    assert trusted["manifest"].pop("options") == {}
    assert contained == trusted

    refused = run_cell(ip, f"%backtest {line} --untrusted --interactive")
    assert isinstance(refused.error_in_exec, UsageError)
    assert "drop one of --interactive and --untrusted" in str(refused.error_in_exec)
