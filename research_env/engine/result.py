"""``BacktestResult``: everything one backtest produced, as data (the notebook layer draws it)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from ..core.enums import OrderSide, OrderStatus, OrderType
from ..core.models import Fill, Order, Trade
from .config import BacktestConfig
from .events import OrderDenied, RiskRule
from .metrics import LABELS, Metrics
from .trades import round_trips

if TYPE_CHECKING:
    from ..data import DataOrigin
    from ..run_spec import RunSpec

__all__ = ["BacktestResult", "describe_origin", "format_metric"]

_PERCENT = {"total_return", "annualized_return", "max_drawdown", "win_rate", "max_daily_loss", "alpha"}
_MONEY = {"final_equity", "total_commission"}


@dataclass
class BacktestResult:
    """Equity, drawdown, fills, round trips, denials, metrics and provenance of one run.

    ``closes`` holds each symbol's close prices over the run; ``bars`` each
    symbol's bar frame (``open, high, low, close, volume``) when the entry
    point keeps them, for candlestick charts (the charts fall back to
    ``closes``); ``spec`` the ``RunSpec`` that produced it; ``manifest``
    what ``research_env.replay`` needs to run it again and check the numbers;
    ``run_options`` the entry point's options outside the spec (``quantity``
    and ``fused`` of a vectorized run, ``untrusted``). The ``*_frame()`` tables give times in New York
    (``datetime64[..., America/New_York]``).
    """

    strategy: str
    strategy_class: str
    symbols: list[str]
    timeframe: str
    start: datetime
    end: datetime
    config: BacktestConfig
    parameters: dict
    variables: dict
    equity: pd.Series
    drawdown: pd.Series
    fills: list[Fill]
    trades: list[Trade]
    orders: list[Order]
    denials: list[OrderDenied]
    data_sources: dict[str, str]
    metrics: Metrics
    benchmark: pd.Series | None = None
    warnings: list[str] = field(default_factory=list)
    logs: list[tuple] = field(default_factory=list)
    closes: dict[str, pd.Series] = field(default_factory=dict)
    spec: RunSpec | None = None
    coverage: dict[str, tuple[str, str]] = field(default_factory=dict)
    bars: dict[str, pd.DataFrame] = field(default_factory=dict)
    data_origins: dict[str, DataOrigin] = field(default_factory=dict)
    run_options: dict = field(default_factory=dict)
    _manifest: dict | None = field(default=None, init=False, repr=False, compare=False)

    # --- provenance ----------------------------------------------------
    @property
    def synthetic_symbols(self) -> list[str]:
        """Symbols whose bars came from the demo generator (synthetic, not market data)."""
        return [s for s, src in self.data_sources.items() if src.startswith("demo")]

    @property
    def is_synthetic(self) -> bool:
        """True when any symbol ran on synthetic demo bars."""
        return bool(self.synthetic_symbols)

    @property
    def origin(self) -> dict | None:
        """Where the code that ran came from (``RunSpec.origin``): repository, branch, commit and path for a Git
        source; the file and its content digest otherwise."""
        return self.spec.origin if self.spec is not None else None

    @property
    def manifest(self) -> dict | None:
        """What ``research_env.replay`` needs to run this again and check it got the same numbers: the run
        specification, the source hash, a fingerprint of each symbol's bars, library and calendar versions
        and the metrics (``research_env.manifest``). Built on first use; ``None`` for a result that kept
        neither its spec nor its bars."""
        if self._manifest is None and self.spec is not None and self.bars:
            from ..manifest import backtest_manifest

            self._manifest = backtest_manifest(self)
        return self._manifest

    def coverage_notes(self) -> list[str]:
        """One line per symbol whose bars cover less than the sessions the run asked for."""
        return [f"{s}: bars only from {first} to {last} of the requested {self.start:%Y-%m-%d} to "
                f"{self.end:%Y-%m-%d} (end exclusive)" for s, (first, last) in self.coverage.items()]

    # --- tables --------------------------------------------------------
    def denial_counts(self) -> dict[str, int]:
        """How many signals each risk rule denied."""
        return dict(Counter(str(d.rule) for d in self.denials))

    def fills_frame(self) -> pd.DataFrame:
        """One row per fill; ``time`` in New York."""
        rows = [
            {"time": f.timestamp, "order_id": f.order_id, "symbol": f.symbol, "side": str(f.side),
             "quantity": f.quantity, "price": f.price, "commission": f.commission, "reason": f.reason}
            for f in self.fills
        ]
        frame = pd.DataFrame(rows, columns=["time", "order_id", "symbol", "side", "quantity", "price",
                                            "commission", "reason"])
        return _new_york(frame, "time")

    def trades_frame(self) -> pd.DataFrame:
        """One row per round trip (open trades last, without exit); ``entry_time``/``exit_time`` in New York."""
        rows = [
            {"symbol": t.symbol, "side": str(t.side), "quantity": t.quantity, "entry_time": t.entry_time,
             "entry_price": t.entry_price, "exit_time": t.exit_time, "exit_price": t.exit_price, "pnl": t.pnl,
             "return_pct": t.return_pct, "commission": t.commission}
            for t in self.trades
        ]
        frame = pd.DataFrame(rows, columns=["symbol", "side", "quantity", "entry_time", "entry_price",
                                            "exit_time", "exit_price", "pnl", "return_pct", "commission"])
        return _new_york(frame, "entry_time", "exit_time")

    def denials_frame(self) -> pd.DataFrame:
        """One row per denied signal: time (New York), symbol, rule and the readable reason."""
        frame = pd.DataFrame([d.to_dict() for d in self.denials],
                             columns=["timestamp", "symbol", "side", "order_type", "quantity", "rule", "reason",
                                      "signal_reason", "order_id"])
        return _new_york(frame, "timestamp")

    def logs_frame(self) -> pd.DataFrame:
        """Lines the strategy logged (``self.log``, or ``print`` in function-style strategies), with bar time
        (New York)."""
        return _new_york(pd.DataFrame(self.logs, columns=["time", "message"]), "time")

    # --- export --------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-friendly summary: metrics, trades, denials and provenance (not the equity series)."""
        return {
            "strategy": self.strategy,
            "symbols": self.symbols,
            "timeframe": self.timeframe,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "initial_cash": self.config.initial_cash,
            "parameters": _jsonable(self.parameters),
            "metrics": self.metrics.to_dict(),
            "data_sources": self.data_sources,
            "data_origins": {s: origin.as_dict() for s, origin in self.data_origins.items()},
            "synthetic": self.is_synthetic,
            "denial_counts": self.denial_counts(),
            "denials": [d.to_dict() for d in self.denials],
            "trades": json.loads(self.trades_frame().to_json(orient="records", date_format="iso")),
            "warnings": self.warnings,
            "logs": [[t.isoformat() if t is not None else None, m] for t, m in self.logs],
            "spec": self.spec.to_dict() if self.spec is not None else None,
            "partial_coverage": {s: list(span) for s, span in self.coverage.items()},
            "origin": self.origin,
            "manifest": self.manifest,
        }

    def to_json(self, **kwargs) -> str:
        """``to_dict()`` as a JSON string."""
        return json.dumps(self.to_dict(), **kwargs)

    def to_payload(self) -> dict:
        """``to_dict()`` plus everything ``from_dict`` rebuilds the result from (series, fills, orders, config):
        how a result crosses a process boundary (the sandbox, the service) as JSON, never as pickle."""
        plain = (bool, int, float, str, type(None))
        return {
            **self.to_dict(),
            "strategy_class": self.strategy_class,
            "config": self.config.to_dict(),
            "variables": {k: v if isinstance(v, plain) else str(v) for k, v in self.variables.items()},
            "equity": _encode_series(self.equity),
            "drawdown": _encode_series(self.drawdown),
            "benchmark": _encode_series(self.benchmark) if self.benchmark is not None else None,
            "closes": {symbol: _encode_series(close) for symbol, close in self.closes.items()},
            "fills": [_encode_record(fill) for fill in self.fills],
            "orders": [_encode_record(order) for order in self.orders],
        }

    @classmethod
    def from_dict(cls, payload: dict, *, spec: RunSpec | None = None) -> BacktestResult:
        """The result a worker process sent as JSON: ``to_dict()`` plus what it leaves out.

        The extra keys: ``strategy_class``, ``config`` (``BacktestConfig.to_dict()``), ``variables``, the
        series ``equity``, ``drawdown``, ``benchmark`` (or ``None``) and ``closes`` (``{symbol: series}``), each
        ``{"name", "dtype", "index_name", "index_dtype", "index": [ISO times], "values": [...]}``, and ``fills``
        and ``orders``, one record per object with its fields by name (ISO times, enums as text). Round trips
        are rebuilt from the fills; ``bars`` stay empty; ``spec`` is the ``RunSpec`` to attach (the engine does
        not read run specifications).
        """
        from ..data import DataOrigin

        fills = [_fill(record) for record in payload["fills"]]
        result = cls(
            strategy=payload["strategy"],
            strategy_class=payload["strategy_class"],
            symbols=list(payload["symbols"]),
            timeframe=payload["timeframe"],
            start=datetime.fromisoformat(payload["start"]),
            end=datetime.fromisoformat(payload["end"]),
            config=BacktestConfig.from_dict(payload["config"]),
            parameters=dict(payload["parameters"]),
            variables=dict(payload["variables"]),
            equity=_series(payload["equity"]),
            drawdown=_series(payload["drawdown"]),
            fills=fills,
            trades=round_trips(fills),
            orders=[_order(record) for record in payload["orders"]],
            denials=[_denial(record) for record in payload["denials"]],
            data_sources=dict(payload["data_sources"]),
            metrics=Metrics(**payload["metrics"]),
            benchmark=_series(payload["benchmark"]) if payload["benchmark"] is not None else None,
            warnings=list(payload["warnings"]),
            logs=[(_time(when), message) for when, message in payload["logs"]],
            closes={symbol: _series(series) for symbol, series in payload["closes"].items()},
            spec=spec,
            coverage={symbol: tuple(span) for symbol, span in payload["partial_coverage"].items()},
            data_origins={symbol: DataOrigin(**origin) for symbol, origin in payload["data_origins"].items()},
        )
        result._manifest = payload.get("manifest")
        return result

    def report(self) -> str:
        """The report as plain text (what the CLI prints)."""
        lines = []
        if self.is_synthetic:
            lines.append(f"!! SYNTHETIC DATA: {', '.join(self.synthetic_symbols)} ran on demo bars, not market data !!")
        lines.append(f"Backtest of {self.strategy} ({self.strategy_class}) on {', '.join(self.symbols)}, "
                     f"{self.timeframe} bars, {self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}")
        lines.append("Parameters: " + (", ".join(f"{k}={v!r}" for k, v in self.parameters.items()) or "(none)"))
        lines.append("Data: " + ", ".join(f"{s}: {src}" for s, src in self.data_sources.items()))
        if self.origin is not None and self.origin.get("commit"):
            lines.append("Code: " + describe_origin(self.origin))
        lines.extend(f"!! {note}" for note in self.coverage_notes())
        lines.append("")
        m = self.metrics.to_dict()
        width = max(len(v) for v in LABELS.values())
        lines.append(f"{'Initial Cash':<{width}}  {self.config.initial_cash:,.2f}")
        for key, label in LABELS.items():
            if key != "benchmark_note" or m.get(key):
                lines.append(f"{label:<{width}}  {format_metric(key, m.get(key))}")
        lines.append("")
        closed = [t for t in self.trades if not t.is_open]
        lines.append(f"Fills: {len(self.fills)}, closed round trips: {len(closed)}, "
                     f"open positions: {len(self.trades) - len(closed)}")
        if self.denials:
            counts = ", ".join(f"{rule}: {n}" for rule, n in sorted(self.denial_counts().items()))
            lines.append(f"Denied signals: {len(self.denials)} ({counts})")
            first = self.denials[0]
            when = pd.Timestamp(first.timestamp).tz_convert("America/New_York")
            lines.append(f"  first: {when:%Y-%m-%d %H:%M} New York, {first.side} {first.symbol}: {first.reason}")
        else:
            lines.append("Denied signals: 0")
        if self.logs:
            lines.append(f"Strategy log: {len(self.logs)} lines (result.logs_frame()); last ones:")
            lines.extend(f"  {t:%Y-%m-%d %H:%M} {m}" if t is not None else f"  {m}" for t, m in self.logs[-5:])
        lines.extend(f"Warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()

    # --- Jupyter display (drawn by the notebook layer, loaded on first display) ---
    def _ipython_display_(self) -> None:
        """In IPython: the report as several outputs, each figure as plotly JSON with an HTML fallback."""
        from IPython.display import display

        for bundle in self._repr_outputs_():
            display(bundle, raw=True)

    def _repr_outputs_(self) -> list[dict]:
        from ..notebook.report import backtest_outputs

        return backtest_outputs(self)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from ..notebook.report import backtest_mimebundle

        return backtest_mimebundle(self)

    def _repr_html_(self) -> str | None:
        from ..notebook.report import backtest_mimebundle

        return backtest_mimebundle(self).get("text/html")


def format_metric(key: str, value) -> str:
    """A metric value as reports print it (percentages, money, days, n/a)."""
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if key in _PERCENT:
        return f"{value:.2%}"
    if key in _MONEY:
        return f"{value:,.2f}"
    if key == "avg_holding_days":
        return f"{value:.2f} days"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


def _new_york(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``columns`` of ``frame`` as New York times (``datetime64[..., America/New_York]``; missing: NaT)."""
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert("America/New_York")
    return frame


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def _series(data: dict) -> pd.Series:
    index = pd.DatetimeIndex(data["index"], dtype=data["index_dtype"], name=data["index_name"])
    return pd.Series(data["values"], index=index, dtype=data["dtype"], name=data["name"])


def _fill(record: dict) -> Fill:
    return Fill(**{**record, "side": OrderSide(record["side"]), "timestamp": _time(record["timestamp"])})


def _order(record: dict) -> Order:
    return Order(**{**record, "side": OrderSide(record["side"]), "order_type": OrderType(record["order_type"]),
                    "status": OrderStatus(record["status"]), "submitted_at": _time(record["submitted_at"])})


def _denial(record: dict) -> OrderDenied:
    return OrderDenied(**{**record, "timestamp": _time(record["timestamp"]), "side": OrderSide(record["side"]),
                          "order_type": OrderType(record["order_type"]), "rule": RiskRule(record["rule"])})


def _jsonable(params: dict) -> dict:
    return {k: (v if isinstance(v, bool | int | float | str | type(None)) else str(v)) for k, v in params.items()}


def describe_origin(origin: dict) -> str:
    """A Git origin in one line: ``<repository> @ <branch> <commit> <path>``."""
    ref = f" {origin['branch']}" if origin.get("branch") else ""
    dirty = "" if origin.get("clean", True) else " (uncommitted changes in the local copy were not used)"
    return f"{origin['repository']} @{ref} {origin['commit'][:12]} {origin['path']}{dirty}"


def _encode_series(series: pd.Series) -> dict:
    return {"name": series.name, "dtype": str(series.dtype), "index_name": series.index.name,
            "index_dtype": str(series.index.dtype), "index": [t.isoformat() for t in series.index],
            "values": series.tolist()}


def _encode_record(item) -> dict:
    """A ``Fill`` or ``Order`` as plain data: times in ISO form, enums as their text."""
    record = {}
    for spec in fields(item):
        value = getattr(item, spec.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, str):
            value = str(value)  # an enum member as its text
        record[spec.name] = value
    return record
