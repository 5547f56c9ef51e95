"""Rich reports of results for Jupyter: HTML (tables and the plotly figures of ``figures``) and plain text.

``BacktestResult._repr_mimebundle_`` and the sweep result's call
``backtest_mimebundle`` / ``sweep_mimebundle``. The HTML is self-contained:
the first report a kernel shows carries plotly.js itself (once, like plotly's
own ``notebook`` renderer), later ones wait for it, so the plots draw in
JupyterLab, in an executed notebook reopened later and in its HTML export.
"""

from __future__ import annotations

import html
import itertools
import json
import weakref

import pandas as pd

from ..engine.metrics import LABELS
from ..engine.result import format_metric

__all__ = [
    "backtest_html",
    "backtest_mimebundle",
    "figure_html",
    "mark_displayed",
    "plotlyjs_html",
    "sweep_html",
    "sweep_mimebundle",
]

PLOTLYJS_MARKER = "data-research-env-plotlyjs"

_TRADE_ROWS = 50
_DENIAL_ROWS = 20
_SWEEP_ROWS = 200
_ids = itertools.count(1)
_state = {"plotlyjs_sent": False, "shown": None}

_STYLE = """<style>
.research-env-report {font-family: system-ui, sans-serif; font-size: 13px;}
.research-env-report table {border-collapse: collapse; margin: 4px 0 12px 0;}
.research-env-report th, .research-env-report td {padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: right;}
.research-env-report th {background: #f4f4f4; cursor: default;}
.research-env-report table.sortable th {cursor: pointer;}
.research-env-report td.label {text-align: left; font-weight: 600;}
.research-env-banner {background: #b00020; color: white; padding: 6px 10px; font-weight: 700; margin: 4px 0;}
.research-env-best {background: #eef7ee; border-left: 4px solid #2ca02c; padding: 6px 10px; margin: 6px 0;}
</style>"""


# --- plumbing ----------------------------------------------------------------------------------------


def mark_displayed(obj) -> None:
    """Note that the magic just displayed ``obj``: its echo as the cell's ``Out`` shows one line, not the report."""
    _state["shown"] = (weakref.ref(obj), _execution_count())


def _echo_of_shown(obj) -> bool:
    shown = _state["shown"]
    return shown is not None and shown[0]() is obj and shown[1] == _execution_count()


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    ip = get_ipython()
    return getattr(ip, "execution_count", None) if ip is not None else None


def plotlyjs_html() -> str:
    """plotly.js inlined in a ``<script>`` (about 4.8 MB), marked so the HTML export can tell it is there."""
    from plotly.offline import get_plotlyjs

    return f'<script type="text/javascript" {PLOTLYJS_MARKER}="1">{get_plotlyjs()}</script>'


def _claim_plotlyjs() -> bool:
    """True the first time in this process: that figure carries plotly.js for the ones after it."""
    first = not _state["plotlyjs_sent"]
    _state["plotlyjs_sent"] = True
    return first


def figure_html(fig, include_plotlyjs: bool | None = None) -> str:
    """A plotly figure as a ``<div>`` and a script that draws it once ``window.Plotly`` exists.

    ``include_plotlyjs``: ``None`` sends plotly.js with the first figure of the
    process only; ``True`` always; ``False`` never.
    """
    div_id = f"research-env-plot-{next(_ids)}"
    spec = fig.to_json().replace("</", "<\\/")
    height = fig.layout.height or 450
    if include_plotlyjs is None:
        include_plotlyjs = _claim_plotlyjs()
    library = plotlyjs_html() if include_plotlyjs else ""
    return (
        f"{library}<div id=\"{div_id}\" class=\"research-env-plot\" style=\"width:100%;height:{height}px\">"
        "<em>Loading plotly.js: if this stays, re-run the first cell that showed a report.</em></div>"
        "<script type=\"text/javascript\">(function () {"
        f"var spec = {spec}; var tries = 0;"
        f"function draw() {{ var el = document.getElementById(\"{div_id}\"); if (!el) return;"
        " if (window.Plotly) { el.innerHTML = '';"
        " window.Plotly.newPlot(el, spec.data, spec.layout, {responsive: true}); }"
        " else if (tries++ < 600) { setTimeout(draw, 100); } }"
        " draw(); })();</script>"
    )


# --- backtest ----------------------------------------------------------------------------------------


def backtest_mimebundle(result) -> dict[str, str]:
    """``{"text/html": report, "text/plain": result.report()}``; one line when the magic already showed it."""
    if _echo_of_shown(result):
        return {"text/plain": _one_line(result)}
    return {"text/html": backtest_html(result), "text/plain": result.report()}


