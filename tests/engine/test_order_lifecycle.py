"""Beyond the guide: good-till-cancelled orders, one-cancels-other groups, named orders, cancel, account view."""


import pytest

from research_env import RiskConfig, backtest
from research_env.engine.events import RiskRule
from tests.builders import ScriptedStrategy, daily_frame, signal

BARS = daily_frame([
    (100.0, 101.0, 99.0, 100.0),
    (100.0, 101.0, 99.0, 100.0),
    (100.0, 101.0, 99.0, 100.0),
    (100.0, 104.0, 99.5, 103.0),
    (103.0, 103.5, 96.0, 97.0),
    (97.0, 98.0, 96.5, 97.5),
])


def gtc(symbol, side, quantity, order_type, limit=None, stop=None, oco=None, order_id=None):
    s = signal(symbol, side, quantity, order_type, limit=limit, stop=stop)
    s.time_in_force, s.oco_group, s.order_id = "GTC", oco, order_id
    return s


def run(strategy):
    return backtest(strategy, start="2024-03-01", end="2024-03-30", data={"AAA": BARS}, risk=RiskConfig.permissive())


def test_gtc_limit_waits_until_the_price_comes():
    # limit sell at 103.5 rests through bars 1-2 (high 101) and fills on bar 3 (high 104) at the limit
    strategy = ScriptedStrategy(script={("AAA", 0): [signal("AAA", "BUY", 10)],
                                        ("AAA", 1): [gtc("AAA", "SELL", 10, "LIMIT", limit=103.5, order_id="tp")]})
    result = run(strategy)
    assert [(str(f.side), f.price, f.timestamp) for f in result.fills][1] == ("SELL", 103.5, BARS.index[3])
    assert ("tp", "FILLED") in strategy.order_events and ("tp", "EXPIRED") not in strategy.order_events


def test_oco_pair_fill_cancels_the_sibling():
    # bracket exits: take-profit 103.5 (fills bar 3), stop 96.5 (would fill bar 4) -> stop cancelled
    exits = [gtc("AAA", "SELL", 10, "LIMIT", limit=103.5, oco="b1", order_id="take"),
             gtc("AAA", "SELL", 10, "STOP", stop=96.5, oco="b1", order_id="stop")]
    strategy = ScriptedStrategy(script={("AAA", 0): [signal("AAA", "BUY", 10)], ("AAA", 1): exits})
    result = run(strategy)
    assert [f.order_id for f in result.fills] == ["O000000", "take"]
    assert ("stop", "CANCELLED") in strategy.order_events
    assert result.denials == []  # the OCO pair counts once against the 10 shares held


def test_cancel_order_removes_a_resting_order():
    class Canceller(ScriptedStrategy):
        def on_bar(self, bar):
            if self._bars[bar.symbol].count == 3:
                assert self.cancel_order("tp") is True
                assert self.cancel_order("nope") is False
            return super().on_bar(bar)

    strategy = Canceller(script={("AAA", 1): [gtc("AAA", "BUY", 10, "LIMIT", limit=95.0, order_id="tp")]})
    result = run(strategy)
    assert result.fills == []
    assert strategy.order_events == [("tp", "SUBMITTED"), ("tp", "CANCELLED")]


def test_reused_order_id_is_denied_as_invalid():
    strategy = ScriptedStrategy(script={("AAA", 0): [gtc("AAA", "BUY", 1, "LIMIT", limit=90, order_id="x"),
                                                     gtc("AAA", "BUY", 1, "LIMIT", limit=91, order_id="x")]})
    result = run(strategy)
    (denial,) = result.denials
    assert denial.rule is RiskRule.INVALID_SIGNAL
    assert denial.reason == "order_id 'x' is already used; give each order its own id"


def test_account_view_shows_cash_equity_and_positions_during_the_run():
    seen = []

    class Watcher(ScriptedStrategy):
        def on_bar(self, bar):
            a = self.account
            seen.append((a.cash, a.equity, a.positions, a.position("AAA"), len(a.pending_orders())))
            return super().on_bar(bar)

    strategy = Watcher(script={("AAA", 0): [signal("AAA", "BUY", 10)]})
    run(strategy)
    cash = 100_000 - 10 * 100 * 1.0002 - 0.05
    assert seen[0] == (100_000, 100_000, {}, 0.0, 0)
    assert seen[1] == (pytest.approx(cash, rel=1e-15), pytest.approx(cash + 1000, rel=1e-15), {"AAA": 10.0}, 10.0, 0)


def test_account_outside_a_run_is_a_clear_error():
    with pytest.raises(RuntimeError, match="`account` is available while the engine runs this strategy"):
        _ = ScriptedStrategy().account


def test_unknown_time_in_force_is_denied():
    bad = signal("AAA", "BUY", 1)
    bad.time_in_force = "IOC"
    result = run(ScriptedStrategy(script={("AAA", 0): [bad]}))
    assert result.denials[0].reason == "time_in_force 'IOC' is not 'BAR' or 'GTC'"


def test_strategy_log_lines_reach_the_result_with_bar_times():
    class Chatty(ScriptedStrategy):
        def on_bar(self, bar):
            self.log(f"close {bar.close}")
            return []

    result = run(Chatty())
    assert len(result.logs) == 6
    assert result.logs[0] == (BARS.index[0].to_pydatetime(), "close 100.0")
    assert list(result.logs_frame().columns) == ["time", "message"]
    assert "Strategy log: 6 lines" in result.report()


def test_oco_legs_with_the_same_size_are_not_duplicates_of_each_other():
    minute = daily_frame([(100.0, 101.0, 99.0, 100.0)] * 3)
    legs = [gtc("AAA", "SELL", 10, "LIMIT", limit=150.0, oco="b"), gtc("AAA", "SELL", 10, "STOP", stop=50.0, oco="b")]
    strategy = ScriptedStrategy(script={("AAA", 0): [signal("AAA", "BUY", 10)], ("AAA", 1): legs})
    result = backtest(strategy, start="2024-03-01", end="2024-03-30", data={"AAA": minute},
                      risk=RiskConfig(duplicate_window_seconds=10 * 86400, max_price_deviation=None))
    assert result.denials == []
    assert [s for _, s in strategy.order_events].count("SUBMITTED") == 3
