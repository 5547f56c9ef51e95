"""The risk engine: one table of rules, shared by the bar loop and the sweep kernels.

``RISK_RULES`` lists every way a signal or order can be denied, in the order
the checks run: the rule, the setting it reads, how a measured value breaches
its limit (``breaches``, the one comparison the engine and the numba kernels
both use) and the message template (``denial_message``, the one wording of
every denial). A rule's position in the table is its code in the kernels.

Checks never raise. ``check_order`` runs the order-time rules and returns the
first failing ``(rule, reason)``; the engine records it as an ``OrderDenied``.
Rules that guard exposure (weights, cash, daily loss, drawdown halt, order
value, price deviation) only apply to the part of an order that opens or
enlarges a position: closing is always allowed, so a halted strategy can
still get flat.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..core.enums import OrderSide, OrderType
from .config import BacktestConfig, RiskConfig
from .events import RiskRule

__all__ = [
    "ABOVE",
    "ABOVE_RELATIVE",
    "AT_OR_BELOW",
    "BELOW",
    "BOUNDARIES",
    "OUTSIDE_SESSION",
    "RISK_RULES",
    "RULE_CODES",
    "UNDER",
    "AccountView",
    "OrderRequest",
    "RuleSpec",
    "breaches",
    "check_order",
    "check_price_deviation",
    "denial_message",
    "opening_quantity",
    "rule_limit",
]

_NEW_YORK = ZoneInfo("America/New_York")
EPS = 1e-9
#: Regular session in seconds after midnight, New York: 09:30 and 16:00.
SESSION_OPEN, SESSION_CLOSE = 34_200.0, 57_600.0

# How a measured value breaches its limit (ints, so numba kernels fold them into constants).
ABOVE = 0  # value > limit + 1e-9
ABOVE_RELATIVE = 1  # value > limit * (1 + 1e-9)
BELOW = 2  # value < limit - 1e-9
AT_OR_BELOW = 3  # value <= limit + 1e-9
UNDER = 4  # value < limit, exactly
OUTSIDE_SESSION = 5  # seconds after midnight outside [09:30, 16:00]
FLAG = 6  # a yes/no condition: value != 0


def breaches(value: float, limit: float, boundary: int) -> bool:
    """Whether ``value`` breaches ``limit`` under ``boundary``: the one comparison of every rule.

    Plain arithmetic, so the sweep kernels compile this same function with numba.
    """
    if boundary == ABOVE:
        return value > limit + EPS
    if boundary == ABOVE_RELATIVE:
        return value > limit * (1 + EPS)
    if boundary == BELOW:
        return value < limit - EPS
    if boundary == AT_OR_BELOW:
        return value <= limit + EPS
    if boundary == UNDER:
        return value < limit
    if boundary == OUTSIDE_SESSION:
        return value < SESSION_OPEN or value > SESSION_CLOSE
    return value != 0


@dataclass(frozen=True)
class RuleSpec:
    """One row of the risk table.

    ``setting``: the ``RiskConfig`` field (``BacktestConfig`` for sizing) that
    switches the rule or gives its limit; ``boundary``: how ``breaches``
    compares; ``opening_only``: the rule never stops an order that only
    closes or reduces a position; ``message``: the template ``denial_message``
    fills; ``kernel``: how the vectorized sweep applies it (empty: exactly as
    the engine does).
    """

    rule: RiskRule
    setting: str | None
    boundary: int
    opening_only: bool
    message: str
    kernel: str = ""


RISK_RULES: tuple[RuleSpec, ...] = (
    RuleSpec(RiskRule.INVALID_SIGNAL, None, FLAG, False, "{detail}",
             kernel="not applicable: entries/exits become market orders for the sweep's own symbols"),
    RuleSpec(RiskRule.POSITION_SIZE, "position_size_ratio", FLAG, True,
             "auto-size: {limit:.0%} of equity (${value:,.2f}) buys no whole share at {price:.2f}; "
             "raise `position_size_ratio` or set `quantity`"),
    RuleSpec(RiskRule.TRADING_HOURS, "trading_hours", OUTSIDE_SESSION, False,
             "{clock} New York is outside market hours 09:30-16:00"),
    # halts for good once equity is under peak * (1 - limit); the halt then denies every opening order
    RuleSpec(RiskRule.MAX_DRAWDOWN, "max_drawdown", UNDER, True,
             "strategy halted: drawdown exceeded the {limit:.0%} limit; only closing orders are accepted"),
    RuleSpec(RiskRule.MAX_DAILY_LOSS, "max_daily_loss", AT_OR_BELOW, True,
             "today's loss of {loss:.2%} reached the {limit:.0%} daily limit (opening orders resume next session)"),
    RuleSpec(RiskRule.ALLOW_SHORT, "allow_short", FLAG, True,
             "selling {amount} {symbol} but only {other:g} held; short selling is off",
             kernel="not applicable: entries buy and exits only close the position, so no signal can open a short"),
    RuleSpec(RiskRule.DUPLICATE_ORDER, "duplicate_window_seconds", UNDER, False,
             "the same {side} {quantity:g} {symbol} was sent {value:g}s ago; repeats within {limit:g}s are blocked",
             kernel="keeps the last {slots} accepted orders per symbol and side, which is exact unless more fall "
                    "inside the window (a warning says so)"),
    RuleSpec(RiskRule.MAX_ORDER_VALUE, "max_order_value", ABOVE_RELATIVE, True,
             "order value ${value:,.2f} ({other:g} x {price:.2f}) exceeds the ${limit:,.0f} single-order limit"),
    RuleSpec(RiskRule.ALLOW_MARGIN, "allow_margin", ABOVE_RELATIVE, True,
             "order needs ${value:,.2f} but only ${other:,.2f} cash is free (margin is off)"),
    RuleSpec(RiskRule.MIN_CASH_RATIO, "min_cash_ratio", BELOW, True,
             "cash would fall to {value:.1%} of equity, below the {limit:.0%} minimum"),
    RuleSpec(RiskRule.MAX_SYMBOL_WEIGHT, "max_symbol_weight", ABOVE, True,
             "{symbol} would be {value:.1%} of equity, above the {limit:.0%} limit"),
    RuleSpec(RiskRule.MAX_TOTAL_WEIGHT, "max_total_weight", ABOVE, True,
             "invested total would be {value:.1%} of equity, above the {limit:.0%} limit"),
    RuleSpec(RiskRule.MAX_PRICE_DEVIATION, "max_price_deviation", ABOVE, True,
             "price moved {value:.2%} from the signal price {other:.4f} to {price:.4f}, beyond the {limit:.0%} limit"),
)
#: rule -> its code (position in ``RISK_RULES``), the number the kernels record
RULE_CODES: dict[RiskRule, int] = {spec.rule: code for code, spec in enumerate(RISK_RULES)}
#: boundary of each rule, by code (a tuple: numba reads it as a constant)
BOUNDARIES: tuple[int, ...] = tuple(spec.boundary for spec in RISK_RULES)


def rule_limit(rule: RiskRule, config: BacktestConfig) -> float | bool | None:
    """The setting ``rule`` reads from ``config`` (``None``: the rule is off)."""
    setting = RISK_RULES[RULE_CODES[rule]].setting
    if setting is None:
        return True
    if setting == "position_size_ratio":
        return config.position_size_ratio
    return getattr(config.resolved().risk, setting)


def denial_message(rule: RiskRule, *, value: float = math.nan, limit: float = math.nan, other: float = math.nan,
                   quantity: float | None = None, price: float = math.nan, symbol: str = "", side: str = "",
                   detail: str = "") -> str:
    """The reason a denial shows, from the rule's template and the measured values (engine and kernels alike)."""
    clock = ""
    if rule is RiskRule.TRADING_HOURS:
        seconds = int(value)
        clock = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    amount = f"{quantity:g}" if quantity is not None else "all (quantity=None)"
    return RISK_RULES[RULE_CODES[rule]].message.format(
        value=value, limit=limit, other=other, quantity=quantity if quantity is not None else math.nan,
        amount=amount, price=price, symbol=symbol, side=side, detail=detail, clock=clock, loss=-value,
    )


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
    """Run the order-time rules in table order; ``unit_cost`` is the cash one share of a BUY costs with slippage
    and commission. Returns the first ``(rule, reason)`` that denies, else ``None``."""
    opening = opening_quantity(req.side, req.quantity, acct.position)
    for measure in _ORDER_CHECKS:
        found = measure(req, acct, cfg, opening, last_seen, unit_cost)
        if found is not None:
            rule, value, limit, other = found
            return rule, denial_message(rule, value=value, limit=limit, other=other, quantity=req.quantity,
                                        price=req.price, symbol=req.symbol, side=str(req.side))
    return None


