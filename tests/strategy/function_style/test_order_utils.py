"""The order helpers through the engine: every fill hand-computed (2 bps slippage, $0.005/share commission)."""

import pytest

from research_env import RiskConfig, backtest
from research_env.strategy.function_style import order_utils
from research_env.strategy.function_style.errors import OrderError
from tests.builders import daily_frame, function_strategy

BARS = daily_frame([
    (100.0, 101.0, 99.0, 100.0),  # 0  Mon 2024-03-04
    (100.0, 101.0, 99.0, 100.0),  # 1  Tue 03-05
    (102.0, 104.0, 99.0, 103.0),  # 2  Wed 03-06
    (103.0, 103.5, 96.0, 97.0),   # 3  Thu 03-07
    (97.0, 98.0, 96.5, 97.5),     # 4  Fri 03-08
    (98.0, 99.0, 97.0, 98.0),     # 5  Mon 03-11
])
T = BARS.index
PERMISSIVE = RiskConfig.permissive()


def up(price):  # a buy's market fill: open x (1 + 2 bps)
    return price * (1 + 2.0 / 10_000)


def down(price):  # a sell's market or stop fill
    return price * (1 - 2.0 / 10_000)


def run(body: str, risk=PERMISSIVE, data=None):
    """Backtest an on_bar_close whose body may use `bar` (0-based bar number)."""
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    source = f"def on_bar_close(market, portfolio, memory, session):\n    bar = session.minute_index\n{lines}\n"
    symbols = sorted(data) if data else ["AAA"]
    return backtest(function_strategy(source), symbols=symbols, data=data or {"AAA": BARS}, start="2024-03-01",
                    end="2024-03-30", risk=risk)


def fills(result):
    return [(f.symbol, str(f.side), f.quantity, f.price, f.timestamp) for f in result.fills]


def test_helpers_build_plain_order_dicts():
    assert order_utils.buy("AAPL", 100) == {"symbol": "AAPL", "action": "buy", "quantity": 100}
    assert order_utils.sell_all("AAPL") == {"symbol": "AAPL", "action": "sell", "quantity": "all"}
    assert order_utils.sell_stop("AAPL", "all", stop_price=145.0) == {
        "symbol": "AAPL", "action": "sell", "quantity": "all", "stop_price": 145.0, "time_in_force": "BAR"}
    assert order_utils.dollar_cost_average("AAPL", 5000, num_periods=5, period_days=7) == {
        "symbol": "AAPL", "action": "buy", "quantity": "$5000", "num_orders": 5, "every_days": 7}
    with pytest.raises(OrderError, match=r"unknown quantity 'lots'"):
        order_utils.buy("AAPL", "lots")
    with pytest.raises(OrderError, match=r"needs stop_loss_pct and/or take_profit_pct"):
        order_utils.bracket_order("AAPL", 10)


def test_buy_sell_and_sell_all_fill_at_the_next_open():
    result = run("""
if bar == 0: return buy('AAA', 100)
if bar == 2: return sell('AAA', 40)
if bar == 3: return sell_all('AAA')
""")
    assert fills(result) == [("AAA", "BUY", 100.0, up(100.0), T[1]), ("AAA", "SELL", 40.0, down(103.0), T[3]),
                             ("AAA", "SELL", 60.0, down(97.0), T[4])]
    assert result.fills[0].commission == 100 * 0.005


@pytest.mark.parametrize(("quantity", "shares"), [
    ("'$5000'", 50),     # 5000 / close 100
    ("'$5050'", 50),     # 50.5 -> 50
    ("'10%'", 100),      # 10% of equity 100,000 / 100
    ("'max'", 999),      # 100,000 / (100 x 1.0002 + 0.005) = 999.75
    ("'half'", 499),     # 50,000 / 100.025 = 499.88
    ("37.9", 37),
])
def test_quantity_strings_size_whole_shares_at_the_signal_close(quantity, shares):
    result = run(f"if bar == 0: return buy('AAA', {quantity})")
    assert fills(result) == [("AAA", "BUY", float(shares), up(100.0), T[1])]


