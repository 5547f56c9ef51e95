"""Order matching against the bar after the signal (guide "Backtest Matching Rules").

Prices in and out are floats. Slippage is a fraction (2 bps = 0.0002) that
always moves the price against the trader; limit prices are never breached.

=========== ====================================================================
MARKET      fills at the next bar's open, plus slippage
LIMIT       buy fills when the next low <= limit, at min(open, limit); sell when
            the next high >= limit, at max(open, limit); no slippage
STOP        buy triggers when the next high >= stop, at max(open, stop) plus
            slippage; sell when the next low <= stop, at min(open, stop) less slippage
STOP_LIMIT  triggers like STOP at price T = max(open, stop) (buy) / min(open, stop)
            (sell), then fills only when T is within the limit, at T with
            slippage capped at the limit
=========== ====================================================================
"""

from __future__ import annotations

from ..core.enums import OrderSide, OrderType

__all__ = ["fill_price"]


def fill_price(
    side: OrderSide,
    order_type: OrderType,
    open_: float,
    high: float,
    low: float,
    slippage: float,
    limit: float | None = None,
    stop: float | None = None,
) -> float | None:
    """The price the order fills at on this bar, or ``None`` when it does not fill."""
    buy = side is OrderSide.BUY
    if order_type is OrderType.MARKET:
        return open_ * (1 + slippage) if buy else open_ * (1 - slippage)
    if order_type is OrderType.LIMIT:
        if buy:
            return min(open_, limit) if low <= limit else None
        return max(open_, limit) if high >= limit else None
    if buy:
        if high < stop:
            return None
        trigger = max(open_, stop)
        if order_type is OrderType.STOP:
            return trigger * (1 + slippage)
        return min(trigger * (1 + slippage), limit) if trigger <= limit else None
    if low > stop:
        return None
    trigger = min(open_, stop)
    if order_type is OrderType.STOP:
        return trigger * (1 - slippage)
    return max(trigger * (1 - slippage), limit) if trigger >= limit else None
