"""The one risk-rule table: its boundaries, its wording, and the same denial from the engine and the kernels."""

from __future__ import annotations

import math

import pytest

from research_env import BacktestConfig, RiskConfig, backtest
from research_env.engine.events import RiskRule
from research_env.engine.risk import (
    ABOVE,
    ABOVE_RELATIVE,
    AT_OR_BELOW,
    BELOW,
    OUTSIDE_SESSION,
    RISK_RULES,
    RULE_CODES,
    UNDER,
    breaches,
    denial_message,
    rule_limit,
)
from research_env.sweeps import vectorized_backtest
from research_env.sweeps.enums import RULES, Rule
from tests.builders import ScriptedStrategy, daily_frame, signal
from tests.sweeps.fixtures import Scripted


@pytest.mark.parametrize(("value", "limit", "boundary", "denied"), [
    (0.20, 0.20, ABOVE, False), (0.20 + 2e-9, 0.20, ABOVE, True),
    (20_000.0, 20_000.0, ABOVE_RELATIVE, False), (20_000.0 * (1 + 2e-9), 20_000.0, ABOVE_RELATIVE, True),
    (0.10, 0.10, BELOW, False), (0.10 - 2e-9, 0.10, BELOW, True),
    (-0.03, -0.03, AT_OR_BELOW, True), (-0.03 + 2e-9, -0.03, AT_OR_BELOW, False),
    (59.999, 60.0, UNDER, True), (60.0, 60.0, UNDER, False),
    (34_200.0, math.nan, OUTSIDE_SESSION, False), (57_600.0, math.nan, OUTSIDE_SESSION, False),
    (34_199.9, math.nan, OUTSIDE_SESSION, True), (57_600.5, math.nan, OUTSIDE_SESSION, True),
])
def test_each_boundary_denies_exactly_past_its_limit(value, limit, boundary, denied):
    assert breaches(value, limit, boundary) is denied


def test_the_table_names_every_rule_once_and_its_codes_are_the_kernels():
    assert [spec.rule for spec in RISK_RULES] == list(RiskRule) and len(set(RULES)) == len(RiskRule)
    assert tuple(spec.rule for spec in RISK_RULES) == RULES
    for spec in RISK_RULES:
        assert getattr(Rule, spec.rule.name) == RULE_CODES[spec.rule]


def test_the_bar_loops_inline_halt_comparison_is_the_tables_boundary():
    """The loop compares `equity < halt_below` inline (it runs at every bar): the table must say UNDER."""
    import inspect

    from research_env.engine import loop

    assert RISK_RULES[RULE_CODES[RiskRule.MAX_DRAWDOWN]].boundary == UNDER
    assert "elif equity < halt_below:  # the table's UNDER boundary" in inspect.getsource(loop.BarLoop._run)


def test_every_setting_of_the_table_exists_and_off_means_none():
    config = BacktestConfig(risk=RiskConfig.permissive(max_drawdown=0.05))
    assert rule_limit(RiskRule.MAX_DRAWDOWN, config) == 0.05
    assert rule_limit(RiskRule.MAX_ORDER_VALUE, config) is None
    assert rule_limit(RiskRule.POSITION_SIZE, config) == 0.02
    assert rule_limit(RiskRule.ALLOW_MARGIN, config) is True


@pytest.mark.parametrize(("rule", "values", "text"), [
    (RiskRule.POSITION_SIZE, dict(value=1_999.5, limit=0.02, price=3_000.0),
     "auto-size: 2% of equity ($1,999.50) buys no whole share at 3000.00; raise `position_size_ratio` or set "
     "`quantity`"),
    (RiskRule.TRADING_HOURS, dict(value=61_200.0), "17:00 New York is outside market hours 09:30-16:00"),
    (RiskRule.MAX_DAILY_LOSS, dict(value=-0.0412, limit=0.03),
     "today's loss of 4.12% reached the 3% daily limit (opening orders resume next session)"),
    (RiskRule.ALLOW_SHORT, dict(quantity=None, other=0.0, symbol="AAA"),
     "selling all (quantity=None) AAA but only 0 held; short selling is off"),
    (RiskRule.ALLOW_MARGIN, dict(value=110_027.5, other=100_000.0),
     "order needs $110,027.50 but only $100,000.00 cash is free (margin is off)"),
    (RiskRule.MAX_PRICE_DEVIATION, dict(value=0.015, other=100.0, price=101.5, limit=0.01),
     "price moved 1.50% from the signal price 100.0000 to 101.5000, beyond the 1% limit"),
])
def test_one_function_words_every_denial(rule, values, text):
    assert denial_message(rule, **values) == text


# --- price deviation only stops opening orders ---------------------------------------------------------------

# An entry at bar 0's close 100 fills at bar 1's open 100.5 (0.5%); a signal at bar 2's close 102 meets bar 3's open
# 98, a 3.9% gap beyond the 1% limit: a closing order fills there, an opening one is denied.
GAP_ROWS = [(100, 101, 99, 100), (100.5, 102, 100, 101), (101, 103, 100.5, 102), (98, 99, 97, 98.5),
            (98.5, 99, 98, 98.7)]
CONFIG = BacktestConfig(benchmark=None)


def test_a_closing_order_across_a_gap_fills_and_an_opening_one_is_denied_in_the_engine():
    frame = daily_frame(GAP_ROWS)
    script = {("AAA", 0): [signal("AAA", "BUY", 10)], ("AAA", 2): [signal("AAA", "SELL", 10)]}
    strategy = ScriptedStrategy(symbols=["AAA"], script=script)
    result = backtest(strategy, start="2024-03-01", end="2024-03-30", data={"AAA": frame}, config=CONFIG)
    assert [(str(f.side), f.timestamp) for f in result.fills] == [("BUY", frame.index[1]), ("SELL", frame.index[3])]
    assert result.denials == [] and result.trades[0].exit_price == pytest.approx(98 * (1 - 0.0002))
    gap_in = daily_frame([(100, 101, 99, 100), (103, 104, 102, 103), (103, 104, 102, 103)])
    strategy = ScriptedStrategy(symbols=["AAA"], script={("AAA", 0): [signal("AAA", "BUY", 10)]})
    denied = backtest(strategy, start="2024-03-01", end="2024-03-30", data={"AAA": gap_in}, config=CONFIG)
    assert [d.rule for d in denied.denials] == [RiskRule.MAX_PRICE_DEVIATION] and denied.fills == []


def test_the_kernels_fill_the_closing_gap_and_deny_the_opening_one_like_the_engine():
    frame = daily_frame(GAP_ROWS)
    exit_gap = vectorized_backtest(Scripted({("AAA", 0): "in", ("AAA", 2): "out"}), ["AAA"], "2024-03-01",
                                   "2024-03-30", "1d", data={"AAA": frame}, config=CONFIG)
    assert [(str(f.side), f.timestamp) for f in exit_gap.fills] == [("BUY", frame.index[1]),
                                                                      ("SELL", frame.index[3])]
    assert exit_gap.denials == []
    entry_gap = vectorized_backtest(Scripted({("AAA", 2): "in"}), ["AAA"], "2024-03-01", "2024-03-30", "1d",
                                    data={"AAA": frame}, config=CONFIG)
    (denial,) = entry_gap.denials
    assert denial.rule is RiskRule.MAX_PRICE_DEVIATION
    moved = abs(98 - 102) / 102
    assert denial.reason == denial_message(RiskRule.MAX_PRICE_DEVIATION, value=moved, other=102.0, price=98.0,
                                           limit=0.01)
