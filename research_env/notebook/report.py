"""Rich reports of results for Jupyter: HTML tables, the plotly figures of ``figures``, and plain text.

In IPython a result shows as several outputs (``backtest_outputs``,
``sweep_outputs``): HTML tables, and each figure as plotly's own mimetype
(``application/vnd.plotly.v1+json``, drawn by JupyterLab's plotly renderer
without trusting the notebook) next to an HTML fallback that draws itself
where plotly.js is loaded: the first fallback a kernel shows carries plotly.js
(once per notebook), later ones wait for it, and the HTML export
(``batch.html``) loads plotly.js once for the page. ``backtest_mimebundle`` /
``sweep_mimebundle`` give the whole report as one HTML bundle.
"""

from __future__ import annotations

import html
import itertools
import json
import weakref

import pandas as pd

from ..engine.metrics import LABELS
from ..engine.result import describe_origin, format_metric

__all__ = [
    "PLOTLY_MIME",
    "backtest_html",
    "backtest_mimebundle",
    "backtest_outputs",
    "figure_bundle",
    "figure_html",
    "mark_displayed",
    "plotlyjs_html",
    "show",
    "sweep_html",
    "sweep_mimebundle",
    "sweep_outputs",
    "table",
    "table_frame",
]

PLOTLYJS_MARKER = "data-research-env-plotlyjs"
#: plotly's own output mimetype: JupyterLab (and VS Code) draw it without trusting the notebook.
PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: Shown until the figure draws; stays where scripts do not run.
LOADING_HINT = ("Loading the chart: if this text stays, this output's scripts did not run. In JupyterLab trust "
                "the notebook (command palette: Trust Notebook) or re-run the cell; elsewhere open the "
                "HTML export or JupyterLab.")
_CONFIG = {"responsive": True, "displaylogo": False}
#: plotly's mimetype: JupyterLab's renderer resizes the plot itself; ``responsive`` there collapses a figure of
#: fixed height to nothing after a button restyles it.
_MIME_CONFIG = {"displaylogo": False}

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


def figure_bundle(fig, include_plotlyjs: bool | None = None) -> dict:
    """One output for a figure: plotly's mimetype (the figure's JSON), the HTML fallback and a text line."""
    spec = fig.to_json()
    data = json.loads(spec)
    data["config"] = dict(_MIME_CONFIG)
    title = fig.layout.title.text or "plotly figure"
    return {PLOTLY_MIME: data, "text/html": figure_html(fig, include_plotlyjs, spec=spec),
            "text/plain": f"<Figure: {html.unescape(title.split('<br>')[0])}>"}


def figure_html(fig, include_plotlyjs: bool | None = None, spec: str | None = None) -> str:
    """A plotly figure as a ``<div>`` and a script that draws it once ``window.Plotly`` exists.

    ``include_plotlyjs``: ``None`` sends plotly.js with the first figure of the
    process only; ``True`` always; ``False`` never. ``spec``: the figure's
    JSON when the caller already has it.
    """
    div_id = f"research-env-plot-{next(_ids)}"
    spec = (spec or fig.to_json()).replace("</", "<\\/")
    height = fig.layout.height or 450
    if include_plotlyjs is None:
        include_plotlyjs = _claim_plotlyjs()
    library = plotlyjs_html() if include_plotlyjs else ""
    return (
        f"{library}<div id=\"{div_id}\" class=\"research-env-plot\" style=\"width:100%;height:{height}px\">"
        f"<em>{LOADING_HINT}</em></div>"
        "<script type=\"text/javascript\">(function () {"
        f"var spec = {spec}; var tries = 0;"
        f"function draw() {{ var el = document.getElementById(\"{div_id}\"); if (!el) return;"
        " if (window.Plotly) { el.innerHTML = '';"
        f" window.Plotly.newPlot(el, spec.data, spec.layout, {json.dumps(_CONFIG)}); }}"
        " else if (tries++ < 600) { setTimeout(draw, 100); } }"
        " draw(); })();</script>"
    )


# --- backtest ----------------------------------------------------------------------------------------


