"""Look-ahead in vectorized signals: do the signals up to a bar change when the bars after it are taken away?

``generate_signals`` receives the whole price history, so ``prices.shift(-1)``,
``rolling(..., center=True)`` or a normalisation by the full-sample mean
silently read the future. ``check_signals_causal`` computes the signals on the
full history and on histories cut at several bars and compares every signal
before each cut. Cutting only removes later bars, so an indicator's warm-up is
the same in both runs and never reported. A sweep runs the check on its first
combination (``sweep_verdict``), once per strategy source and parameters.
"""

from __future__ import annotations

import hashlib
import inspect
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import InputError
from ..strategy.vectorized import VectorizedStrategy
from ._errors import SignalError, SweepError
from ._market import Market
from ._signals import FIELDS, call_error, signal_arrays

__all__ = ["LookaheadError", "LookaheadReport", "check_signals_causal", "cut_rows", "sweep_verdict"]

#: verdicts kept by (strategy source digest, parameters): repeated sweeps of the same code pay nothing
_VERDICTS: dict[tuple[str, str], LookaheadReport] = {}
_MAX_VERDICTS = 256
#: each strategy class's source digest, read once (``inspect.getsource`` parses the class's whole module)
_DIGESTS: weakref.WeakKeyDictionary[type, str | None] = weakref.WeakKeyDictionary()
#: cut points of a sweep's check: fewer than ``check_lookahead``'s 8, so it adds under 10% to a sweep of 500
SWEEP_CUTS = 5


class LookaheadError(SweepError):
    """A sweep stopped because its strategy's signals read bars after the one they decide on."""

@dataclass(frozen=True)
class LookaheadReport:
    """The verdict: ``ok``, and for a failure the first ``symbol`` and bar ``time`` whose ``signal`` changed
    (``with_future`` against ``without_future``) when the history was cut at ``cut``."""

    strategy: str
    kind: str  # "vectorized" or "bar-by-bar"
    cuts: list[pd.Timestamp] = field(default_factory=list)
    symbol: str | None = None
    time: pd.Timestamp | None = None
    signal: str | None = None
    with_future: object = None
    without_future: object = None
    cut: pd.Timestamp | None = None

    @property
    def ok(self) -> bool:
        """True when no decision changed at any cut."""
        return self.symbol is None

    def message(self) -> str:
        """One line: the verdict, and for a failure where and what."""
        if self.ok:
            return (f"{self.strategy}: no look-ahead found ({len(self.cuts)} cut points, {self.kind}: every "
                    "decision before each cut is the same without the later bars)")
        hint = ("generate_signals reads bars after the one it decides on (e.g. shift(-1), a centred rolling "
                "window, a full-sample mean or z-score)" if self.kind == "vectorized"
                else "the strategy reads bars after the one it decides on")
        return (f"{self.strategy}: look-ahead at {self.symbol} {self.time}: {self.signal} is {self.with_future!r} "
                f"with the full history but {self.without_future!r} when the history stops before {self.cut}; {hint}")

    __str__ = message

    def to_dict(self) -> dict:
        """The report as JSON-ready values."""
        return {"strategy": self.strategy, "kind": self.kind, "ok": self.ok,
                "cuts": [_stamp(t) for t in self.cuts], "symbol": self.symbol, "time": _stamp(self.time),
                "signal": self.signal, "with_future": _plain(self.with_future),
                "without_future": _plain(self.without_future), "cut": _stamp(self.cut), "message": self.message()}


def check_signals_causal(target: VectorizedStrategy, market: Market, params: dict, cuts: int,
                         name: str) -> LookaheadReport:
    """The vectorized check on a prepared market (the sweep calls it on its first combination)."""
    rows = cut_rows(market.n_bars, cuts)
    full = _signals(target, market, market.n_bars, params)
    found = None
    for k in rows:
        try:
            cut = _signals(target, market, k, params)
        except SignalError as e:
            raise SignalError(f"{e} (on the first {k} of {market.n_bars} bars: the look-ahead check runs "
                              "generate_signals on histories cut short; a strategy that needs every bar can "
                              "skip the check with lookahead=False)") from e
        for label, a, b in zip(("entries", "exits"), full, cut, strict=True):
            changed = np.nonzero(a[:k] != b)
            if changed[0].size and (found is None or changed[0][0] < found[0]):
                row, col = int(changed[0][0]), int(changed[1][0])
                found = (row, col, label, bool(a[row, col]), bool(b[row, col]), k)
    times = [market.index[k] for k in rows]
    if found is None:
        return LookaheadReport(name, "vectorized", times)
    row, col, label, with_future, without_future, k = found
    return LookaheadReport(name, "vectorized", times, market.symbols[col], market.index[row], label, with_future,
                           without_future, market.index[k])


def cut_rows(n_bars: int, cuts: int) -> list[int]:
    """``cuts`` rows spread evenly inside ``(0, n_bars)``: the first row each cut history leaves out."""
    if n_bars < 3:
        raise InputError(f"the look-ahead check needs at least 3 bars, the range has {n_bars}; widen the range")
    rows = np.linspace(0, n_bars, cuts + 2)[1:-1].round().astype(int)
    return sorted({int(r) for r in rows if 0 < r < n_bars})


def _signals(target: VectorizedStrategy, market: Market, stop: int, params: dict):
    """``generate_signals`` on the first ``stop`` bars, checked like the sweep checks it."""
    frames = {name: pd.DataFrame(getattr(market, name)[:stop, :len(market.symbols)], index=market.index[:stop],
                                 columns=list(market.symbols)) for name in FIELDS}
    where = f"{type(target).__name__}.generate_signals"
    kept = getattr(target, "bars", None)
    target.bars = frames
    try:
        produced = target.generate_signals(frames["close"], frames["volume"], **params)
    except Exception as e:
        raise call_error(where, params, e) from e
    finally:
        target.bars = kept
    return signal_arrays(produced, frames["close"], where, params)


def sweep_verdict(target: VectorizedStrategy, market: Market, params: dict, name: str,
                  cuts: int = SWEEP_CUTS) -> LookaheadReport:
    """``check_signals_causal`` on a sweep's first combination, remembered by the strategy's source and
    ``params`` (a strategy whose source cannot be read is checked every time)."""
    source = _source_digest(type(target))
    key = (source, repr(sorted(params.items()))) if source else None
    if key in _VERDICTS:
        return _VERDICTS[key]
    report = check_signals_causal(target, market, params, cuts, name)
    if key is not None:
        if len(_VERDICTS) >= _MAX_VERDICTS:
            _VERDICTS.pop(next(iter(_VERDICTS)))
        _VERDICTS[key] = report
    return report


def _source_digest(cls: type) -> str | None:
    """The digest of the class's source as it was when first asked (the class object runs that code)."""
    if cls not in _DIGESTS:
        try:
            text = inspect.getsource(cls)
        except (OSError, TypeError):
            _DIGESTS[cls] = None
        else:
            _DIGESTS[cls] = hashlib.sha256(f"{cls.__module__}.{cls.__qualname__}\n{text}".encode()).hexdigest()
    return _DIGESTS[cls]


def _stamp(time) -> str | None:
    return None if time is None else pd.Timestamp(time).isoformat()


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
