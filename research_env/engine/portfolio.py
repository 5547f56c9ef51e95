"""Portfolio accounting in floats: cash, positions, average cost, realized and unrealized P&L."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.enums import OrderSide

__all__ = ["Portfolio", "PortfolioView", "Position"]


@dataclass(slots=True)
class Position:
    """Shares held in one symbol (negative when short) and their average entry price."""

    quantity: float = 0.0
    avg_cost: float = 0.0
    realized_pnl: float = 0.0


class Portfolio:
    """Cash plus positions, marked to the latest close of each symbol (``prices``, set by the loop)."""

    def __init__(self, initial_cash: float):
        self.initial_cash = float(initial_cash)
        self.cash = float(initial_cash)
        self.positions: dict[str, Position] = {}
        self.prices: dict[str, float] = {}
        self.total_commission = 0.0

    def apply_fill(self, symbol: str, side: OrderSide, quantity: float, price: float, commission: float) -> float:
        """Book a fill; returns the P&L it realized (before commission)."""
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = Position()
        signed = quantity if side is OrderSide.BUY else -quantity
        self.cash -= signed * price + commission
        self.total_commission += commission
        realized = 0.0
        old = pos.quantity
        if old == 0 or (old > 0) == (signed > 0):
            new = old + signed
            pos.avg_cost = (pos.avg_cost * abs(old) + price * abs(signed)) / abs(new)
            pos.quantity = new
        else:
            closed = min(abs(signed), abs(old))
            direction = 1.0 if old > 0 else -1.0
            realized = (price - pos.avg_cost) * closed * direction
            pos.realized_pnl += realized
            new = old + signed
            if abs(new) < 1e-12:
                pos.quantity, pos.avg_cost = 0.0, 0.0
            elif (new > 0) != (old > 0):
                pos.quantity, pos.avg_cost = new, price
            else:
                pos.quantity = new
        return realized

    def position(self, symbol: str) -> float:
        """Shares held in ``symbol`` (0 when none)."""
        pos = self.positions.get(symbol)
        return pos.quantity if pos is not None else 0.0

    def market_value(self, symbol: str) -> float:
        """Signed value of the position at the latest price."""
        pos = self.positions.get(symbol)
        return pos.quantity * self.prices[symbol] if pos is not None and pos.quantity else 0.0

    def exposure(self) -> float:
        """Sum of absolute position values (long plus short)."""
        return sum(abs(p.quantity) * self.prices[s] for s, p in self.positions.items() if p.quantity)

    @property
    def equity(self) -> float:
        """Cash plus the value of every position at its latest price."""
        equity, prices = self.cash, self.prices
        for symbol, pos in self.positions.items():
            if pos.quantity:
                equity += pos.quantity * prices[symbol]
        return equity

    def unrealized_pnl(self) -> float:
        """Open P&L of all positions at the latest prices."""
        return sum((self.prices[s] - p.avg_cost) * p.quantity for s, p in self.positions.items() if p.quantity)

    def realized_pnl(self) -> float:
        """P&L realized by closing fills so far (commissions not deducted)."""
        return sum(p.realized_pnl for p in self.positions.values())


class PortfolioView:
    """What a running strategy may read of its portfolio; it cannot change anything through it."""

    def __init__(self, portfolio: Portfolio, pending_orders):
        self._portfolio = portfolio
        self._pending_orders = pending_orders

    @property
    def cash(self) -> float:
        """Cash, after every fill so far (commissions included)."""
        return self._portfolio.cash

    @property
    def equity(self) -> float:
        """Cash plus positions at the latest closes."""
        return self._portfolio.equity

    @property
    def initial_cash(self) -> float:
        """Cash at the start of the run."""
        return self._portfolio.initial_cash

    @property
    def positions(self) -> dict[str, float]:
        """Shares held per symbol (short positions negative), open positions only."""
        return {s: p.quantity for s, p in self._portfolio.positions.items() if p.quantity}

    def position(self, symbol: str) -> float:
        """Shares held in ``symbol`` (0 when none)."""
        return self._portfolio.position(symbol)

    def avg_cost(self, symbol: str) -> float:
        """Average entry price of the open position in ``symbol`` (0 when flat)."""
        pos = self._portfolio.positions.get(symbol)
        return pos.avg_cost if pos is not None else 0.0

    def price(self, symbol: str) -> float | None:
        """Latest close of ``symbol`` seen by the engine (None before its first bar)."""
        return self._portfolio.prices.get(symbol)

    def market_value(self, symbol: str) -> float:
        """Signed value of the position in ``symbol`` at its latest close."""
        return self._portfolio.market_value(symbol)

    def unrealized_pnl(self) -> float:
        """Open P&L of all positions at the latest closes."""
        return self._portfolio.unrealized_pnl()

    def realized_pnl(self) -> float:
        """P&L realized by closing fills so far (before commissions)."""
        return self._portfolio.realized_pnl()

    @property
    def total_commission(self) -> float:
        """Commissions paid so far."""
        return self._portfolio.total_commission

    def pending_orders(self) -> list:
        """Orders waiting for a bar (``Order`` records), oldest first."""
        return self._pending_orders()
