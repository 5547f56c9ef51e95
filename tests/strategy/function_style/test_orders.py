"""Order dicts: the quantity grammar, checking, and sizing to whole shares (hand-computed)."""

import pytest

from research_env.core.enums import OrderSide, OrderType
from research_env.strategy.function_style.errors import OrderError
from research_env.strategy.function_style.orders import (
    Book,
    OrderSpec,
    Quantity,
    RebalanceSpec,
    parse_order,
    parse_orders,
    parse_quantity,
    size,
    to_signal,
)

SLIPPAGE, COMMISSION = 0.0002, 0.005  # the engine's defaults: 2 bps, $0.005 per share


def book(equity=100_000.0, buying_power=100_000.0, prices=None, held=None):
    prices = {"AAA": 100.0} if prices is None else prices
    held = held or {}
    return Book(equity, buying_power, SLIPPAGE, COMMISSION, prices.get, lambda s: held.get(s, 0.0))


@pytest.mark.parametrize(("raw", "kind", "value"), [
    (100, "shares", 100.0),
    (12.0, "shares", 12.0),
    ("100", "shares", 100.0),
    ("all", "all", None),
    ("ALL", "all", None),
    ("$5000", "dollars", 5000.0),
    ("$5,000.50", "dollars", 5000.5),
    ("10%", "percent", 10.0),
    ("2.5 %", "percent", 2.5),
    ("50%:position", "position_percent", 50.0),
    ("50% : Position", "position_percent", 50.0),
    ("max", "max", None),
    ("half", "half", None),
])
def test_quantity_grammar(raw, kind, value):
    action = "sell" if kind in ("all", "position_percent") else "buy"
    q = parse_quantity(raw, action)
    assert (q.kind, q.value) == (kind, value)


@pytest.mark.parametrize(("raw", "action", "message"), [
    ("lots", "buy", r"unknown quantity 'lots'; write a share count \(100\), 'all', '\$5000'"),
    ("5000$", "buy", r"unknown quantity '5000\$'"),
    (-5, "buy", r"negative quantity -5; .*use action 'sell' to sell"),
    ("-10%", "buy", r"negative quantity '-10%'"),
    ("$-5", "buy", r"negative quantity '\$-5'"),
    (float("nan"), "buy", r"quantity nan is not a finite number"),
    (True, "buy", r"quantity True is not a quantity"),
    (None, "buy", r"quantity None is not a quantity"),
    ("all", "buy", r"'all' sells the whole position; to buy with all free cash use 'max'"),
    ("max", "sell", r"'max' spends cash, so it is for buying; .*'50%:position'"),
    ("half", "sell", r"'half' spends cash"),
])
def test_bad_quantities_name_the_value_and_the_fix(raw, action, message):
    with pytest.raises(OrderError, match=message):
        parse_quantity(raw, action)


def test_order_dict_defaults_and_inferred_types():
    spec = parse_order({"symbol": "aapl ", "action": "Buy", "quantity": 10})
    assert (spec.symbol, spec.action, spec.order_type, spec.time_in_force) == ("AAPL", "buy", "MARKET", "BAR")
    assert parse_order({"symbol": "A", "action": "buy", "quantity": 1, "limit_price": 9}).order_type == "LIMIT"
    assert parse_order({"symbol": "A", "action": "sell", "quantity": 1, "stop_price": 9}).order_type == "STOP"
    both = parse_order({"symbol": "A", "action": "buy", "quantity": 1, "stop_price": 9, "limit_price": 10})
    assert both.order_type == "STOP_LIMIT"
    split = parse_order({"symbol": "A", "action": "buy", "quantity": 9, "num_orders": 3})
    assert (split.num_orders, split.every_bars, split.every_days) == (3, 1, None)


@pytest.mark.parametrize(("order", "message"), [
    ({"symbol": "AAPL", "action": "purchase", "quantity": 1}, r"unknown action 'purchase'; use 'buy' or 'sell'"),
    ({"symbol": "AAPL", "action": "buy"}, r"has no 'quantity'; every order needs 'symbol', 'action', 'quantity'"),
    ({"symbol": "AAPL", "action": "buy", "qty": 1}, r"unknown key 'qty'; did you mean 'quantity'\?"),
    ({"symbol": 5, "action": "buy", "quantity": 1}, r"'symbol' must be a ticker string like 'AAPL', got 5"),
    ({"symbol": "A", "action": "buy", "quantity": 1, "limit_price": -1}, r"limit_price -1 must be a positive price"),
    ({"symbol": "A", "action": "buy", "quantity": 1, "order_type": "limit"}, r"'limit' order needs 'limit_price'"),
    ({"symbol": "A", "action": "buy", "quantity": 1, "order_type": "iceberg"}, r"order_type 'iceberg' is not one"),
    ({"symbol": "A", "action": "buy", "quantity": 1, "time_in_force": "day"}, r"time_in_force 'day' is not 'BAR'"),
    ({"symbol": "A", "action": "buy", "quantity": 1, "num_orders": 0}, r"num_orders 0 must be a whole number >= 1"),
    ({"symbol": "A", "action": "sell", "quantity": 1, "stop_loss_pct": 0.05}, r"need a single 'buy' entry"),
    ({"symbol": "A", "action": "buy", "quantity": 1, "stop_loss_pct": 5}, r"stop_loss_pct 5 must be a fraction"),
    ({"action": "rebalance", "targets": {"A": 0.7, "B": 0.6}}, r"targets add up to 1.3 of equity"),
    ({"action": "rebalance", "targets": {"A": -0.1}}, r"weight 'A': -0.1 must be a fraction of equity in \[0, 1\]"),
])
def test_bad_order_dicts_name_the_value(order, message):
    with pytest.raises(OrderError, match=message):
        parse_order(order)


