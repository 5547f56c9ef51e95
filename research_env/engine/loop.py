"""The bar loop: one pass over the bars of every symbol, merged in time order.

At each timestamp the engine (1) matches the orders waiting for this bar of
each symbol, (2) marks the portfolio to the closes, (3) feeds each bar to the
strategy and turns its signals into orders through the risk engine, (4)
records equity. Orders always fill on a later bar than the one that caused them.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from ..core.enums import OrderSide, OrderStatus, OrderType
from ..core.models import Fill, Order, Signal
from ..errors import StrategyError
from ..strategy.base import base_state_problem
from ..strategy.loader import StrategyLoadError
from ..strategy.printing import printing_to_log
from .config import BacktestConfig
from .events import OrderCancelled, OrderDenied, OrderExpired, OrderFilled, OrderSubmitted, RiskRule
from .matching import fill_price
from .portfolio import Portfolio, PortfolioView
from .risk import AccountView, OrderRequest, check_order, check_price_deviation, denial_message, opening_quantity

__all__ = ["BarLoop"]

Progress = Callable[[int, int], None]


class _SymbolFeed:
    """One symbol's bars as the loop reads them; ``row`` is the bar about to be revealed."""

    __slots__ = ("symbol", "history", "open", "high", "low", "close", "times", "pending", "row")

    def __init__(self, symbol, history):
        self.symbol = symbol
        self.history = history
        self.open, self.high, self.low, self.close, _ = history.columns_as_lists()
        self.times = history.times
        self.pending: list[Order] = []
        self.row = 0


