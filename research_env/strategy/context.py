"""``StrategyContext``: the one line a strategy crosses to reach the engine running it.

The engine hands a context to each strategy before the first bar
(``StrategyBase._attach_context``); ``StrategyBase.log``, ``cancel_order`` and
``account`` and the function-style adapter go through it and nothing else.
The protocols here only describe what the engine offers: the strategy layer
sits below the engine and never imports it (``research_env.engine.loop``
implements ``StrategyContext``, ``BacktestConfig`` satisfies ``RunSettings``,
``PortfolioView`` satisfies ``ReadOnlyAccount``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ..core.models import Fill, Order

__all__ = ["ReadOnlyAccount", "RunSettings", "StrategyContext"]


@runtime_checkable
class RunSettings(Protocol):
    """The run's matching and sizing settings (the engine's ``BacktestConfig`` is one)."""

    @property
    def initial_cash(self) -> float | None:
        """Cash at the start of the run (always set once the engine runs; None only on an unresolved config)."""

    @property
    def slippage_bps(self) -> float:
        """Slippage in basis points applied to every fill price against the trader."""

    @property
    def commission_per_share(self) -> float:
        """Commission charged per share filled."""

    @property
    def position_size_ratio(self) -> float:
        """Share of equity an order with ``quantity=None`` is auto-sized to, in (0, 1]."""


@runtime_checkable
class ReadOnlyAccount(Protocol):
    """What a running strategy may read of its portfolio; nothing changes through it."""

    @property
    def cash(self) -> float:
        """Cash, after every fill so far (commissions included)."""

    @property
    def equity(self) -> float:
        """Cash plus positions at the latest closes."""

    @property
    def initial_cash(self) -> float:
        """Cash at the start of the run."""

    @property
    def positions(self) -> dict[str, float]:
        """Shares held per symbol (short positions negative), open positions only."""

    def position(self, symbol: str) -> float:
        """Shares held in ``symbol`` (0 when none)."""

    def avg_cost(self, symbol: str) -> float:
        """Average entry price of the open position in ``symbol`` (0 when flat)."""

    def price(self, symbol: str) -> float | None:
        """Latest close of ``symbol`` seen by the engine (None before its first bar)."""

    def market_value(self, symbol: str) -> float:
        """Signed value of the position in ``symbol`` at its latest close."""

    def unrealized_pnl(self) -> float:
        """Open P&L of all positions at the latest closes."""

    def realized_pnl(self) -> float:
        """P&L realized by closing fills so far (before commissions)."""

    @property
    def total_commission(self) -> float:
        """Commissions paid so far."""

    def pending_orders(self) -> list[Order]:
        """Orders waiting for a bar, oldest first."""


@runtime_checkable
class StrategyContext(Protocol):
    """The engine as the strategy it runs sees it: clock, account, order operations, settings, record."""

    # --- the clock -----------------------------------------------------
    @property
    def now(self) -> datetime | None:
        """Close time of the bar being processed (None before the first bar)."""

    @property
    def timeline(self) -> Sequence[datetime]:
        """The run's merged bar times (every bar time of every symbol, once), in order, as UTC datetimes.

        Shared with the engine: read it, do not modify it.
        """

    def last_of_step(self, symbol: str) -> list[bool] | None:
        """For each bar of ``symbol``, whether it is the last bar fed at its time; None when the run has one symbol.

        Several symbols can have a bar at the same time; the engine feeds them
        one after the other (in the run's symbol order). Raises ``KeyError``
        for a symbol that is not in the run.
        """

    # --- the account and orders ----------------------------------------
    @property
    def account(self) -> ReadOnlyAccount:
        """Read-only view of the portfolio: cash, equity, positions, prices, pending orders."""

    def cancel(self, order_id: str) -> bool:
        """Cancel a pending order; False when no pending order has that id."""

    # --- the run -------------------------------------------------------
    @property
    def settings(self) -> RunSettings:
        """The run's settings: initial cash, slippage, commission, auto-size ratio."""

    @property
    def equity(self) -> Sequence[float]:
        """Equity recorded at the end of each bar time so far (one value per timeline entry once the run ends)."""

    @property
    def fills(self) -> Sequence[Fill]:
        """Fills so far, in order."""

    @property
    def orders(self) -> Sequence[Order]:
        """Orders accepted by the risk rules so far, in submission order (their ``status`` is current)."""

    @property
    def denials(self) -> Sequence[Any]:
        """Orders denied so far (the engine's ``OrderDenied`` records: rule, reason, symbol, time ...)."""
