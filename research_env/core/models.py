"""Domain records of the strategy guide: ``Bar``, ``Tick``, ``Signal``, plus the
engine's ``Order``, ``Fill`` and ``Trade``.

``Bar``, ``Tick`` and ``Signal`` carry ``Decimal`` prices exactly as the guide
prints them; the engine works in floats and converts at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .enums import OrderSide, OrderStatus, OrderType

__all__ = ["Bar", "Fill", "Order", "Signal", "Tick", "Trade"]


class _DecimalField:
    """A ``Decimal`` attribute that may be stored as a float and converted on first read."""

    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = getattr(obj, self.slot)
        if type(value) is float:
            value = Decimal(str(value))
            setattr(obj, self.slot, value)
        return value

    def __set__(self, obj, value):
        setattr(obj, self.slot, value)


class Bar:
    """One K-line. ``timestamp`` is the bar's close time in UTC; prices and volume are ``Decimal``.

    The engine creates bars from floats; each field becomes a ``Decimal`` when first read.
    """

    __slots__ = ("symbol", "timeframe", "timestamp", "_open", "_high", "_low", "_close", "_volume", "source")
    _FIELDS = ("symbol", "timeframe", "timestamp", "open", "high", "low", "close", "volume", "source")

    open = _DecimalField()
    high = _DecimalField()
    low = _DecimalField()
    close = _DecimalField()
    volume = _DecimalField()

    def __init__(self, symbol: str, timeframe: str, timestamp: datetime, open: Decimal, high: Decimal,  # noqa: A002
                 low: Decimal, close: Decimal, volume: Decimal, source: str = "polygon"):
        self.symbol = symbol
        self.timeframe = timeframe
        self.timestamp = timestamp
        self._open, self._high, self._low, self._close, self._volume = open, high, low, close, volume
        self.source = source

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"Bar({fields})"

    def __eq__(self, other) -> bool:
        if not isinstance(other, Bar):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._FIELDS)

    __hash__ = None


@dataclass(slots=True)
class Tick:
    """One trade print (live trading only)."""

    symbol: str
    timestamp: datetime
    price: Decimal
    size: Decimal | None = None
    exchange: str | None = None
    source: str = "polygon"


@dataclass(slots=True)
class Signal:
    """What a strategy returns from ``on_bar``: an intention to trade.

    ``quantity=None`` lets the engine size the order (``position_size_ratio``
    of equity for a BUY, the whole position for a SELL). ``limit_price`` is
    required for LIMIT and STOP_LIMIT orders, ``stop_price`` for STOP and
    STOP_LIMIT orders.

    Beyond the guide: ``time_in_force`` is ``"BAR"`` (the order lives for the
    next bar only, the guide's rule) or ``"GTC"`` (it waits until it fills or is
    cancelled); orders sharing an ``oco_group`` cancel each other when one
    fills; ``order_id`` names the order (else the engine numbers it).
    """

    symbol: str
    side: OrderSide
    strength: float
    order_type: OrderType = OrderType.MARKET
    limit_price: Decimal | None = None
    quantity: Decimal | None = None
    reason: str = ""
    timestamp: datetime | None = None
    stop_price: Decimal | None = None
    time_in_force: str = "BAR"
    oco_group: str | None = None
    order_id: str | None = None


@dataclass(slots=True)
class Order:
    """A signal accepted by the risk engine, waiting for the next bar."""

    order_id: str
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: float
    submitted_at: datetime
    reference_price: float
    limit_price: float | None = None
    stop_price: float | None = None
    reason: str = ""
    status: OrderStatus = OrderStatus.SUBMITTED
    time_in_force: str = "BAR"
    oco_group: str | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """An executed order: ``price`` includes slippage, ``commission`` is in dollars."""

    order_id: str
    symbol: str
    side: OrderSide
    quantity: float
    price: float
    commission: float
    timestamp: datetime
    reason: str = ""


@dataclass(slots=True)
class Trade:
    """A round trip: from a flat position in ``symbol`` back to flat.

    ``pnl`` is net of every commission paid inside the round trip.
    """

    symbol: str
    side: OrderSide
    quantity: float
    entry_time: datetime
    entry_price: float
    exit_time: datetime | None = None
    exit_price: float | None = None
    pnl: float | None = None
    return_pct: float | None = None
    commission: float = 0.0
    fills: list[Fill] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """True while the position has not returned to flat."""
        return self.exit_time is None
