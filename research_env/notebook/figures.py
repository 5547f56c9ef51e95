"""Every plotly figure of research-env: backtest reports, sweep heatmaps, walk-forward views.

Results never draw themselves: ``BacktestResult`` and sweep results call these
builders (through ``research_env.notebook.report``), and so do the widgets.
Figures are plain ``plotly.graph_objects.Figure`` objects; the interactive
explorer wraps one in a ``FigureWidget`` and updates it in place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..engine.metrics import LABELS
from ..errors import InputError

__all__ = [
    "METRIC_COLUMNS",
    "backtest_figure",
    "result_prices",
    "sweep_columns",
    "sweep_heatmap",
    "walk_forward_figure",
]

#: Columns of a sweep frame that hold metrics; every other numeric column is a parameter.
METRIC_COLUMNS = frozenset(LABELS) | {"elapsed_seconds", "combination", "rank"}

_NEW_YORK = "America/New_York"
_BUY, _SELL = "#2ca02c", "#d62728"
_HIGHER_IS_WORSE = frozenset({"total_commission"})
_MAX_HEATMAP_SLICES = 60


# --- backtest report ---------------------------------------------------------------------------------


def backtest_figure(result, prices: Mapping[str, pd.Series] | None = None) -> go.Figure:
    """Equity (with the SPY benchmark rebased to the initial cash), drawdown beneath, price with trade markers.

    ``prices`` maps symbol -> close series; by default ``result_prices(result)``.
    The trace layout depends only on the symbols and whether a benchmark exists,
    so a figure of another run of the same strategy can replace this one trace by trace.
    """
    if prices is None:
        prices = result_prices(result)
    symbols = list(result.symbols)
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.04, row_heights=[0.45, 0.2, 0.35],
                        subplot_titles=("Equity", "Drawdown", _price_title(symbols, prices)))
    equity_x = _local_times(result.equity.index)
    fig.add_trace(go.Scatter(x=equity_x, y=result.equity.to_numpy(), name="Equity", mode="lines",
                             line={"color": "#1f77b4"}), row=1, col=1)
    if result.benchmark is not None and len(result.benchmark):
        bench = result.benchmark.astype(float)
        rebased = bench / bench.iloc[0] * result.config.initial_cash
        fig.add_trace(go.Scatter(x=_local_times(pd.DatetimeIndex(bench.index) + pd.Timedelta(hours=16)),
                                 y=rebased.to_numpy(),
                                 name=f"{result.config.benchmark} (rebased)", mode="lines",
                                 line={"color": "#7f7f7f", "dash": "dot"}), row=1, col=1)
    fig.add_trace(go.Scatter(x=equity_x, y=result.drawdown.to_numpy() * 100.0, name="Drawdown %", mode="lines",
                             fill="tozeroy", line={"color": _SELL}), row=2, col=1)
    _add_price_traces(fig, result, symbols, prices)
    fig.update_layout(
        title={"text": _title(result), "x": 0.01},
        height=720,
        margin={"l": 60, "r": 20, "t": 80, "b": 40},
        legend={"orientation": "h", "y": -0.06},
        hovermode="x unified",
        uirevision="research-env",
        template="plotly_white",
    )
    fig.update_yaxes(title_text="USD", row=1, col=1)
    fig.update_yaxes(title_text="%", row=2, col=1)
    return fig


def result_prices(result) -> dict[str, pd.Series]:
    """Close prices of the result's symbols over the run (kept by the engine in ``result.closes``)."""
    return dict(result.closes)


def _add_price_traces(fig: go.Figure, result, symbols: list[str], prices) -> None:
    rebase = len(symbols) > 1
    fills = result.fills_frame()
    for symbol in symbols:
        close = prices.get(symbol) if prices else None
        scale = 1.0
        if close is not None and len(close):
            scale = 100.0 / float(close.iloc[0]) if rebase else 1.0
            fig.add_trace(go.Scatter(x=_local_times(close.index), y=close.to_numpy() * scale, name=f"{symbol} close",
                                     mode="lines", line={"width": 1.2}), row=3, col=1)
        mine = fills[fills["symbol"] == symbol]
        for side, symbol_mark, color in (("BUY", "triangle-up", _BUY), ("SELL", "triangle-down", _SELL)):
            rows = mine[mine["side"] == side]
            text = [f"{side} {q:g} @ {p:,.2f}<br>{r}" for q, p, r in
                    zip(rows["quantity"], rows["price"], rows["reason"], strict=True)]
            fig.add_trace(go.Scatter(
                x=_local_times(pd.DatetimeIndex(rows["time"])), y=rows["price"].to_numpy(dtype=float) * scale,
                name=f"{symbol} {side.lower()}s", mode="markers", text=text, hovertemplate="%{text}<extra></extra>",
                marker={"symbol": symbol_mark, "size": 10, "color": color, "line": {"width": 1, "color": "white"}},
            ), row=3, col=1)


