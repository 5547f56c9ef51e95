"""Enumerations shared by every layer: order side, order type, order status."""

from enum import Enum

__all__ = ["OrderSide", "OrderStatus", "OrderType"]


class _StrEnum(str, Enum):
    """A string enum whose ``str()`` is its value (``str(OrderSide.BUY) == "BUY"``)."""

    def __str__(self) -> str:
        return self.value


class OrderSide(_StrEnum):
    """Direction of a signal, order or fill."""

    BUY = "BUY"
    SELL = "SELL"


class OrderType(_StrEnum):
    """How an order is matched against the next bar (see ``docs/matching.md``)."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_LIMIT = "STOP_LIMIT"


class OrderStatus(_StrEnum):
    """The order lifecycle: SUBMITTED, then exactly one of the final states."""

    SUBMITTED = "SUBMITTED"
    FILLED = "FILLED"
    DENIED = "DENIED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
