"""The order lifecycle, in one place: the past-tense events of an order and the rules that can deny one.

An order is ``OrderSubmitted`` and then exactly one of ``OrderFilled``,
``OrderCancelled``, ``OrderExpired`` or ``OrderDenied`` (a signal the risk
engine refuses before it becomes an order is ``OrderDenied`` at once). Each
event names the ``OrderStatus`` it leaves the order in; the bar loop applies
events through one method, which sets the status and tells the strategy
(``on_order``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from ..core.enums import OrderSide, OrderStatus, OrderType

__all__ = ["OrderCancelled", "OrderDenied", "OrderExpired", "OrderFilled", "OrderSubmitted", "RiskRule"]


class RiskRule(StrEnum):
    """Names of the checks that can deny a signal (the guide's risk table plus signal validity)."""

    INVALID_SIGNAL = "invalid_signal"
    POSITION_SIZE = "position_size"
    TRADING_HOURS = "trading_hours"
    MAX_DRAWDOWN = "max_drawdown"
    MAX_DAILY_LOSS = "max_daily_loss"
    ALLOW_SHORT = "allow_short"
    DUPLICATE_ORDER = "duplicate_order"
    MAX_ORDER_VALUE = "max_order_value"
    ALLOW_MARGIN = "allow_margin"
    MIN_CASH_RATIO = "min_cash_ratio"
    MAX_SYMBOL_WEIGHT = "max_symbol_weight"
    MAX_TOTAL_WEIGHT = "max_total_weight"
    MAX_PRICE_DEVIATION = "max_price_deviation"


@dataclass(frozen=True, slots=True)
class OrderSubmitted:
    """The order passed the risk rules and waits for a bar."""

    status: ClassVar[OrderStatus] = OrderStatus.SUBMITTED
    order_id: str
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """The order filled (its ``Fill`` is in the result)."""

    status: ClassVar[OrderStatus] = OrderStatus.FILLED
    order_id: str
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    """The strategy cancelled the order, an OCO sibling filled, or the data ended first."""

    status: ClassVar[OrderStatus] = OrderStatus.CANCELLED
    order_id: str
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class OrderExpired:
    """A one-bar (``time_in_force="BAR"``) limit or stop order whose price the next bar did not reach."""

    status: ClassVar[OrderStatus] = OrderStatus.EXPIRED
    order_id: str
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class OrderDenied:
    """A signal or order the risk engine refused; ``reason`` says which limit and by how much."""

    status: ClassVar[OrderStatus] = OrderStatus.DENIED
    timestamp: datetime
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: float | None
    rule: RiskRule
    reason: str
    signal_reason: str = ""
    order_id: str | None = None

    def to_dict(self) -> dict:
        """JSON-friendly record."""
        d = asdict(self)
        d.update(timestamp=self.timestamp.isoformat(), side=str(self.side), order_type=str(self.order_type),
                 rule=str(self.rule))
        return d
