"""Parameter sliders: ``interact(strategy, ...)`` re-runs the backtest when a control changes.

Controls are built apart from the wiring: ``parameter_controls`` turns a
strategy's ``parameters``/``param_schema`` and default values into widgets;
``ParameterExplorer`` wires them with ``ipywidgets.interactive_output`` to a
re-run that rewrites a summary in an ``Output`` (``clear_output(wait=True)``)
and redraws the report's figure in a second ``Output``, as plotly's own
mimetype: JupyterLab's plotly renderer sizes it to the output's width (a
``FigureWidget`` drawn while its output is still detached stays at plotly's
default 700 px). Errors of a re-run (a strategy exception, a bad value) are
shown in the summary output through IPython's ``showtraceback``, never
swallowed. In a batch run ``interact`` makes no widget at all
(``StaticExplorer``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import ipywidgets as widgets
from IPython.display import HTML, display

__all__ = ["ParameterExplorer", "StaticExplorer", "interact", "parameter_controls"]


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
    _check_ranges(cls, names, ranges)
    schema = {**(getattr(cls, "param_schema", None) or {}), **(ranges or {})}
    controls = {}
    for name in names:
        value = (values or {}).get(name, defaults.get(name))
        control = _control(name, value, schema.get(name))
        if control is not None:
            controls[name] = control
    return controls


def _check_ranges(cls, names: list[str], ranges: Mapping | None) -> None:
    """``InputError`` for a ``ranges`` name that is no parameter of ``cls`` (as ``--param``/``--grid`` refuse it)."""
    import difflib

    from ..errors import InputError

    unknown = [name for name in (ranges or {}) if name not in names]
    if unknown:
        hint = difflib.get_close_matches(unknown[0], names, n=1)
        suggestion = f"; did you mean `{hint[0]}`?" if hint else ""
        raise InputError(f"`ranges` has `{unknown[0]}`, which is not a parameter of {cls.__name__}{suggestion} "
                         f"(its parameters: {', '.join(names) or 'none'})")


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
    """Sliders, the report's figure of the latest run and a summary of it.

    ``result`` is the latest ``BacktestResult``; ``figure`` its figure (one
    ``plotly.graph_objects.Figure``, updated in place), drawn in the ``chart``
    output; ``controls`` maps parameter names to their widgets (set
    ``controls[name].value`` to re-run from code). Displayed in a batch run
    (``research-env run``), where widgets would not survive, the explorer
    shows the static report of its current result instead.
    """

    def __init__(self, strategy, controls: dict, backtest_kwargs: dict, fixed: Mapping | None = None):
        from .figures import backtest_figure

        self.strategy = strategy
        self.controls = controls
        self._kwargs = dict(backtest_kwargs)
        self._fixed = {k: v for k, v in (fixed or {}).items() if k not in controls}
        self._last_params = self.parameters()
        self.result = self._backtest(self._last_params)
        self.figure = backtest_figure(self.result)
        self.chart = widgets.Output(layout=widgets.Layout(width="100%"))
        self._draw()
        self.output = widgets.interactive_output(self._rerun, controls)
        header = widgets.HTML(_header(self.result))
        box = widgets.Box(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([header, box, self.output, self.chart], layout=widgets.Layout(width="100%"))

    def _draw(self) -> None:
        """Show ``figure`` in ``chart``: one output, replaced, as plotly's mimetype (no widget state, no trust)."""
        from .report import figure_bundle

        bundle = figure_bundle(self.figure, include_plotlyjs=False)
        self.chart.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)

    def parameters(self) -> dict:
        """The values the controls hold now, with the fixed overrides."""
        return {**self._fixed, **{name: control.value for name, control in self.controls.items()}}

    def _backtest(self, params: dict):
        return _backtest(self.strategy, params, self._kwargs)

    def _rerun(self, **values) -> None:
        params = {**self._fixed, **values}
        if params != self._last_params:
            self.result = self._backtest(params)
            self._last_params = params
            from .figures import backtest_figure

            update_figure(self.figure, backtest_figure(self.result))
            self._draw()
        display(HTML(_summary(self.result)))

    def _ipython_display_(self) -> None:
        """The widget in a live kernel; in a batch run (where widgets are lost) the report's outputs."""
        from .progress import in_batch
        from .report import _echo_of_shown, backtest_outputs

        if _echo_of_shown(self):
            display({"text/plain": f"<ParameterExplorer of {self.result.strategy} (shown above)>"}, raw=True)
        elif in_batch():
            display({"text/html": f"<p><em>{BATCH_NOTE}</em></p>", "text/plain": BATCH_NOTE}, raw=True)
            for bundle in backtest_outputs(self.result):
                display(bundle, raw=True)
        else:
            display(self._repr_mimebundle_(), raw=True)

    def _repr_mimebundle_(self, **kwargs):
        from .progress import in_batch
        from .report import _echo_of_shown, backtest_mimebundle

        if _echo_of_shown(self):
            return {"text/plain": f"<ParameterExplorer of {self.result.strategy} (shown above)>"}
        if in_batch():
            bundle = backtest_mimebundle(self.result)
            return {**bundle, "text/html": f"<p><em>{BATCH_NOTE}</em></p>" + bundle["text/html"]}
        return super()._repr_mimebundle_(**kwargs)


