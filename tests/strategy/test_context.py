"""The engine-strategy contract: ``StrategyContext`` is all a strategy (and the function-style adapter) reaches."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from research_env.data import session_dates
from research_env.engine.config import BacktestConfig, RiskConfig
from research_env.engine.loop import BarLoop
from research_env.strategy.base import StrategyBase
from research_env.strategy.context import ReadOnlyAccount, RunSettings, StrategyContext
from research_env.strategy.function_style.errors import FunctionStrategyError
from tests.builders import daily_frame, function_strategy, minute_frame, signal
from tests.conftest import REPO_ROOT

CONFIG = BacktestConfig(initial_cash=10_000.0, slippage_bps=0.0, commission_per_share=0.0,
                        risk=RiskConfig.permissive(), benchmark=None)
AAA = daily_frame([(10, 10, 10, 10), (11, 11, 11, 11), (12, 12, 12, 12), (13, 13, 13, 13)], start="2024-03-04")
BBB = daily_frame([(20, 20, 20, 20), (21, 21, 21, 21), (22, 22, 22, 22)], start="2024-03-05")


class Nothing(StrategyBase):
    timeframe = "1d"

    def __init__(self, symbols=("AAA", "BBB")):
        super().__init__(name="nothing", symbols=list(symbols))

    def on_bar(self, bar):
        return []


def loop_over(strategy, frames, timeframe="1d") -> BarLoop:
    return BarLoop(strategy, frames, timeframe, {}, session_dates, CONFIG)


def test_the_loop_hands_its_strategy_a_strategy_context():
    strategy = Nothing()
    loop = loop_over(strategy, {"AAA": AAA, "BBB": BBB})
    context: StrategyContext = loop.context  # the static check: BarLoop's context is a StrategyContext
    assert isinstance(context, StrategyContext)
    assert strategy._context is context
    assert isinstance(context.account, ReadOnlyAccount) and context.account is loop.account
    assert isinstance(context.settings, RunSettings) and isinstance(CONFIG, RunSettings)
    assert context.settings.initial_cash == 10_000.0
    assert context.now is None
    assert context.equity == () and context.fills == () and context.orders == () and context.denials == ()


class Reader(StrategyBase):
    """Buys 10 AAA on its first bar, parks a far GTC limit for BBB, cancels it a bar later; writes down the account."""

    timeframe = "1d"

    def __init__(self):
        super().__init__(name="reader", symbols=["AAA", "BBB"])
        self.seen: list[tuple] = []
        self.cancels: list[bool] = []

    def on_bar(self, bar):
        n = self._bars[bar.symbol].count - 1
        a = self.account
        self.seen.append((bar.symbol, n, a.cash, a.equity, a.position("AAA"), a.price("BBB"),
                          [o.order_id for o in a.pending_orders()]))
        self.log(f"{bar.symbol} bar {n}")
        if (bar.symbol, n) == ("AAA", 0):
            return [signal("AAA", "BUY", 10)]
        if (bar.symbol, n) == ("BBB", 0):
            return [replace(signal("BBB", "BUY", 5, "LIMIT", limit=1.0), order_id="L1", time_in_force="GTC")]
        if (bar.symbol, n) == ("BBB", 1):
            self.cancels += [self.cancel_order("L1"), self.cancel_order("L1"), self.cancel_order("nope")]
        return []


def test_a_strategy_reads_the_account_clock_and_cancels_through_the_context():
    strategy = Reader()
    loop = loop_over(strategy, {"AAA": AAA, "BBB": BBB})
    loop.run()
    assert strategy.seen == [
        ("AAA", 0, 10_000.0, 10_000.0, 0.0, None, []),
        ("AAA", 1, 9_890.0, 10_000.0, 10.0, 20.0, []),  # filled 10 at the open of 11
        ("BBB", 0, 9_890.0, 10_000.0, 10.0, 20.0, []),
        ("AAA", 2, 9_890.0, 10_010.0, 10.0, 21.0, ["L1"]),  # the GTC limit at 1.0 waits
        ("BBB", 1, 9_890.0, 10_010.0, 10.0, 21.0, ["L1"]),
        ("AAA", 3, 9_890.0, 10_020.0, 10.0, 22.0, []),  # cancelled on BBB's bar 1
        ("BBB", 2, 9_890.0, 10_020.0, 10.0, 22.0, []),
    ]
    assert strategy.cancels == [True, False, False]
    times = {"AAA": AAA.index, "BBB": BBB.index}
    assert strategy._logs == [(times[s][n], f"{s} bar {n}") for s, n, *_ in strategy.seen]  # stamped by `now`
    assert [(f.symbol, f.quantity, f.price) for f in loop.context.fills] == [("AAA", 10.0, 11.0)]
    assert [(o.order_id, str(o.status)) for o in loop.context.orders] == [("O000000", "FILLED"), ("L1", "CANCELLED")]
    assert loop.context.equity == (10_000.0, 10_000.0, 10_010.0, 10_020.0)
    assert loop.context.now == BBB.index[-1]


def test_outside_the_engine_the_strategy_says_so():
    strategy = Reader()
    strategy.log("before")
    assert strategy._logs == [(None, "before")]
    with pytest.raises(RuntimeError, match="cancel_order"):
        strategy.cancel_order("L1")
    with pytest.raises(RuntimeError, match="account"):
        _ = strategy.account


SOURCE = """
def on_bar_close(market, portfolio, memory, session):
    memory.setdefault("seen", []).append(session.current_timestamp)