def backtest_html(result, prices=None) -> str:
    """The full report: synthetic-data banner, metrics, equity/drawdown/price figure, trades, denials, warnings."""
    from .figures import backtest_figure

    parts = [_STYLE, '<div class="research-env-report">']
    if result.is_synthetic:
        parts.append(f'<div class="research-env-banner">SYNTHETIC DATA: {_esc(", ".join(result.synthetic_symbols))} '
                     "ran on demo bars, not market data. Import real bars to trust these numbers.</div>")
    parts.append(f"<h3>Backtest of {_esc(result.strategy)} ({_esc(result.strategy_class)}) on "
                 f"{_esc(', '.join(result.symbols))}</h3>")
    params = ", ".join(f"{k}={v!r}" for k, v in result.parameters.items()) or "(none)"
    sources = ", ".join(f"{s}: {src}" for s, src in result.data_sources.items())
    parts.append(f"<p>{_esc(result.timeframe)} bars, {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d} "
                 f"(end exclusive) · initial cash {result.config.initial_cash:,.2f}<br>"
                 f"Parameters: {_esc(params)}<br>Data: {_esc(sources)}</p>")
    parts.append(_metrics_table(result))
    parts.append(figure_html(backtest_figure(result, prices)))
    parts.append(_trades_html(result))
    parts.append(_denials_html(result))
    if result.warnings:
        items = "".join(f"<li>{_esc(w)}</li>" for w in result.warnings)
        parts.append(f"<details><summary>Warnings ({len(result.warnings)})</summary><ul>{items}</ul></details>")
    parts.append("</div>")
    return "".join(parts)


def _one_line(result) -> str:
    m = result.metrics
    return (f"<BacktestResult {result.strategy} on {', '.join(result.symbols)}: total return {m.total_return:.2%}, "
            f"{m.total_trades} trades (report shown above)>")


def _metrics_table(result) -> str:
    m = result.metrics.to_dict()
    rows = [("Initial Cash", f"{result.config.initial_cash:,.2f}")]
    rows += [(label, format_metric(key, m.get(key))) for key, label in LABELS.items()
             if key != "benchmark_note" or m.get(key)]
    half = (len(rows) + 1) // 2
    body = "".join(
        "<tr>" + "".join(f'<td class="label">{_esc(k)}</td><td>{_esc(v)}</td>' for k, v in pair if k) + "</tr>"
        for pair in itertools.zip_longest(rows[:half], rows[half:], fillvalue=("", ""))
    )
    return f'<table class="research-env-metrics">{body}</table>'


def _trades_html(result) -> str:
    trades = result.trades_frame()
    if trades.empty:
        return "<h4>Trades</h4><p>No trades.</p>"
    shown = trades.head(_TRADE_ROWS).copy()
    for column in ("entry_time", "exit_time"):
        times = pd.to_datetime(shown[column], utc=True).dt.tz_convert("America/New_York")
        shown[column] = times.dt.strftime("%Y-%m-%d %H:%M").fillna("open")
    formats = {"quantity": "{:g}", "entry_price": "{:,.2f}", "exit_price": "{:,.2f}", "pnl": "{:,.2f}",
               "return_pct": "{:.2%}", "commission": "{:,.2f}"}
    for column, fmt in formats.items():
        shown[column] = [fmt.format(v) if pd.notna(v) else "" for v in shown[column]]
    more = f"<p>… and {len(trades) - _TRADE_ROWS} more (result.trades_frame())</p>" if len(trades) > _TRADE_ROWS else ""
    table = shown.to_html(index=False, classes="research-env-trades")
    return f"<h4>Trades ({len(trades)}, New York time)</h4>{table}{more}"


def _denials_html(result) -> str:
    if not result.denials:
        return "<h4>Denied signals</h4><p>None: the risk engine accepted every signal.</p>"
    counts = "".join(f"<tr><td class=\"label\">{_esc(rule)}</td><td>{n}</td></tr>"
                     for rule, n in sorted(result.denial_counts().items(), key=lambda kv: -kv[1]))
    frame = result.denials_frame()[["timestamp", "symbol", "side", "rule", "reason", "signal_reason"]]
    frame = frame.assign(timestamp=pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert("America/New_York")
                         .dt.strftime("%Y-%m-%d %H:%M"))
    shown = frame.head(_DENIAL_ROWS).to_html(index=False, classes="research-env-denials")
    more = (f"<p>… and {len(frame) - _DENIAL_ROWS} more (result.denials_frame())</p>"
            if len(frame) > _DENIAL_ROWS else "")
    return (f"<h4>Denied signals ({len(result.denials)})</h4><table><tr><th>rule</th><th>denied</th></tr>{counts}"
            f"</table><details open><summary>Each denial, New York time</summary>{shown}{more}</details>")


# --- sweeps ------------------------------------------------------------------------------------------


