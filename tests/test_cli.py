"""The research-env command: backtest and data subcommands, exit codes and messages."""

import json

import pytest

from research_env.cli import main
from tests.conftest import REPO_ROOT

RSI = str(REPO_ROOT / "strategies" / "rsi_mean_reversion.py")
ARGS = ["--symbols", "AAPL", "--start", "2023-01-02", "--end", "2023-02-01", "--timeframe", "1d"]


def test_backtest_on_demo_data_prints_the_report_with_a_synthetic_banner(data_dir, capsys):
    assert main(["backtest", RSI, *ARGS, "--param", "rsi_period=10"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("!! SYNTHETIC DATA: AAPL ran on demo bars, not market data !!")
    assert "Parameters: rsi_period=10, oversold=30, overbought=70" in out
    assert "Sharpe Ratio" in out and "Denied signals: 0" in out


def test_backtest_json_is_machine_readable(data_dir, capsys):
    assert main(["backtest", RSI, *ARGS, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["synthetic"] is True
    assert payload["data_sources"] == {"AAPL": "demo"}
    assert payload["data_origins"] == {"AAPL": {"source": "demo", "cached": False, "resampled_from": None}}
    assert set(payload["metrics"]) >= {"total_return", "sharpe_ratio", "max_drawdown", "win_rate", "total_trades"}


def test_unknown_parameter_exits_2_with_the_fix(data_dir, capsys):
    assert main(["backtest", RSI, *ARGS, "--param", "rsi_perod=10"]) == 2
    assert "has no parameter `rsi_perod`; did you mean `rsi_period`?" in capsys.readouterr().err


def test_malformed_param_option_exits_2(data_dir, capsys):
    assert main(["backtest", RSI, *ARGS, "--param", "rsi_period"]) == 2
    assert "--param expects NAME=VALUE, got 'rsi_period'" in capsys.readouterr().err


def test_strategy_exception_exits_1_with_traceback_and_bar(tmp_path, data_dir, capsys):
    path = tmp_path / "boom.py"
    path.write_text(
        "from strategies.base import StrategyBase\n\n"
        "class BoomStrategy(StrategyBase):\n"
        "    def __init__(self, symbols=None):\n"
        "        super().__init__(name='boom', symbols=symbols or ['AAPL'])\n\n"
        "    def on_bar(self, bar):\n"
        "        return 1 / 0\n"
    )
    assert main(["backtest", str(path), *ARGS]) == 1
    err = capsys.readouterr().err
    assert 'boom.py", line 8, in on_bar' in err
    assert "strategy `boom` raised in on_bar() on the AAPL bar of 2023-01-03 21:00:00+0000: ZeroDivisionError" in err


def test_data_import_list_and_backtest_on_the_real_bars(shared_data, data_dir, capsys):
    assert main(["data", "import", str(shared_data / "bars" / "5m" / "AAPL.csv")]) == 0
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "AAPL        5m 16068" in out
    assert main(["backtest", RSI, "--symbols", "AAPL", "--start", "2025-06-01", "--end", "2025-07-01",
                 "--timeframe", "5m"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" not in out and "Data: AAPL: local" in out


def test_data_demo_writes_labelled_synthetic_bars(data_dir, capsys):
    assert main(["data", "demo", "XYZ", "--start", "2024-01-01", "--end", "2024-02-01"]) == 0
    assert "XYZ: 21 synthetic 1d bars written" in capsys.readouterr().out
    assert main(["data", "list"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["backtest", RSI, "--symbols", "XYZ", "--start", "2024-01-02", "--end", "2024-02-01",
                 "--timeframe", "1d"]) == 0
    assert capsys.readouterr().out.startswith("!! SYNTHETIC DATA: XYZ ran on demo bars")


def test_data_import_of_a_missing_file_exits_2(data_dir, capsys):
    assert main(["data", "import", "no_such_file.csv"]) == 2
    assert "no_such_file.csv" in capsys.readouterr().err


def test_a_backtest_without_a_strategy_says_to_name_one_or_a_repository(capsys):
    assert main(["backtest"]) == 2
    assert capsys.readouterr().err == (
        "research-env: error: no strategy given: name one (a registered name, a .py path, a class or instance) or a "
        "Git repository (--git-repo ...)\n")


@pytest.mark.parametrize("argv", [["data"], ["nonsense"]])
def test_incomplete_command_lines_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: research-env" in capsys.readouterr().err


def test_backtest_with_a_mistyped_data_folder_exits_2_naming_it_and_the_flag(tmp_path, data_dir, capsys):
    missing = tmp_path / "stor"
    assert main(["backtest", RSI, *ARGS, "--data", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"research-env: error: the bar store folder `{missing}` given as `data=` (`--data`) does not exist; check "
        f"the path, or create a store there by importing into it: `research-env data import FILE --data {missing}`\n")


def test_backtest_of_a_mistyped_symbol_next_to_real_bars_suggests_the_stored_one(shared_data, data_dir, capsys):
    assert main(["data", "import", str(shared_data / "bars" / "1d" / "AAPL.csv")]) == 0
    capsys.readouterr()
    assert main(["backtest", RSI, "--symbols", "APPL", "--start", "2023-01-02", "--end", "2023-02-01"]) == 2
    assert capsys.readouterr().err == (
        f"research-env: error: `--symbols` has `APPL`, which the store at {data_dir} does not hold; did you mean "
        "`AAPL`? (it holds AAPL). Import APPL bars with `research-env data import FILE` (import_bars), or pass "
        "allow_demo=True (`--demo`) to run on synthetic bars\n")
    assert main(["backtest", RSI, "--symbols", "APPL", "--start", "2023-01-02", "--end", "2023-02-01", "--demo"]) == 0
    assert capsys.readouterr().out.startswith("!! SYNTHETIC DATA: APPL ran on demo bars, not market data !!")


def test_backtest_no_demo_on_an_empty_store_exits_2(data_dir, capsys):
    assert main(["backtest", RSI, *ARGS, "--no-demo"]) == 2
    assert f"no 1d bars for AAPL: the store at {data_dir} is empty" in capsys.readouterr().err


def test_demo_and_no_demo_together_are_refused(data_dir, capsys):
    with pytest.raises(SystemExit) as info:
        main(["backtest", RSI, *ARGS, "--demo", "--no-demo"])
    assert info.value.code == 2
    assert "argument --no-demo: not allowed with argument --demo" in capsys.readouterr().err


def test_a_backtest_over_missing_sessions_reports_them_in_its_warnings(shared_data, data_dir, capsys):
    from research_env.data import BarStore

    assert main(["data", "import", str(shared_data / "bars" / "1d" / "SPY.csv")]) == 0
    BarStore(data_dir).delete("SPY", "1d", 2018)
    capsys.readouterr()
    assert main(["backtest", RSI, "--symbols", "SPY", "--start", "2017-01-01", "--end", "2020-01-01", "--timeframe",
                 "1d", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["data_sources"] == {"SPY": "local"}
    assert payload["data_origins"] == {"SPY": {"source": "local", "cached": False, "resampled_from": None}}
    assert ("SPY: the 1d bars (local) cover 2017-01-03 to 2019-12-31, 503 of the 754 NYSE sessions in "
            "[2017-01-01, 2020-01-01); missing 2018-01-02 to 2018-12-31 (251 sessions)." in payload["warnings"][0])


def test_input_errors_name_the_command_line_options_not_the_python_arguments(tmp_path, capsys):
    from research_env.cli import main

    store = tmp_path / "store"
    store.mkdir()
    assert main(["sweep", "dual_ma_crossover", "--data", str(store), "--start", "2015-01-01", "--end", "2020-01-01",
                 "--grid", "fast_period=5,10"]) == 2
    err = capsys.readouterr().err
    assert "shorten it or pass --max-years 5 to raise it" in err and "max_years=" not in err
    assert main(["backtest", "dual_ma_crossover", "--data", str(store), "--cash", "inf"]) == 2
    assert capsys.readouterr().err == "research-env: error: `--cash` must be a positive number, got inf\n"


def test_check_lookahead_names_the_first_changed_signal_and_exits_1(tmp_path, data_dir, capsys):
    peek = tmp_path / "peek_vectorized.py"
    peek.write_text("from strategies.vectorized import VectorizedStrategy\n\n\n"
                    "class Peek(VectorizedStrategy):\n"
                    "    name = 'peek'\n\n"
                    "    def generate_signals(self, prices, volumes, lag=1):\n"
                    "        up = prices.shift(-lag) > prices\n"
                    "        return up.fillna(False), (~up).fillna(False)\n")
    assert main(["check-lookahead", str(peek), *ARGS, "--param", "lag=2", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["symbol"] == "AAPL" and report["kind"] == "vectorized"
    assert report["message"].startswith(f"peek: look-ahead at AAPL {report['time'].replace('T', ' ')}")
    assert main(["check-lookahead", RSI, *ARGS, "--param", "rsi_period=10"]) == 0
    assert "rsi_mean_reversion: no look-ahead found (3 cut points, bar-by-bar" in capsys.readouterr().out
