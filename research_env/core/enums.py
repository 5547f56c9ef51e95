"""Enumerations shared by every layer: order side, order type, order status."""

from enum import StrEnum

__all__ = ["OrderSide", "OrderStatus", "OrderType"]


class OrderSide(StrEnum):
    """Direction of a signal, order or fill; ``str(OrderSide.BUY) == "BUY"``."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """How an order is matched against the next bar (see ``docs/matching.md``)."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"


class OrderStatus(StrEnum):
    """The order lifecycle: SUBMITTED, then exactly one of the final states."""

    SUBMITTED = "SUBMITTED"
    FILLED = "FILLED"
    DENIED = "DENIED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
