"""``StrategyBase``: the class every bar-by-bar strategy of the guide inherits from."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import talib

from ..core.models import Bar, Signal, Tick
from .context import ReadOnlyAccount, StrategyContext
from .history import BarHistory
from .indicators import Indicators

__all__ = ["StrategyBase", "base_state_problem"]

#: What ``StrategyBase.__init__`` sets up and the engine relies on: attribute -> (its type, what it holds).
_BASE_STATE = {
    "_bars": (dict, "bar history (self._bars[symbol] holds the bars seen)"),
    "_logs": (list, "log lines (self.log)"),
    "_indicators": (dict, "indicator cache (self.indicators_for)"),
}


class StrategyBase(ABC):
    """Base of class-based strategies: the engine feeds bars, ``on_bar`` returns signals.

    Subclasses set ``author``, ``parameters`` (tunable constructor arguments),
    ``variables`` (runtime state shown in reports) and ``timeframe``, call
    ``super().__init__(name=..., symbols=...)`` and implement ``on_bar``.
    """

    author: str = ""
    parameters: list[str] = []
    variables: list[str] = []
    timeframe: str = "1m"
    _MAX_BAR_HISTORY: int = 500

    def __init__(self, name: str, symbols: list[str]):
        if isinstance(symbols, str):
            symbols = [symbols]
        self.name = name
        self.symbols = [str(s).upper() for s in symbols]
        self._bars: dict[str, BarHistory] = {}
        self._context: StrategyContext | None = None
        self._logs: list[tuple] = []
        self._indicators: dict[str, Indicators] = {}

    # --- to implement --------------------------------------------------
    @abstractmethod
    def on_bar(self, bar: Bar) -> list[Signal]:
        """Called once per bar, after the bar was added to ``self._bars``."""

    # --- optional hooks ------------------------------------------------
    def on_init(self) -> None:
        """Called before the first bar."""

    def on_start(self) -> None:
        """Called after ``on_init``, before the first bar."""

    def on_stop(self) -> None:
        """Called after the last bar."""

    def on_trade(self, symbol, side, price, volume) -> None:
        """Called after one of this strategy's orders filled."""

    def on_tick(self, tick: Tick) -> list[Signal]:
        """Called on each tick in live trading; backtests never call it."""
        return []

    def on_order(self, order_id, status) -> None:
        """Called on every order status change (SUBMITTED, FILLED, DENIED, EXPIRED, CANCELLED)."""

    # --- provided ------------------------------------------------------
    def feed_bar(self, bar: Bar) -> list[Signal]:
        """Append ``bar`` to the history of its symbol, then return ``on_bar(bar)``."""
        self.history(bar.symbol, bar.timeframe, bar.source).append(bar)
        return list(self.on_bar(bar) or [])

    def history(self, symbol: str, timeframe: str | None = None, source: str = "polygon") -> BarHistory:
        """The bar history of ``symbol``, created empty on first use."""
        hist = self._bars.get(symbol)
        if hist is None:
            hist = BarHistory(symbol, timeframe or self.timeframe, self._MAX_BAR_HISTORY, source)
            self._bars[symbol] = hist
        return hist

    def indicators_for(self, symbol: str) -> Indicators:
        """Indicators over ``symbol``'s history; results are cached until the next bar of that symbol."""
        ind = self._indicators.get(symbol)
        if ind is None:
            hist = self._bars.get(symbol)
            if hist is None:
                raise KeyError(f"no bars of `{symbol}` yet; this strategy has seen {sorted(self._bars) or 'none'}")
            ind = self._indicators[symbol] = Indicators.from_history(hist)
        return ind

    @staticmethod
    def _calculate_atr(bars, period: int = 14) -> float:
        """ATR of the last bar of ``bars`` (a list of ``Bar``); NaN with fewer than ``period + 1`` bars."""
        if isinstance(bars, BarHistory):
            high, low, close = bars.array("high"), bars.array("low"), bars.array("close")
        else:
            high = np.array([float(b.high) for b in bars])
            low = np.array([float(b.low) for b in bars])
            close = np.array([float(b.close) for b in bars])
        if len(close) <= period:
            return float("nan")
        return float(talib.ATR(high, low, close, timeperiod=int(period))[-1])

    def log(self, message: str) -> None:
        """Record a line for the backtest report (``result.logs``), stamped with the current bar time."""
        now = self._context.now if self._context is not None else None
        self._logs.append((now, str(message)))

    def _attach_context(self, context: StrategyContext) -> None:
        """Called by the engine before the first bar with its ``StrategyContext``.

        ``log`` reads the context's clock; ``cancel_order`` and ``account`` go through it.
        """
        self._context = context

    def cancel_order(self, order_id: str) -> bool:
        """Cancel one of this strategy's pending orders (e.g. a GTC limit); False if none has that id."""
        if self._context is None:
            raise RuntimeError("cancel_order() works while the engine runs this strategy")
        return self._context.cancel(order_id)

    @property
    def account(self) -> ReadOnlyAccount:
        """Read-only view of the portfolio (cash, equity, positions, pending orders) during a run.

        The guide's strategies track positions themselves through ``on_trade``;
        this view is for strategies (and the function-style adapter) that prefer
        to ask.
        """
        if self._context is None:
            raise RuntimeError("`account` is available while the engine runs this strategy")
        return self._context.account

    def get_parameters(self) -> dict:
        """The current values of the attributes named in ``parameters``."""
        return {name: getattr(self, name, None) for name in self.parameters}

    def get_variables(self) -> dict:
        """The current values of the attributes named in ``variables``."""
        return {name: getattr(self, name, None) for name in self.variables}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_parameters().items())
        return f"{type(self).__name__}(symbols={self.symbols}{', ' + params if params else ''})"


def base_state_problem(strategy: StrategyBase) -> str | None:
    """Why ``strategy`` cannot run because the state ``StrategyBase.__init__`` sets up is missing or was
    replaced by the subclass, in words that say the fix; ``None`` when it is intact."""
    cls = type(strategy).__name__
    missing = [name for name in _BASE_STATE if not hasattr(strategy, name)]
    if missing:
        return (f"{cls}.__init__ does not call super().__init__(name=..., symbols=...), so StrategyBase's own "
                f"state ({', '.join(missing)}) was never set up; call it at the start of __init__")
    for name, (kind, what) in _BASE_STATE.items():
        value = getattr(strategy, name)
        if not isinstance(value, kind):
            return (f"{cls} replaced self.{name}, StrategyBase's {what}, with a {type(value).__name__}; keep "
                    f"your own data under another name, e.g. self.my{name}")
    return None