class BarLoop:
    """Runs one strategy instance over ``frames`` (symbol -> bar frame) with ``config``."""

    def __init__(self, strategy, frames: dict[str, pd.DataFrame], timeframe: str, sources: dict[str, str],
                 session_dates: Callable[[pd.DatetimeIndex], np.ndarray], config: BacktestConfig):
        problem = base_state_problem(strategy)
        if problem is not None:
            raise StrategyLoadError(problem)
        config = config.resolved()
        self.strategy = strategy
        self.config = config
        self.risk = config.risk
        self.slippage = config.slippage_bps / 10_000
        self.portfolio = Portfolio(config.initial_cash)
        self.account = PortfolioView(self.portfolio, self.pending_orders)
        self.feeds: dict[str, _SymbolFeed] = {}
        for symbol, frame in frames.items():
            history = strategy.history(symbol, timeframe, sources.get(symbol, "local"))
            history.preload(frame)
            self.feeds[symbol] = _SymbolFeed(symbol, history)
        self._frames = list(frames.values())
        self.timeline = _timeline(self._frames)
        self.context = _Context(self)
        strategy._attach_context(self.context)
        self.days = session_dates(self.timeline)
        self.fills: list[Fill] = []
        self.orders: list[Order] = []
        self.denials: list[OrderDenied] = []
        self.equity = np.empty(0)
        self._last_seen: dict[tuple, tuple[datetime, str | None]] = {}
        self._next_id = 0
        self._ids: set[str] = set()
        self._peak = config.initial_cash
        self._halted = False
        self._day_start_equity = config.initial_cash
        self._equity_now = config.initial_cash
        self._now: datetime | None = None
        self._equity_curve: list[float] = []

    # --- the loop ------------------------------------------------------
    def run(self, progress: Progress | None = None) -> None:
        """Feed every bar; afterwards ``equity``, ``fills``, ``orders`` and ``denials`` hold the outcome.

        Objects alive before the run are frozen out of the garbage collector's
        view while it runs: the loop allocates many short-lived objects and
        would otherwise trigger full collections over the whole heap. ``print``
        in the strategy's file goes to its log while it runs.
        """
        gc.freeze()
        try:
            with printing_to_log(self.strategy):
                self._run(progress)
        finally:
            gc.unfreeze()

    def _run(self, progress: Progress | None) -> None:
        strategy, portfolio, submit = self.strategy, self.portfolio, self._submit
        prices, on_bar = portfolio.prices, strategy.on_bar
        self._call("on_init")
        self._call("on_start")
        steps = _steps(list(self.feeds.values()), self._frames, self.timeline)
        total = len(steps)
        every = max(total // 100, 1)
        days = self.days.astype(np.int64)
        new_day = np.concatenate(([True], days[1:] != days[:-1])).tolist() if total else []
        max_dd = self.risk.max_drawdown
        halt_below = self._peak * (1 - max_dd) if max_dd is not None else -np.inf
        equity_curve = self._equity_curve = []
        record = equity_curve.append
        for k, step in enumerate(steps):
            for feed in step:
                if feed.pending:
                    self._match(feed, feed.row)
                prices[feed.symbol] = feed.close[feed.row]
            equity = portfolio.equity
            self._equity_now = equity
            if new_day[k]:
                self._day_start_equity = equity_curve[-1] if k else self.config.initial_cash
            if equity > self._peak:
                self._peak = equity
                if max_dd is not None:
                    halt_below = equity * (1 - max_dd)
            elif equity < halt_below:  # the table's UNDER boundary, inline: this runs at every bar
                self._halted = True
            for feed in step:
                feed.row += 1
                bar = feed.history.advance()
                self._now = bar.timestamp
                try:
                    signals = on_bar(bar)
                except (Exception, SystemExit) as e:
                    raise StrategyError(strategy.name, "on_bar", feed.symbol, bar.timestamp, _user_error(e)) from e
                if signals:
                    listed = signals if type(signals) is list else _signal_list(signals, strategy.name, feed.symbol,
                                                                               bar.timestamp)
                    for signal in listed:
                        submit(signal, bar.timestamp)
            record(equity)
            if progress is not None and (k % every == 0 or k == total - 1):
                progress(k + 1, total)
        self.equity = np.array(equity_curve, dtype=np.float64)
        for feed in self.feeds.values():
            for order in feed.pending:
                self._emit(OrderCancelled(order.order_id, self._now), order)
            feed.pending = []
        self._call("on_stop")

    # --- signals to orders ---------------------------------------------
    def _submit(self, signal: Signal, now: datetime) -> None:
        if type(signal) is not Signal:
            _signal_list([signal], self.strategy.name, None, now)
        order_id = signal.order_id or f"O{self._next_id:06d}"
        self._next_id += 1
        problem = _invalid(signal, self.feeds, self.config.fractional_shares) or (
            f"order_id {order_id!r} is already used; give each order its own id" if order_id in self._ids else None)
        self._ids.add(order_id)
        if problem:
            self._deny(signal, now, None, RiskRule.INVALID_SIGNAL,
                       denial_message(RiskRule.INVALID_SIGNAL, detail=problem), order_id)
            return
        symbol = signal.symbol
        side = OrderSide(str(signal.side).upper())
        order_type = OrderType(str(signal.order_type).upper())
        feed = self.feeds[symbol]
        price = self.portfolio.prices.get(symbol)
        if price is None:
            self._deny(signal, now, None, RiskRule.INVALID_SIGNAL, denial_message(
                RiskRule.INVALID_SIGNAL, detail=f"{symbol} has no bar yet, so the order cannot be valued"), order_id)
            return
        group = signal.oco_group
        position = self.portfolio.position(symbol) + _pending_quantity(_counted(feed.pending, group))
        quantity, problem = self._size(signal, side, price, position)
        if problem:
            rule = RiskRule.ALLOW_SHORT if side is OrderSide.SELL else RiskRule.POSITION_SIZE
            self._deny(signal, now, quantity, rule, problem, order_id)
            return
        request = OrderRequest(symbol, side, order_type, quantity, price, now, group)
        denial = check_order(request, self._account(symbol, position, group), self.risk, last_seen=self._last_seen,
                             unit_cost=price * (1 + self.slippage) + self.config.commission_per_share)
        if denial:
            self._deny(signal, now, quantity, denial[0], denial[1], order_id)
            return
        self._last_seen[(symbol, side, quantity)] = (now, group)
        order = Order(
            order_id=order_id, symbol=symbol, side=side, order_type=order_type, quantity=quantity,
            submitted_at=now, reference_price=price,
            limit_price=float(signal.limit_price) if signal.limit_price is not None else None,
            stop_price=float(signal.stop_price) if signal.stop_price is not None else None,
            reason=signal.reason,
            time_in_force=str(signal.time_in_force).upper(),
            oco_group=signal.oco_group,
        )
        self.orders.append(order)
        feed.pending.append(order)
        self._emit(OrderSubmitted(order_id, now), order)

    def _size(self, signal: Signal, side: OrderSide, price: float, position: float) -> tuple[float, str | None]:
        if signal.quantity is not None:
            return float(signal.quantity), None
        if side is OrderSide.SELL and position > 0:
            return position, None
        if side is OrderSide.SELL and not self.risk.allow_short:
            return 0.0, denial_message(RiskRule.ALLOW_SHORT, other=max(position, 0.0), symbol=signal.symbol)
        budget = self.portfolio.equity * self.config.position_size_ratio
        quantity = float(math.floor(budget / price))
        if quantity < 1:
            return quantity, denial_message(RiskRule.POSITION_SIZE, value=budget,
                                            limit=self.config.position_size_ratio, price=price)
        return quantity, None

    def _account(self, symbol: str, position: float, group: str | None) -> AccountView:
        portfolio = self.portfolio
        pending_cost = pending_value = 0.0
        unit = 1 + self.slippage
        for feed in self.feeds.values():
            held = portfolio.position(feed.symbol)
            for order in _counted(feed.pending, group):
                pending_value += opening_quantity(order.side, order.quantity, held) * order.reference_price
                held += order.quantity if order.side is OrderSide.BUY else -order.quantity
                if order.side is OrderSide.BUY:
                    pending_cost += order.quantity * (order.reference_price * unit + self.config.commission_per_share)
        return AccountView(
            equity=portfolio.equity,
            free_cash=portfolio.cash - pending_cost,
            position=position,
            symbol_exposure=abs(position) * portfolio.prices[symbol],
            total_exposure=portfolio.exposure() + pending_value,
            drawdown=self._equity_now / self._peak - 1.0,
            day_return=self._equity_now / self._day_start_equity - 1.0,
            halted=self._halted,
        )

    # --- orders to fills -----------------------------------------------
    def _match(self, feed: _SymbolFeed, row: int) -> None:
        orders, feed.pending = feed.pending, []
        for order in orders:
            if order.status is not OrderStatus.SUBMITTED:
                continue  # cancelled by an OCO sibling that filled earlier on this bar
            price = fill_price(order.side, order.order_type, feed.open[row], feed.high[row], feed.low[row],
                               self.slippage, order.limit_price, order.stop_price)
            when = feed.times[row]
            if price is None:
                if order.time_in_force == "GTC":
                    feed.pending.append(order)
                else:
                    self._emit(OrderExpired(order.order_id, when), order)
                continue
            if order.order_type is OrderType.MARKET:
                opening = opening_quantity(order.side, order.quantity, self.portfolio.position(order.symbol))
                moved = check_price_deviation(order.reference_price, feed.open[row], opening, self.risk)
                if moved:
                    self._deny_order(order, when, RiskRule.MAX_PRICE_DEVIATION, moved)
                    continue
            self._fill(order, price, when)

    def _fill(self, order: Order, price: float, when: datetime) -> None:
        commission = order.quantity * self.config.commission_per_share
        self.portfolio.apply_fill(order.symbol, order.side, order.quantity, price, commission)
        fill = Fill(order.order_id, order.symbol, order.side, order.quantity, price, commission, when, order.reason)
        self.fills.append(fill)
        order.status = OrderStatus.FILLED
        try:
            self.strategy.on_trade(order.symbol, order.side, Decimal(str(price)), Decimal(str(order.quantity)))
        except (Exception, SystemExit) as e:
            raise StrategyError(self.strategy.name, "on_trade", order.symbol, when, _user_error(e)) from e
        self._emit(OrderFilled(order.order_id, when), order)
        if order.oco_group is not None:
            for sibling in self.orders:
                if sibling.oco_group == order.oco_group and sibling.status is OrderStatus.SUBMITTED:
                    self._emit(OrderCancelled(sibling.order_id, when), sibling)
            for feed in self.feeds.values():
                feed.pending = [o for o in feed.pending if o.status is OrderStatus.SUBMITTED]

    # --- requests from the strategy ------------------------------------
    def cancel(self, order_id: str) -> bool:
        """Cancel a pending order; False when no pending order has that id."""
        for feed in self.feeds.values():
            for order in feed.pending:
                if order.order_id == order_id and order.status is OrderStatus.SUBMITTED:
                    feed.pending = [o for o in feed.pending if o is not order]
                    self._emit(OrderCancelled(order.order_id, self._now), order)
                    return True
        return False

    def pending_orders(self) -> list[Order]:
        """Orders waiting for a bar, oldest first."""
        return sorted((o for f in self.feeds.values() for o in f.pending), key=lambda o: o.submitted_at)

    # --- bookkeeping ---------------------------------------------------
    def _deny(self, signal: Signal, now, quantity, rule: RiskRule, reason: str, order_id: str) -> None:
        denial = OrderDenied(
            timestamp=now, symbol=str(signal.symbol), side=signal.side, order_type=signal.order_type,
            quantity=quantity, rule=rule, reason=reason, signal_reason=signal.reason, order_id=order_id,
        )
        self.denials.append(denial)
        self._emit(denial)

    def _deny_order(self, order: Order, when, rule: RiskRule, reason: str) -> None:
        denial = OrderDenied(
            timestamp=when, symbol=order.symbol, side=order.side, order_type=order.order_type,
            quantity=order.quantity, rule=rule, reason=reason, signal_reason=order.reason, order_id=order.order_id,
        )
        self.denials.append(denial)
        self._emit(denial, order)

    def _emit(self, event, order: Order | None = None) -> None:
        """Apply an order-lifecycle event (``engine/events.py``): the order takes its status, the strategy hears
        of it through ``on_order``."""
        if order is not None:
            order.status = event.status
        try:
            self.strategy.on_order(event.order_id, event.status)
        except (Exception, SystemExit) as e:
            raise StrategyError(self.strategy.name, "on_order", None, self._now, _user_error(e)) from e

    def _call(self, hook: str) -> None:
        try:
            getattr(self.strategy, hook)()
        except (Exception, SystemExit) as e:
            raise StrategyError(self.strategy.name, hook, None, self._now, _user_error(e)) from e


class _Context:
    """The run as its strategy sees it (``research_env.strategy.context.StrategyContext``), over one ``BarLoop``.

    ``account`` and ``settings`` are plain attributes (the account is read on
    every bar by some strategies); the timeline and the last-of-step flags are
    built on first use, so class-style strategies never pay for them.
    """

    __slots__ = ("_loop", "account", "settings", "_timeline", "_last")

    def __init__(self, loop: BarLoop):
        self._loop = loop
        self.account = loop.account
        self.settings = loop.config
        self._timeline: list[datetime] | None = None
        self._last: dict[str, list[bool]] | None = None

    @property
    def now(self) -> datetime | None:
        """Close time of the bar being processed (None before the first)."""
        return self._loop._now

    @property
    def timeline(self) -> list[datetime]:
        """Every bar time of every symbol, once, in order, as UTC datetimes (shared: do not modify)."""
        times = self._timeline
        if times is None:
            loop = self._loop
            feeds = list(loop.feeds.values())
            times = feeds[0].history.times if len(feeds) == 1 else loop.timeline.to_pydatetime().tolist()
            self._timeline = times
        return times

    def last_of_step(self, symbol: str) -> list[bool] | None:
        """Per bar of ``symbol``: is it the last bar the loop feeds at its time? None with one symbol."""
        loop = self._loop
        if len(loop.feeds) == 1:
            return None
        last = self._last
        if last is None:
            last = self._last = _last_of_step(list(loop.feeds), loop._frames, loop.timeline)
        return last[symbol]

    def cancel(self, order_id: str) -> bool:
        """Cancel a pending order; False when no pending order has that id."""
        return self._loop.cancel(order_id)

    @property
    def equity(self) -> tuple[float, ...]:
        """Equity recorded at the end of each bar time so far."""
        return tuple(self._loop._equity_curve)

    @property
    def fills(self) -> tuple[Fill, ...]:
        """Fills so far, in order."""
        return tuple(self._loop.fills)

    @property
    def orders(self) -> tuple[Order, ...]:
        """Orders accepted so far, in submission order."""
        return tuple(self._loop.orders)

    @property
    def denials(self) -> tuple[OrderDenied, ...]:
        """Orders denied so far."""
        return tuple(self._loop.denials)


def _counted(orders: list[Order], joining: str | None = None) -> list[Order]:
    """Pending orders as exposure: of an OCO group only the first counts (at most one of them can fill),
    and none of the group a new order is ``joining``."""
    seen: set[str] = {joining} if joining is not None else set()
    counted = []
    for order in orders:
        if order.oco_group is None or order.oco_group not in seen:
            counted.append(order)
            if order.oco_group is not None:
                seen.add(order.oco_group)
    return counted


def _pending_quantity(orders: list[Order]) -> float:
    return sum(o.quantity if o.side is OrderSide.BUY else -o.quantity for o in orders)


def _user_error(error: BaseException) -> BaseException:
    """The exception a strategy raised, with ``sys.exit()`` named for what it is (it must not end the process)."""
    if isinstance(error, SystemExit):
        return RuntimeError(f"called sys.exit({error.code!r}); a strategy returns signals or raises, it never exits")
    return error


def _signal_list(returned, strategy: str, symbol: str | None, when: datetime) -> list[Signal]:
    """``on_bar``'s return value as a list of ``Signal``s, or a ``StrategyError`` naming what came back instead."""
    items = list(returned) if isinstance(returned, tuple) else returned
    if isinstance(items, list) and all(type(s) is Signal for s in items):
        return items
    if isinstance(items, list):
        wrong = next(s for s in items if type(s) is not Signal)
        what = f"a list holding {type(wrong).__name__} {wrong!r:.60}"
    else:
        what = f"{type(returned).__name__} {returned!r:.60}"
    error = TypeError(f"on_bar returned {what}; return a list of Signal objects (or [] / None)")
    raise StrategyError(strategy, "on_bar", symbol, when, error)


def _invalid(signal: Signal, feeds: dict, fractional: bool) -> str | None:
    if signal.symbol not in feeds:
        return f"signal for `{signal.symbol}`, which is not among the backtest's symbols {sorted(feeds)}"
    if str(signal.side).upper() not in OrderSide.__members__:
        return f"signal side {signal.side!r} is not OrderSide.BUY or OrderSide.SELL"
    kind = str(signal.order_type).upper()
    if kind not in OrderType.__members__:
        return f"order_type {signal.order_type!r} is not one of {', '.join(OrderType.__members__)}"
    if kind in ("LIMIT", "STOP_LIMIT") and signal.limit_price is None:
        return f"{kind} order for {signal.symbol} needs `limit_price`"
    if kind in ("STOP", "STOP_LIMIT") and signal.stop_price is None:
        return f"{kind} order for {signal.symbol} needs `stop_price`"
    if str(signal.time_in_force).upper() not in ("BAR", "GTC"):
        return f"time_in_force {signal.time_in_force!r} is not 'BAR' or 'GTC'"
    if signal.quantity is not None and not float(signal.quantity) > 0:
        return f"quantity must be positive (or None to auto-size), got {signal.quantity}"
    if signal.quantity is not None and not fractional and float(signal.quantity) != int(float(signal.quantity)):
        return (f"quantity {signal.quantity} of {signal.symbol} is not a whole number of shares; round it, or "
                "allow fractions with BacktestConfig(fractional_shares=True)")
    for name in ("limit_price", "stop_price"):
        price = getattr(signal, name)
        if price is not None and not float(price) > 0:
            return f"`{name}` of the {kind} order for {signal.symbol} must be a positive price, got {price}"
    if not 0 <= float(signal.strength) <= 1:
        return f"strength {signal.strength} of the {signal.symbol} signal is outside the guide's range 0 to 1"
    return None


def _timeline(frames: list[pd.DataFrame]) -> pd.DatetimeIndex:
    """Every bar time of every symbol, once, in order."""
    if len(frames) == 1:
        return frames[0].index
    union = np.unique(np.concatenate([f.index.as_unit("ns").asi8 for f in frames]))
    return pd.to_datetime(union, utc=True)


def _steps(feeds: list[_SymbolFeed], frames: list[pd.DataFrame], timeline: pd.DatetimeIndex) -> list[list]:
    """For each time of the timeline, the feeds of the symbols with a bar there (in the given symbol order)."""
    if len(feeds) == 1:
        return [feeds] * len(timeline)
    union = timeline.as_unit("ns").asi8
    steps: list[list] = [[] for _ in range(len(union))]
    for feed, frame in zip(feeds, frames, strict=True):
        for k in np.searchsorted(union, frame.index.as_unit("ns").asi8).tolist():
            steps[k].append(feed)
    return steps


def _last_of_step(symbols: list[str], frames: list[pd.DataFrame], timeline: pd.DatetimeIndex) -> dict[str, list[bool]]:
    """Per symbol, per bar: whether it is the last bar ``_steps`` feeds at its time (symbols in the given order)."""
    union = timeline.as_unit("ns").asi8
    positions = [np.searchsorted(union, frame.index.as_unit("ns").asi8) for frame in frames]
    owner = np.full(len(union), -1)
    for i, pos in enumerate(positions):
        owner[pos] = i
    return {symbol: (owner[pos] == i).tolist() for i, (symbol, pos) in enumerate(zip(symbols, positions, strict=True))}