def test_max_fill_fits_the_cash_with_slippage_and_commission():
    result = run("if bar == 0: return buy('AAA', 'max')")
    assert result.equity.iloc[1] == pytest.approx(100_000 - 999 * (up(100.0) - 100.0) - 999 * 0.005, abs=1e-9)
    cash_after = 100_000 - 999 * up(100.0) - 999 * 0.005
    assert 0 <= cash_after < up(100.0) + 0.005  # not one more share fits


def test_position_percent_sells_part_of_the_holding():
    result = run("""
if bar == 0: return buy('AAA', 101)
if bar == 1: return sell('AAA', '50%:position')
""")
    assert [f[2] for f in fills(result)] == [101.0, 50.0]


def test_buy_limit_fills_at_the_limit_or_expires_after_one_bar():
    result = run("""
if bar == 0: return [buy_limit('AAA', 10, limit_price=99.5), buy_limit('AAA', 5, limit_price=95.0)]
if bar == 1: return buy_limit('AAA', 7, limit_price=96.5, time_in_force='GTC')
""")
    # 99.5: bar 1 low 99 -> min(open 100, 99.5); 95: never reached on bar 1, expires; GTC 96.5: bar 3 low 96
    assert fills(result) == [("AAA", "BUY", 10.0, 99.5, T[1]), ("AAA", "BUY", 7.0, 96.5, T[3])]
    assert [str(o.status) for o in result.orders] == ["FILLED", "EXPIRED", "FILLED"]


def test_sell_limit_and_sell_stop():
    limit = run("""
if bar == 0: return buy('AAA', 10)
if bar == 1: return sell_limit('AAA', 'all', limit_price=103.5)
""")
    assert fills(limit)[1] == ("AAA", "SELL", 10.0, 103.5, T[2])  # bar 2 high 104: max(open 102, 103.5)
    stop = run("""
if bar == 0: return buy('AAA', 10)
if bar == 2: return sell_stop('AAA', 'all', stop_price=96.5)
""")
    assert fills(stop)[1] == ("AAA", "SELL", 10.0, down(96.5), T[3])  # bar 3 low 96: min(open 103, 96.5) - slippage


def test_scale_in_splits_shares_now_one_part_per_bar():
    result = run("if bar == 0: return scale_in('AAA', 100, num_orders=3)")
    assert fills(result) == [("AAA", "BUY", 34.0, up(100.0), T[1]), ("AAA", "BUY", 33.0, up(102.0), T[2]),
                             ("AAA", "BUY", 33.0, up(103.0), T[3])]


def test_scale_in_splits_dollars_each_part_sized_at_its_own_bar():
    result = run("if bar == 0: return scale_in('AAA', '$9000', num_orders=3)")
    # $3000 at closes 100, 100, 103 -> 30, 30, 29 shares
    assert [(f[2], f[4]) for f in fills(result)] == [(30.0, T[1]), (30.0, T[2]), (29.0, T[3])]


def test_scale_out_sells_the_position_in_parts():
    result = run("""
if bar == 0: return buy('AAA', 10)
if bar == 1: return scale_out('AAA', num_orders=4)
""")
    assert [(f[1], f[2], f[4]) for f in fills(result)] == [
        ("BUY", 10.0, T[1]), ("SELL", 3.0, T[2]), ("SELL", 3.0, T[3]), ("SELL", 2.0, T[4]), ("SELL", 2.0, T[5])]


