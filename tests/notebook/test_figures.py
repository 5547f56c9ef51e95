"""The plotly figures: the backtest report's panels, sweep heatmaps with stability, walk-forward bars."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from research_env.notebook.figures import (
    backtest_figure,
    result_bars,
    sweep_columns,
    sweep_heatmap,
    walk_forward_figure,
)
from research_env.sweeps.result import SweepResult, metric_row
from tests.notebook.builders import report_result, sweep_frame

NY = "America/New_York"


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return report_result(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    return report_result(tmp_path_factory.mktemp("store"), symbols=("AAA", "BBB"))


def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def _day(stamp) -> str:
    return pd.Timestamp(stamp).tz_convert(NY).strftime("%Y-%m-%d")


# --- equity, exposure, drawdown ----------------------------------------------------------------------


def test_equity_is_the_cumulative_return_in_percent_on_new_york_session_dates(result):
    fig = backtest_figure(result)
    equity = _trace(fig, "Equity")
    expected = (result.equity.to_numpy() / 100_000.0 - 1.0) * 100.0
    np.testing.assert_allclose(equity.y, expected, rtol=0, atol=1e-12)
    assert list(equity.x) == [_day(t) for t in result.equity.index]
    assert fig.layout.yaxis.ticksuffix == "%"
    np.testing.assert_allclose(_trace(fig, "Drawdown %").y, result.drawdown.to_numpy() * 100.0, atol=1e-12)


def test_exposure_is_the_position_value_over_equity_between_the_fills(result):
    fig = backtest_figure(result)
    exposure = np.asarray(_trace(fig, "Exposure %").y)
    buy, sell = result.fills
    times = pd.DatetimeIndex(result.equity.index)
    held = (times >= buy.timestamp) & (times < sell.timestamp)
    assert held.sum() == 5  # Jan 11, 12, 13, 17, 18 (16th: Martin Luther King Jr. Day), sold at the Jan 19 close
    # independently: while held, equity = cash + position, and cash is what the buy left
    cash = 100_000.0 - buy.quantity * buy.price - buy.commission
    equity = result.equity.to_numpy()
    np.testing.assert_allclose(exposure[held], (equity[held] - cash) / equity[held] * 100.0, rtol=1e-12)
    assert (exposure[~held] == 0).all()


def test_benchmark_is_in_percent_at_the_strategys_average_exposure_and_fully_invested_on_a_button(result):
    fig = backtest_figure(result)
    scaled, raw = _trace(fig, "SPY at the strategy's exposure"), _trace(fig, "SPY fully invested")
    assert (scaled.visible, raw.visible) == (True, False)
    weight = float(np.mean(np.asarray(_trace(fig, "Exposure %").y))) / 100.0
    closes = result.benchmark.to_numpy()
    growth, expected = 1.0, []
    for before, now in zip(np.concatenate(([closes[0]], closes[:-1])), closes, strict=True):
        growth *= 1.0 + weight * (now / before - 1.0)
        expected.append((growth - 1.0) * 100.0)
    np.testing.assert_allclose(scaled.y, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(raw.y, (closes / closes[0] - 1.0) * 100.0, rtol=1e-12)
    assert scaled.x[0] == f"{result.benchmark.index[0]:%Y-%m-%d}"
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == [f"SPY at the strategy's average exposure ({weight:.0%})",
                                          "SPY fully invested"]
    first = list(fig.data).index(scaled)
    assert buttons[1].args[0] == {"visible": [False, True]} and list(buttons[1].args[1]) == [first, first + 1]
    assert buttons[0].args[0] == {"visible": [True, False]} and list(buttons[0].args[1]) == [first, first + 1]


def test_peak_final_and_drawdown_landmarks_are_marked(result):
    fig = backtest_figure(result)
    returns = (result.equity.to_numpy() / 100_000.0 - 1.0) * 100.0
    peak, final, trough = _trace(fig, "Peak"), _trace(fig, "Final"), _trace(fig, "Max drawdown")
    assert peak.y[0] == returns.max() and peak.x[0] == _day(result.equity.index[int(returns.argmax())])
    assert final.y[0] == returns[-1] and final.text[0] == f"Final {returns[-1]:.2f}%"
    assert trough.text[0] == f"Max drawdown {result.metrics.max_drawdown * 100:.2f}%"
    assert trough.x[0] == _day(result.drawdown.idxmin())
    longest = _trace(fig, "Longest drawdown")
    assert longest.y[0] == longest.y[1] == pytest.approx(returns[: int(returns.argmax()) + 1].max())
    assert longest.text[1].startswith("Longest drawdown: ") and longest.text[1].endswith("days (not recovered)")


# --- price, volume, trades ---------------------------------------------------------------------------


def test_price_panel_draws_candles_and_volume_from_the_bars(result):
    fig = backtest_figure(result)
    bars = result.bars["AAA"]
    candles = _trace(fig, "AAA price")
    assert candles.type == "candlestick"
    np.testing.assert_array_equal(candles.open, bars["open"].to_numpy())
    np.testing.assert_array_equal(candles.high, bars["high"].to_numpy())
    np.testing.assert_array_equal(candles.low, bars["low"].to_numpy())
    np.testing.assert_array_equal(candles.close, bars["close"].to_numpy())
    volume = _trace(fig, "AAA volume")
    assert volume.type == "bar" and volume.yaxis == "y5"
    np.testing.assert_array_equal(volume.y, bars["volume"].to_numpy())
    up = bars["close"].to_numpy() >= bars["open"].to_numpy()
    assert list(volume.marker.color) == ["#26a69a" if u else "#ef5350" for u in up]
    assert fig.layout.annotations[3].text == "AAA: 1d candlesticks and trades"
    assert fig.layout.xaxis.rangeslider.visible is False and fig.layout.xaxis4.rangeslider.visible is False


def test_entries_and_exits_are_joined_by_a_line_coloured_by_the_trades_pnl(result):
    fig = backtest_figure(result)
    trade = result.trades[0]
    buy, sell = result.fills
    assert trade.pnl < 0
    losing, winning = _trace(fig, "AAA losing trades"), _trace(fig, "AAA winning trades")
    assert list(losing.x) == [_day(trade.entry_time), _day(trade.exit_time), None]
    assert list(losing.y) == [trade.entry_price, trade.exit_price, None]
    assert losing.line.color == "#ef5350" and len(winning.x) == 0
    entries, exits = _trace(fig, "AAA entries"), _trace(fig, "AAA exits")
    assert list(entries.y) == [buy.price] and list(exits.y) == [sell.price]
    assert list(entries.x) == [_day(buy.timestamp)] and list(exits.x) == [_day(sell.timestamp)]
    assert list(entries.marker.symbol) == ["triangle-up"] and list(exits.marker.symbol) == ["triangle-down"]
    assert list(entries.marker.color) == ["#ef5350"]
    assert entries.text[0] == (f"BUY 10 @ {buy.price:,.2f}<br>scripted BUY<br>BUY 10: "
                               f"{trade.entry_price:,.2f} → {trade.exit_price:,.2f}, P&L {trade.pnl:+,.2f} "
                               f"({trade.return_pct:+.2%}), held 8.0 days")
    assert "scripted SELL" in exits.text[0]


def test_trade_returns_and_their_distribution(result):
    fig = backtest_figure(result)
    trade = result.trades[0]
    returns, spread = _trace(fig, "Trade returns"), _trace(fig, "Return distribution")
    assert list(returns.y) == [trade.return_pct * 100.0] and list(returns.x) == [_day(trade.exit_time)]
    assert list(returns.marker.size) == [22.0]  # the longest trade gets the largest marker
    assert spread.type == "histogram" and list(spread.y) == [trade.return_pct * 100.0]
    assert spread.yaxis == "y7" and fig.layout.yaxis7.matches == "y6"


def test_one_time_axis_without_weekends_holidays(result):
    fig = backtest_figure(result)
    for axis in ("xaxis", "xaxis2", "xaxis3", "xaxis4", "xaxis5"):
        assert fig.layout[axis].matches == "x6" and fig.layout[axis].showticklabels is False
    breaks = [b.to_plotly_json() for b in fig.layout.xaxis6.rangebreaks]
    assert breaks[0] == {"bounds": ["sat", "mon"]}
    assert breaks[1]["values"] == ["2023-01-16", "2023-02-20", "2023-04-07", "2023-05-29", "2023-06-19",
                                   "2023-07-04", "2023-09-04", "2023-11-23", "2023-12-25"]
    assert len(breaks) == 2  # daily bars: no night breaks


def test_several_symbols_get_a_selector_that_shows_one_at_a_time(pair):
    fig = backtest_figure(pair)
    assert _trace(fig, "AAA price").visible is True and _trace(fig, "BBB price").visible is False
    menu = fig.layout.updatemenus[-1]
    assert [b.label for b in menu.buttons] == ["AAA", "BBB"]
    first = list(fig.data).index(_trace(fig, "AAA price"))
    visible, relayout, indices = menu.buttons[1].args
    assert list(indices) == list(range(first, first + 12))
    assert visible["visible"] == [False] * 6 + [True] * 6
    assert [fig.data[i].name for i in indices[6:]] == ["BBB price", "BBB volume", "BBB winning trades",
                                                       "BBB losing trades", "BBB entries", "BBB exits"]
    assert relayout == {"annotations[3].text": "BBB: 1d candlesticks and trades"}


def test_a_result_with_closes_only_draws_the_close_line(result):
    closes_only = dataclasses.replace(result, bars={})
    assert list(result_bars(closes_only)["AAA"].columns) == ["close"]
    fig = backtest_figure(closes_only)
    line = _trace(fig, "AAA price")
    assert line.type == "scatter"
    np.testing.assert_array_equal(line.y, result.closes["AAA"].to_numpy())
    assert len(_trace(fig, "AAA volume").y) == 0
    assert fig.layout.annotations[3].text == "AAA: close (1d bars; the result holds closes only) and trades"
    assert [t.name for t in fig.data] == [t.name for t in backtest_figure(result).data]  # same trace layout


def test_title_flags_synthetic_data_and_sums_up_the_run(result):
    title = backtest_figure(result).layout.title.text
    assert title.startswith("SYNTHETIC DATA · scripted() on AAA<br><sup>return ")
    assert f"{result.metrics.total_trades} trades · 1d bars, New York time</sup>" in title


def test_five_minute_bars_merge_into_coarser_candles_on_an_axis_without_nights(tmp_path):
    res = report_result(tmp_path, timeframe="5m", start="2023-01-01", end="2023-03-01")
    assert len(res.bars["AAA"]) == 3042  # 39 sessions x 78 bars
    fig = backtest_figure(res)
    price = _trace(fig, "AAA price")
    assert price.type == "ohlc" and len(price.x) == 39 * 26  # merged into 15-minute bars: 26 a session
    assert price.x[0] == "2023-01-03 09:45:00"
    assert fig.layout.annotations[3].text == "AAA: 3,042 5m bars as 1,014 15m OHLC bars, and trades"
    assert _trace(fig, "AAA volume").y[0] == res.bars["AAA"]["volume"].iloc[:3].sum()
    breaks = [b.to_plotly_json() for b in fig.layout.xaxis6.rangebreaks]
    assert {"bounds": [16.001, 9.5], "pattern": "hour"} in breaks
    entry = pd.Timestamp(res.trades[0].entry_time).tz_convert(NY)
    assert _trace(fig, "AAA entries").x[0] == entry.strftime("%Y-%m-%d %H:%M:%S") == "2023-01-03 10:05:00"


# --- sweeps ------------------------------------------------------------------------------------------


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


def test_heatmap_cells_carry_their_values_on_a_scale_centred_at_zero_for_returns():
    fig = sweep_heatmap(sweep_frame(), metric="sharpe_ratio")
    sharpe, total, win = (_trace(fig, n) for n in ("Sharpe Ratio", "Total Return", "Win Rate"))
    assert sharpe.texttemplate == "%{z:.2f}" and total.texttemplate == "%{z:.1%}"
    assert _trace(fig, "Total Trades").texttemplate == "%{z:,.0f}"
    # Sharpe runs from 5 - 4 + 1 = 2 to 10 - 2 + 2 = 10 over both slices: the scale spans -10..10, centred at 0
    assert (sharpe.zmin, sharpe.zmid, sharpe.zmax) == (-10.0, 0.0, 10.0)
    assert sharpe.colorscale[0][1] == "rgb(165,0,38)"  # RdYlGn
    assert (win.zmid, win.zmin, win.zmax) == (None, 0.5, 0.5)  # not return-like: sequential, own range
    assert win.colorscale[0][1] == "#440154"  # Viridis


def test_heatmap_axes_can_be_chosen_and_bad_names_are_named():
    fig = sweep_heatmap(sweep_frame(), x="slow", y="stop", metric="total_return")
    assert fig.layout.xaxis.title.text == "slow" and fig.layout.yaxis.title.text == "stop"
    assert [s.label for s in fig.layout.sliders[0].steps] == ["fast=5", "fast=10"]
    with pytest.raises(ValueError, match="`metric` 'sortino'"):
        sweep_heatmap(sweep_frame(), metric="sortino")
    with pytest.raises(ValueError, match="`x` 'fats' is not a parameter"):
        sweep_heatmap(sweep_frame(), x="fats")


def _grid_sweep() -> SweepResult:
    rows = []
    for fast in (5, 10, 20):
        for slow in (30, 50):
            sharpe = {(5, 30): 0.2, (10, 30): 1.0, (20, 30): 0.4, (5, 50): 0.1, (10, 50): 0.3, (20, 50): 0.5}
            values = {"total_return": fast / 1000, "sharpe_ratio": sharpe[(fast, slow)], "total_trades": fast}
            rows.append(metric_row({"fast": fast, "slow": slow},
                                   {name: values.get(name) for name in
                                    ("total_return", "annualized_return", "max_drawdown", "sharpe_ratio",
                                     "win_rate", "profit_loss_ratio", "total_trades", "avg_holding_days",
                                     "max_daily_loss", "alpha", "beta", "final_equity", "trading_days",
                                     "total_commission")}, {}))
    return SweepResult(strategy="x", kind="vectorized", symbols=["SPY"], timeframe="1d",
                       start=datetime(2023, 1, 1), end=datetime(2024, 1, 1), grid={"fast": [5, 10, 20],
                                                                                   "slow": [30, 50]},
                       rows=rows, elapsed_seconds=0.5)


def test_stability_view_beside_the_heatmap_shows_the_neighbours_mean_on_the_same_colours():
    sweep = _grid_sweep()
    frame = sweep.to_frame()
    fig = sweep_heatmap(frame, metric="sharpe_ratio", stability={m: sweep.stability(m) for m in
                                                                 ("total_return", "sharpe_ratio", "total_trades")})
    main, around = _trace(fig, "Sharpe Ratio"), _trace(fig, "Sharpe Ratio: neighbours' mean")
    assert main.xaxis == "x" and around.xaxis == "x2" and around.showscale is False
    # (fast=10, slow=30) = 1.0; its neighbours on the grid: 0.2, 0.4, 0.1, 0.3, 0.5 -> mean 0.3
    assert main.z[0][1] == 1.0 and around.z[0][1] == pytest.approx(0.3)
    assert around.texttemplate == "%{z:.2f}" and (around.zmin, around.zmax) == (main.zmin, main.zmax) == (-1, 1)
    assert fig.layout.annotations[1].text == "Stability: mean Sharpe Ratio of the neighbouring cells"
    buttons = fig.layout.updatemenus[0].buttons
    button = next(b for b in buttons if b.label == "Total Return")
    assert button.args[0]["visible"] == [True, True] + [False] * 2 * (len(buttons) - 1)  # two traces per metric
    assert button.args[1]["annotations[1].text"] == "Stability: mean Total Return of the neighbouring cells"


def test_one_parameter_sweeps_draw_bars_with_their_values():
    frame = sweep_frame().query("slow == 20 and stop == 0.01").drop(columns=["slow", "stop"])
    fig = sweep_heatmap(frame, metric="sharpe_ratio")
    bars = _trace(fig, "Sharpe Ratio")
    assert bars.type == "bar" and list(bars.y) == [4.0, 9.0] and bars.texttemplate == "%{y:.2f}"


def test_walk_forward_bars_compare_in_and_out_of_sample_per_fold():
    folds = pd.DataFrame({"fold": [1, 2], "fast": [5, 10], "train_sharpe_ratio": [1.5, 1.2],
                          "test_sharpe_ratio": [0.4, -0.1]})
    fig = walk_forward_figure(folds, "sharpe_ratio")
    assert [t.name for t in fig.data] == ["train_sharpe_ratio", "test_sharpe_ratio"]
    assert list(fig.data[1].y) == [0.4, -0.1]
    assert fig.data[0].text[1] == "fast=10"
    with pytest.raises(ValueError, match="no column ending in 'win_rate'"):
        walk_forward_figure(folds, "win_rate")


def test_backtest_keeps_each_symbols_bars_for_the_candles(tmp_path):
    import warnings

    from tests.notebook.builders import scripted_result

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = scripted_result(tmp_path)
    assert list(res.bars["AAA"].columns[:5]) == ["open", "high", "low", "close", "volume"]
    assert res.bars["AAA"]["close"].equals(res.closes["AAA"])
