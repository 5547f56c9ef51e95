"""Symbol names: normalising user input and inferring a symbol from a file path."""

from __future__ import annotations

import re
from pathlib import Path

from ._errors import BarDataError

__all__ = ["normalize_symbol", "infer_symbol"]

_VALID = re.compile(r"[A-Z0-9][A-Z0-9._\-^=]{0,31}")
_TOKEN = re.compile(r"[A-Za-z]{1,6}")
_SUFFIXES = (".gz", ".zip", ".csv", ".txt", ".parquet", ".pq")
# Words that appear in bar file names but are not tickers.
_NOT_TICKERS = frozenset(
    {
        *("min", "mins", "minute", "minutes", "hour", "hours", "hourly", "day", "days", "daily"),
        *("week", "weekly", "month", "monthly", "second", "seconds", "tick", "ticks", "trade"),
        *("trades", "quote", "quotes", "bar", "bars", "data", "ohlc", "ohlcv", "price", "prices"),
        *("history", "intraday", "yahoo", "polygon", "export", "sample", "test", "csv", "stock"),
        *("stocks", "equity", "adj", "raw", "aggs", "agg", "file", "usa", "all", "rth", "eth"),
        *("full", "clean", "new", "old"),
    }
)


def normalize_symbol(symbol: object, name: str = "symbol") -> str:
    """Upper-case ``symbol`` and check it is a plain ticker (no path separators, spaces)."""
    text = symbol.strip().upper() if isinstance(symbol, str) else ""
    if not _VALID.fullmatch(text):
        raise BarDataError(
            f"`{name}`={symbol!r} is not a ticker; use letters, digits and . _ - ^ = (e.g. 'SPY', 'BRK.B')"
        )
    return text


def _candidates(name: str) -> list[str]:
    tokens = [t for t in re.split(r"[-_.\s]+", name) if _TOKEN.fullmatch(t)]
    found = [t for t in tokens if t.lower() not in _NOT_TICKERS]
    upper = [t for t in found if t.isupper()]
    return upper if len(found) > 1 and len(upper) == 1 else found


def infer_symbol(path: Path) -> str | None:
    """The ticker in a file name (``AAPL_5min.csv``, ``spy.zip``), else in its folder
    (``minute/spy/20131011_trade.zip``); ``None`` when it is missing or ambiguous."""
    stem = path.name
    while stem.lower().endswith(_SUFFIXES):
        stem = stem[: stem.rfind(".")]
    for name in (stem, path.parent.name):
        found = _candidates(name)
        if len(found) == 1:
            return found[0].upper()
        if found:
            return None
    return None