def _price_title(symbols: list[str], prices) -> str:
    if not prices:
        return "Fills (bars not available to draw the price)"
    return "Price (rebased to 100) and trades" if len(symbols) > 1 else f"{symbols[0]} price and trades"


def _title(result) -> str:
    m = result.metrics
    sharpe = "n/a" if m.sharpe_ratio is None else f"{m.sharpe_ratio:.2f}"
    params = ", ".join(f"{k}={v}" for k, v in result.parameters.items())
    text = (f"{result.strategy}({params}) on {', '.join(result.symbols)}: return {m.total_return:.2%}, "
            f"Sharpe {sharpe}, max drawdown {m.max_drawdown:.2%}, {m.total_trades} trades")
    if result.is_synthetic:
        text = "SYNTHETIC DATA · " + text
    return text


def _local_times(index) -> list[str]:
    """New York wall-clock times as ISO text: plotly reads them as dates in figures and in FigureWidgets alike."""
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert(_NEW_YORK).tz_localize(None)
    return list(index.strftime("%Y-%m-%d %H:%M:%S"))


# --- sweeps ------------------------------------------------------------------------------------------


def sweep_columns(frame: pd.DataFrame, params: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """(parameter columns, numeric metric columns) of a sweep frame (one row per combination).

    Without ``params``, parameters are the columns before the first metric
    column (``total_return``, ``sharpe_ratio`` ... as in ``LABELS``).
    """
    columns = list(frame.columns)
    if params is None:
        first_metric = next((i for i, c in enumerate(columns) if c in METRIC_COLUMNS), len(columns))
        params = columns[:first_metric]
    params = list(params)
    metrics = [c for c in columns if c not in params and c in LABELS and pd.api.types.is_numeric_dtype(frame[c])]
    return params, metrics


def sweep_heatmap(frame: pd.DataFrame, x: str | None = None, y: str | None = None, metric: str = "sharpe_ratio",
                  params: Sequence[str] | None = None) -> go.Figure:
    """Heatmap of ``metric`` over two parameters, with a metric selector and a slider over the other parameters.

    The dropdown switches the metric (one heatmap trace per metric); the slider
    picks the values of the remaining parameters and restyles every trace, so
    the two controls combine. Beyond 60 combinations of the remaining
    parameters, each cell shows the best value over them instead.
    With a single parameter, the metric is drawn as bars.
    """
    params, metrics = sweep_columns(frame, params)
    if not params:
        raise InputError("the sweep frame has no parameter columns before its metric columns")
    if not metrics:
        raise InputError(f"the sweep frame has no metric columns; expected some of {', '.join(LABELS)}")
    if metric not in metrics:
        raise InputError(f"`metric` {metric!r} is not a column of the sweep; choose one of {', '.join(metrics)}")
    if len(params) == 1:
        return _sweep_bars(frame, params[0], metrics, metric)
    x = x or params[0]
    y = y or next(p for p in params if p != x)
    for name, value in (("x", x), ("y", y)):
        if value not in params:
            raise InputError(f"`{name}` {value!r} is not a parameter of the sweep; choose one of {', '.join(params)}")
    rest = [p for p in params if p not in (x, y)]
    slices, labels = _slices(frame, rest)
    xs = sorted(frame[x].unique())
    ys = sorted(frame[y].unique())
    grids = {m: [_grid(part, x, y, m, xs, ys) for part in slices] for m in metrics}

    fig = go.Figure()
    for m in metrics:
        fig.add_trace(go.Heatmap(
            z=grids[m][0], x=[str(v) for v in xs], y=[str(v) for v in ys], name=LABELS[m], visible=m == metric,
            colorscale="RdYlGn_r" if m in _HIGHER_IS_WORSE else "RdYlGn", colorbar={"title": {"text": LABELS[m]}},
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{LABELS[m]}=%{{z:.4g}}<extra></extra>",
        ))
    buttons = [
        {"label": LABELS[m], "method": "update",
         "args": [{"visible": [n == m for n in metrics]}, {"title.text": _heatmap_title(m, x, y)}]}
        for m in metrics
    ]
    layout = {
        "title": {"text": _heatmap_title(metric, x, y), "x": 0.01},
        "xaxis": {"title": {"text": x}, "type": "category"},
        "yaxis": {"title": {"text": y}, "type": "category"},
        "height": 520,
        "template": "plotly_white",
        "updatemenus": [{"buttons": buttons, "active": metrics.index(metric), "x": 1.0, "xanchor": "right",
                         "y": 1.15, "yanchor": "top", "direction": "down"}],
    }
    if len(slices) > 1:
        layout["sliders"] = [{
            "active": 0,
            "currentvalue": {"prefix": ", ".join(rest) + ": "},
            "pad": {"t": 50},
            "steps": [{"label": label, "method": "restyle",
                       "args": [{"z": [grids[m][i] for m in metrics]}, list(range(len(metrics)))]}
                      for i, label in enumerate(labels)],
        }]
    elif rest:
        layout["annotations"] = [{"text": labels[0], "showarrow": False, "xref": "paper", "yref": "paper",
                                  "x": 0, "y": 1.08, "xanchor": "left"}]
    fig.update_layout(**layout)
    return fig


def _heatmap_title(metric: str, x: str, y: str) -> str:
    return f"{LABELS[metric]} by {x} and {y}"


def _slices(frame: pd.DataFrame, rest: list[str]) -> tuple[list[pd.DataFrame], list[str]]:
    if not rest:
        return [frame], [""]
    combos = frame[rest].drop_duplicates().sort_values(rest)
    if len(combos) > _MAX_HEATMAP_SLICES:
        return [frame], [f"best over {', '.join(rest)}"]
    parts, labels = [], []
    for values in combos.itertuples(index=False):
        mask = np.logical_and.reduce([frame[p] == v for p, v in zip(rest, values, strict=True)])
        parts.append(frame[mask])
        labels.append(", ".join(f"{p}={v}" for p, v in zip(rest, values, strict=True)))
    return parts, labels


def _grid(part: pd.DataFrame, x: str, y: str, metric: str, xs: list, ys: list) -> list[list[float | None]]:
    best = "min" if metric in _HIGHER_IS_WORSE else "max"
    table = part.pivot_table(index=y, columns=x, values=metric, aggfunc=best).reindex(index=ys, columns=xs)
    values = table.to_numpy(dtype=float)
    return [[None if np.isnan(v) else float(v) for v in row] for row in values]


def _sweep_bars(frame: pd.DataFrame, param: str, metrics: list[str], metric: str) -> go.Figure:
    ordered = frame.sort_values(param)
    fig = go.Figure()
    for m in metrics:
        fig.add_trace(go.Bar(x=[str(v) for v in ordered[param]], y=ordered[m].to_numpy(dtype=float),
                             name=LABELS[m], visible=m == metric))
    buttons = [{"label": LABELS[m], "method": "update",
                "args": [{"visible": [n == m for n in metrics]}, {"title.text": f"{LABELS[m]} by {param}"}]}
               for m in metrics]
    fig.update_layout(title={"text": f"{LABELS[metric]} by {param}", "x": 0.01}, height=420,
                      xaxis={"title": {"text": param}, "type": "category"}, template="plotly_white",
                      updatemenus=[{"buttons": buttons, "active": metrics.index(metric), "x": 1.0,
                                    "xanchor": "right", "y": 1.15, "yanchor": "top"}])
    return fig


def walk_forward_figure(frame: pd.DataFrame, metric: str = "sharpe_ratio") -> go.Figure:
    """Bars of ``metric`` per walk-forward fold: every column whose name ends with it (in-sample, out-of-sample).

    ``frame`` has one row per fold; a ``fold`` column labels the x axis (else
    the row number), and the other non-metric columns (the chosen parameters,
    the train/test dates) go into the hover text.
    """
    columns = [c for c in frame.columns if str(c).endswith(metric) and pd.api.types.is_numeric_dtype(frame[c])]
    if not columns:
        have = ", ".join(map(str, frame.columns))
        raise InputError(f"the walk-forward frame has no column ending in {metric!r}; it has {have}")
    folds = [str(v) for v in (frame["fold"] if "fold" in frame.columns else range(1, len(frame) + 1))]
    details = [c for c in frame.columns if c not in columns and c != "fold" and c not in LABELS
               and not str(c).startswith(("oos_", "in_sample_"))]
    hover = ["<br>".join(f"{c}={row[c]}" for c in details) for row in frame.to_dict("records")]
    fig = go.Figure()
    for column in columns:
        fig.add_trace(go.Bar(x=folds, y=frame[column].to_numpy(dtype=float), name=str(column), text=hover,
                             hovertemplate="%{y:.4g}<br>%{text}<extra>" + str(column) + "</extra>"))
    fig.update_layout(title={"text": f"Walk-forward: {LABELS.get(metric, metric)} per fold", "x": 0.01},
                      barmode="group", height=400, template="plotly_white",
                      xaxis={"title": {"text": "fold"}, "type": "category"})
    return fig
