"""Run manifests: everything a result needs to be run again, and fingerprints of the exact bars it used.

A manifest is plain JSON-ready data, carried by every ``BacktestResult`` and
``SweepResult`` as ``.manifest`` (and in their ``to_dict()``):

- ``entry``: the call that produced it (``backtest``, ``vectorized_backtest``
  or ``sweep``) and its ``options`` that are not part of the run
  specification (a sweep's ``metric``, ``quantity``, ``fused``; ``untrusted``);
- ``spec``: the ``RunSpec`` (strategy reference and source hash, symbols,
  dates, timeframe, parameters or grid, risk and matching settings, data
  reference);
- ``strategy``: its name, class, source hash and origin (the Git repository,
  branch and commit when the code came from Git);
- ``data``: per symbol, the source and a fingerprint of the exact bars used,
  plus the benchmark's daily closes;
- ``environment``: library versions, the exchange calendar and the time-zone
  database version;
- ``outcome``: the metrics (a backtest) or a digest of every combination's row
  (a sweep), so ``research_env.replay`` can say whether it got the same numbers.

A bar fingerprint is the SHA-256 of the bars' column buffers: UTC nanosecond
times (int64), then each column as float64, the same bytes an Arrow
``timestamp[ns, UTC]``/``float64`` column holds, plus one short digest per
New York session so a changed bar can be named by its date.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import operator
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "MANIFEST_VERSION",
    "backtest_manifest",
    "bars_change",
    "bars_fingerprint",
    "closes_change",
    "closes_fingerprint",
    "environment",
    "rows_digest",
    "run_manifest",
    "sweep_manifest",
]

MANIFEST_VERSION = 1
#: hex characters of each session's digest (32 bits: a short name for a day, the whole digest decides)
_DAY_HEX = 8
_PACKAGES = ("research-env", "numpy", "pandas", "numba", "pyarrow", "exchange-calendars", "tzdata")


def bars_fingerprint(frame: pd.DataFrame) -> dict:
    """The fingerprint of one symbol's bar frame (tz-aware index of bar close times, numeric columns):
    ``rows``, ``first``/``last`` bar time (ISO, UTC), ``columns``, ``digest`` (SHA-256) and ``days``
    (``first_session``, ``sessions`` and one short digest per session, concatenated)."""
    from .data import session_dates

    stamps = frame.index.as_unit("ns").asi8 if len(frame) else np.empty(0, np.int64)
    columns = [str(c) for c in frame.columns]
    values = [np.ascontiguousarray(frame[c].to_numpy(np.float64)) for c in frame.columns]
    days = session_dates(frame.index) if len(frame) else np.empty(0, "datetime64[D]")
    return _fingerprint(stamps, columns, values, days,
                        first=frame.index[0].isoformat() if len(frame) else None,
                        last=frame.index[-1].isoformat() if len(frame) else None)


def closes_fingerprint(closes: pd.Series | None) -> dict | None:
    """The fingerprint of daily closes indexed by session date (a run's benchmark), or ``None``."""
    if closes is None:
        return None
    days = closes.index.values.astype("datetime64[D]")
    stamps = days.astype("datetime64[ns]").astype(np.int64)
    return _fingerprint(stamps, ["close"], [np.ascontiguousarray(closes.to_numpy(np.float64))], days,
                        first=str(days[0]) if len(days) else None, last=str(days[-1]) if len(days) else None)


def _fingerprint(stamps: np.ndarray, columns: list[str], values: list[np.ndarray], days: np.ndarray, *,
                 first: str | None, last: str | None) -> dict:
    whole = hashlib.sha256(json.dumps(columns).encode())
    whole.update(np.ascontiguousarray(stamps, dtype="<i8").tobytes())
    for column in values:
        whole.update(column.astype("<f8", copy=False).tobytes())
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]]) if len(days) else np.empty(0, np.intp)
    return {"rows": int(len(stamps)), "first": first, "last": last, "columns": columns,
            "digest": whole.hexdigest(), "first_session": str(days[0]) if len(days) else None,
            "sessions": int(len(starts)), "days": _session_digests(stamps, values, starts)}


