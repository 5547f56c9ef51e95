"""``%replay``: a notebook's result run again, its class passed back in; a changed file stops the cell."""

from __future__ import annotations

import shutil

import pytest
from IPython.core.error import UsageError

from tests.conftest import REPO_ROOT
from tests.notebook.builders import run_cell

CLASS = '''
from core.enums import OrderSide
from core.models import Bar, Signal
from strategies.base import StrategyBase

class EveryTenth(StrategyBase):
    timeframe = "1d"

    def __init__(self, symbols=None):
        super().__init__(name="every_tenth", symbols=symbols or ["AAPL"])

    def on_bar(self, bar: Bar):
        n = len(self._bars[bar.symbol])
        if n % 10 == 0:
            side = OrderSide.BUY if n % 20 == 0 else OrderSide.SELL
            return [Signal(symbol=bar.symbol, side=side, strength=1.0, quantity=5)]
        return []
'''
LINE = "--symbols AAPL --start 2023-01-02 --end 2023-07-01 --timeframe 1d --demo --quiet"


def test_a_notebook_class_replays_when_passed_back(ip, capsys):
    run_cell(ip, CLASS)
    assert run_cell(ip, f"r = %backtest EveryTenth {LINE}").success
    with pytest.raises(UsageError, match=r"strategy `EveryTenth` \(kind object: .*\) is not known here; pass it"):
        ip.run_line_magic("replay", "r")
    outcome = run_cell(ip, "again = %replay r --strategy EveryTenth")
    assert outcome.success, outcome.error_in_exec
    assert ip.user_ns["again"].metrics.to_dict() == ip.user_ns["r"].metrics.to_dict()
    assert ip.user_ns["again"].metrics.total_trades > 0
    assert "Replayed: same code, same bars, same numbers." in capsys.readouterr().out


def test_a_changed_file_stops_the_cell_with_what_changed(ip, tmp_path):
    path = tmp_path / "cross.py"
    shutil.copy(REPO_ROOT / "strategies" / "dual_ma_crossover.py", path)
    assert run_cell(ip, f"r = %backtest {path} {LINE}").success
    path.write_text(path.read_text() + "\n# tuned\n")
    ip.user_ns.pop("again", None)
    outcome = run_cell(ip, "again = %replay r")
    error = outcome.error_in_exec
    assert type(error).__name__ == "NotebookReplayError" and error.what == "code"
    assert error._render_traceback_() == [f"ReplayError: {error}"]
    assert str(error).startswith("replay of cross: the strategy's code changed since the run")
    assert "again" not in ip.user_ns