#: What a batch run shows above the explorer's static report.
BATCH_NOTE = ("Parameter sliders need a live kernel: open this notebook in JupyterLab on the research-env kernel. "
              "Shown: the report for the starting values.")


class StaticExplorer:
    """What ``interact`` returns in a batch run (``research-env run``), where widgets would be lost: the backtest
    of the starting values, displayed as its report under a note. It creates no widget, so the executed
    notebook saves no widget state (a ``FigureWidget`` alone would add megabytes) and nothing shows
    "model not found" when it is reopened."""

    def __init__(self, strategy, backtest_kwargs: dict, params: Mapping):
        self.strategy = strategy
        self.controls: dict = {}
        self._params = dict(params)
        self.result = _backtest(strategy, self._params, backtest_kwargs)

    def parameters(self) -> dict:
        """The parameters the report ran with (the starting values)."""
        return dict(self._params)

    def _ipython_display_(self) -> None:
        from .report import _echo_of_shown, backtest_outputs

        if _echo_of_shown(self):
            display({"text/plain": f"<StaticExplorer of {self.result.strategy} (shown above)>"}, raw=True)
            return
        display({"text/html": f"<p><em>{BATCH_NOTE}</em></p>", "text/plain": BATCH_NOTE}, raw=True)
        for bundle in backtest_outputs(self.result):
            display(bundle, raw=True)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        from .report import backtest_mimebundle

        bundle = backtest_mimebundle(self.result)
        return {**bundle, "text/html": f"<p><em>{BATCH_NOTE}</em></p>" + bundle.get("text/html", "")}


def _backtest(strategy, params: dict, kwargs: dict):
    from .running import run_backtest

    label = f"backtest {getattr(strategy, '__name__', strategy)}"
    return run_backtest(strategy, params=params, progress_label=label, **kwargs)


def update_figure(target, figure) -> None:
    """Make ``target`` (a ``Figure`` or ``FigureWidget``) show ``figure``, in place: trace by trace when both
    have the same traces (one message for a widget), else every trace replaced; the layout is ``figure``'s."""
    same = len(target.data) == len(figure.data) and all(
        type(old) is type(new) and old.name == new.name for old, new in zip(target.data, figure.data, strict=True)
    )
    with target.batch_update():
        if same:
            for old, new in zip(target.data, figure.data, strict=True):
                props = new.to_plotly_json()
                props.pop("type", None)
                old.update(props, overwrite=True)
        target.layout = figure.layout
    if not same:
        target.data = ()
        target.add_traces(list(figure.data))


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
             config=None, allow_demo: bool | None = None,
             timeout: float | None = None) -> ParameterExplorer | StaticExplorer:
    """Sliders for ``strategy``'s parameters that re-run the backtest and update the chart in place.

    Arguments are those of ``research_env.backtest``; ``params`` sets starting
    values (or fixes parameters that get no control), ``ranges`` overrides a
    slider's ``(min, max)`` or gives a parameter a list of choices (a name
    that is no parameter of the strategy is an ``InputError``). Returns the
    ``ParameterExplorer`` (display it, or leave it last in the cell); in a
    batch run a ``StaticExplorer``: the report of the starting values.
    """
    from ..strategy.base import StrategyBase
    from ..strategy.loader import load_strategy_class
    from ..strategy.params import coerce_value, strategy_defaults
    from .progress import in_batch

    loaded = load_strategy_class(strategy)
    cls = loaded if isinstance(loaded, type) else type(loaded)
    defaults = strategy_defaults(cls)
    values = {k: coerce_value(k, v, defaults.get(k)) for k, v in (params or {}).items()}
    kwargs = {"symbols": symbols, "start": start, "end": end, "timeframe": timeframe, "initial_cash": initial_cash,
              "data": data, "risk": risk, "config": config, "allow_demo": allow_demo, "timeout": timeout}
    if not isinstance(loaded, type):
        kwargs["symbols"] = symbols or loaded.symbols
    if in_batch():
        _check_ranges(cls, list(getattr(cls, "parameters", None) or defaults), ranges)
        start_values = {**(loaded.get_parameters() if isinstance(loaded, StrategyBase) else {}), **values}
        return StaticExplorer(cls, kwargs, start_values)
    controls = parameter_controls(loaded, values, ranges)
    return ParameterExplorer(cls, controls, kwargs, fixed=values)
