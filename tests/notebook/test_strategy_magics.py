"""``%%strategy``: registering class-style cells, detecting function-style ones, clear errors."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from research_env.strategy.loader import load_strategy_class
from tests.notebook.builders import run_cell, sma_cell

FUNCTION_CELL = '''
BACKTEST_CONFIG = {"start_date": "20230101", "end_date": "20240101", "initial_capital": 100000}

def on_bar_close(market, portfolio, memory, session):
    if market["SPY"].close > 0:
        return {"symbol": "SPY", "action": "buy", "quantity": 10}
'''


def test_cell_registers_its_class_under_the_given_name_and_keeps_it_in_the_namespace(ip, unique, capsys):
    outcome = run_cell(ip, f"%%strategy reg_{unique}\n{sma_cell(cls=f'Reg{unique}', name=unique)}")
    assert outcome.success, outcome.error_in_exec
    assert load_strategy_class(f"reg_{unique}") is ip.user_ns[f"Reg{unique}"]
    assert f"Registered strategy `reg_{unique}` (Reg{unique})" in capsys.readouterr().out


def test_without_a_name_the_class_name_is_used(ip, unique):
    assert run_cell(ip, f"%%strategy\n{sma_cell(cls=f'Plain{unique}', name=unique)}").success
    assert load_strategy_class(f"Plain{unique}") is ip.user_ns[f"Plain{unique}"]


def test_redefining_a_cell_replaces_the_registration(ip, unique):
    run_cell(ip, f"%%strategy again_{unique}\n{sma_cell(cls='Again', name=unique)}")
    first = load_strategy_class(f"again_{unique}")
    run_cell(ip, f"%%strategy again_{unique}\n{sma_cell(cls='Again', name=unique)}")
    assert load_strategy_class(f"again_{unique}") is not first


@pytest.mark.parametrize(("cell", "message"), [
    ("x = 1\n", "defines no StrategyBase subclass"),
    ("class A(:\n    pass\n", "syntax error"),
    (sma_cell(cls="One") + sma_cell(cls="Two"), "defines 2 strategies (One, Two); keep one per cell"),
])
def test_bad_cells_raise_usage_error(ip, unique, cell, message):
    outcome = run_cell(ip, f"%%strategy bad_{unique}\n{cell}")
    assert isinstance(outcome.error_in_exec, UsageError)
    assert message in str(outcome.error_in_exec)


def test_an_exception_in_the_cell_propagates_with_the_cell_line(ip, unique, capsys):
    outcome = run_cell(ip, f"%%strategy err_{unique}\nraise KeyError('from the cell')\n")
    assert isinstance(outcome.error_in_exec, KeyError)
    assert "raise KeyError('from the cell')" in capsys.readouterr().out


def test_function_style_cell_registers_through_the_adapter_and_backtests(ip, unique):
    outcome = run_cell(ip, f"%%strategy fn_{unique}\n{FUNCTION_CELL}")
    assert outcome.success, outcome.error_in_exec
    assert "on_bar_close" not in ip.user_ns  # the cell ran in its own module
    outcome = run_cell(ip, f"r = %backtest fn_{unique} --start 2023-01-01 --end 2023-02-01 --timeframe 1d --quiet")
    assert outcome.success, outcome.error_in_exec
    assert ip.user_ns["r"].symbols == ["SPY"]
    assert ip.user_ns["r"].fills


def test_function_style_cell_needs_a_name(ip):
    outcome = run_cell(ip, f"%%strategy\n{FUNCTION_CELL}")
    assert isinstance(outcome.error_in_exec, UsageError)
    assert "name the function-style strategy" in str(outcome.error_in_exec)
