"""Parameter sliders: ``interact(strategy, ...)`` re-runs the backtest when a control changes.

Controls are built apart from the wiring: ``parameter_controls`` turns a
strategy's ``parameters``/``param_schema`` and default values into widgets;
``ParameterExplorer`` wires them with ``ipywidgets.interactive_output`` to a
re-run that updates one ``FigureWidget`` in place and rewrites a summary in an
``Output`` (``clear_output(wait=True)``). Errors of a re-run (a strategy
exception, a bad value) are shown in that output through IPython's
``showtraceback``, never swallowed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import ipywidgets as widgets
from IPython.display import HTML, display

__all__ = ["ParameterExplorer", "interact", "parameter_controls"]


def parameter_controls(strategy, values: Mapping | None = None, ranges: Mapping | None = None) -> dict:
    """One widget per tunable parameter of ``strategy`` (a class, instance, registered name or path).

    Parameters are the class's ``parameters`` list (else its constructor
    arguments); starting values are ``values``, else the constructor defaults
    (an instance's current values). ``ranges`` (or the class's ``param_schema``)
    maps a name to ``(min, max)`` for a slider or to a list of choices for a
    dropdown. Booleans get a checkbox; ints and floats a slider around the
    default; other values a text box; a parameter without a default is skipped.
    Every control has ``continuous_update=False``: a drag re-runs once, on release.
    """
    from ..strategy.base import StrategyBase
    from ..strategy.loader import load_strategy_class
    from ..strategy.params import strategy_defaults

    loaded = load_strategy_class(strategy)
    cls = type(loaded) if isinstance(loaded, StrategyBase) else loaded
    defaults = strategy_defaults(cls)
    if isinstance(loaded, StrategyBase):
        defaults.update(loaded.get_parameters())
    names = list(getattr(cls, "parameters", None) or defaults)
    schema = {**(getattr(cls, "param_schema", None) or {}), **(ranges or {})}
    controls = {}
    for name in names:
        value = (values or {}).get(name, defaults.get(name))
        control = _control(name, value, schema.get(name))
        if control is not None:
            controls[name] = control
    return controls


def _control(name: str, value, spec):
    common = {"description": name, "continuous_update": False, "style": {"description_width": "initial"}}
    if isinstance(spec, list | tuple) and not _is_range(spec):
        options = list(spec)
        return widgets.Dropdown(options=options, value=value if value in options else options[0],
                                description=name, style=common["style"])
    if isinstance(value, bool):
        return widgets.Checkbox(value=value, description=name, indent=False)
    if isinstance(value, int):
        low, high = spec if _is_range(spec) else _int_range(value)
        low, high = int(min(low, value)), int(max(high, value))
        return widgets.IntSlider(value=value, min=low, max=high, step=1, **common)
    if isinstance(value, float):
        low, high, step = (*spec, _float_step(spec[1] - spec[0])) if _is_range(spec) else _float_range(value)
        low, high = float(min(low, value)), float(max(high, value))
        return widgets.FloatSlider(value=value, min=low, max=high, step=step, readout_format=".4g", **common)
    if isinstance(value, str):
        return widgets.Text(value=value, **common)
    return None


def _is_range(spec) -> bool:
    return (isinstance(spec, list | tuple) and len(spec) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in spec))


def _int_range(value: int) -> tuple[int, int]:
    if value > 0:
        return 1, max(2 * value, value + 10)
    if value == 0:
        return 0, 10
    return 2 * value, -2 * value


def _float_step(span: float) -> float:
    return 10.0 ** math.floor(math.log10(span)) / 20 if span > 0 else 0.01


def _float_range(value: float) -> tuple[float, float, float]:
    if value == 0:
        return 0.0, 1.0, 0.01
    step = 10.0 ** math.floor(math.log10(abs(value))) / 10
    if value > 0:
        return step, round(2 * value, 10), step
    return round(2 * value, 10), -step, step


class ParameterExplorer(widgets.VBox):
    """Sliders, a live equity/drawdown/price ``FigureWidget`` and a summary of the latest run.

    ``result`` is the latest ``BacktestResult``; ``controls`` maps parameter
    names to their widgets (set ``controls[name].value`` to re-run from code).
    In a batch run (``research-env run``), where widgets would not survive, the
    explorer displays as the static report of its current result instead.
    """

    def __init__(self, strategy, controls: dict, backtest_kwargs: dict, fixed: Mapping | None = None):
        import plotly.graph_objects as go

        from .figures import backtest_figure, result_prices

        self.strategy = strategy
        self.controls = controls
        self._kwargs = dict(backtest_kwargs)
        self._fixed = {k: v for k, v in (fixed or {}).items() if k not in controls}
        self._last_params = self.parameters()
        self.result = self._backtest(self._last_params)
        self._prices = result_prices(self.result)
        self.figure = go.FigureWidget(backtest_figure(self.result, self._prices))
        self.output = widgets.interactive_output(self._rerun, controls)
        header = widgets.HTML(_header(self.result))
        box = widgets.Box(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([header, box, self.output, self.figure])

    def parameters(self) -> dict:
        """The values the controls hold now, with the fixed overrides."""
        return {**self._fixed, **{name: control.value for name, control in self.controls.items()}}

    def _backtest(self, params: dict):
        from .running import run_backtest

        label = f"backtest {getattr(self.strategy, '__name__', self.strategy)}"
        return run_backtest(self.strategy, params=params, progress_label=label, **self._kwargs)

    def _rerun(self, **values) -> None:
        params = {**self._fixed, **values}
        if params != self._last_params:
            self.result = self._backtest(params)
            self._last_params = params
            from .figures import backtest_figure

            update_figure(self.figure, backtest_figure(self.result, self._prices))
        display(HTML(_summary(self.result)))

    def _repr_mimebundle_(self, **kwargs):
        from .progress import in_batch
        from .report import _echo_of_shown, backtest_mimebundle

        if _echo_of_shown(self):
            return {"text/plain": f"<ParameterExplorer of {self.result.strategy} (shown above)>"}
        if in_batch():
            bundle = backtest_mimebundle(self.result)
            note = ("<p><em>Parameter sliders need a live kernel: open this notebook in JupyterLab on the "
                    "research-env kernel. Shown: the report for the starting values.</em></p>")
            return {**bundle, "text/html": note + bundle["text/html"]}
        return super()._repr_mimebundle_(**kwargs)


def update_figure(widget, figure) -> None:
    """Replace ``widget``'s traces and title with ``figure``'s, in place (one message, no re-creation)."""
    same = len(widget.data) == len(figure.data) and all(
        type(old) is type(new) and old.name == new.name for old, new in zip(widget.data, figure.data, strict=True)
    )
    with widget.batch_update():
        if same:
            for old, new in zip(widget.data, figure.data, strict=True):
                props = new.to_plotly_json()
                props.pop("type", None)
                old.update(props, overwrite=True)
        widget.layout.title.text = figure.layout.title.text
    if not same:
        widget.data = ()
        widget.update(layout=figure.layout)
        widget.add_traces(list(figure.data))


def _header(result) -> str:
    return (f"<b>{result.strategy}</b> on {', '.join(result.symbols)}, {result.timeframe} bars, "
            f"{result.start:%Y-%m-%d} to {result.end:%Y-%m-%d}"
            + (" · <span style='color:#b00020;font-weight:700'>SYNTHETIC DATA</span>" if result.is_synthetic else ""))


def _summary(result) -> str:
    from ..engine.result import format_metric

    m = result.metrics.to_dict()
    keys = ("total_return", "sharpe_ratio", "max_drawdown", "win_rate", "total_trades", "final_equity")
    cells = "".join(f"<td style='padding:0 12px'><b>{_label(k)}</b><br>{format_metric(k, m[k])}</td>" for k in keys)
    denied = f"<td style='padding:0 12px'><b>Denied</b><br>{len(result.denials)}</td>"
    return f"<table class='research-env-summary'><tr>{cells}{denied}</tr></table>"


def _label(key: str) -> str:
    from ..engine.metrics import LABELS

    return LABELS[key]


def interact(strategy, symbols=None, start=None, end=None, timeframe=None, initial_cash: float | None = None,
             params: Mapping | None = None, data=None, *, ranges: Mapping | None = None, risk=None,
             config=None) -> ParameterExplorer:
    """Sliders for ``strategy``'s parameters that re-run the backtest and update the chart in place.

    Arguments are those of ``research_env.backtest``; ``params`` sets starting
    values (or fixes parameters that get no control), ``ranges`` overrides a
    slider's ``(min, max)`` or gives a parameter a list of choices. Returns the
    ``ParameterExplorer`` (display it, or leave it last in the cell).
    """
    from ..strategy.loader import load_strategy_class
    from ..strategy.params import coerce_value, strategy_defaults

    loaded = load_strategy_class(strategy)
    cls = loaded if isinstance(loaded, type) else type(loaded)
    defaults = strategy_defaults(cls)
    values = {k: coerce_value(k, v, defaults.get(k)) for k, v in (params or {}).items()}
    controls = parameter_controls(loaded, values, ranges)
    kwargs = {"symbols": symbols, "start": start, "end": end, "timeframe": timeframe, "initial_cash": initial_cash,
              "data": data, "risk": risk, "config": config}
    if not isinstance(loaded, type):
        kwargs["symbols"] = symbols or loaded.symbols
    return ParameterExplorer(cls, controls, kwargs, fixed=values)
