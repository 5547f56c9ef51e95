"""``BACKTEST_CONFIG``: the dictionary at the top of a function-style strategy file, checked and typed."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from ...data import TIMEFRAMES, BarDataError, normalize_symbol
from .errors import FunctionStrategyError

__all__ = ["KNOWN_KEYS", "StrategyConfig", "parse_backtest_config"]

#: Keys ``BACKTEST_CONFIG`` may hold (the reference's three plus research-env's optional two).
KNOWN_KEYS = ("start_date", "end_date", "initial_capital", "timeframe", "symbols")

_COMPACT = re.compile(r"^\d{8}$")
_DASHED = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class StrategyConfig:
    """What ``BACKTEST_CONFIG`` says; ``None`` where it says nothing (``backtest()``'s defaults then apply).

    ``end_date`` is inclusive, as written in the file; ``end_exclusive`` is the
    day after, which is what ``backtest(end=...)`` expects.
    """

    start_date: date | None = None
    end_date: date | None = None
    initial_capital: float | None = None
    timeframe: str | None = None
    symbols: tuple[str, ...] | None = None

    @property
    def end_exclusive(self) -> date | None:
        """The day after ``end_date`` (``backtest()``'s ``end`` is exclusive)."""
        return self.end_date + timedelta(days=1) if self.end_date is not None else None


def parse_backtest_config(value) -> StrategyConfig:
    """Check ``BACKTEST_CONFIG`` (``None`` when the file has none) and return its typed form.

    Dates are ``'YYYYMMDD'`` or ``'YYYY-MM-DD'`` strings (or ``date`` objects);
    ``end_date`` may equal ``start_date`` (a one-day backtest) but not precede it.
    """
    if value is None:
        return StrategyConfig()
    if not isinstance(value, dict):
        raise FunctionStrategyError(
            f"`BACKTEST_CONFIG` must be a dict like {{'start_date': '20230610', 'end_date': '20230615', "
            f"'initial_capital': 100000}}, got {type(value).__name__}"
        )
    for key in value:
        if key not in KNOWN_KEYS:
            hint = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            raise FunctionStrategyError(
                f"`BACKTEST_CONFIG` has an unknown key {key!r}{suggestion} (known keys: {', '.join(KNOWN_KEYS)})"
            )
    start = _date(value, "start_date")
    end = _date(value, "end_date")
    if start is not None and end is not None and end < start:
        raise FunctionStrategyError(
            f"`BACKTEST_CONFIG` end_date {value['end_date']!r} is before start_date {value['start_date']!r}; "
            "the end date must be on or after the start date"
        )
    return StrategyConfig(start, end, _capital(value), _timeframe(value), _symbols(value))


def _date(config: dict, key: str) -> date | None:
    raw = config.get(key)
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    try:
        if text is not None and _COMPACT.match(text):
            return datetime.strptime(text, "%Y%m%d").date()
        if text is not None and _DASHED.match(text):
            return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as e:
        raise FunctionStrategyError(f"`BACKTEST_CONFIG` {key} {raw!r} is not a calendar date: {e}") from e
    raise FunctionStrategyError(
        f"`BACKTEST_CONFIG` {key} {raw!r} is not a date; write it as 'YYYYMMDD' (e.g. '20230610') or 'YYYY-MM-DD'"
    )


def _capital(config: dict) -> float | None:
    raw = config.get("initial_capital")
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw > 0 or raw != raw or raw == float("inf"):
        raise FunctionStrategyError(
            f"`BACKTEST_CONFIG` initial_capital {raw!r} must be a positive number of dollars, e.g. 100000"
        )
    return float(raw)


def _timeframe(config: dict) -> str | None:
    raw = config.get("timeframe")
    if raw is None:
        return None
    if raw not in TIMEFRAMES:
        raise FunctionStrategyError(
            f"`BACKTEST_CONFIG` timeframe {raw!r} is not one of {', '.join(TIMEFRAMES)}"
        )
    return raw


def _symbols(config: dict) -> tuple[str, ...] | None:
    raw = config.get("symbols")
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [s for s in raw.replace(" ", "").split(",") if s]
    if not isinstance(raw, list | tuple) or not raw:
        raise FunctionStrategyError(
            f"`BACKTEST_CONFIG` symbols {raw!r} must be a non-empty list of tickers, e.g. ['AAPL', 'MSFT']"
        )
    try:
        return tuple(dict.fromkeys(normalize_symbol(s, "BACKTEST_CONFIG['symbols']") for s in raw))
    except BarDataError as e:
        raise FunctionStrategyError(f"{e}, e.g. ['AAPL', 'MSFT']") from e
