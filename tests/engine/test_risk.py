"""Each risk rule with hand-computed numbers: a denial is recorded with rule and reason, never dropped."""

import pandas as pd
import pytest

from research_env import RiskConfig, backtest
from research_env.engine.events import RiskRule
from tests.builders import ScriptedStrategy, daily_frame, signal

FLAT = daily_frame([(100.0, 100.5, 99.5, 100.0)] * 6)


def run(script, risk=None, frames=None, symbols=("AAA",)):
    strategy = ScriptedStrategy(symbols=list(symbols), script=script)
    result = backtest(strategy, start="2024-03-01", end="2024-03-30",
                      data=frames or {s: FLAT for s in symbols}, risk=risk or RiskConfig())
    return strategy, result


def only_denial(result):
    (denial,) = result.denials
    return denial


def test_max_order_value_denies_an_order_above_20000_dollars():
    # 300 shares at the signal close 100 = 30,000 > 20,000
    strategy, result = run({("AAA", 0): [signal("AAA", "BUY", 300)]})
    denial = only_denial(result)
    assert denial.rule is RiskRule.MAX_ORDER_VALUE
    assert denial.reason == "order value $30,000.00 (300 x 100.00) exceeds the $20,000 single-order limit"
    assert result.fills == []
    assert strategy.order_events == [("O000000", "DENIED")]


def test_order_at_exactly_the_order_value_limit_passes():
    # 200 x 100 = 20,000 is not above the limit (and 20% symbol weight is not above 20%)
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 200)]}, risk=RiskConfig(min_cash_ratio=None))
    assert result.denials == []
    assert result.fills[0].quantity == 200


def test_max_symbol_weight_denies_a_position_above_20_percent():
    # 250 x 100 = 25,000 = 25% of 100,000 equity
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 250)]}, risk=RiskConfig(max_order_value=None))
    denial = only_denial(result)
    assert denial.rule is RiskRule.MAX_SYMBOL_WEIGHT
    assert denial.reason == "AAA would be 25.0% of equity, above the 20% limit"


def test_max_symbol_weight_counts_the_existing_position():
    # day 0: 150 shares (15%); day 2: 100 more would make 250 x 100 = 25%
    script = {("AAA", 0): [signal("AAA", "BUY", 150)], ("AAA", 2): [signal("AAA", "BUY", 100)]}
    _, result = run(script)
    assert only_denial(result).rule is RiskRule.MAX_SYMBOL_WEIGHT


def test_max_total_weight_denies_investing_more_than_80_percent():
    # 5 symbols x 170 shares x 100 = 85,000 = 85% of equity; the fifth order crosses 80%
    symbols = ["AAA", "BBB", "CCC", "DDD", "EEE"]
    script = {(s, 0): [signal(s, "BUY", 170)] for s in symbols}
    _, result = run(script, symbols=symbols, risk=RiskConfig(min_cash_ratio=None))
    denial = only_denial(result)
    assert denial.symbol == "EEE"
    assert denial.rule is RiskRule.MAX_TOTAL_WEIGHT
    assert denial.reason == "invested total would be 85.0% of equity, above the 80% limit"
    assert len(result.fills) == 4


def test_min_cash_ratio_keeps_ten_percent_in_cash():
    # cost of 920 shares = 920 x 100 x 1.0002 + 920 x 0.005 = 92,023.00 -> cash 7,977.00 = 7.98% of equity
    risk = RiskConfig(max_order_value=None, max_symbol_weight=None, max_total_weight=None)
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 920)]}, risk=risk)
    denial = only_denial(result)
    assert denial.rule is RiskRule.MIN_CASH_RATIO
    assert denial.reason == "cash would fall to 8.0% of equity, below the 10% minimum"