def test_returned_values_none_dict_list_with_none_items_and_nested_lists():
    one = {"symbol": "A", "action": "buy", "quantity": 1}
    assert parse_orders(None, "on_bar_close") == []
    assert len(parse_orders(one, "on_bar_close")) == 1
    assert len(parse_orders([one, None, [one, (one,)]], "on_bar_close")) == 3
    with pytest.raises(OrderError, match=r"on_bar_close\(\) returned 42 \(int\); return an order dict"):
        parse_orders(42, "on_bar_close")
    assert isinstance(parse_orders({"action": "rebalance", "targets": {"A": 1}}, "x")[0], RebalanceSpec)


# --- sizing: whole shares, rounded down --------------------------------------
def shares(raw, action="buy", **kw):
    return size(parse_quantity(raw, action), "AAA", book(**kw))[0]


def test_fixed_share_counts_round_down():
    assert shares(100) == 100
    assert shares(100.9) == 100


def test_dollar_amount_is_whole_shares_worth_at_most_that_at_the_close():
    assert shares("$5000") == 50  # 5000 / 100
    assert shares("$5000", prices={"AAA": 97.5}) == 51  # 5000 / 97.5 = 51.28


def test_percent_of_equity():
    assert shares("10%") == 100  # 10% of 100,000 = 10,000 / 100
    assert shares("15%", equity=101_478.5, prices={"AAA": 103.0}) == 147  # 15,221.775 / 103 = 147.78


def test_position_percent_and_all_use_shares_held():
    assert shares("50%:position", "sell", held={"AAA": 101.0}) == 50  # 50.5 -> 50
    assert shares("all", "sell", held={"AAA": 37.0}) == 37
    assert shares("all", "sell") == 0  # nothing held: 0 shares, the engine denies the order


def test_max_spends_buying_power_with_slippage_and_commission():
    # one share costs 100 x 1.0002 + 0.005 = 100.025; 100,000 / 100.025 = 999.75 -> 999
    assert shares("max") == 999
    assert 999 * (100 * (1 + SLIPPAGE) + COMMISSION) <= 100_000 < 1000 * (100 * (1 + SLIPPAGE) + COMMISSION)


def test_half_spends_half_the_buying_power():
    assert shares("half") == 499  # 50,000 / 100.025 = 499.875
    assert shares("max", buying_power=30_000.0) == 299  # pending buys reserve cash: 30,000 / 100.025 = 299.93


def test_float_noise_does_not_lose_a_share():
    # 0.3 / 0.1 is 2.9999999999999996 in floats: three shares, not two
    assert shares("$0.3", prices={"AAA": 0.1}) == 3


def test_a_symbol_without_a_price_is_left_to_the_engine():
    assert size(parse_quantity("$5000"), "ZZZ", book()) == (None, "'$5000' (no price for ZZZ)")


def test_book_counts_earlier_orders_of_the_same_batch():
    b = book()
    n, _ = size(parse_quantity("max"), "AAA", b)
    b.book("AAA", "buy", n, 100.0)
    assert size(parse_quantity("max"), "AAA", b)[0] == 0  # 100,000 - 999 x 100.025 = 75.025 left
    assert size(parse_quantity("all", "sell"), "AAA", b)[0] == 999


def test_to_signal_carries_type_prices_and_names():
    spec = OrderSpec("AAA", "sell", Quantity("shares", 5.0, "5"), order_type="STOP", stop_price=95.019,
                     time_in_force="GTC", oco_group="b1", order_id="b1-stop")
    sig = to_signal(spec, 5, "why")
    assert (sig.side, sig.order_type, float(sig.stop_price), float(sig.quantity)) == (OrderSide.SELL, OrderType.STOP,
                                                                                      95.019, 5.0)
    assert (sig.time_in_force, sig.oco_group, sig.order_id, sig.reason) == ("GTC", "b1", "b1-stop", "why")