"""


def test_the_adapter_runs_once_per_time_of_the_loops_timeline():
    aaa = minute_frame([("2024-03-04", "09:31", "09:35")])
    bbb = minute_frame([("2024-03-04", "09:33", "09:38")], price=50.0)
    strategy = function_strategy(SOURCE)(symbols=["AAA", "BBB"])
    loop = loop_over(strategy, {"AAA": aaa, "BBB": bbb}, "1m")
    loop.run()
    timeline = loop.timeline.to_pydatetime().tolist()
    assert len(timeline) == 8 and loop.context.timeline == timeline
    assert strategy._calendar.times == timeline
    new_york = ZoneInfo("America/New_York")
    assert strategy.memory["seen"] == [t.astimezone(new_york) for t in timeline]
    assert all(type(t) is datetime for t in strategy.memory["seen"])
    assert loop.context.last_of_step("AAA") == [True, True, False, False, False]  # BBB is fed after AAA
    assert loop.context.last_of_step("BBB") == [True] * 6
    with pytest.raises(KeyError):
        loop.context.last_of_step("CCC")


def test_with_one_symbol_the_timeline_is_its_bar_times_and_there_are_no_step_flags():
    aaa = minute_frame([("2024-03-04", "09:31", "09:35")])
    strategy = function_strategy(SOURCE)(symbols=["AAA"])
    loop = loop_over(strategy, {"AAA": aaa}, "1m")
    assert loop.context.last_of_step("AAA") is None
    assert loop.context.timeline == aaa.index.to_pydatetime().tolist()
    loop.run()
    assert len(strategy.memory["seen"]) == 5


def test_on_strategy_end_results_come_from_the_contexts_record():
    source = """
    def on_bar_close(market, portfolio, memory, session):
        if not memory:
            memory["sent"] = True
            return [buy("AAA", 10)]

    def on_strategy_end(portfolio, memory, results):
        memory["results"] = results
    """
    strategy = function_strategy(source)(symbols=["AAA"])
    loop = loop_over(strategy, {"AAA": AAA})
    loop.run()
    got = strategy.memory["results"]
    assert got["equity"] == loop.equity.tolist() == list(loop.context.equity)
    assert got["fills"] == loop.fills and len(got["fills"]) == 1
    assert got["orders"] == loop.orders and got["denials"] == loop.denials == []
    assert got["initial_capital"] == 10_000.0


def test_the_adapter_refuses_to_run_outside_the_engine():
    strategy = function_strategy(SOURCE)(symbols=["AAA"])
    with pytest.raises(FunctionStrategyError, match="run inside backtest"):
        strategy.on_init()


def _type_checking(node: ast.stmt) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _module_level_imports(body: list[ast.stmt]):
    """Imports that run when the module is imported: top level, in ``if``/``try``/``with`` and class bodies."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _type_checking(node):
            yield from _module_level_imports(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _module_level_imports(node.body + node.orelse + node.finalbody
                                             + [s for h in node.handlers for s in h.body])
        elif isinstance(node, ast.With | ast.ClassDef):
            yield from _module_level_imports(node.body)


def _imported(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
    module = ".".join(base + ([node.module] if node.module else []))
    return [module] + [f"{module}.{alias.name}" for alias in node.names]


def test_the_strategy_layer_does_not_import_the_engine_at_module_level():
    root = REPO_ROOT / "research_env" / "strategy"
    files = sorted(root.rglob("*.py"))
    assert root / "context.py" in files and root / "function_style" / "adapter.py" in files
    offenders = []
    for path in files:
        package = ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts[:-1])
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _module_level_imports(tree.body):
            for name in _imported(node, package):
                if name == "research_env.engine" or name.startswith("research_env.engine."):
                    offenders.append(f"{Path(path).relative_to(REPO_ROOT)}:{node.lineno} imports {name}")
    assert offenders == []


def test_the_import_check_resolves_relative_imports():
    node = ast.parse("from ..engine.loop import BarLoop").body[0]
    assert "research_env.engine.loop" in _imported(node, "research_env.strategy")
    node = ast.parse("from ...engine import BarLoop").body[0]
    assert "research_env.engine.BarLoop" in _imported(node, "research_env.strategy.function_style")