def test_margin_off_denies_an_order_costing_more_than_free_cash():
    # 1,100 x 100 x 1.0002 + 5.50 = 110,027.50 > 100,000
    risk = RiskConfig.permissive(allow_margin=False)
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 1100)]}, risk=risk)
    denial = only_denial(result)
    assert denial.rule is RiskRule.ALLOW_MARGIN
    assert denial.reason == "order needs $110,027.50 but only $100,000.00 cash is free (margin is off)"


def test_margin_on_lets_cash_go_negative():
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 1100)]}, risk=RiskConfig.permissive())
    assert result.denials == []
    assert result.equity.iloc[-1] == pytest.approx(100_000 - 1100 * 100 * 0.0002 - 5.5, rel=1e-12)


def test_pending_buys_reserve_cash_for_later_signals_on_the_same_bar():
    # two orders of 600 x 100.02 + 3 = 60,015 each: the second finds only 39,985 free
    risk = RiskConfig.permissive(allow_margin=False)
    _, result = run({("AAA", 0): [signal("AAA", "BUY", 600), signal("AAA", "BUY", 600)]}, risk=risk)
    assert only_denial(result).rule is RiskRule.ALLOW_MARGIN


def test_short_selling_is_denied_by_default():
    _, result = run({("AAA", 0): [signal("AAA", "SELL", 10)]})
    denial = only_denial(result)
    assert denial.rule is RiskRule.ALLOW_SHORT
    assert denial.reason == "selling 10 AAA but only 0 held; short selling is off"


def test_sell_signal_without_quantity_and_no_position_is_denied_as_short():
    _, result = run({("AAA", 0): [signal("AAA", "SELL")]})
    assert only_denial(result).rule is RiskRule.ALLOW_SHORT


def test_shorting_allowed_opens_a_short_position():
    _, result = run({("AAA", 0): [signal("AAA", "SELL", 10)]}, risk=RiskConfig(allow_short=True))
    assert result.denials == []
    (trade,) = result.trades
    assert str(trade.side) == "SELL" and trade.is_open


def test_daily_loss_limit_blocks_opening_orders_for_the_rest_of_the_day():
    # 1,000 shares bought at 100.02; the next close 96 is a 4% loss on the day -> opening denied that day,
    # closing allowed; the day after, the limit has reset.
    frame = daily_frame([(100, 100.5, 99.5, 100), (100, 100.5, 95, 96), (96, 97, 95.5, 96),
                         (96, 97, 95.5, 96), (96, 97, 95.5, 96)])
    risk = RiskConfig.permissive(max_daily_loss=0.03)
    script = {("AAA", 0): [signal("AAA", "BUY", 1000)],
              ("AAA", 1): [signal("AAA", "BUY", 10), signal("AAA", "SELL", 500)],
              ("AAA", 2): [signal("AAA", "BUY", 10)]}
    _, result = run(script, risk=risk, frames={"AAA": frame})
    denial = only_denial(result)
    assert denial.rule is RiskRule.MAX_DAILY_LOSS
    assert denial.timestamp == frame.index[1].to_pydatetime()
    assert denial.reason.startswith("today's loss of 4.0")
    assert [f.quantity for f in result.fills] == [1000, 500, 10]


def test_max_drawdown_halts_opening_orders_but_lets_positions_close():
    # equity falls from 100,000 to 100,000 - 1,000 x (100.02 - 91) = 90,975 -> drawdown 9.0% > 8%
    frame = daily_frame([(100, 100.5, 99.5, 100), (100, 100.5, 90, 91), (91, 92, 90, 91),
                         (91, 99.5, 90, 99), (99, 100, 98, 99)])
    risk = RiskConfig.permissive(max_drawdown=0.08)
    script = {("AAA", 0): [signal("AAA", "BUY", 1000)],
              ("AAA", 2): [signal("AAA", "BUY", 5), signal("AAA", "SELL", 400)],
              ("AAA", 3): [signal("AAA", "BUY", 5)]}
    _, result = run(script, risk=risk, frames={"AAA": frame})
    assert [d.rule for d in result.denials] == [RiskRule.MAX_DRAWDOWN, RiskRule.MAX_DRAWDOWN]
    assert [f.quantity for f in result.fills] == [1000, 400]


