"""Shared builders for tests: small bar frames, a strategy that replays scripted signals, function-style sources."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from research_env.core.enums import OrderSide, OrderType
from research_env.core.models import Signal
from research_env.strategy.base import StrategyBase


def daily_frame(rows: list[tuple[float, float, float, float]], start: str = "2024-03-04",
                volume: float = 1_000_000.0) -> pd.DataFrame:
    """Daily bars (open, high, low, close) on consecutive weekdays, stamped at 16:00 New York."""
    days = pd.bdate_range(start, periods=len(rows))
    index = (days + pd.Timedelta(hours=16)).tz_localize("America/New_York").tz_convert("UTC")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index, dtype=float)
    frame["volume"] = volume
    frame.index.name = "timestamp"
    return frame


def signal(symbol: str, side: str, quantity=None, order_type: str = "MARKET", limit=None, stop=None) -> Signal:
    """A Signal with Decimal fields built from plain numbers."""
    return Signal(
        symbol=symbol,
        side=OrderSide[side],
        strength=1.0,
        order_type=OrderType[order_type],
        quantity=Decimal(str(quantity)) if quantity is not None else None,
        limit_price=Decimal(str(limit)) if limit is not None else None,
        stop_price=Decimal(str(stop)) if stop is not None else None,
        reason=f"scripted {side}",
    )


class ScriptedStrategy(StrategyBase):
    """Returns ``script[(symbol, bar_number)]`` on that bar (bar numbers start at 0 per symbol)."""

    timeframe = "1d"

    def __init__(self, symbols=None, script=None):
        super().__init__(name="scripted", symbols=symbols or ["AAA"])
        self.script = script or {}
        self.trades: list[tuple] = []
        self.order_events: list[tuple] = []

    def on_trade(self, symbol, side, price, volume):
        self.trades.append((symbol, str(side), price, volume))

    def on_order(self, order_id, status):
        self.order_events.append((order_id, str(status)))

    def on_bar(self, bar):
        n = self._bars[bar.symbol].count - 1
        return list(self.script.get((bar.symbol, n), []))


def function_strategy(source: str, name: str = "fn"):
    """A function-style strategy class from source text (dedented), as a ``%%strategy`` cell gives it."""
    import textwrap

    from research_env.strategy.loader import load_strategy_source

    return load_strategy_source(textwrap.dedent(source), name)


def minute_frame(spans: list[tuple[str, str, str]], price: float = 100.0) -> pd.DataFrame:
    """Flat 1-minute bars: for each ``(date, first close, last close)`` New York times, every minute in between."""
    stamps = []
    for day, first, last in spans:
        stamps += list(pd.date_range(f"{day} {first}", f"{day} {last}", freq="1min", tz="America/New_York"))
    index = pd.DatetimeIndex(stamps).tz_convert("UTC")
    frame = pd.DataFrame({"open": price, "high": price, "low": price, "close": price, "volume": 1000.0},
                         index=index)
    frame.index.name = "timestamp"
    return frame
