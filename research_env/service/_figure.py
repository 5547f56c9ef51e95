"""A finished task's plotly figure, drawn by the notebook report's own figure module (imported lazily: the
service is a door and draws only when asked)."""

from __future__ import annotations

__all__ = ["figure_json"]


def figure_json(task: dict) -> str:
    """``fig.to_json()`` of a ``done`` task: a backtest's report figure (equity, drawdown, ...), a sweep's heatmap."""
    if task["kind"] == "backtest":
        from ..engine.result import BacktestResult
        from ..notebook.figures import backtest_figure

        return backtest_figure(BacktestResult.from_dict(task["report"])).to_json()
    return _sweep_figure(task["report"]).to_json()


def _sweep_figure(report: dict):
    """The heatmap the notebook's sweep report draws (same parameters, metric and stability view)."""
    from ..notebook.figures import sweep_columns, sweep_heatmap
    from ..sweeps.result import SweepResult

    result = SweepResult.from_dict(report, grid=report["grid"], maximize=report["maximize"])
    frame = result.to_frame()
    params, metrics = sweep_columns(frame)
    metric = result.metric if result.metric in metrics or not metrics else metrics[0]
    stability = {m: result.stability(m) for m in metrics} if len(result.grid) >= 2 else None
    return sweep_heatmap(frame, metric=metric, params=params, stability=stability)
