"""Sweep figures (re-exported by ``figures``): the heatmap with its stability view, one-parameter bars,
walk-forward bars.

Every heatmap cell carries its value as text. Return-like metrics (returns,
Sharpe, alpha, drawdowns, daily loss) use a diverging scale centred at 0, so
Sharpe 0.63 to 1.01 reads as "all positive, some more", not red against
green; other metrics a sequential scale. Colour limits hold over every
slider position, so colours compare across slices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..engine.metrics import LABELS
from ..errors import InputError

__all__ = ["METRIC_COLUMNS", "sweep_columns", "sweep_heatmap", "walk_forward_figure"]

#: Columns of a sweep frame that hold metrics; every other numeric column is a parameter.
METRIC_COLUMNS = frozenset(LABELS) | {"elapsed_seconds", "combination", "rank"}

#: Metrics drawn on a diverging scale centred at 0.
DIVERGING = frozenset({"total_return", "annualized_return", "sharpe_ratio", "alpha", "max_drawdown",
                       "max_daily_loss"})
_PERCENT = frozenset({"total_return", "annualized_return", "max_drawdown", "win_rate", "max_daily_loss", "alpha"})
_COUNTS = frozenset({"total_trades", "trading_days"})
_MONEY = frozenset({"final_equity", "total_commission"})
_HIGHER_IS_WORSE = frozenset({"total_commission"})
_MAX_HEATMAP_SLICES = 60


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


def value_format(metric: str) -> str:
    """The d3 format of ``metric``'s values in cells and hover text (percent, count, money or 2 decimals)."""
    if metric in _PERCENT:
        return ".1%"
    if metric in _COUNTS:
        return ",.0f"
    if metric in _MONEY:
        return ",.0f"
    return ".2f"


