"""Matching rules: each order type against the next bar, by hand, directly and through the engine."""

from decimal import Decimal

import pytest

from research_env import RiskConfig, backtest
from research_env.core.enums import OrderSide, OrderType
from research_env.engine.matching import fill_price
from tests.builders import ScriptedStrategy, daily_frame, signal

BUY, SELL = OrderSide.BUY, OrderSide.SELL
SLIP = 0.0002


def test_market_buy_fills_at_next_open_plus_two_bps():
    assert fill_price(BUY, OrderType.MARKET, 100.0, 105.0, 95.0, SLIP) == pytest.approx(100.02, rel=1e-15)


def test_market_sell_fills_at_next_open_minus_two_bps():
    assert fill_price(SELL, OrderType.MARKET, 100.0, 105.0, 95.0, SLIP) == pytest.approx(99.98, rel=1e-15)


@pytest.mark.parametrize(
    ("open_", "low", "expected"),
    [(101.0, 99.5, 100.0), (98.0, 97.0, 98.0), (101.0, 100.0, 100.0), (101.0, 100.01, None)],
    ids=["touches-limit", "gaps-through-fills-at-open", "low-equals-limit", "never-reaches"],
)
def test_limit_buy_fills_when_next_low_reaches_limit(open_, low, expected):
    assert fill_price(BUY, OrderType.LIMIT, open_, 102.0, low, SLIP, limit=100.0) == expected


@pytest.mark.parametrize(
    ("open_", "high", "expected"),
    [(99.0, 101.0, 100.0), (102.0, 103.0, 102.0), (99.0, 99.99, None)],
    ids=["touches-limit", "gaps-through-fills-at-open", "never-reaches"],
)
def test_limit_sell_fills_when_next_high_reaches_limit(open_, high, expected):
    assert fill_price(SELL, OrderType.LIMIT, open_, high, 98.0, SLIP, limit=100.0) == expected


def test_stop_buy_triggers_at_stop_with_slippage():
    assert fill_price(BUY, OrderType.STOP, 99.0, 101.0, 98.0, SLIP, stop=100.0) == pytest.approx(100.02, rel=1e-15)


def test_stop_buy_gapping_above_stop_fills_at_open_with_slippage():
    assert fill_price(BUY, OrderType.STOP, 102.0, 103.0, 101.0, SLIP, stop=100.0) == pytest.approx(102.0204, rel=1e-15)


def test_stop_buy_not_triggered_when_high_stays_below_stop():
    assert fill_price(BUY, OrderType.STOP, 99.0, 99.99, 98.0, SLIP, stop=100.0) is None


def test_stop_sell_triggers_when_low_reaches_stop():
    assert fill_price(SELL, OrderType.STOP, 101.0, 102.0, 99.0, SLIP, stop=100.0) == pytest.approx(99.98, rel=1e-15)


def test_stop_sell_gapping_below_stop_fills_at_open_less_slippage():
    assert fill_price(SELL, OrderType.STOP, 98.0, 99.0, 97.0, SLIP, stop=100.0) == pytest.approx(97.9804, rel=1e-15)


def test_stop_limit_buy_fills_at_trigger_capped_by_limit():
    # trigger 100, slippage makes 100.02, the limit 100.01 caps it
    assert fill_price(BUY, OrderType.STOP_LIMIT, 99.0, 101.0, 98.0, SLIP, limit=100.01, stop=100.0) == 100.01


def test_stop_limit_buy_does_not_fill_when_open_gaps_beyond_limit():
    assert fill_price(BUY, OrderType.STOP_LIMIT, 101.0, 102.0, 100.5, SLIP, limit=100.5, stop=100.0) is None


def test_stop_limit_sell_fills_at_trigger_less_slippage_within_limit():
    price = fill_price(SELL, OrderType.STOP_LIMIT, 101.0, 102.0, 99.0, SLIP, limit=99.5, stop=100.0)
    assert price == pytest.approx(99.98, rel=1e-15)


