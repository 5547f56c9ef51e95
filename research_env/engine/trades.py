"""Round-trip trades from fills: a trade runs from a flat position back to flat."""

from __future__ import annotations

from collections.abc import Iterable

from ..core.enums import OrderSide
from ..core.models import Fill, Trade

__all__ = ["round_trips"]


def round_trips(fills: Iterable[Fill]) -> list[Trade]:
    """Group fills per symbol into round trips, in the order they opened.

    Entry price is the quantity-weighted price of the fills that opened or
    enlarged the position, exit price that of the fills that reduced it; ``pnl``
    is cash out minus cash in, commissions included. A fill that flips the
    position is split between the trade it closes and the one it opens.
    A trade still open at the end has ``exit_time=None``.
    """
    trades: list[Trade] = []
    open_trades: dict[str, _Builder] = {}
    for fill in fills:
        signed = fill.quantity if fill.side is OrderSide.BUY else -fill.quantity
        builder = open_trades.get(fill.symbol)
        while signed:
            if builder is None:
                builder = _Builder(fill, signed)
                trades.append(builder.trade)
                open_trades[fill.symbol] = builder
                signed = 0.0
                continue
            signed = builder.add(fill, signed)
            if builder.closed:
                open_trades.pop(fill.symbol)
                builder = None
    for builder in open_trades.values():
        builder.finish_open()
    return trades


class _Builder:
    def __init__(self, fill: Fill, signed: float):
        self.position = 0.0
        self.entry_qty = self.entry_value = self.exit_qty = self.exit_value = 0.0
        self.cash = 0.0
        side = OrderSide.BUY if signed > 0 else OrderSide.SELL
        self.trade = Trade(symbol=fill.symbol, side=side, quantity=0.0, entry_time=fill.timestamp,
                           entry_price=fill.price)
        self.closed = False
        self._book(fill, signed)

    def _book(self, fill: Fill, signed: float) -> None:
        share = abs(signed) / fill.quantity
        commission = fill.commission * share
        self.cash -= signed * fill.price + commission
        self.trade.commission += commission
        self.trade.fills.append(fill)
        if abs(self.position + signed) > abs(self.position):
            self.entry_qty += abs(signed)
            self.entry_value += abs(signed) * fill.price
        else:
            self.exit_qty += abs(signed)
            self.exit_value += abs(signed) * fill.price
        self.position += signed

    def add(self, fill: Fill, signed: float) -> float:
        """Book as much of ``signed`` as belongs to this trade; return the rest."""
        if self.position * signed < 0 and abs(signed) > abs(self.position):
            closing = -self.position
            self._book(fill, closing)
            self._close(fill)
            return signed - closing
        self._book(fill, signed)
        if abs(self.position) < 1e-12:
            self._close(fill)
        return 0.0

    def _close(self, fill: Fill) -> None:
        t = self.trade
        t.quantity = self.entry_qty
        t.entry_price = self.entry_value / self.entry_qty
        t.exit_time = fill.timestamp
        t.exit_price = self.exit_value / self.exit_qty
        t.pnl = self.cash
        t.return_pct = self.cash / self.entry_value
        self.closed = True

    def finish_open(self) -> None:
        t = self.trade
        t.quantity = self.entry_qty
        t.entry_price = self.entry_value / self.entry_qty
