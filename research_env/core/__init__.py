"""Domain types of research-env; the seed's ``core`` package is an alias of this one."""

from .enums import OrderSide, OrderStatus, OrderType
from .models import Bar, Fill, Order, Signal, Tick, Trade

__all__ = [
    "Bar",
    "Fill",
    "Order",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "Signal",
    "Tick",
    "Trade",
]
