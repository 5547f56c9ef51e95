"""Strategies that misbehave: wrong return types, sys.exit, endless loops, prints, signals the engine cannot honour.

Each ends with a clear error naming the strategy and the bar, or a denial with a reason; never a crash, a silent
exit or output mixed into the report.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from research_env import BacktestConfig, backtest
from research_env.engine.events import RiskRule
from research_env.errors import InputError, StrategyError
from tests.builders import ScriptedStrategy, daily_frame, signal

ROWS = [(100, 101, 99, 100), (100.5, 102, 100, 101), (101, 103, 100.5, 102), (101.8, 102.5, 101, 102),
        (102, 103, 101, 102.5)]
FRAMES = {"AAA": daily_frame(ROWS)}
RUN = dict(start="2024-03-01", end="2024-03-30", data=FRAMES, config=BacktestConfig(benchmark=None))

STRATEGY = '''
import sys
import time

from core.models import Bar, Signal
from core.enums import OrderSide
from strategies.base import StrategyBase


class Misbehaving(StrategyBase):
    timeframe = "1d"

    def __init__(self, symbols=None, mode="dict"):
        super().__init__(name="misbehaving", symbols=symbols or ["AAA"])
        self.mode = mode

    def on_bar(self, bar: Bar):
        if self.mode == "dict":
            return {"symbol": bar.symbol, "side": "BUY"}
        if self.mode == "strings":
            return ["BUY"]
        if self.mode == "exit":
            sys.exit(3)
        if self.mode == "loop":
            while True:
                time.sleep(0.001)
        print("close", float(bar.close), end=" ")
        print("seen")
        print("partial", end="")
        return [Signal(symbol=bar.symbol, side=OrderSide.BUY, strength=0.5, quantity=1)]
'''


@pytest.fixture()
def misbehaving(tmp_path):
    path = tmp_path / "misbehaving.py"
    path.write_text(textwrap.dedent(STRATEGY))
    return path


@pytest.mark.parametrize(("mode", "message"), [
    ("dict", r"on the AAA bar of 2024-03-04 21:00:00\+0000: TypeError: on_bar returned dict \{'symbol': 'AAA'"),
    ("strings", r"on the bar of 2024-03-04 21:00:00\+0000: TypeError: on_bar returned a list holding str 'BUY'; "
                r"return a list of Signal objects"),
    ("exit", r"on the AAA bar of 2024-03-04 21:00:00\+0000: RuntimeError: called sys.exit\(3\); a strategy "
             r"returns signals or raises, it never exits"),
])
def test_wrong_returns_and_sys_exit_are_strategy_errors_naming_the_bar(misbehaving, mode, message):
    with pytest.raises(StrategyError, match=r"strategy `misbehaving` raised in on_bar\(\) " + message):
        backtest(misbehaving, params={"mode": mode}, **RUN)


def test_an_endless_loop_in_on_bar_ends_at_the_timeout_naming_the_strategy_symbol_and_bar(misbehaving):
    with pytest.raises(StrategyError, match=r"strategy `misbehaving` raised in on_bar\(\) on the AAA bar of "
                                            r"2024-03-04 21:00:00\+0000: RunTimeoutError: misbehaving ran past its "
                                            r"timeout of 0.5s"):
        backtest(misbehaving, params={"mode": "loop"}, timeout=0.5, **RUN)


def test_print_in_a_class_strategy_goes_to_the_logs_stamped_with_the_bar(misbehaving, capsys):
    result = backtest(misbehaving, params={"mode": "print"}, **RUN)
    assert capsys.readouterr().out == ""
    lines = [(t, m) for t, m in result.logs]
    assert lines[0] == (FRAMES["AAA"].index[0].to_pydatetime(), "close 100.0 seen")
    assert lines[1] == (FRAMES["AAA"].index[1].to_pydatetime(), "partialclose 101.0 seen")
    assert lines[-1][1] == "partial"  # the unfinished last line is kept at the end of the run
    assert len(lines) == 6


def test_the_cli_json_stays_valid_when_the_strategy_prints(misbehaving, tmp_path, capsys):
    from research_env.cli import main

    store = tmp_path / "store"
    store.mkdir()
    assert main(["backtest", str(misbehaving), "--param", "mode=print", "--data", str(store), "--start",
                 "2024-03-01", "--end", "2024-03-30", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["logs"][0][1] == "close " + payload["logs"][0][1].split()[1] + " seen"


@pytest.mark.parametrize(("kwargs", "reason"), [
    (dict(quantity=10.5), "quantity 10.5 of AAA is not a whole number of shares; round it, or allow fractions with "
                          "BacktestConfig(fractional_shares=True)"),
    (dict(quantity=10, order_type="LIMIT", limit=float("nan")),
     "`limit_price` of the LIMIT order for AAA must be a positive price, got NaN"),
    (dict(quantity=10, order_type="STOP", stop=-1), "`stop_price` of the STOP order for AAA must be a positive price, "
                                                    "got -1"),
])
def test_signals_the_engine_cannot_honour_are_denied_with_the_reason(kwargs, reason):
    order_type = kwargs.pop("order_type", "MARKET")
    bad = signal("AAA", "BUY", kwargs.pop("quantity"), order_type, kwargs.pop("limit", None), kwargs.pop("stop", None))
    result = backtest(ScriptedStrategy(symbols=["AAA"], script={("AAA", 0): [bad]}), **RUN)
    (denial,) = result.denials
    assert denial.rule is RiskRule.INVALID_SIGNAL and denial.reason == reason


def test_fractional_shares_fill_when_allowed_and_strength_outside_zero_to_one_is_denied():
    config = BacktestConfig(benchmark=None, fractional_shares=True)
    script = {("AAA", 0): [signal("AAA", "BUY", 10.5)]}
    result = backtest(ScriptedStrategy(symbols=["AAA"], script=script), **{**RUN, "config": config})
    assert [f.quantity for f in result.fills] == [10.5]
    strong = signal("AAA", "BUY", 10)
    strong.strength = 1.5
    result = backtest(ScriptedStrategy(symbols=["AAA"], script={("AAA", 0): [strong]}), **RUN)
    assert result.denials[0].reason == "strength 1.5 of the AAA signal is outside the guide's range 0 to 1"


def test_empty_symbols_and_non_python_strategy_paths_are_refused_before_anything_runs(tmp_path):
    not_python = tmp_path / "strategy.txt"
    not_python.write_text("raise SystemExit('must never run')\n")
    with pytest.raises(InputError, match=r"strategy.txt is not a .py file"):
        backtest(str(not_python), **RUN)
    with pytest.raises(InputError, match=r"`symbols` is empty \(''\); name at least one ticker"):
        backtest("dual_ma_crossover", symbols="", **RUN)


def test_ctrl_c_in_a_cli_run_prints_one_line_and_exits_130(tmp_path, capsys):
    from research_env.cli import main

    path = tmp_path / "interrupted.py"
    path.write_text(textwrap.dedent(STRATEGY).replace('if self.mode == "dict":',
                                                      'if self.mode == "ctrl-c":\n            raise KeyboardInterrupt\n'
                                                      '        if self.mode == "dict":'))
    store = tmp_path / "store"
    store.mkdir()
    assert main(["backtest", str(path), "--param", "mode=ctrl-c", "--data", str(store), "--start", "2024-03-01",
                 "--end", "2024-03-30"]) == 130
    assert capsys.readouterr().err == "research-env: interrupted\n"


def test_every_door_bounds_an_endless_loop_with_its_timeout(misbehaving, tmp_path, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    from research_env.cli import main

    store = tmp_path / "store"
    store.mkdir()
    args = ["--param", "mode=loop", "--data", str(store), "--start", "2024-03-01", "--end", "2024-03-30",
            "--timeout", "0.5"]
    assert main(["backtest", str(misbehaving), *args]) == 1
    assert "RunTimeoutError: misbehaving ran past its timeout of 0.5s" in capsys.readouterr().err
    assert main(["sweep", str(misbehaving), "--grid", "mode=loop", "--mode", "bar", "--workers", "1",
                 *args[2:]]) == 1
    assert "ran past its timeout of 0.5s" in capsys.readouterr().err

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "research_env")
    outcome = ip.run_cell(f"res = %backtest {misbehaving} --param mode=loop --data {store} --start 2024-03-01 "
                          "--end 2024-03-30 --timeout 0.5 --quiet")
    assert isinstance(outcome.error_in_exec, StrategyError)
    assert "ran past its timeout of 0.5s" in str(outcome.error_in_exec.__cause__ or outcome.error_in_exec)
    assert ip.run_cell("1 + 1").result == 2  # the kernel carries on