def backtest_outputs(result, bars=None) -> list[dict]:
    """The report as IPython outputs: the summary and metrics, the figure (plotly JSON with an HTML
    fallback), then trades, denials and warnings. One line when the magic already showed the result."""
    from .figures import backtest_figure

    if _echo_of_shown(result):
        return [{"text/plain": _one_line(result)}]
    fig = backtest_figure(result, bars)
    closed = sum(1 for t in result.trades if not t.is_open)
    return [
        {"text/html": _report(_backtest_head(result)), "text/plain": result.report()},
        figure_bundle(fig),
        {"text/html": _report(_backtest_tail(result)),
         "text/plain": f"{closed} closed trades (result.trades_frame()), {len(result.denials)} denied signals"},
    ]


def backtest_mimebundle(result) -> dict[str, str]:
    """``{"text/html": report, "text/plain": result.report()}``; one line when the magic already showed it."""
    if _echo_of_shown(result):
        return {"text/plain": _one_line(result)}
    return {"text/html": backtest_html(result), "text/plain": result.report()}


def backtest_html(result, bars=None) -> str:
    """The full report as one HTML piece: banner, metrics, the figure (drawn by its script), trades, denials."""
    from .figures import backtest_figure

    return _report(_backtest_head(result) + figure_html(backtest_figure(result, bars)) + _backtest_tail(result))


def _report(body: str) -> str:
    return f'{_STYLE}<div class="research-env-report">{body}</div>'


def _backtest_head(result) -> str:
    parts = []
    if result.is_synthetic:
        parts.append(f'<div class="research-env-banner">SYNTHETIC DATA: {_esc(", ".join(result.synthetic_symbols))} '
                     "ran on demo bars, not market data. Import real bars to trust these numbers.</div>")
    parts.append(f"<h3>Backtest of {_esc(result.strategy)} ({_esc(result.strategy_class)}) on "
                 f"{_esc(', '.join(result.symbols))}</h3>")
    params = ", ".join(f"{k}={v!r}" for k, v in result.parameters.items()) or "(none)"
    sources = ", ".join(f"{s}: {src}" for s, src in result.data_sources.items())
    parts.append(f"<p>{_esc(result.timeframe)} bars, {result.start:%Y-%m-%d} to {result.end:%Y-%m-%d} "
                 f"(end exclusive) · initial cash {result.config.initial_cash:,.2f}<br>"
                 f"Parameters: {_esc(params)}<br>Data: {_esc(sources)}"
                 + (f"<br>Code: {_esc(describe_origin(result.origin))}" if (result.origin or {}).get("commit")
                    else "") + "</p>")
    for note in result.coverage_notes():
        parts.append(f'<div class="research-env-banner">{_esc(note)}</div>')
    parts.append(_metrics_table(result))
    return "".join(parts)


def _backtest_tail(result) -> str:
    parts = [_trades_html(result), _denials_html(result)]
    if result.warnings:
        items = "".join(f"<li>{_esc(w)}</li>" for w in result.warnings)
        parts.append(f"<details><summary>Warnings ({len(result.warnings)})</summary><ul>{items}</ul></details>")
    if result.manifest is not None:
        parts.append(manifest_html(result.manifest))
    return "".join(parts)


def manifest_html(manifest: dict) -> str:
    """The run manifest as a folded section: what replay checks, each session's digests summed up as a count."""
    shown = json.loads(json.dumps(manifest))
    for fingerprint in [entry["bars"] for entry in shown["data"].values()] + [shown["benchmark"]["closes"]]:
        if fingerprint is not None:
            fingerprint["days"] = f"<{fingerprint['sessions']} session digests>"
    return ("<details><summary>Run manifest: replay with <code>research_env.replay(result)</code> or "
            "<code>research-env replay result.json</code></summary>"
            f"<pre>{_esc(json.dumps(shown, indent=1))}</pre></details>")


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
    shown = table_frame(trades.head(_TRADE_ROWS))
    more = f"<p>… and {len(trades) - _TRADE_ROWS} more (result.trades_frame())</p>" if len(trades) > _TRADE_ROWS else ""
    html_table = shown.to_html(index=False, classes="research-env-trades")
    return f"<h4>Trades ({len(trades)}, New York time)</h4>{html_table}{more}"


