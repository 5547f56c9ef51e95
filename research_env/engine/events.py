"""What happened to a signal: ``OrderDenied`` (with the rule and a readable reason)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum

from ..core.enums import OrderSide, OrderType

__all__ = ["OrderDenied", "RiskRule"]


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
class OrderDenied:
    """A signal the risk engine refused; ``reason`` says which limit and by how much."""

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