def test_dollar_cost_average_buys_equal_dollars_every_period_days():
    result = run("if bar == 0: return dollar_cost_average('AAA', '$3000', num_periods=3, period_days=2)")
    # $1000 on Mon 03-04 (close 100 -> 10), Wed 03-06 (close 103 -> 9), Fri 03-08 (close 97.5 -> 10)
    assert fills(result) == [("AAA", "BUY", 10.0, up(100.0), T[1]), ("AAA", "BUY", 9.0, up(103.0), T[3]),
                             ("AAA", "BUY", 10.0, up(98.0), T[5])]


def test_bracket_places_oco_exits_off_the_entry_fill():
    result = run("if bar == 0: return bracket_order('AAA', 10, stop_loss_pct=0.05, take_profit_pct=0.03)")
    entry = up(100.0)
    orders = {o.order_id: o for o in result.orders}
    assert orders["bracket1-stop"].stop_price == entry * (1 - 0.05)
    assert orders["bracket1-take"].limit_price == entry * (1 + 0.03)
    assert orders["bracket1-stop"].submitted_at == T[1] == orders["bracket1-take"].submitted_at  # at the fill bar
    # take-profit 103.0206 reached on bar 2 (high 104): max(open 102, limit); the stop is cancelled
    assert fills(result) == [("AAA", "BUY", 10.0, entry, T[1]), ("AAA", "SELL", 10.0, entry * 1.03, T[2])]
    assert {k: str(o.status) for k, o in orders.items()} == {
        "bracket1-entry": "FILLED", "bracket1-stop": "CANCELLED", "bracket1-take": "FILLED"}


def test_bracket_exits_go_out_together_under_default_risk():
    # two equal sells at one time are OCO legs, not duplicates: both go out at the entry's fill bar
    result = run("if bar == 0: return bracket_order('AAA', 10, stop_loss_pct=0.05, take_profit_pct=0.03)",
                 risk=RiskConfig())
    orders = {o.order_id: o for o in result.orders}
    assert (orders["bracket1-stop"].submitted_at, orders["bracket1-take"].submitted_at) == (T[1], T[1])
    assert fills(result)[1] == ("AAA", "SELL", 10.0, up(100.0) * 1.03, T[2])  # bar 2 high 104 reaches 103.02
    assert result.denials == []


def test_bracket_whose_entry_does_not_fill_never_places_exits():
    result = run("""
if bar == 0:
    return bracket_order('AAA', 10, stop_loss_pct=0.05, take_profit_pct=0.03, limit_price=95.0)
""")
    assert result.fills == []
    assert [(o.order_id, str(o.status)) for o in result.orders] == [("bracket1-entry", "EXPIRED")]
    assert [m for _, m in result.logs] == [
        "bracket1: entry bracket1-entry expired; no stop-loss or take-profit placed"]


def test_bracket_whose_entry_is_denied_never_places_exits():
    result = run("if bar == 0: return bracket_order('AAA', 10, stop_loss_pct=0.05)",
                 risk=RiskConfig.permissive(max_order_value=500.0))
    assert [(d.rule, d.order_id) for d in result.denials] == [("max_order_value", "bracket1-entry")]
    assert [m for _, m in result.logs] == ["bracket1: entry bracket1-entry denied; no stop-loss or take-profit placed"]


def test_selling_the_bracketed_position_cancels_its_exits():
    result = run("""
if bar == 0: return bracket_order('AAA', 10, stop_loss_pct=0.05, take_profit_pct=0.5)
if bar == 2: return sell_all('AAA')
""")
    assert fills(result) == [("AAA", "BUY", 10.0, up(100.0), T[1]), ("AAA", "SELL", 10.0, down(103.0), T[3])]
    assert {o.order_id: str(o.status) for o in result.orders if o.oco_group} == {
        "bracket1-stop": "CANCELLED", "bracket1-take": "CANCELLED"}
    assert result.logs == [(T[2], "bracket1: stop-loss/take-profit cancelled because of a sell order of the strategy")]