def _denials_html(result) -> str:
    if not result.denials:
        return "<h4>Denied signals</h4><p>None: the risk engine accepted every signal.</p>"
    counts = "".join(f"<tr><td class=\"label\">{_esc(rule)}</td><td>{n}</td></tr>"
                     for rule, n in sorted(result.denial_counts().items(), key=lambda kv: -kv[1]))
    frame = table_frame(result.denials_frame()[["timestamp", "symbol", "side", "rule", "reason", "signal_reason"]])
    shown = frame.head(_DENIAL_ROWS).to_html(index=False, classes="research-env-denials")
    more = (f"<p>… and {len(frame) - _DENIAL_ROWS} more (result.denials_frame())</p>"
            if len(frame) > _DENIAL_ROWS else "")
    return (f"<h4>Denied signals ({len(result.denials)})</h4><table><tr><th>rule</th><th>denied</th></tr>{counts}"
            f"</table><details open><summary>Each denial, New York time</summary>{shown}{more}</details>")


#: How ``table_frame`` writes known columns (metrics go through ``format_metric``).
_COLUMN_FORMATS = {"quantity": "{:g}", "entry_price": "{:,.2f}", "exit_price": "{:,.2f}", "price": "{:,.2f}",
                   "pnl": "{:,.2f}", "return_pct": "{:.2%}", "commission": "{:,.2f}"}
_TIME_COLUMNS = ("time", "timestamp", "entry_time", "exit_time")


def table_frame(frame: pd.DataFrame, name_zone: bool = False) -> pd.DataFrame:
    """``frame`` with its known columns as text, the way every report table shows them: returns and other
    fraction metrics in percent, money with thousands separators, times as New York ``YYYY-MM-DD HH:MM``
    (an open trade's missing exit as ``open``); ``name_zone`` adds `` (New York)`` to the time columns' names."""
    shown = frame.copy()
    for column in shown.columns:
        values = shown[column]
        if column in _TIME_COLUMNS:
            times = pd.to_datetime(values, utc=True).dt.tz_convert("America/New_York")
            shown[column] = times.dt.strftime("%Y-%m-%d %H:%M").fillna("open" if column == "exit_time" else "")
        elif column in _COLUMN_FORMATS:
            fmt = _COLUMN_FORMATS[column]
            shown[column] = [fmt.format(v) if pd.notna(v) else "" for v in values]
        elif _metric_of(column) and pd.api.types.is_numeric_dtype(values):
            shown[column] = [_cell(_metric_of(column), v) for v in values]
    if name_zone:
        shown = shown.rename(columns={c: f"{c} (New York)" for c in shown.columns if c in _TIME_COLUMNS})
    return shown


def _metric_of(column) -> str | None:
    """The metric a column holds: its own name, or after a walk-forward prefix (``oos_total_return``)."""
    name = str(column)
    if name in LABELS:
        return name
    for prefix in ("oos_", "in_sample_", "train_", "test_"):
        if name.startswith(prefix) and name[len(prefix):] in LABELS:
            return name[len(prefix):]
    return None


def show(fig) -> None:
    """Display a plotly figure as the reports do: plotly's mimetype (no trust needed) with the HTML fallback."""
    from IPython.display import display

    display(figure_bundle(fig), raw=True)


def table(frame: pd.DataFrame):
    """``frame`` for display in a notebook: formatted like the report's tables (see ``table_frame``; time
    columns named ``... (New York)``), without the index. Returns a pandas ``Styler``; the frame itself is
    left as numbers."""
    return table_frame(frame, name_zone=True).style.hide(axis="index")


# --- sweeps ------------------------------------------------------------------------------------------


def sweep_outputs(result, metric: str | None = None, walk_forward=None) -> list[dict]:
    """A sweep result as IPython outputs: summary and best combination, the heatmap with its stability
    view (plotly JSON with an HTML fallback), the sortable table, then the walk-forward folds."""
    if _echo_of_shown(result):
        return [{"text/plain": f"<sweep of {len(result.to_frame())} combinations (shown above)>"}]
    return [_as_output(part, result) for part in _sweep_parts(result, metric, walk_forward)]