def sweep_heatmap(frame: pd.DataFrame, x: str | None = None, y: str | None = None, metric: str = "sharpe_ratio",
                  params: Sequence[str] | None = None,
                  stability: Mapping[str, pd.DataFrame] | None = None) -> go.Figure:
    """Heatmap of ``metric`` over two parameters, with a metric selector and a slider over the other parameters.

    The dropdown switches the metric (one heatmap trace per metric); the slider
    picks the values of the remaining parameters and restyles every trace, so
    the two controls combine. Beyond 60 combinations of the remaining
    parameters, each cell shows the best value over them instead.
    With a single parameter, the metric is drawn as bars.

    ``stability`` maps a metric to ``SweepResult.stability(metric)`` (each
    combination's neighbours on the grid); given, a second heatmap beside the
    first shows the neighbours' mean on the same colours: a best cell that is
    an island stands out against a plateau.
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
    grids = {m: [_grid(part, x, y, m, m, xs, ys) for part in slices] for m in metrics}
    stable = {m: stability[m] for m in metrics if stability and m in stability}
    if stable:
        around = {m: [_grid(part, x, y, "neighbors_mean", m, xs, ys) for part in _slices(stable[m], rest)[0]]
                  for m in stable}
        fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                            subplot_titles=(LABELS[metric], _stability_title(metric)))
    else:
        around = {}
        fig = go.Figure()
    per_metric = 2 if stable else 1
    for m in metrics:
        scale = _color_limits(m, grids[m] + around.get(m, []))
        fmt = value_format(m)
        common = {"x": [str(v) for v in xs], "y": [str(v) for v in ys], "visible": m == metric,
                  "texttemplate": f"%{{z:{fmt}}}", **scale}
        main = go.Heatmap(z=grids[m][0], name=LABELS[m], colorbar={"title": {"text": LABELS[m]}},
                          hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{LABELS[m]}=%{{z:{fmt}}}<extra></extra>",
                          **common)
        if stable:
            fig.add_trace(main, row=1, col=1)
            fig.add_trace(go.Heatmap(
                z=around[m][0] if m in around else None, name=f"{LABELS[m]}: neighbours' mean", showscale=False,
                hovertemplate=(f"{x}=%{{x}}<br>{y}=%{{y}}<br>neighbours' mean {LABELS[m]}=%{{z:{fmt}}}"
                               "<extra></extra>"), **common), row=1, col=2)
        else:
            fig.add_trace(main)
    buttons = []
    for m in metrics:
        relayout = {"title.text": _heatmap_title(m, x, y)}
        if stable:
            relayout.update({"annotations[0].text": LABELS[m], "annotations[1].text": _stability_title(m)})
        visible = [n == m for n in metrics for _ in range(per_metric)]
        buttons.append({"label": LABELS[m], "method": "update", "args": [{"visible": visible}, relayout]})
    layout = {
        "title": {"text": _heatmap_title(metric, x, y), "x": 0.01},
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
                       "args": [{"z": [z for m in metrics for z in _slice_z(grids, around, m, i, stable)]},
                                list(range(len(metrics) * per_metric))]}
                      for i, label in enumerate(labels)],
        }]
    elif rest:
        layout["annotations"] = [*(fig.layout.annotations or ()),
                                 {"text": labels[0], "showarrow": False, "xref": "paper", "yref": "paper",
                                  "x": 0, "y": 1.08, "xanchor": "left"}]
    fig.update_layout(**layout)
    fig.update_xaxes(title_text=x, type="category")
    fig.update_yaxes(title_text=y, type="category")
    return fig


def _slice_z(grids, around, metric: str, i: int, stable) -> list:
    if not stable:
        return [grids[metric][i]]
    return [grids[metric][i], around[metric][i] if metric in around else None]


def _color_limits(metric: str, grids: list) -> dict:
    values = np.array([v for grid in grids if grid is not None for row in grid for v in row if v is not None],
                      dtype=np.float64)
    reverse = metric in _HIGHER_IS_WORSE
    if metric in DIVERGING:
        reach = float(np.abs(values).max()) if values.size else 1.0
        reach = reach or 1.0
        return {"colorscale": "RdYlGn", "zmid": 0.0, "zmin": -reach, "zmax": reach}
    scale = {"colorscale": "Viridis", "reversescale": reverse}
    if values.size:
        scale.update(zmin=float(values.min()), zmax=float(values.max()))
    return scale


def _heatmap_title(metric: str, x: str, y: str) -> str:
    return f"{LABELS[metric]} by {x} and {y}"


def _stability_title(metric: str) -> str:
    return f"Stability: mean {LABELS[metric]} of the neighbouring cells"


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


def _grid(part: pd.DataFrame, x: str, y: str, column: str, metric: str, xs: list,
          ys: list) -> list[list[float | None]]:
    """``column`` of ``part`` as rows ``ys`` x columns ``xs``; several rows in one cell keep the best value."""
    rows = pd.Index(ys).get_indexer(part[y])
    cols = pd.Index(xs).get_indexer(part[x])
    values = part[column].to_numpy(dtype=float)
    grid = np.full((len(ys), len(xs)), np.nan)
    best = np.fmin if metric in _HIGHER_IS_WORSE else np.fmax
    best.at(grid, (rows, cols), values)
    return [[None if np.isnan(v) else float(v) for v in row] for row in grid]


def _sweep_bars(frame: pd.DataFrame, param: str, metrics: list[str], metric: str) -> go.Figure:
    ordered = frame.sort_values(param)
    fig = go.Figure()
    for m in metrics:
        fmt = value_format(m)
        fig.add_trace(go.Bar(x=[str(v) for v in ordered[param]], y=ordered[m].to_numpy(dtype=float),
                             name=LABELS[m], visible=m == metric, texttemplate=f"%{{y:{fmt}}}",
                             textposition="outside", hovertemplate=f"%{{y:{fmt}}}<extra>{LABELS[m]}</extra>"))
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
    fmt = value_format(metric)
    fig = go.Figure()
    for column in columns:
        fig.add_trace(go.Bar(x=folds, y=frame[column].to_numpy(dtype=float), name=str(column), text=hover,
                             texttemplate=f"%{{y:{fmt}}}", textposition="outside",
                             hovertemplate=f"%{{y:{fmt}}}<br>%{{text}}<extra>{column}</extra>"))
    fig.update_layout(title={"text": f"Walk-forward: {LABELS.get(metric, metric)} per fold", "x": 0.01},
                      barmode="group", height=400, template="plotly_white",
                      xaxis={"title": {"text": "fold"}, "type": "category"})
    return fig