# --- through the engine ---------------------------------------------------

BARS = daily_frame([
    (100.0, 101.0, 99.0, 100.0),
    (100.5, 102.0, 99.5, 101.0),
    (101.0, 103.0, 100.0, 102.0),
    (102.0, 102.5, 98.0, 99.0),
    (99.5, 100.0, 97.0, 98.0),
])


def run(script, risk=None, **kwargs):
    strategy = ScriptedStrategy(symbols=["AAA"], script=script)
    result = backtest(strategy, start="2024-03-01", end="2024-03-30", data={"AAA": BARS},
                      risk=risk or RiskConfig.permissive(), **kwargs)
    return strategy, result


def test_engine_market_buy_fills_next_bar_open_with_commission():
    strategy, result = run({("AAA", 0): [signal("AAA", "BUY", 10)]})
    (fill,) = result.fills
    assert fill.timestamp == BARS.index[1].to_pydatetime()
    assert fill.price == pytest.approx(100.5 * 1.0002, rel=1e-15)
    assert fill.commission == pytest.approx(0.05, rel=1e-15)
    cash = 100_000 - 10 * 100.5 * 1.0002 - 0.05
    assert result.equity.iloc[0] == 100_000
    assert result.equity.iloc[1] == pytest.approx(cash + 10 * 101.0, rel=1e-15)
    assert result.equity.iloc[-1] == pytest.approx(cash + 10 * 98.0, rel=1e-15)
    assert strategy.trades == [("AAA", "BUY", Decimal(str(100.5 * 1.0002)), Decimal("10.0"))]
    assert strategy.order_events == [("O000000", "SUBMITTED"), ("O000000", "FILLED")]


def test_engine_auto_size_is_two_percent_of_equity_in_whole_shares():
    # 2% of 100,000 = 2,000 at the signal close 100 -> 20 shares
    _, result = run({("AAA", 0): [signal("AAA", "BUY")]})
    assert result.fills[0].quantity == 20


def test_engine_position_size_ratio_is_configurable():
    from research_env import BacktestConfig

    config = BacktestConfig(position_size_ratio=0.05, risk=RiskConfig.permissive())
    _, result = run({("AAA", 0): [signal("AAA", "BUY")]}, config=config)
    assert result.fills[0].quantity == 50


def test_engine_sell_without_quantity_closes_the_whole_position():
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 7)], ("AAA", 2): [signal("AAA", "SELL")]})
    assert [(str(f.side), f.quantity) for f in result.fills] == [("BUY", 7), ("SELL", 7)]
    (trade,) = result.trades
    expected = 7 * 102.0 * 0.9998 - 7 * 100.5 * 1.0002 - 2 * 0.035
    assert trade.pnl == pytest.approx(expected, rel=1e-12)


def test_engine_limit_order_expires_when_next_bar_does_not_reach_it():
    strategy, result = run({("AAA", 0): [signal("AAA", "BUY", 10, "LIMIT", limit=99.0)]})
    assert result.fills == []
    assert strategy.order_events == [("O000000", "SUBMITTED"), ("O000000", "EXPIRED")]


def test_engine_limit_buy_fills_at_limit_when_touched():
    _, result = run({("AAA", 2): [signal("AAA", "BUY", 10, "LIMIT", limit=100.0)]})
    assert result.fills[0].price == 100.0
    assert result.fills[0].timestamp == BARS.index[3].to_pydatetime()


def test_engine_stop_sell_protects_a_position():
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 10)],
                     ("AAA", 2): [signal("AAA", "SELL", 10, "STOP", stop=99.0)]})
    assert result.fills[1].price == pytest.approx(99.0 * 0.9998, rel=1e-15)


def test_engine_order_pending_at_the_last_bar_is_cancelled():
    strategy, result = run({("AAA", 4): [signal("AAA", "BUY", 10)]})
    assert result.fills == []
    assert strategy.order_events[-1] == ("O000000", "CANCELLED")
