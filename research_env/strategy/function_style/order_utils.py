"""The reference's order helpers (``from core.order_utils import buy, sell, ...``).

Each helper only builds and checks an order dict; nothing is sized or sent
until the strategy function returns it. So ``buy('AAPL', '$5000')`` is the
same as returning ``{'symbol': 'AAPL', 'action': 'buy', 'quantity': '$5000'}``,
and a malformed call raises ``OrderError`` on the line that made it. In a
function-style strategy file these names are available without an import.
Exact semantics (sizing, timing, brackets): ``docs/function_style.md``.
"""

from __future__ import annotations

from .errors import OrderError
from .orders import parse_order

__all__ = [
    "bracket_order",
    "buy",
    "buy_limit",
    "dollar_cost_average",
    "rebalance_portfolio",
    "scale_in",
    "scale_out",
    "sell",
    "sell_all",
    "sell_limit",
    "sell_stop",
]


def _order(symbol, action: str, quantity, **options) -> dict:
    order = {"symbol": symbol, "action": action, "quantity": quantity}
    order.update({key: value for key, value in options.items() if value is not None})
    parse_order(order)
    return order


def buy(symbol: str, quantity, **options) -> dict:
    """Market buy at the next bar's open; ``options`` are further order keys (``reason``, ``order_id`` ...)."""
    return _order(symbol, "buy", quantity, **options)


def sell(symbol: str, quantity, **options) -> dict:
    """Market sell at the next bar's open (never more than held unless shorting is allowed)."""
    return _order(symbol, "sell", quantity, **options)


def sell_all(symbol: str, **options) -> dict:
    """Sell every share held: ``sell(symbol, 'all')``."""
    return _order(symbol, "sell", "all", **options)


def buy_limit(symbol: str, quantity, limit_price: float, time_in_force: str = "BAR", **options) -> dict:
    """Limit buy: fills at min(open, limit) on the next bar whose low reaches the limit.

    ``time_in_force='BAR'`` (default) tries the next bar only; ``'GTC'`` keeps
    trying until it fills or the strategy cancels it.
    """
    return _order(symbol, "buy", quantity, limit_price=limit_price, time_in_force=time_in_force, **options)


def sell_limit(symbol: str, quantity, limit_price: float, time_in_force: str = "BAR", **options) -> dict:
    """Limit sell: fills at max(open, limit) on the next bar whose high reaches the limit."""
    return _order(symbol, "sell", quantity, limit_price=limit_price, time_in_force=time_in_force, **options)


def sell_stop(symbol: str, quantity, stop_price: float, time_in_force: str = "BAR", **options) -> dict:
    """Stop sell: when a bar's low reaches the stop, fills at min(open, stop) less slippage."""
    return _order(symbol, "sell", quantity, stop_price=stop_price, time_in_force=time_in_force, **options)


def scale_in(symbol: str, quantity, num_orders: int = 3, every_bars: int = 1, **options) -> dict:
    """Buy ``quantity`` in ``num_orders`` market orders, the first now and one every ``every_bars`` bars.

    A dollar amount is split into equal dollar parts, each sized at its own
    bar; any other quantity is sized once, now, and split into whole-share
    parts (the remainder goes to the earliest parts: 100 in 3 -> 34, 33, 33).
    """
    return _order(symbol, "buy", quantity, num_orders=num_orders, every_bars=every_bars, **options)


def scale_out(symbol: str, num_orders: int = 4, every_bars: int = 1, quantity="all", **options) -> dict:
    """Sell ``quantity`` (default the whole position, sized now) in ``num_orders`` parts, one every ``every_bars``."""
    return _order(symbol, "sell", quantity, num_orders=num_orders, every_bars=every_bars, **options)


def bracket_order(symbol: str, quantity, stop_loss_pct: float | None = None, take_profit_pct: float | None = None,
                  limit_price: float | None = None, **options) -> dict:
    """Buy now; once the entry fills, place a GTC stop-loss and a GTC take-profit that cancel each other.

    The exits sell the filled quantity at ``fill x (1 - stop_loss_pct)``
    (stop) and ``fill x (1 + take_profit_pct)`` (limit), from the bar after the
    fill. If the entry does not fill (denied, expired, cancelled) no exit is
    ever placed and the strategy log says so. ``limit_price`` makes the entry a
    one-bar limit order.
    """
    if stop_loss_pct is None and take_profit_pct is None:
        raise OrderError(f"bracket_order({symbol!r}, ...) needs stop_loss_pct and/or take_profit_pct; "
                         "without them it is a plain buy()")
    return _order(symbol, "buy", quantity, stop_loss_pct=stop_loss_pct, take_profit_pct=take_profit_pct,
                  limit_price=limit_price, **options)


def rebalance_portfolio(targets: dict, min_trade_amount: float = 0.0) -> dict:
    """Trade each symbol of ``targets`` toward ``weight x equity`` (whole shares, sells before buys).

    Symbols not in ``targets`` are left alone (give a weight of 0 to exit one).
    A symbol whose trade would be worth less than ``min_trade_amount`` dollars
    at the close is skipped.
    """
    order = {"action": "rebalance", "targets": dict(targets) if isinstance(targets, dict) else targets,
             "min_trade_amount": min_trade_amount}
    parse_order(order)
    return order


def dollar_cost_average(symbol: str, amount, num_periods: int, period_days: int, **options) -> dict:
    """Buy ``amount`` dollars in ``num_periods`` equal dollar parts, one every ``period_days`` calendar days.

    ``amount`` is ``'$5000'`` or a plain number of dollars. Part 1 is bought
    now; part k at the first bar on or after ``today + (k - 1) x period_days``.
    Each part is sized at its own bar: ``floor(amount / num_periods / close)``.
    """
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        amount = f"${amount}"
    if not (isinstance(amount, str) and amount.strip().startswith("$")):
        raise OrderError(f"dollar_cost_average amount {amount!r} must be dollars: '$5000' or 5000")
    return _order(symbol, "buy", amount, num_orders=num_periods, every_days=period_days, **options)
