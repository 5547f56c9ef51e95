"""``%lookahead``: the verdict printed and returned, for a strategy defined in the notebook and a bundled one."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from tests.notebook.builders import run_cell

PEEK = '''
from strategies.vectorized import VectorizedStrategy

class Peek(VectorizedStrategy):
    name = "peek"

    def generate_signals(self, prices, volumes, lag=1):
        up = prices.shift(-lag) > prices
        return up.fillna(False), (~up).fillna(False)
'''
LINE = "--symbols AAPL --start 2023-01-02 --end 2023-07-01 --timeframe 1d"


def test_a_notebook_strategy_that_peeks_is_reported_at_its_first_changed_signal(ip, capsys):
    run_cell(ip, PEEK)
    run_cell(ip, f"report = %lookahead Peek {LINE} --param lag=2")
    report = ip.user_ns["report"]
    assert not report.ok and report.symbol == "AAPL" and report.signal in ("entries", "exits")
    assert capsys.readouterr().out.strip().endswith("a centred rolling window, a full-sample mean or z-score)")


def test_a_bundled_strategy_passes(ip, capsys):
    run_cell(ip, f"report = %lookahead dual_ma_crossover {LINE} --param fast_period=5 slow_period=20")
    assert ip.user_ns["report"].ok
    assert "dual_ma_crossover: no look-ahead found (8 cut points, vectorized" in capsys.readouterr().out


def test_bad_input_is_a_usage_error(ip):
    with pytest.raises(UsageError, match="`cuts` must be a whole number"):
        ip.run_line_magic("lookahead", f"dual_ma_crossover {LINE} --cuts 0")
