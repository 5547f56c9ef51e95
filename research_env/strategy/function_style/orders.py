"""Order dictionaries: checking what a strategy function returned and sizing it to whole shares.

A function returns ``None``, one order dict, or a list of them (``None`` items
skipped, nested lists flattened). ``parse_orders`` turns that into ``OrderSpec``
/ ``RebalanceSpec`` records or raises ``OrderError`` naming the bad value;
``size`` turns a quantity into whole shares against a ``Book`` (the portfolio
at the signal bar's close). The exact semantics are in ``docs/function_style.md``.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from ...core.enums import OrderSide, OrderType
from ...core.models import Signal
from .errors import OrderError

__all__ = [
    "ORDER_KEYS",
    "Book",
    "OrderSpec",
    "Quantity",
    "RebalanceSpec",
    "parse_order",
    "parse_orders",
    "parse_quantity",
    "size",
    "to_signal",
]

#: Keys an order dict may hold.
ORDER_KEYS = (
    "symbol", "action", "quantity", "order_type", "limit_price", "stop_price", "time_in_force", "oco_group",
    "order_id", "reason", "num_orders", "every_bars", "every_days", "stop_loss_pct", "take_profit_pct",
)
_REBALANCE_KEYS = ("action", "targets", "min_trade_amount", "reason")
_SYNONYMS = {"qty": "quantity", "shares": "quantity", "size": "quantity", "side": "action", "ticker": "symbol",
             "type": "order_type", "price": "limit_price", "limit": "limit_price", "stop": "stop_price",
             "tif": "time_in_force"}
_ORDER_TYPES = {"market": "MARKET", "limit": "LIMIT", "stop": "STOP", "stop_limit": "STOP_LIMIT"}
_NUMBER = r"(\d[\d,]*(?:\.\d*)?|\.\d+)"
_DOLLARS = re.compile(rf"^\$\s*{_NUMBER}$")
_PERCENT = re.compile(rf"^{_NUMBER}\s*%$")
_POSITION_PERCENT = re.compile(rf"^{_NUMBER}\s*%\s*:\s*position$")
_SHARES = re.compile(rf"^{_NUMBER}$")
_WORDS = ("all", "max", "half")
_TOLERANCE = 1e-9  # float noise: 99.9999999999 shares is 100 shares


@dataclass(frozen=True, slots=True)
class Quantity:
    """A parsed quantity: ``kind`` is shares, all, dollars, percent, position_percent, max or half."""

    kind: str
    value: float | None
    text: str


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """One checked order dict (prices as floats, enums as upper-case names)."""

    symbol: str
    action: str
    quantity: Quantity
    order_type: str = "MARKET"
    limit_price: float | None = None
    stop_price: float | None = None
    time_in_force: str = "BAR"
    oco_group: str | None = None
    order_id: str | None = None
    reason: str = ""
    num_orders: int = 1
    every_bars: int | None = None
    every_days: int | None = None
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None

    @property
    def is_bracket(self) -> bool:
        """True when the order carries a stop-loss or take-profit to place once it fills."""
        return self.stop_loss_pct is not None or self.take_profit_pct is not None


@dataclass(frozen=True, slots=True)
class RebalanceSpec:
    """``{'action': 'rebalance', 'targets': {...}, 'min_trade_amount': x}``, checked."""

    targets: tuple[tuple[str, float], ...]
    min_trade_amount: float = 0.0
    reason: str = ""


# --- parsing ---------------------------------------------------------------
def parse_orders(value, where: str) -> list[OrderSpec | RebalanceSpec]:
    """What a lifecycle function returned, as checked specs; ``where`` names the function for messages."""
    if value is None:
        return []
    if isinstance(value, dict):
        return [parse_order(value)]
    if isinstance(value, list | tuple):
        specs: list[OrderSpec | RebalanceSpec] = []
        for item in value:
            if item is not None:
                specs += parse_orders(item, where)
        return specs
    raise OrderError(
        f"{where}() returned {_show(value)} ({type(value).__name__}); return an order dict such as "
        "{'symbol': 'AAPL', 'action': 'buy', 'quantity': 100}, a list of them, or None"
    )


def parse_order(order: dict) -> OrderSpec | RebalanceSpec:
    """Check one order dict; raises ``OrderError`` naming the bad key or value and how to write it."""
    action = order.get("action")
    if isinstance(action, str) and action.strip().lower() == "rebalance":
        return _parse_rebalance(order)
    _check_keys(order, ORDER_KEYS)
    for key in ("symbol", "action", "quantity"):
        if key not in order:
            raise OrderError(f"order {_show(order)} has no {key!r}; every order needs 'symbol', 'action', 'quantity'")
    symbol = order["symbol"]
    if not isinstance(symbol, str) or not symbol.strip():
        raise OrderError(f"order {_show(order)}: 'symbol' must be a ticker string like 'AAPL', got {symbol!r}")
    if not isinstance(action, str) or action.strip().lower() not in ("buy", "sell"):
        raise OrderError(f"order {_show(order)}: unknown action {action!r}; use 'buy' or 'sell' (or 'rebalance')")
    action = action.strip().lower()
    quantity = parse_quantity(order["quantity"], action)
    limit_price = _price(order, "limit_price")
    stop_price = _price(order, "stop_price")
    order_type = _order_type(order, limit_price, stop_price)
    tif = str(order.get("time_in_force") or "BAR").strip().upper()
    if tif not in ("BAR", "GTC"):
        raise OrderError(f"order {_show(order)}: time_in_force {order['time_in_force']!r} is not 'BAR' or 'GTC'")
    num_orders = _whole(order, "num_orders", 1)
    every_bars = _whole(order, "every_bars", None)
    every_days = _whole(order, "every_days", None)
    if every_bars is not None and every_days is not None:
        raise OrderError(f"order {_show(order)}: give 'every_bars' or 'every_days', not both")
    if num_orders > 1 and every_bars is None and every_days is None:
        every_bars = 1
    stop_loss = _fraction(order, "stop_loss_pct", below_one=True)
    take_profit = _fraction(order, "take_profit_pct", below_one=False)
    if (stop_loss is not None or take_profit is not None) and (action != "buy" or num_orders > 1):
        raise OrderError(
            f"order {_show(order)}: stop_loss_pct/take_profit_pct (a bracket) need a single 'buy' entry"
        )
    return OrderSpec(
        symbol=symbol.strip().upper(), action=action, quantity=quantity, order_type=order_type,
        limit_price=limit_price, stop_price=stop_price, time_in_force=tif,
        oco_group=_text(order, "oco_group"), order_id=_text(order, "order_id"), reason=_text(order, "reason") or "",
        num_orders=num_orders, every_bars=every_bars, every_days=every_days,
        stop_loss_pct=stop_loss, take_profit_pct=take_profit,
    )


def parse_quantity(raw, action: str = "buy") -> Quantity:
    """``100``, ``'all'``, ``'$5000'``, ``'10%'``, ``'50%:position'``, ``'max'``, ``'half'`` (see the docs)."""
    if isinstance(raw, bool) or raw is None:
        raise OrderError(f"quantity {raw!r} is not a quantity; write e.g. 100, 'all', '$5000', '10%' or 'max'")
    if isinstance(raw, int | float | Decimal):
        value = float(raw)
        if math.isnan(value) or math.isinf(value):
            raise OrderError(f"quantity {raw!r} is not a finite number of shares")
        if value < 0:
            raise OrderError(f"negative quantity {raw!r}; quantities are share counts >= 0, use action 'sell' to sell")
        return Quantity("shares", value, repr(raw))
    if not isinstance(raw, str):
        raise OrderError(f"quantity {raw!r} ({type(raw).__name__}) is not a number of shares or a quantity string")
    text = raw.strip().lower()
    if "-" in text:
        raise OrderError(f"negative quantity {raw!r}; quantities are >= 0, use action 'sell' to sell")
    quantity = _quantity_string(text, raw)
    if quantity.kind == "all" and action == "buy":
        raise OrderError("quantity 'all' sells the whole position; to buy with all free cash use 'max'")
    if quantity.kind in ("max", "half") and action == "sell":
        raise OrderError(f"quantity {raw!r} spends cash, so it is for buying; to sell half a position use "
                         "'50%:position', to sell all of it 'all'")
    return quantity


def _quantity_string(text: str, raw: str) -> Quantity:
    if text in _WORDS:
        return Quantity(text, None, repr(raw))
    for pattern, kind in ((_DOLLARS, "dollars"), (_PERCENT, "percent"), (_POSITION_PERCENT, "position_percent"),
                          (_SHARES, "shares")):
        match = pattern.match(text)
        if match:
            return Quantity(kind, float(match.group(1).replace(",", "")), repr(raw))
    raise OrderError(
        f"unknown quantity {raw!r}; write a share count (100), 'all', '$5000', '10%', '50%:position', 'max' or 'half'"
    )


def _parse_rebalance(order: dict) -> RebalanceSpec:
    _check_keys(order, _REBALANCE_KEYS)
    targets = order.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise OrderError(f"rebalance {_show(order)}: 'targets' must be a dict like {{'AAPL': 0.4, 'MSFT': 0.6}}")
    checked = []
    for symbol, weight in targets.items():
        if not isinstance(symbol, str) or not symbol.strip():
            raise OrderError(f"rebalance target {symbol!r} is not a ticker string")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 1:
            raise OrderError(f"rebalance target weight {symbol!r}: {weight!r} must be a fraction of equity in [0, 1]")
        checked.append((symbol.strip().upper(), float(weight)))
    total = sum(w for _, w in checked)
    if total > 1 + _TOLERANCE:
        raise OrderError(f"rebalance targets add up to {total:.4g} of equity; they must add up to at most 1")
    minimum = order.get("min_trade_amount", 0) or 0
    if isinstance(minimum, bool) or not isinstance(minimum, int | float) or minimum < 0:
        raise OrderError(f"rebalance min_trade_amount {minimum!r} must be a dollar amount >= 0")
    return RebalanceSpec(tuple(checked), float(minimum), _text(order, "reason") or "")


def _check_keys(order: dict, known: tuple[str, ...]) -> None:
    for key in order:
        if key not in known:
            hint = [_SYNONYMS[key]] if _SYNONYMS.get(key) in known else difflib.get_close_matches(str(key), known, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise OrderError(f"order {_show(order)} has an unknown key {key!r}{suggestion} "
                             f"(order keys: {', '.join(known)})")


def _price(order: dict, key: str) -> float | None:
    raw = order.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal) or not float(raw) > 0:
        raise OrderError(f"order {_show(order)}: {key} {raw!r} must be a positive price")
    return float(raw)


def _order_type(order: dict, limit_price, stop_price) -> str:
    raw = order.get("order_type")
    if raw is None:
        if limit_price is not None:
            return "STOP_LIMIT" if stop_price is not None else "LIMIT"
        return "STOP" if stop_price is not None else "MARKET"
    kind = _ORDER_TYPES.get(str(raw).strip().lower())
    if kind is None:
        raise OrderError(f"order {_show(order)}: order_type {raw!r} is not one of {', '.join(_ORDER_TYPES)}")
    if kind in ("LIMIT", "STOP_LIMIT") and limit_price is None:
        raise OrderError(f"order {_show(order)}: a {raw!r} order needs 'limit_price'")
    if kind in ("STOP", "STOP_LIMIT") and stop_price is None:
        raise OrderError(f"order {_show(order)}: a {raw!r} order needs 'stop_price'")
    return kind


def _whole(order: dict, key: str, default):
    raw = order.get(key)
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise OrderError(f"order {_show(order)}: {key} {raw!r} must be a whole number >= 1")
    return raw


def _fraction(order: dict, key: str, below_one: bool) -> float | None:
    raw = order.get(key)
    if raw is None:
        return None
    ok = not isinstance(raw, bool) and isinstance(raw, int | float) and raw > 0 and (raw < 1 or not below_one)
    if not ok:
        limit = "between 0 and 1" if below_one else "above 0"
        raise OrderError(f"order {_show(order)}: {key} {raw!r} must be a fraction {limit} (0.05 is 5%)")
    return float(raw)


def _text(order: dict, key: str) -> str | None:
    raw = order.get(key)
    return None if raw is None else str(raw)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- sizing ----------------------------------------------------------------
class Book:
    """The portfolio as sizing sees it at the signal bar's close; each sized order of a batch updates it.

    ``buying_power``: cash minus the cost of pending buys (signal close x
    (1 + slippage) + commission per share), the same free cash the engine's
    ``allow_margin`` rule checks. ``held``: shares per symbol, plus the buys and
    minus the sells sized earlier in the same batch.
    """

    __slots__ = ("equity", "buying_power", "slippage", "commission", "_prices", "_positions", "_held")

    def __init__(self, equity: float, buying_power: float, slippage: float, commission: float, prices, positions):
        self.equity = equity
        self.buying_power = buying_power
        self.slippage = slippage
        self.commission = commission
        self._prices = prices
        self._positions = positions
        self._held: dict[str, float] = {}

    def price(self, symbol: str) -> float | None:
        """Latest close of ``symbol`` (None before its first bar or when the backtest does not have it)."""
        return self._prices(symbol)

    def held(self, symbol: str) -> float:
        """Shares held, counting the orders of this batch sized so far."""
        held = self._held.get(symbol)
        return self._positions(symbol) if held is None else held

    def unit_cost(self, price: float) -> float:
        """Cash one bought share takes: close x (1 + slippage) + commission."""
        return price * (1 + self.slippage) + self.commission

    def book(self, symbol: str, action: str, shares: int, price: float | None) -> None:
        """Record a sized order of the batch."""
        signed = shares if action == "buy" else -shares
        self._held[symbol] = self.held(symbol) + signed
        if action == "buy" and price is not None:
            self.buying_power -= shares * self.unit_cost(price)


def size(quantity: Quantity, symbol: str, book: Book) -> tuple[int | None, str]:
    """Whole shares for ``quantity`` (rounded down) and how they were worked out.

    ``None`` when the symbol has no price (not in the backtest, or no bar yet):
    the engine then denies the order with the reason.
    """
    kind, value = quantity.kind, quantity.value
    if kind == "shares":
        return _floor(value), f"{value:g} shares"
    if kind in ("all", "position_percent"):
        held = max(book.held(symbol), 0.0)
        if kind == "all":
            return _floor(held), f"all {held:g} shares held"
        return _floor(held * value / 100), f"{value:g}% of {held:g} shares held"
    price = book.price(symbol)
    if price is None:
        return None, f"{quantity.text} (no price for {symbol})"
    if kind == "dollars":
        return _floor(value / price), f"${value:,.2f} / close {price:g}"
    if kind == "percent":
        budget = book.equity * value / 100
        return _floor(budget / price), f"{value:g}% of equity ${book.equity:,.2f} = ${budget:,.2f} / close {price:g}"
    budget = max(book.buying_power, 0.0) / (2 if kind == "half" else 1)
    unit = book.unit_cost(price)
    label = "half of" if kind == "half" else "all"
    return _floor(budget / unit), f"{label} buying power ${budget:,.2f} / ${unit:,.4f} per share with costs"


def _floor(x: float) -> int:
    return int(math.floor(x + _TOLERANCE))


def to_signal(spec: OrderSpec, shares: int | None, reason: str, *, order_type: str | None = None,
              limit_price: float | None = None, stop_price: float | None = None, time_in_force: str | None = None,
              oco_group: str | None = None, order_id: str | None = None) -> Signal:
    """The engine ``Signal`` for a sized order; keyword arguments override the spec's fields."""
    kind = order_type or spec.order_type
    limit = limit_price if limit_price is not None else spec.limit_price
    stop = stop_price if stop_price is not None else spec.stop_price
    return Signal(
        symbol=spec.symbol,
        side=OrderSide.BUY if spec.action == "buy" else OrderSide.SELL,
        strength=1.0,
        order_type=OrderType[kind],
        limit_price=Decimal(repr(limit)) if limit is not None else None,
        quantity=Decimal(shares) if shares is not None else None,
        reason=reason,
        stop_price=Decimal(repr(stop)) if stop is not None else None,
        time_in_force=time_in_force or spec.time_in_force,
        oco_group=oco_group if oco_group is not None else spec.oco_group,
        order_id=order_id if order_id is not None else spec.order_id,
    )