def sweep_mimebundle(result, metric: str | None = None, walk_forward=None) -> dict[str, str]:
    """A sweep result's rich display as one HTML bundle: heatmap, best combination, sortable table,
    walk-forward view."""
    if _echo_of_shown(result):
        return {"text/plain": f"<sweep of {len(result.to_frame())} combinations (shown above)>"}
    return {"text/html": sweep_html(result, metric, walk_forward), "text/plain": str(result)}


def sweep_html(result, metric: str | None = None, walk_forward=None) -> str:
    """HTML of a sweep result (anything with ``to_frame()``; ``best``, ``elapsed_seconds`` when it has them).

    ``walk_forward``: a walk-forward result (with ``to_frame()``) or its frame,
    one row per fold, drawn with ``figures.walk_forward_figure``.
    """
    pieces = [figure_html(part) if not isinstance(part, str) else part
              for part in _sweep_parts(result, metric, walk_forward)]
    return _report("".join(pieces))


def _as_output(part, result) -> dict:
    if isinstance(part, str):
        return {"text/html": _report(part), "text/plain": str(result) if "<h3>" in part else ""}
    return figure_bundle(part)


def _sweep_parts(result, metric: str | None, walk_forward) -> list:
    """HTML strings and figures, in order."""
    from .figures import sweep_columns, sweep_heatmap, walk_forward_figure

    frame = result.to_frame()
    params, metrics = sweep_columns(frame)
    metric = metric or getattr(result, "metric", None) or "sharpe_ratio"
    if metric not in metrics and metrics:
        metric = metrics[0]
    head = []
    synthetic = getattr(result, "synthetic_symbols", None)
    if synthetic:
        head.append(f'<div class="research-env-banner">SYNTHETIC DATA: {_esc(", ".join(synthetic))} '
                    "ran on demo bars, not market data.</div>")
    elapsed = getattr(result, "elapsed_seconds", None)
    timing = f" in {elapsed:.2f} s" if isinstance(elapsed, int | float) else ""
    head.append(f"<h3>Sweep: {len(frame)} combinations of {_esc(', '.join(params))}{timing}</h3>")
    best = getattr(result, "best", None)
    if best is not None:
        head.append(f'<div class="research-env-best"><b>Best combination</b>: {_esc(_describe_best(best))}</div>')
    parts: list = ["".join(head)]
    if metrics:
        parts.append(sweep_heatmap(frame, metric=metric, params=params, stability=_stability(result, metrics)))
        ranked = frame.sort_values(metric, ascending=False, na_position="last")
    else:
        ranked = frame
    parts.append(f"<h4>All combinations (click a header to sort; first {min(len(ranked), _SWEEP_ROWS)} by "
                 f"{_esc(LABELS.get(metric, metric))})</h4>" + sortable_table(ranked.head(_SWEEP_ROWS)))
    folds = walk_forward_frame(walk_forward)
    if folds is not None and len(folds):
        parts.append("<h4>Walk-forward (out-of-sample)</h4>")
        try:
            parts.append(walk_forward_figure(folds, metric))
            note = ""
        except ValueError as e:
            note = f"<p>{_esc(str(e))}</p>"
        parts.append(note + sortable_table(folds))
    manifest = getattr(result, "manifest", None)
    if manifest is not None:
        parts.append(manifest_html(manifest))
    return parts


def _stability(result, metrics: list[str]) -> dict[str, pd.DataFrame] | None:
    """``result.stability(metric)`` for each metric, when the result is a grid sweep (``SweepResult``)."""
    stability = getattr(result, "stability", None)
    if not callable(stability) or len(getattr(result, "grid", None) or ()) < 2:
        return None
    return {m: stability(m) for m in metrics}


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
    metric = _metric_of(column)
    if metric and isinstance(value, int | float) and not isinstance(value, bool):
        if metric in ("total_trades", "trading_days") and float(value).is_integer():
            value = int(value)
        return format_metric(metric, value)
    return str(value)


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)
