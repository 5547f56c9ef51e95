"""Parameter sliders: controls from the strategy, re-runs on change, the figure updated in place, errors shown."""

from __future__ import annotations

import time
import warnings

import ipywidgets as widgets
import pytest

from research_env.notebook.progress import BATCH_ENV
from research_env.notebook.widgets import interact, parameter_controls
from research_env.strategy.base import StrategyBase
from tests.notebook.builders import run_cell, sma_cell


class Knobs(StrategyBase):
    parameters = ["period", "threshold", "ratio", "enabled", "mode", "label", "fixed"]
    param_schema = {"threshold": (10, 40), "mode": ["fast", "slow"]}

    def __init__(self, symbols=None, period=14, threshold=30, ratio=2.0, enabled=True, mode="slow", label="x",
                 fixed=None):
        super().__init__(name="knobs", symbols=symbols or ["SPY"])
        self.period, self.threshold, self.ratio, self.enabled = period, threshold, ratio, enabled
        self.mode, self.label, self.fixed = mode, label, fixed

    def on_bar(self, bar):
        return []


def test_controls_follow_types_defaults_and_schema():
    controls = parameter_controls(Knobs)
    assert list(controls) == ["period", "threshold", "ratio", "enabled", "mode", "label"]  # `fixed` has no default
    period = controls["period"]
    assert isinstance(period, widgets.IntSlider)
    assert (period.value, period.min, period.max, period.step) == (14, 1, 28, 1)
    assert (controls["threshold"].min, controls["threshold"].max) == (10, 40)
    ratio = controls["ratio"]
    assert isinstance(ratio, widgets.FloatSlider)
    assert (ratio.value, ratio.min, ratio.max, ratio.step) == (2.0, 0.1, 4.0, 0.1)
    assert isinstance(controls["enabled"], widgets.Checkbox) and controls["enabled"].value is True
    assert isinstance(controls["mode"], widgets.Dropdown) and controls["mode"].options == ("fast", "slow")
    assert controls["mode"].value == "slow"
    assert isinstance(controls["label"], widgets.Text)
    assert all(c.continuous_update is False for c in controls.values() if hasattr(c, "continuous_update"))


def test_starting_values_and_ranges_can_be_given():
    controls = parameter_controls(Knobs, values={"period": 50}, ranges={"period": (5, 20)})
    assert (controls["period"].value, controls["period"].min, controls["period"].max) == (50, 5, 50)


def test_an_instance_starts_from_its_own_values():
    controls = parameter_controls(Knobs(period=7))
    assert controls["period"].value == 7


@pytest.fixture()
def explorer(ip, unique):
    assert run_cell(ip, f"%%strategy ex_{unique}\n{sma_cell(cls=f'Ex{unique}', name=unique)}").success
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return interact(f"ex_{unique}", symbols="SPY", start="2023-01-01", end="2024-01-01", timeframe="1d")


def test_moving_a_slider_reruns_and_updates_the_same_figure_within_a_second(explorer):
    figure = explorer.figure
    before_equity = list(figure.data[0].y)
    before_title = figure.layout.title.text
    started = time.perf_counter()
    explorer.controls["fast_period"].value = 12
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0
    assert explorer.result.parameters["fast_period"] == 12
    assert explorer.figure is figure
    assert list(figure.data[0].y) != before_equity
    assert list(figure.data[0].y) == list((explorer.result.equity / 100_000 - 1) * 100)
    assert "fast_period=12" in figure.layout.title.text and figure.layout.title.text != before_title
    (drawn,) = explorer.chart.outputs  # the chart output shows the new figure as plotly's mimetype
    assert drawn["data"]["application/vnd.plotly.v1+json"]["layout"]["title"]["text"] == figure.layout.title.text


def test_choice_and_bool_controls_reach_the_strategy(explorer):
    explorer.controls["mode"].value = "level"
    explorer.controls["allow_reentry"].value = False
    assert explorer.result.parameters["mode"] == "level"
    assert explorer.result.parameters["allow_reentry"] is False


def test_a_failing_rerun_is_shown_not_swallowed(explorer, capsys):
    explorer.controls["slow_period"].min = 0
    explorer.controls["slow_period"].value = 0  # SMA(0) makes TA-Lib raise inside the strategy
    text = capsys.readouterr().out
    assert "StrategyError: strategy" in text and "on_bar()" in text
    assert explorer.result.parameters["slow_period"] != 0


def test_in_batch_runs_the_explorer_shows_the_static_report(explorer, monkeypatch):
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
    monkeypatch.setenv(BATCH_ENV, "1")
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    assert "Parameter sliders need a live kernel" in bundle["text/html"]
    assert "research-env-plot" in bundle["text/html"]


def test_unknown_strategy_fails_before_any_widget(ip):
    from research_env.strategy.loader import StrategyLoadError

    with pytest.raises(StrategyLoadError, match="no strategy named `nope_nope`"):
        interact("nope_nope")


def test_unknown_ranges_names_are_refused_with_the_known_ones(ip, unique):
    from research_env.errors import InputError

    message = ("`ranges` has `perod`, which is not a parameter of Knobs; did you mean `period`? (its parameters: "
               "period, threshold, ratio, enabled, mode, label, fixed)")
    with pytest.raises(InputError) as caught:
        parameter_controls(Knobs, ranges={"period": (5, 20), "perod": (1, 2)})
    assert str(caught.value) == message
    assert run_cell(ip, f"%%strategy rg_{unique}\n{sma_cell(cls=f'Rg{unique}', name=unique)}").success
    with pytest.raises(InputError, match="`ranges` has `fats_period`.*did you mean `fast_period`"):
        interact(f"rg_{unique}", symbols="SPY", start="2023-01-01", end="2024-01-01", ranges={"fats_period": (2, 9)})


def test_in_a_batch_run_interact_makes_no_widget_and_shows_the_report(ip, unique, monkeypatch):
    from IPython.utils.capture import capture_output

    from research_env.errors import InputError
    from research_env.notebook.widgets import StaticExplorer

    assert run_cell(ip, f"%%strategy bt_{unique}\n{sma_cell(cls=f'Bt{unique}', name=unique)}").success
    monkeypatch.setenv(BATCH_ENV, "1")
    from ipywidgets.widgets.widget import _instances

    before = set(_instances)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explorer = interact(f"bt_{unique}", symbols="SPY", start="2023-01-01", end="2024-01-01",
                            params={"fast_period": 4}, ranges={"slow_period": (10, 60)})
    assert isinstance(explorer, StaticExplorer) and set(_instances) == before
    assert explorer.result.parameters["fast_period"] == 4 and explorer.parameters() == {"fast_period": 4}
    with capture_output() as shown:
        ip.display_formatter.ipython_display_formatter(explorer)
    note, head, figure, tail = (o.data for o in shown.outputs)
    assert note["text/plain"].startswith("Parameter sliders need a live kernel")
    assert "application/vnd.plotly.v1+json" in figure and "Total Return" in head["text/html"]
    with pytest.raises(InputError, match="`ranges` has `slow`"):
        interact(f"bt_{unique}", symbols="SPY", start="2023-01-01", end="2024-01-01", ranges={"slow": (1, 2)})


def test_a_live_explorer_displays_as_its_widget(explorer, ip):
    from IPython.utils.capture import capture_output

    with capture_output() as shown:
        ip.display_formatter.ipython_display_formatter(explorer)
    (out,) = shown.outputs
    assert out.data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    assert explorer.layout.width == "100%"
