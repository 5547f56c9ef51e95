"""Orders the adapter sends on a later bar: split orders' parts and bracket exits.

* **Parts** of an order with ``num_orders > 1`` (``scale_in``, ``scale_out``,
  ``dollar_cost_average``): part 1 goes out at once, part k is due ``(k - 1) x
  every_bars`` bars later, or on the first bar whose session date is at least
  ``(k - 1) x every_days`` calendar days later.
* **Brackets** (``bracket_order``): the entry goes out at once; when it fills
  the stop-loss and take-profit are due at the fill bar's close, as GTC orders
  of one OCO group (the engine does not count the second leg as a duplicate).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from .orders import OrderSpec, Quantity

__all__ = ["Bracket", "Due", "split"]


@dataclass(slots=True)
class Due:
    """An order spec waiting for its bar: a bar index, a session date or a time (whichever is set)."""

    spec: OrderSpec
    step: int | None = None
    day: date | None = None
    time: datetime | None = None
    bracket: Bracket | None = None

    def is_due(self, step: int, day: date, now: datetime) -> bool:
        """True once the run reached the bar this order waits for."""
        if self.step is not None:
            return step >= self.step
        if self.day is not None:
            return day >= self.day
        return now >= self.time


def split(spec: OrderSpec, shares: int | None, step: int, day: date) -> tuple[OrderSpec, list[Due]]:
    """Part 1 of a split order (to size and send now) and the later parts.

    A dollar quantity becomes ``num_orders`` equal dollar parts, each sized at
    its own bar. Otherwise ``shares`` (the whole quantity, sized now) becomes
    whole-share parts, the remainder going to the earliest: 10 in 4 -> 3, 3, 2, 2.
    Later parts of 0 shares are dropped.
    """
    n = spec.num_orders
    if spec.quantity.kind == "dollars":
        part = spec.quantity.value / n
        quantities = [Quantity("dollars", part, f"'${part:,.2f}' (part {i + 1} of {n})") for i in range(n)]
    else:
        total = shares or 0
        counts = [total // n + (1 if i < total % n else 0) for i in range(n)]
        quantities = [Quantity("shares", float(c), f"{c} (part {i + 1} of {n})") for i, c in enumerate(counts)]
    first = replace(spec, quantity=quantities[0], num_orders=1, every_bars=None, every_days=None)
    later = []
    for i, quantity in enumerate(quantities[1:], start=1):
        if quantity.kind == "shares" and quantity.value == 0:
            continue
        part = replace(first, quantity=quantity)
        if spec.every_days is not None:
            later.append(Due(part, day=day + timedelta(days=i * spec.every_days)))
        else:
            later.append(Due(part, step=step + i * spec.every_bars))
    return first, later


@dataclass(slots=True)
class Bracket:
    """One ``bracket_order``: its entry, and once that filled its two exits (one OCO group)."""

    group: str
    symbol: str
    stop_loss_pct: float | None
    take_profit_pct: float | None
    entry_id: str
    quantity: float = 0.0
    fill_price: float | None = None
    exit_ids: list[str] = field(default_factory=list)
    done: bool = False

    @property
    def stop_price(self) -> float | None:
        """``fill x (1 - stop_loss_pct)``, unrounded."""
        return None if self.stop_loss_pct is None else self.fill_price * (1 - self.stop_loss_pct)

    @property
    def take_profit_price(self) -> float | None:
        """``fill x (1 + take_profit_pct)``, unrounded."""
        return None if self.take_profit_pct is None else self.fill_price * (1 + self.take_profit_pct)

    def exits(self) -> list[Due]:
        """The stop-loss and the take-profit, both due now."""
        base = OrderSpec(symbol=self.symbol, action="sell", quantity=Quantity("shares", self.quantity, "entry fill"),
                         time_in_force="GTC", oco_group=self.group)
        due = []
        if self.stop_loss_pct is not None:
            due.append(Due(replace(base, order_type="STOP", stop_price=self.stop_price, order_id=f"{self.group}-stop",
                                   reason=f"{self.group} stop-loss {self.stop_loss_pct:.2%} below {self.fill_price:g}"),
                           step=0, bracket=self))
        if self.take_profit_pct is not None:
            spec = replace(base, order_type="LIMIT", limit_price=self.take_profit_price, order_id=f"{self.group}-take",
                           reason=f"{self.group} take-profit {self.take_profit_pct:.2%} above {self.fill_price:g}")
            due.append(Due(spec, step=0, bracket=self))
        return due
