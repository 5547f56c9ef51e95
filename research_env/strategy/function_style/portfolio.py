"""``portfolio``: the reference's account object, read from the engine's read-only account view."""

from __future__ import annotations

__all__ = ["FunctionPortfolio"]


def _shares(quantity: float):
    """Whole share counts as ``int`` (function-style orders are whole shares), anything else as given."""
    whole = int(quantity)
    return whole if whole == quantity else quantity


class FunctionPortfolio:
    """Cash, equity, positions and returns at the latest bar close (after every fill so far).

    ``account`` is ``StrategyBase.account``; ``slippage`` (a fraction) and
    ``commission`` (dollars per share) price the pending buys that
    ``buying_power`` sets aside, exactly as the engine's margin rule does.
    """

    __slots__ = ("_account", "_slippage", "_commission")

    def __init__(self, account, slippage: float, commission: float):
        object.__setattr__(self, "_account", account)
        object.__setattr__(self, "_slippage", slippage)
        object.__setattr__(self, "_commission", commission)

    def __setattr__(self, name, value):
        raise AttributeError(f"`portfolio` is read-only (tried to set `{name}`); orders change it, returned "
                             "from the strategy function")

    @property
    def cash(self) -> float:
        """Cash after every fill so far (commissions deducted)."""
        return self._account.cash

    @property
    def equity(self) -> float:
        """Cash plus every position at its latest close."""
        return self._account.equity

    @property
    def buying_power(self) -> float:
        """Cash minus what pending buy orders will take (close x (1 + slippage) + commission per share), >= 0."""
        reserved = sum(o.quantity * (o.reference_price * (1 + self._slippage) + self._commission)
                       for o in self._account.pending_orders() if str(o.side) == "BUY")
        return max(self._account.cash - reserved, 0.0)

    @property
    def initial_capital(self) -> float:
        """Cash at the start of the backtest."""
        return self._account.initial_cash

    @property
    def total_return(self) -> float:
        """``equity / initial_capital - 1`` as a fraction (0.05 is +5%), like ``result.metrics.total_return``."""
        return self._account.equity / self._account.initial_cash - 1.0

    def position(self, symbol: str):
        """Shares held in ``symbol`` (0 when none; negative when short)."""
        return _shares(self._account.position(symbol))

    def market_value(self, symbol: str) -> float:
        """Value of the position in ``symbol`` at its latest close (0 when none)."""
        return self._account.market_value(symbol)

    @property
    def positions(self) -> dict:
        """Shares per symbol for every open position."""
        return {symbol: _shares(q) for symbol, q in self._account.positions.items()}

    def unrealized_pnl(self) -> float:
        """Open profit or loss of all positions at the latest closes (before commissions)."""
        return self._account.unrealized_pnl()

    def realized_pnl(self) -> float:
        """Profit or loss realized by closing fills so far (before commissions)."""
        return self._account.realized_pnl()

    def avg_cost(self, symbol: str) -> float:
        """Average entry price of the open position in ``symbol`` (0 when flat)."""
        return self._account.avg_cost(symbol)

    def pending_orders(self) -> list:
        """Orders waiting for a bar (engine ``Order`` records: id, symbol, side, quantity, type, prices)."""
        return self._account.pending_orders()

    def __repr__(self) -> str:
        return f"<portfolio cash={self.cash:,.2f} equity={self.equity:,.2f} positions={self.positions}>"
