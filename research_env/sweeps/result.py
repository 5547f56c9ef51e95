"""``SweepResult`` and ``WalkForwardResult``: what a sweep produced, as data (tables and JSON)."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..engine.metrics import LABELS
from ..engine.result import describe_origin, format_metric
from ..errors import InputError

if TYPE_CHECKING:
    from ..data import DataOrigin

__all__ = ["METRIC_NAMES", "SweepResult", "WalkForwardResult", "rank_key"]

#: the per-combination metrics, in ``Metrics`` field order (without the benchmark note)
METRIC_NAMES = tuple(k for k in LABELS if k != "benchmark_note")
_INTS = {"total_trades", "trading_days"}
_WHOLE = tuple(name in _INTS for name in METRIC_NAMES)
#: metrics where smaller is better when ranking (none by default: drawdowns and losses are negative numbers)
_MINIMIZE: frozenset[str] = frozenset()


def rank_key(metric: str, maximize: bool | None = None):
    """Sort key that puts the best value of ``metric`` first and undefined values last."""
    up = metric not in _MINIMIZE if maximize is None else maximize

    def key(row: dict):
        value = row.get(metric)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return (1, 0.0)
        return (0, -value if up else value)

    return key


@dataclass
class SweepResult:
    """Metrics of every parameter combination of one sweep, plus how each risk rule was applied.

    ``rows`` hold one dict per combination: ``params`` and each report metric
    (``None`` when undefined) and ``denials`` (signals denied per risk rule).
    ``kind`` is ``"vectorized"``, ``"vectorized-fused"`` or ``"bar-by-bar"``.
    ``lookahead`` is the look-ahead verdict of the first combination (vectorized
    sweeps that call ``generate_signals``); ``daily_returns`` each combination's
    daily returns, ``(combinations, sessions)`` float32, when the sweep kept them;
    ``manifest`` what ``research_env.replay`` needs to run the sweep again and
    check every combination's numbers (``research_env.manifest``).
    """

    strategy: str
    kind: str
    symbols: list[str]
    timeframe: str
    start: datetime
    end: datetime
    grid: dict[str, list]
    rows: list[dict]
    elapsed_seconds: float
    metric: str = "sharpe_ratio"
    maximize: bool = True
    risk_rules: list[dict] = field(default_factory=list)
    data_sources: dict[str, str] = field(default_factory=dict)
    data_origins: dict[str, DataOrigin] = field(default_factory=dict)
    benchmark_note: str | None = None
    warnings: list[str] = field(default_factory=list)
    origin: dict | None = None
    lookahead: dict | None = None
    daily_returns: np.ndarray | None = field(default=None, repr=False)
    manifest: dict | None = field(default=None, repr=False)

    # --- summary --------------------------------------------------------
    @property
    def total_combinations(self) -> int:
        return len(self.rows)

    @property
    def param_names(self) -> list[str]:
        return list(self.grid)

    @property
    def synthetic_symbols(self) -> list[str]:
        """Symbols whose bars came from the demo generator."""
        return [s for s, src in self.data_sources.items() if src.startswith("demo")]

    def ranked(self, metric: str | None = None) -> list[dict]:
        """Rows best first by ``metric`` (default: the sweep's); undefined values last."""
        metric = metric or self.metric
        _check_metric(metric)
        return sorted(self.rows, key=rank_key(metric, self.maximize))

    @property
    def best(self) -> dict | None:
        """``{"params": ..., <metric>: value}`` of the best combination, or ``None`` when no value is defined."""
        if not self.rows:
            return None
        top = self.ranked()[0]
        if top.get(self.metric) is None:
            return None
        return {"params": dict(top["params"]), self.metric: top[self.metric]}

    def overfitting(self, splits: int = 16, folds: int = 4) -> dict:
        """How much the best combination's result owes to trying many: the deflated Sharpe ratio (raw and
        effective trial counts), the probability of backtest overfitting (CSCV over ``splits`` blocks) and, under
        ``walk_forward``, a walk-forward over ``folds`` folds of the same returns, with their one-line
        ``reading`` (``research_env.sweeps.overfitting``; needs the kept ``daily_returns``)."""
        from .overfitting import describe_overfitting, overfitting_stats, walk_forward_returns

        if self.daily_returns is None:
            raise InputError(f"the sweep of {self.strategy} kept no daily returns (keep_returns=False, a grid over "
                             "the 64 MB limit, or an untrusted sweep, whose answer carries metrics only); run it "
                             "again with keep_returns=True")
        stats = overfitting_stats(self.daily_returns.T, splits=splits)
        stats["best_params"] = dict(self.rows[stats["best"]]["params"])
        walk = walk_forward_returns(self.daily_returns.T, folds=folds)
        for fold in walk["folds"]:
            fold["params"] = None if fold["selected"] is None else dict(self.rows[fold["selected"]]["params"])
        stats["walk_forward"] = walk
        stats["reading"] = describe_overfitting(stats)
        return stats

    # --- tables -----------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """One row per combination: a column per parameter, per metric, and ``denied`` (signals denied)."""
        records = []
        for row in self.rows:
            record = dict(row["params"])
            record.update({name: row.get(name) for name in METRIC_NAMES})
            record["denied"] = sum(row.get("denials", {}).values())
            records.append(record)
        frame = pd.DataFrame.from_records(records, columns=[*self.grid, *METRIC_NAMES, "denied"])
        for name in METRIC_NAMES:
            if name not in _INTS:
                frame[name] = frame[name].astype(float)
        return frame

    def stability(self, metric: str | None = None, radius: int = 1) -> pd.DataFrame:
        """Each combination's ``metric`` beside its grid neighbours' (every cell within ``radius`` steps on
        each parameter axis): their mean, min, max and count, and ``drop`` = own value - neighbours' mean.

        A best cell with a large ``drop`` is an island: its neighbours do much worse.
        """
        metric = metric or self.metric
        _check_metric(metric)
        if radius < 1:
            raise InputError(f"`radius` must be at least 1, got {radius}")
        axes = [list(v) for v in self.grid.values()]
        shape = tuple(len(v) for v in axes)
        values = np.full(shape, np.nan)
        positions = []
        for row in self.rows:
            at = tuple(_position(axis, row["params"][name]) for axis, name in zip(axes, self.grid, strict=True))
            positions.append(at)
            value = row.get(metric)
            values[at] = np.nan if value is None else value
        records = []
        steps = list(itertools.product(range(-radius, radius + 1), repeat=len(shape)))
        for row, at in zip(self.rows, positions, strict=True):
            around = []
            for step in steps:
                if not any(step):
                    continue
                cell = tuple(a + d for a, d in zip(at, step, strict=True))
                if all(0 <= c < n for c, n in zip(cell, shape, strict=True)) and not np.isnan(values[cell]):
                    around.append(values[cell])
            own = values[at]
            mean = float(np.mean(around)) if around else np.nan
            records.append({**row["params"], metric: own, "neighbors_mean": mean,
                            "neighbors_min": min(around) if around else np.nan,
                            "neighbors_max": max(around) if around else np.nan,
                            "n_neighbors": len(around), "drop": own - mean})
        return pd.DataFrame.from_records(
            records, columns=[*self.grid, metric, "neighbors_mean", "neighbors_min", "neighbors_max", "n_neighbors",
                              "drop"])

    # --- export -------------------------------------------------------------
    def to_dict(self) -> dict:
        """The guide's "Sweep Response" (``total_combinations``, ``elapsed_seconds``, ``results``, ``best``)
        plus provenance and how each risk rule was applied."""
        return {
            "strategy": self.strategy,
            "kind": self.kind,
            "symbols": list(self.symbols),
            "timeframe": self.timeframe,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "total_combinations": self.total_combinations,
            "elapsed_seconds": self.elapsed_seconds,
            "metric": self.metric,
            "results": [_jsonable_row(r) for r in self.rows],
            "best": _jsonable_row(self.best) if self.best else None,
            "risk_rules": self.risk_rules,
            "data_sources": self.data_sources,
            "data_origins": {s: origin.as_dict() for s, origin in self.data_origins.items()},
            "synthetic": bool(self.synthetic_symbols),
            "benchmark_note": self.benchmark_note,
            "warnings": self.warnings,
            "origin": self.origin,
            "lookahead": self.lookahead,
            "manifest": self.manifest,
        }

    def to_json(self, **kwargs) -> str:
        """``to_dict()`` as a JSON string."""
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict, *, grid: dict[str, list], maximize: bool = True) -> SweepResult:
        """The result ``to_dict`` gave (a contained sweep's answer), with the ``grid`` it swept."""
        from ..data import DataOrigin

        return cls(strategy=data["strategy"], kind=data["kind"], symbols=list(data["symbols"]),
                   timeframe=data["timeframe"], start=datetime.fromisoformat(data["start"]),
                   end=datetime.fromisoformat(data["end"]), grid={k: list(v) for k, v in grid.items()},
                   rows=list(data["results"]), elapsed_seconds=data["elapsed_seconds"], metric=data["metric"],
                   maximize=maximize, risk_rules=list(data["risk_rules"]), data_sources=dict(data["data_sources"]),
                   data_origins={s: DataOrigin(**o) for s, o in data["data_origins"].items()},
                   benchmark_note=data["benchmark_note"], warnings=list(data["warnings"]), origin=data["origin"],
                   lookahead=data.get("lookahead"), manifest=data.get("manifest"))

    def report(self, top: int = 10) -> str:
        """A plain-text summary: the best rows, how the risk rules were applied, warnings."""
        lines = []
        if self.synthetic_symbols:
            lines.append(f"!! SYNTHETIC DATA: {', '.join(self.synthetic_symbols)} ran on demo bars, not market data !!")
        lines.append(f"Sweep of {self.strategy} ({self.kind}) on {', '.join(self.symbols)}, {self.timeframe} bars, "
                     f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}: {self.total_combinations} combinations in "
                     f"{self.elapsed_seconds:.2f} s")
        if self.origin is not None and self.origin.get("commit"):
            lines.append("Code: " + describe_origin(self.origin))
        frame = self.to_frame()
        if len(frame):
            order = [self.rows.index(r) for r in self.ranked()[:top]]
            shown = frame.iloc[order][[*self.grid, "total_return", "sharpe_ratio", "max_drawdown", "win_rate",
                                       "total_trades", "denied"]].copy()
            for name in ("total_return", "sharpe_ratio", "max_drawdown", "win_rate", "total_trades"):
                shown[name] = [_formatted(name, v) for v in shown[name]]
            lines.append(f"Top {len(shown)} by {self.metric}:")
            lines.append(shown.to_string(index=False))
        best = self.best
        lines.append(f"Best: {best['params']} ({self.metric} = {format_metric(self.metric, best[self.metric])})"
                     if best
                     else f"Best: none ({self.metric} is undefined for every combination)")
        lines.extend(self._integrity_lines())
        rules = ", ".join(f"{r['rule']}: {r['status']}" for r in self.risk_rules)
        if rules:
            lines.append(f"Risk rules: {rules}")
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def _integrity_lines(self) -> list[str]:
        """The overfitting reading (when the returns were kept and the grid has two or more usable trials) and
        the look-ahead verdict."""
        lines = []
        if self.daily_returns is not None and len(self.rows) >= 2:
            try:
                lines.append(f"Overfitting: {self.overfitting()['reading']}")
            except InputError as e:
                lines.append(f"Overfitting: not computed ({e})")
        if self.lookahead is not None:
            lines.append(f"Look-ahead: {self.lookahead['message']}")
        return lines

    def __str__(self) -> str:
        return self.report()

    # --- Jupyter display (drawn by the notebook layer, loaded on first display) ---
    def _ipython_display_(self) -> None:
        """In IPython: the report as several outputs, the heatmap as plotly JSON with an HTML fallback."""
        from IPython.display import display

        for bundle in self._repr_outputs_():
            display(bundle, raw=True)

    def _repr_outputs_(self) -> list[dict]:
        from ..notebook.report import sweep_outputs

        return sweep_outputs(self)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from ..notebook.report import sweep_mimebundle

        return sweep_mimebundle(self)