def test_price_deviation_rejects_a_market_order_when_the_open_gaps_more_than_one_percent():
    # signal close 100, next open 101.5: moved 1.5%
    frame = daily_frame([(100, 100.5, 99.5, 100), (101.5, 102, 101, 101.5), (101.5, 102, 101, 101.5)])
    strategy, result = run({("AAA", 0): [signal("AAA", "BUY", 10)]}, frames={"AAA": frame})
    denial = only_denial(result)
    assert denial.rule is RiskRule.MAX_PRICE_DEVIATION
    assert denial.timestamp == frame.index[1].to_pydatetime()
    assert denial.reason == ("price moved 1.50% from the signal price 100.0000 to 101.5000, "
                             "beyond the 1% limit")
    assert strategy.order_events == [("O000000", "SUBMITTED"), ("O000000", "DENIED")]


def minute_frame(n: int) -> pd.DataFrame:
    index = pd.date_range("2024-03-04 09:31", periods=n, freq="1min", tz="America/New_York").tz_convert("UTC")
    frame = pd.DataFrame({"open": 100.0, "high": 100.5, "low": 99.5, "close": 100.0, "volume": 1000.0}, index=index)
    frame.index.name = "timestamp"
    return frame


def test_duplicate_order_within_60_seconds_is_blocked():
    frame = minute_frame(5)
    script = {("AAA", 0): [signal("AAA", "BUY", 10), signal("AAA", "BUY", 10)],
              ("AAA", 1): [signal("AAA", "BUY", 10)]}
    strategy = ScriptedStrategy(symbols=["AAA"], script=script)
    result = backtest(strategy, start="2024-03-04", end="2024-03-05", timeframe="1m", data={"AAA": frame})
    denial = only_denial(result)
    assert denial.rule is RiskRule.DUPLICATE_ORDER
    assert denial.reason == "the same BUY 10 AAA was sent 0s ago; repeats within 60s are blocked"
    assert len(result.fills) == 2  # the signal one bar (60 s) later is not a duplicate


def test_trading_hours_rule_when_switched_on_denies_pre_market_signals():
    index = pd.DatetimeIndex(["2024-03-04 08:00", "2024-03-04 10:00"], tz="America/New_York").tz_convert("UTC")
    frame = pd.DataFrame({"open": 100.0, "high": 100.5, "low": 99.5, "close": 100.0, "volume": 1.0}, index=index)
    frame.index.name = "timestamp"
    strategy = ScriptedStrategy(symbols=["AAA"], script={("AAA", 0): [signal("AAA", "BUY", 10)]})
    result = backtest(strategy, start="2024-03-04", end="2024-03-05", timeframe="1h", data={"AAA": frame},
                      risk=RiskConfig(trading_hours=True))
    denial = only_denial(result)
    assert denial.rule is RiskRule.TRADING_HOURS
    assert denial.reason == "08:00 New York is outside market hours 09:30-16:00"


def test_limit_signal_without_limit_price_is_denied_as_invalid():
    bad = signal("AAA", "BUY", 10, "LIMIT")
    _, result = run({("AAA", 0): [bad]})
    denial = only_denial(result)
    assert denial.rule is RiskRule.INVALID_SIGNAL
    assert denial.reason == "LIMIT order for AAA needs `limit_price`"


def test_report_counts_denials_per_rule():
    script = {("AAA", 0): [signal("AAA", "BUY", 300)], ("AAA", 1): [signal("AAA", "SELL", 5)],
              ("AAA", 2): [signal("AAA", "BUY", 400)]}
    _, result = run(script)
    assert result.denial_counts() == {"max_order_value": 2, "allow_short": 1}
    assert "Denied signals: 3 (allow_short: 1, max_order_value: 2)" in result.report()
