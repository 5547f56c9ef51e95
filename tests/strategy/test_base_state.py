"""A subclass that skips ``super().__init__`` or overwrites StrategyBase's own state gets an error naming the
attribute and the fix, before the first bar, instead of an AttributeError deep in the engine."""

from __future__ import annotations

import pytest

from research_env import backtest
from research_env.strategy.loader import StrategyLoadError
from tests.sweeps.test_vectorbt import random_bars

HEAD = '''
from core.models import Bar
from strategies.base import StrategyBase


class Mine(StrategyBase):
    timeframe = "1d"

    def on_bar(self, bar: Bar):
        return []
'''
RUN = dict(symbols=["AAA"], start="2021-01-01", end="2021-06-01", data={"AAA": random_bars(150, 3)})


def _write(tmp_path, init: str):
    path = tmp_path / "mine.py"
    path.write_text(HEAD + "\n    def __init__(self, symbols=None):\n" + init)
    return path


@pytest.mark.parametrize(("init", "message"), [
    ("        super().__init__(name='mine', symbols=symbols or ['AAA'])\n        self._bars = []\n",
     "Mine replaced self._bars, StrategyBase's bar history (self._bars[symbol] holds the bars seen), with a list; "
     "keep your own data under another name, e.g. self.my_bars"),
    ("        super().__init__(name='mine', symbols=symbols or ['AAA'])\n        self._logs = {}\n",
     "Mine replaced self._logs, StrategyBase's log lines (self.log), with a dict; keep your own data under another "
     "name, e.g. self.my_logs"),
    ("        self.name, self.symbols = 'mine', symbols or ['AAA']\n",
     "Mine.__init__ does not call super().__init__(name=..., symbols=...), so StrategyBase's own state (_bars, "
     "_logs, _indicators) was never set up; call it at the start of __init__"),
], ids=["replaced-bars", "replaced-logs", "no-super"])
def test_broken_base_state_is_named_with_the_fix(tmp_path, init, message):
    with pytest.raises(StrategyLoadError) as caught:
        backtest(_write(tmp_path, init), **RUN)
    assert str(caught.value) == message


def test_an_own_dict_under_bars_keeps_working(tmp_path):
    init = "        super().__init__(name='mine', symbols=symbols or ['AAA'])\n        self._bars = {}\n"
    assert backtest(_write(tmp_path, init), **RUN).metrics.total_trades == 0