def _session_digests(stamps: np.ndarray, values: list[np.ndarray], starts: np.ndarray) -> str:
    """One 32-bit digest per session (rows ``starts[k]`` to the next start), as 8 hex characters each: every
    row's time, values and place in its session mixed into 64 bits (SplitMix64's finaliser), summed per
    session. It names the session that changed; the SHA-256 of the whole decides whether anything did."""
    if not len(stamps):
        return ""
    place = np.arange(len(stamps), dtype=np.int64) - np.repeat(starts, np.diff(np.r_[starts, len(stamps)]))
    mixed = _mix(np.ascontiguousarray(stamps, dtype="<i8").view(np.uint64) ^ _mix(place.view(np.uint64)))
    for column in values:
        mixed = _mix(mixed ^ column.astype("<f8", copy=False).view(np.uint64))
    sums = np.add.reduceat(mixed, starts)
    return ((sums ^ (sums >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(">u4").tobytes().hex()


def _mix(x: np.ndarray) -> np.ndarray:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def bars_change(recorded: dict, frame: pd.DataFrame) -> str | None:
    """How ``frame`` differs from the ``recorded`` bar fingerprint, in words naming the first session that
    changed; ``None`` when they are the same bars."""
    from .data import session_dates

    return _change(recorded, bars_fingerprint(frame), np.unique(session_dates(frame.index)) if len(frame) else [])


def closes_change(recorded: dict | None, closes: pd.Series | None) -> str | None:
    """How daily ``closes`` differ from the ``recorded`` fingerprint (either may be ``None``: no benchmark)."""
    if recorded is None or closes is None:
        return None if recorded is None and closes is None else (
            "there were no benchmark closes then" if recorded is None else "there are no benchmark closes now")
    return _change(recorded, closes_fingerprint(closes), closes.index.values.astype("datetime64[D]"))


def _change(recorded: dict, current: dict, days) -> str | None:
    if recorded["digest"] == current["digest"]:
        return None
    if recorded["columns"] != current["columns"]:
        return f"the columns changed from {recorded['columns']} to {current['columns']}"
    old, new = _split(recorded["days"]), _split(current["days"])
    first = next((n for n, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    if len(old) == len(new):
        if first == len(new):
            return "the bars differ within a session whose short digest is unchanged"
        return f"the bars of session {days[first]} differ"
    if first < len(new):
        return f"the sessions differ from {days[first]} on ({len(new)} sessions now, {len(old)} recorded)"
    if not new:
        return f"there are no bars now ({len(old)} sessions recorded)"
    missing = len(old) - len(new)
    return (f"{missing} session{'s' if missing > 1 else ''} after {days[-1]} {'are' if missing > 1 else 'is'} "
            f"missing ({len(new)} now, {len(old)} recorded)")


def _split(days: str) -> list[str]:
    return [days[i:i + _DAY_HEX] for i in range(0, len(days), _DAY_HEX)]


def rows_digest(rows: list[dict]) -> str:
    """SHA-256 of a sweep's rows: every report metric as float64 (``None`` as NaN) in row order, then each
    row's parameters and denials as JSON."""
    from .engine.metrics import LABELS

    names = [name for name in LABELS if name != "benchmark_note"]
    metrics, rest = operator.itemgetter(*names), operator.itemgetter("params", "denials")
    numbers = np.array([metrics(row) for row in rows], dtype="<f8")
    rest = [rest(row) for row in rows]
    digest = hashlib.sha256(json.dumps(names).encode())
    digest.update(numbers.tobytes())
    digest.update(json.dumps(rest, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def environment() -> dict:
    """Library versions, the Python version, the exchange calendar and the time-zone database in use."""
    return copy.deepcopy(_environment())


@functools.cache
def _environment() -> dict:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"versions": versions, "calendar": "XNYS", "time_zone": "America/New_York",
            "tz_database": _tz_database()}


def _tz_database() -> str | None:
    """The IANA version of the time-zone database ``zoneinfo`` reads: the system's, else the tzdata package's."""
    import zoneinfo

    for folder in zoneinfo.TZPATH:
        table = Path(folder) / "tzdata.zi"
        if table.is_file():
            with table.open() as lines:
                first = lines.readline().split()
            return f"system {first[-1]}" if first[:2] == ["#", "version"] else "system (version unknown)"
    try:
        import tzdata

        return f"tzdata {tzdata.IANA_VERSION}"
    except ImportError:
        return None


def run_manifest(entry: str, spec, bars: Mapping[str, pd.DataFrame], sources: Mapping[str, str],
                 origins: Mapping, *, strategy_class: str, benchmark: pd.Series | None, outcome: dict,
                 options: Mapping | None = None) -> dict:
    """The manifest of one run: ``entry`` (``backtest``, ``vectorized_backtest``, ``sweep``), its ``RunSpec``,
    the bars each symbol ran on, where they came from, the benchmark's closes and the ``outcome``."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "entry": entry,
        "options": dict(options or {}),
        "strategy": {"name": spec.strategy.name, "class": strategy_class, "source_hash": spec.strategy.digest,
                     "origin": spec.origin},
        "spec": spec.to_dict(),
        "data": {symbol: {"source": sources[symbol], "origin": origins[symbol].as_dict(),
                          "bars": bars_fingerprint(bars[symbol])} for symbol in spec.symbols},
        "benchmark": {"symbol": spec.config.benchmark, "closes": closes_fingerprint(benchmark)},
        "environment": environment(),
        "outcome": outcome,
    }


def backtest_manifest(result) -> dict:
    """The manifest of a ``BacktestResult`` that kept its ``spec`` and ``bars``: a bar-by-bar run, or one
    combination of a vectorized strategy (``spec.mode == "vectorized"``)."""
    entry = "vectorized_backtest" if result.spec.mode == "vectorized" else "backtest"
    return run_manifest(entry, result.spec, result.bars, result.data_sources, result.data_origins,
                        strategy_class=result.strategy_class, benchmark=result.benchmark,
                        outcome={"metrics": result.metrics.to_dict()}, options=result.run_options)


def sweep_manifest(spec, bars, sources, origins, *, strategy_class: str, benchmark: pd.Series | None,
                   rows: list[dict], options: Mapping) -> dict:
    """The manifest of a sweep: its spec (with the grid), the bars, and a digest of every combination's row."""
    return run_manifest("sweep", spec, bars, sources, origins, strategy_class=strategy_class, benchmark=benchmark,
                        outcome={"combinations": len(rows), "rows_digest": rows_digest(rows)}, options=options)