def sweep_mimebundle(result, metric: str | None = None, walk_forward=None) -> dict[str, str]:
    """A sweep result's rich display: heatmap, best combination, sortable table, walk-forward view."""
    if _echo_of_shown(result):
        return {"text/plain": f"<sweep of {len(result.to_frame())} combinations (shown above)>"}
    return {"text/html": sweep_html(result, metric, walk_forward), "text/plain": str(result)}


def sweep_html(result, metric: str | None = None, walk_forward=None) -> str:
    """HTML of a sweep result (anything with ``to_frame()``; ``best``, ``elapsed_seconds`` when it has them).

    ``walk_forward``: a walk-forward result (with ``to_frame()``) or its frame,
    one row per fold, drawn with ``figures.walk_forward_figure``.
    """
    from .figures import sweep_columns, sweep_heatmap, walk_forward_figure

    frame = result.to_frame()
    params, metrics = sweep_columns(frame)
    metric = metric or getattr(result, "metric", None) or "sharpe_ratio"
    if metric not in metrics and metrics:
        metric = metrics[0]
    parts = [_STYLE, '<div class="research-env-report">']
    synthetic = getattr(result, "synthetic_symbols", None)
    if synthetic:
        parts.append(f'<div class="research-env-banner">SYNTHETIC DATA: {_esc(", ".join(synthetic))} '
                     "ran on demo bars, not market data.</div>")
    elapsed = getattr(result, "elapsed_seconds", None)
    timing = f" in {elapsed:.2f} s" if isinstance(elapsed, int | float) else ""
    parts.append(f"<h3>Sweep: {len(frame)} combinations of {_esc(', '.join(params))}{timing}</h3>")
    best = getattr(result, "best", None)
    if best is not None:
        parts.append(f'<div class="research-env-best"><b>Best combination</b>: {_esc(_describe_best(best))}</div>')
    if metrics:
        parts.append(figure_html(sweep_heatmap(frame, metric=metric, params=params)))
        ranked = frame.sort_values(metric, ascending=False, na_position="last")
    else:
        ranked = frame
    parts.append(f"<h4>All combinations (click a header to sort; first {min(len(ranked), _SWEEP_ROWS)} by "
                 f"{_esc(LABELS.get(metric, metric))})</h4>")
    parts.append(sortable_table(ranked.head(_SWEEP_ROWS)))
    folds = walk_forward_frame(walk_forward)
    if folds is not None and len(folds):
        parts.append("<h4>Walk-forward (out-of-sample)</h4>")
        try:
            parts.append(figure_html(walk_forward_figure(folds, metric)))
        except ValueError as e:
            parts.append(f"<p>{_esc(str(e))}</p>")
        parts.append(sortable_table(folds))
    parts.append("</div>")
    return "".join(parts)


def walk_forward_frame(folds) -> pd.DataFrame | None:
    """Walk-forward folds as a frame: a walk-forward result (``to_frame()``), a frame, or None."""
    if folds is None or isinstance(folds, pd.DataFrame):
        return folds
    return folds.to_frame()


def _describe_best(best) -> str:
    if isinstance(best, pd.Series):
        best = best.to_dict()
    if isinstance(best, dict):
        items = []
        for key, value in best.items():
            if isinstance(value, dict):
                items.extend(f"{k}={v}" for k, v in value.items())
            else:
                items.append(f"{LABELS.get(key, key)} {format_metric(key, value) if key in LABELS else value}")
        return ", ".join(items)
    return str(best)


def sortable_table(frame: pd.DataFrame) -> str:
    """``frame`` as an HTML table whose column headers sort it (numbers numerically) when clicked."""
    table_id = f"research-env-table-{next(_ids)}"
    head = "".join(f"<th>{_esc(str(c))}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False):
        cells = "".join(f'<td data-value="{_esc(_sort_key(v))}">{_esc(_cell(c, v))}</td>'
                        for c, v in zip(frame.columns, values, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    script = (
        "<script type=\"text/javascript\">(function () {"
        f"var table = document.getElementById({json.dumps(table_id)}); if (!table) return;"
        " var heads = table.tHead.rows[0].cells;"
        " for (var i = 0; i < heads.length; i++) { (function (col) { var asc = false;"
        "  heads[col].onclick = function () { asc = !asc; var body = table.tBodies[0];"
        "   var rows = Array.prototype.slice.call(body.rows);"
        "   rows.sort(function (a, b) { var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;"
        "    var nx = parseFloat(x), ny = parseFloat(y);"
        "    var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny; return asc ? c : -c; });"
        "   rows.forEach(function (r) { body.appendChild(r); }); }; })(i); } })();</script>"
    )
    return (f'<table id="{table_id}" class="sortable"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>{script}")


def _sort_key(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _cell(column, value) -> str:
    if hasattr(value, "item"):
        value = value.item()
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if column in LABELS and isinstance(value, int | float):
        return format_metric(column, value)
    return str(value)


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)