def check_price_deviation(reference: float, fill_price: float, opening: float, cfg: RiskConfig) -> str | None:
    """At fill time: a market order that opens a position is rejected when the price moved too far since the
    signal; one that only closes or reduces a position always fills."""
    if cfg.max_price_deviation is None or opening <= 0:
        return None
    moved = abs(fill_price - reference) / reference
    if breaches(moved, cfg.max_price_deviation, ABOVE):
        return denial_message(RiskRule.MAX_PRICE_DEVIATION, value=moved, limit=cfg.max_price_deviation,
                              other=reference, price=fill_price)
    return None


# --- the order-time rules, in table order: each returns (rule, value, limit, other) when it denies ------------


def _trading_hours(req, acct, cfg, opening, last_seen, unit_cost):
    if not cfg.trading_hours:
        return None
    local = req.timestamp.astimezone(_NEW_YORK)
    seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    if breaches(seconds, math.nan, OUTSIDE_SESSION):
        return RiskRule.TRADING_HOURS, seconds, math.nan, math.nan
    return None


def _drawdown_halt(req, acct, cfg, opening, last_seen, unit_cost):
    if acct.halted and opening > 0:
        return RiskRule.MAX_DRAWDOWN, acct.drawdown, cfg.max_drawdown, math.nan
    return None


