"""The risk engine: each rule of the guide's table is a check that passes or returns a denial.

Checks never raise. ``check_order`` runs them in a fixed order and returns the
first failing ``(rule, reason)``; the engine records it as an ``OrderDenied``.
Rules that guard exposure (weights, cash, daily loss, drawdown halt) only apply
to the part of an order that opens or enlarges a position: closing is always
allowed, so a halted strategy can still get flat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from ..core.enums import OrderSide, OrderType
from .config import RiskConfig
from .events import RiskRule

__all__ = ["AccountView", "OrderRequest", "check_order", "check_price_deviation"]

_NEW_YORK = ZoneInfo("America/New_York")
_EPS = 1e-9


@dataclass(slots=True)
class OrderRequest:
    """A sized order the strategy wants, valued at the signal bar's close (``price``)."""

    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: float
    price: float
    timestamp: datetime
    oco_group: str | None = None


@dataclass(slots=True)
class AccountView:
    """The portfolio as the risk engine sees it at the signal bar (pending orders included)."""

    equity: float
    free_cash: float
    position: float
    symbol_exposure: float
    total_exposure: float
    drawdown: float
    day_return: float
    halted: bool


def opening_quantity(side: OrderSide, quantity: float, position: float) -> float:
    """The part of an order that opens or enlarges a position (the rest closes one)."""
    if side is OrderSide.BUY:
        return quantity - min(quantity, max(-position, 0.0))
    return quantity - min(quantity, max(position, 0.0))


def check_order(
    req: OrderRequest,
    acct: AccountView,
    cfg: RiskConfig,
    *,
    last_seen: dict[tuple, tuple[datetime, str | None]],
    unit_cost: float,
) -> tuple[RiskRule, str] | None:
    """Run every rule; ``unit_cost`` is the cash one share of a BUY costs with slippage and commission."""
    opening = opening_quantity(req.side, req.quantity, acct.position)
    value = opening * req.price
    for rule in (_trading_hours, _drawdown_halt, _daily_loss, _short, _duplicate, _order_value):
        denial = rule(req, acct, cfg, opening, last_seen)
        if denial:
            return denial
    if opening <= 0:
        return None
    if req.side is OrderSide.BUY:
        cost = opening * unit_cost
        if not cfg.allow_margin and cost > acct.free_cash * (1 + _EPS):
            return RiskRule.ALLOW_MARGIN, (
                f"order needs ${cost:,.2f} but only ${acct.free_cash:,.2f} cash is free (margin is off)"
            )
        if cfg.min_cash_ratio is not None:
            ratio = (acct.free_cash - cost) / acct.equity
            if ratio < cfg.min_cash_ratio - _EPS:
                return RiskRule.MIN_CASH_RATIO, (
                    f"cash would fall to {ratio:.1%} of equity, below the {cfg.min_cash_ratio:.0%} minimum"
                )
    if cfg.max_symbol_weight is not None:
        weight = (acct.symbol_exposure + value) / acct.equity
        if weight > cfg.max_symbol_weight + _EPS:
            return RiskRule.MAX_SYMBOL_WEIGHT, (
                f"{req.symbol} would be {weight:.1%} of equity, above the {cfg.max_symbol_weight:.0%} limit"
            )
    if cfg.max_total_weight is not None:
        weight = (acct.total_exposure + value) / acct.equity
        if weight > cfg.max_total_weight + _EPS:
            return RiskRule.MAX_TOTAL_WEIGHT, (
                f"invested total would be {weight:.1%} of equity, above the {cfg.max_total_weight:.0%} limit"
            )
    return None


def check_price_deviation(reference: float, fill_price: float, cfg: RiskConfig) -> str | None:
    """At fill time: a market order is rejected when the price moved too far since the signal."""
    if cfg.max_price_deviation is None:
        return None
    moved = abs(fill_price - reference) / reference
    if moved > cfg.max_price_deviation + _EPS:
        return (
            f"price moved {moved:.2%} from the signal price {reference:.4f} to {fill_price:.4f}, "
            f"beyond the {cfg.max_price_deviation:.0%} limit"
        )
    return None


def _trading_hours(req, acct, cfg, opening, last_seen):
    if not cfg.trading_hours:
        return None
    local = req.timestamp.astimezone(_NEW_YORK).time()
    if not time(9, 30) <= local <= time(16, 0):
        return RiskRule.TRADING_HOURS, f"{local:%H:%M} New York is outside market hours 09:30-16:00"
    return None


def _drawdown_halt(req, acct, cfg, opening, last_seen):
    if acct.halted and opening > 0:
        return RiskRule.MAX_DRAWDOWN, (
            f"strategy halted: drawdown exceeded the {cfg.max_drawdown:.0%} limit; only closing orders are accepted"
        )
    return None


def _daily_loss(req, acct, cfg, opening, last_seen):
    if cfg.max_daily_loss is None or opening <= 0:
        return None
    if acct.day_return <= -cfg.max_daily_loss + _EPS:
        return RiskRule.MAX_DAILY_LOSS, (
            f"today's loss of {-acct.day_return:.2%} reached the {cfg.max_daily_loss:.0%} daily limit "
            "(opening orders resume next session)"
        )
    return None


def _short(req, acct, cfg, opening, last_seen):
    if cfg.allow_short or req.side is OrderSide.BUY or opening <= 0:
        return None
    held = max(acct.position, 0.0)
    return RiskRule.ALLOW_SHORT, (
        f"selling {req.quantity:g} {req.symbol} but only {held:g} held; short selling is off"
    )


def _duplicate(req, acct, cfg, opening, last_seen):
    if cfg.duplicate_window_seconds is None:
        return None
    seen = last_seen.get((req.symbol, req.side, req.quantity))
    if seen is None:
        return None
    previous, group = seen
    if req.oco_group is not None and group == req.oco_group:
        return None  # the legs of one OCO group (stop-loss and take-profit) are alternatives, not repeats
    age = (req.timestamp - previous).total_seconds()
    if age < cfg.duplicate_window_seconds:
        return RiskRule.DUPLICATE_ORDER, (
            f"the same {req.side} {req.quantity:g} {req.symbol} was sent {age:g}s ago; "
            f"repeats within {cfg.duplicate_window_seconds:g}s are blocked"
        )
    return None


def _order_value(req, acct, cfg, opening, last_seen):
    if cfg.max_order_value is None or opening <= 0:
        return None
    value = opening * req.price
    if value > cfg.max_order_value * (1 + _EPS):
        return RiskRule.MAX_ORDER_VALUE, (
            f"order value ${value:,.2f} ({opening:g} x {req.price:.2f}) exceeds the "
            f"${cfg.max_order_value:,.0f} single-order limit"
        )
    return None