def test_selling_at_the_entry_fill_bar_means_the_exits_are_never_placed():
    result = run("""
if bar == 0: return bracket_order('AAA', 10, stop_loss_pct=0.05, take_profit_pct=0.5)
if bar == 1: return sell_all('AAA')
""")
    assert fills(result) == [("AAA", "BUY", 10.0, up(100.0), T[1]), ("AAA", "SELL", 10.0, down(102.0), T[2])]
    assert [o.order_id for o in result.orders] == ["bracket1-entry", "O000001"]


def test_rebalance_sells_before_buys_and_skips_small_trades():
    flat = daily_frame([(50.0, 50.0, 50.0, 50.0)] * 6)
    result = run("""
if bar == 0: return rebalance_portfolio({'AAA': 0.5, 'BBB': 0.3})
if bar == 2: return rebalance_portfolio({'AAA': 0.2, 'BBB': 0.3}, min_trade_amount=2000)
""", data={"AAA": BARS, "BBB": flat})
    # bar 0: equity 100,000 -> AAA 50,000 / 100 = 500, BBB 30,000 / 50 = 600
    # bar 2: cash 100,000 - 500 x 100.02 - 2.5 - 600 x 50.01 - 3; equity = cash + 500 x 103 + 600 x 50
    cash = 100_000 - 500 * up(100.0) - 500 * 0.005 - 600 * up(50.0) - 600 * 0.005
    equity = cash + 500 * 103.0 + 600 * 50.0
    aaa_target = int(equity * 0.2 / 103.0)  # 197 -> sell 303; BBB 608 (+8 shares = $400 < $2000: skipped)
    assert (aaa_target, int(equity * 0.3 / 50.0)) == (197, 608)
    assert [(f[0], f[1], f[2], f[4]) for f in fills(result)] == [
        ("AAA", "BUY", 500.0, T[1]), ("BBB", "BUY", 600.0, T[1]), ("AAA", "SELL", 303.0, T[3])]


def test_selling_more_than_held_is_denied_like_any_risk_rule():
    result = run("""
if bar == 0: return buy('AAA', 100)
if bar == 1: return sell('AAA', 150)
""")
    [denial] = result.denials
    assert (denial.rule, denial.timestamp, denial.quantity) == ("allow_short", T[1], 150.0)
    assert denial.reason == "selling 150 AAA but only 100 held; short selling is off"


def test_an_order_that_sizes_to_no_whole_share_is_denied_with_the_reason():
    result = run("if bar == 0: return [buy('AAA', '$50'), sell_all('AAA')]")
    assert [(d.rule, d.signal_reason) for d in result.denials] == [
        ("invalid_signal", "buy 0 AAA ('$50': $50.00 / close 100): no whole share, nothing to trade"),
        ("invalid_signal", "sell 0 AAA ('all': all 0 shares held): no whole share, nothing to trade"),
    ]


def test_helpers_import_from_core_order_utils():
    cls = function_strategy("""
        from core.order_utils import buy, sell_all

        def on_bar_close(market, portfolio, memory, session):
            if session.minute_index == 0:
                return buy('AAA', 5)
            if session.minute_index == 1:
                return sell_all('AAA')
    """)
    result = backtest(cls, data={"AAA": BARS}, start="2024-03-01", end="2024-03-30", risk=PERMISSIVE)
    assert [(f[1], f[2]) for f in fills(result)] == [("BUY", 5.0), ("SELL", 5.0)]


def test_parts_still_waiting_when_the_data_ends_are_reported():
    result = run("if bar == 0: return dollar_cost_average('AAA', '$5000', num_periods=5, period_days=7)")
    # $1000 parts due 03-04 (bar 0) and 03-11 (bar 5, the last: nothing left to fill it), 03-18 ... never come
    assert [(o.quantity, o.submitted_at, str(o.status)) for o in result.orders] == [(10.0, T[0], "FILLED"),
                                                                                    (10.0, T[5], "CANCELLED")]
    assert result.logs == [(T[5], "3 scheduled order(s) not sent: the data ended first")]