@dataclass
class WalkForwardResult:
    """Per fold: the in-sample window, the parameters chosen there, and their out-of-sample metrics.

    ``lookahead`` is the look-ahead verdict of the first combination, as ``SweepResult.lookahead``."""

    strategy: str
    kind: str
    metric: str
    anchored: bool
    folds: list[dict]
    elapsed_seconds: float
    warnings: list[str] = field(default_factory=list)
    origin: dict | None = None
    lookahead: dict | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per fold: windows, chosen parameters, in-sample and out-of-sample metric values."""
        records = []
        for f in self.folds:
            record = {k: f[k] for k in ("fold", "train_start", "train_end", "test_start", "test_end")}
            record.update({f"param_{k}": v for k, v in (f["params"] or {}).items()})
            record[f"in_sample_{self.metric}"] = f["in_sample"].get(self.metric) if f["in_sample"] else None
            for name in METRIC_NAMES:
                record[f"oos_{name}"] = f["out_of_sample"].get(name) if f["out_of_sample"] else None
            records.append(record)
        return pd.DataFrame.from_records(records)

    def to_dict(self) -> dict:
        """JSON-friendly folds."""
        return {"strategy": self.strategy, "kind": self.kind, "metric": self.metric, "anchored": self.anchored,
                "elapsed_seconds": self.elapsed_seconds,
                "folds": [_jsonable_fold(f) for f in self.folds], "warnings": self.warnings, "origin": self.origin,
                "lookahead": self.lookahead}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)


def metric_row(params: dict, values: np.ndarray | list | dict, denials: dict[str, int]) -> dict:
    """One result row from kernel output (a metrics vector or its ``tolist()``, NaN = undefined) or a
    ``Metrics.to_dict()``."""
    row: dict = {"params": dict(params)}
    if isinstance(values, dict):
        values = [values[name] for name in METRIC_NAMES]
    elif isinstance(values, np.ndarray):
        values = values.tolist()
    for name, whole, value in zip(METRIC_NAMES, _WHOLE, values, strict=True):
        if value is None or value != value:
            row[name] = None
        else:
            row[name] = int(value) if whole else float(value)
    row["denials"] = {k: int(v) for k, v in denials.items() if v}
    return row


def _formatted(name: str, value) -> str:
    """A metric cell of the text table as the reports print it (percent, 4 decimals, counts, n/a)."""
    if value is None or pd.isna(value):
        return "n/a"
    return format_metric(name, int(value) if name in _INTS else float(value))


def _check_metric(metric: str) -> None:
    if metric not in METRIC_NAMES:
        raise InputError(f"`metric` {metric!r} is not a report metric; use one of {', '.join(METRIC_NAMES)}")


def _position(axis: list, value) -> int:
    for i, v in enumerate(axis):
        if v == value:
            return i
    raise InputError(f"value {value!r} is not on the grid axis {axis}")


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, bool | int | float | str | type(None)):
        return value
    return str(value)


def _jsonable_row(row: dict) -> dict:
    return {k: ({p: _jsonable(v) for p, v in row[k].items()} if isinstance(row[k], dict) else _jsonable(row[k]))
            for k in row}


def _jsonable_fold(fold: dict) -> dict:
    out = {}
    for k, v in fold.items():
        if isinstance(v, dict):
            out[k] = {p: _jsonable(x) for p, x in v.items()}
        elif isinstance(v, pd.Timestamp | datetime):
            out[k] = v.isoformat()
        else:
            out[k] = _jsonable(v)
    return out