def _daily_loss(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.max_daily_loss is None or opening <= 0:
        return None
    if breaches(acct.day_return, -cfg.max_daily_loss, AT_OR_BELOW):
        return RiskRule.MAX_DAILY_LOSS, acct.day_return, cfg.max_daily_loss, math.nan
    return None


def _short(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.allow_short or req.side is OrderSide.BUY or opening <= 0:
        return None
    return RiskRule.ALLOW_SHORT, opening, math.nan, max(acct.position, 0.0)


def _duplicate(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.duplicate_window_seconds is None:
        return None
    seen = last_seen.get((req.symbol, req.side, req.quantity))
    if seen is None:
        return None
    previous, group = seen
    if req.oco_group is not None and group == req.oco_group:
        return None  # the legs of one OCO group (stop-loss and take-profit) are alternatives, not repeats
    age = (req.timestamp - previous).total_seconds()
    if breaches(age, cfg.duplicate_window_seconds, UNDER):
        return RiskRule.DUPLICATE_ORDER, age, cfg.duplicate_window_seconds, math.nan
    return None


def _order_value(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.max_order_value is None or opening <= 0:
        return None
    value = opening * req.price
    if breaches(value, cfg.max_order_value, ABOVE_RELATIVE):
        return RiskRule.MAX_ORDER_VALUE, value, cfg.max_order_value, opening
    return None


def _margin(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.allow_margin or opening <= 0 or req.side is not OrderSide.BUY:
        return None
    cost = opening * unit_cost
    if breaches(cost, acct.free_cash, ABOVE_RELATIVE):
        return RiskRule.ALLOW_MARGIN, cost, acct.free_cash, acct.free_cash
    return None


def _cash_ratio(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.min_cash_ratio is None or opening <= 0 or req.side is not OrderSide.BUY:
        return None
    ratio = (acct.free_cash - opening * unit_cost) / acct.equity
    if breaches(ratio, cfg.min_cash_ratio, BELOW):
        return RiskRule.MIN_CASH_RATIO, ratio, cfg.min_cash_ratio, math.nan
    return None


def _symbol_weight(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.max_symbol_weight is None or opening <= 0:
        return None
    weight = (acct.symbol_exposure + opening * req.price) / acct.equity
    if breaches(weight, cfg.max_symbol_weight, ABOVE):
        return RiskRule.MAX_SYMBOL_WEIGHT, weight, cfg.max_symbol_weight, math.nan
    return None


def _total_weight(req, acct, cfg, opening, last_seen, unit_cost):
    if cfg.max_total_weight is None or opening <= 0:
        return None
    weight = (acct.total_exposure + opening * req.price) / acct.equity
    if breaches(weight, cfg.max_total_weight, ABOVE):
        return RiskRule.MAX_TOTAL_WEIGHT, weight, cfg.max_total_weight, math.nan
    return None


_ORDER_CHECKS = (_trading_hours, _drawdown_halt, _daily_loss, _short, _duplicate, _order_value, _margin,
                 _cash_ratio, _symbol_weight, _total_weight)
