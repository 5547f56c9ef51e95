"""The plotly figures: backtest report traces, sweep heatmaps with their selectors, walk-forward bars."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from research_env.notebook.figures import backtest_figure, sweep_columns, sweep_heatmap, walk_forward_figure
from tests.notebook.builders import scripted_result, sweep_frame


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scripted_result(tmp_path_factory.mktemp("store"))


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_equity_drawdown_benchmark_and_price_traces_hold_the_result_values(result):
    fig = backtest_figure(result)
    np.testing.assert_array_equal(_trace(fig, "Equity").y, result.equity.to_numpy())
    np.testing.assert_allclose(_trace(fig, "Drawdown %").y, result.drawdown.to_numpy() * 100)
    bench = _trace(fig, "SPY (rebased)")
    assert bench.y[0] == pytest.approx(result.config.initial_cash)
    growth = result.benchmark.iloc[-1] / result.benchmark.iloc[0]
    assert bench.y[-1] == pytest.approx(result.config.initial_cash * growth)
    assert len(_trace(fig, "AAA close").y) == len(result.equity)
    assert [t.yaxis for t in fig.data] == ["y", "y", "y2", "y3", "y3", "y3"]


def test_trade_markers_sit_at_the_fill_prices_and_times_in_new_york(result):
    fig = backtest_figure(result)
    fills = result.fills_frame()
    buys, sells = _trace(fig, "AAA buys"), _trace(fig, "AAA sells")
    assert list(buys.y) == list(fills.loc[fills.side == "BUY", "price"])
    assert list(sells.y) == list(fills.loc[fills.side == "SELL", "price"])
    first = pd.Timestamp(fills["time"].iloc[0]).tz_convert("America/New_York").tz_localize(None)
    assert pd.Timestamp(buys.x[0]) == first
    assert buys.marker.symbol == "triangle-up" and sells.marker.symbol == "triangle-down"


def test_title_flags_synthetic_data_and_sums_up_the_run(result):
    title = backtest_figure(result).layout.title.text
    assert title.startswith("SYNTHETIC DATA · scripted() on AAA: return ")
    assert f"{result.metrics.total_trades} trades" in title


def test_several_symbols_are_rebased_to_100(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = scripted_result(tmp_path, symbols=("AAA", "BBB"))
    fig = backtest_figure(res)
    assert _trace(fig, "AAA close").y[0] == pytest.approx(100.0)
    assert _trace(fig, "BBB close").y[0] == pytest.approx(100.0)
    assert "rebased to 100" in fig.layout.annotations[2].text


def test_without_bars_the_price_panel_keeps_the_fills(result):
    fig = backtest_figure(result, prices={})
    assert not [t for t in fig.data if t.name == "AAA close"]
    assert len(_trace(fig, "AAA buys").y) == 1
    assert fig.layout.annotations[2].text.startswith("Fills")


def test_sweep_columns_split_parameters_from_metrics():
    params, metrics = sweep_columns(sweep_frame())
    assert params == ["fast", "slow", "stop"]
    assert metrics == ["total_return", "sharpe_ratio", "max_drawdown", "win_rate", "total_trades"]


def test_heatmap_shows_the_metric_over_two_parameters_for_each_value_of_the_third():
    frame = sweep_frame()
    fig = sweep_heatmap(frame, metric="sharpe_ratio")
    sharpe = _trace(fig, "Sharpe Ratio")
    assert sharpe.visible is True and _trace(fig, "Total Return").visible is False
    assert list(sharpe.x) == ["5", "10"] and list(sharpe.y) == ["20", "30", "40"]
    # first slice: stop=0.01; z[row=slow][col=fast] = fast - slow/10 + 1
    assert list(sharpe.z[0]) == [pytest.approx(5 - 2 + 1), pytest.approx(10 - 2 + 1)]
    assert sharpe.z[2][1] == pytest.approx(10 - 4 + 1)
    steps = fig.layout.sliders[0].steps
    assert [s.label for s in steps] == ["stop=0.01", "stop=0.02"]
    second = steps[1].args[0]["z"][1]  # sharpe is the second metric trace
    assert second[0][0] == pytest.approx(5 - 2 + 2)
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ["Total Return", "Sharpe Ratio", "Max Drawdown", "Win Rate", "Total Trades"]
    assert buttons[0].args[0]["visible"] == [True, False, False, False, False]
    assert fig.layout.updatemenus[0].active == 1


def test_heatmap_axes_can_be_chosen_and_bad_names_are_named():
    fig = sweep_heatmap(sweep_frame(), x="slow", y="stop", metric="total_return")
    assert fig.layout.xaxis.title.text == "slow" and fig.layout.yaxis.title.text == "stop"
    assert [s.label for s in fig.layout.sliders[0].steps] == ["fast=5", "fast=10"]
    with pytest.raises(ValueError, match="`metric` 'sortino'"):
        sweep_heatmap(sweep_frame(), metric="sortino")
    with pytest.raises(ValueError, match="`x` 'fats' is not a parameter"):
        sweep_heatmap(sweep_frame(), x="fats")


def test_one_parameter_sweeps_draw_bars():
    frame = sweep_frame().query("slow == 20 and stop == 0.01").drop(columns=["slow", "stop"])
    fig = sweep_heatmap(frame, metric="sharpe_ratio")
    assert _trace(fig, "Sharpe Ratio").type == "bar"
    assert list(_trace(fig, "Sharpe Ratio").y) == [4.0, 9.0]


def test_walk_forward_bars_compare_in_and_out_of_sample_per_fold():
    folds = pd.DataFrame({"fold": [1, 2], "fast": [5, 10], "train_sharpe_ratio": [1.5, 1.2],
                          "test_sharpe_ratio": [0.4, -0.1]})
    fig = walk_forward_figure(folds, "sharpe_ratio")
    assert [t.name for t in fig.data] == ["train_sharpe_ratio", "test_sharpe_ratio"]
    assert list(fig.data[1].y) == [0.4, -0.1]
    assert fig.data[0].text[1] == "fast=10"
    with pytest.raises(ValueError, match="no column ending in 'win_rate'"):
        walk_forward_figure(folds, "win_rate")
