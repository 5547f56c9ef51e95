"""Backtests and sweeps run on a real service give what the same runs give locally, to the last bit."""

from __future__ import annotations

import pandas as pd
import pytest

import research_env
from research_env.engine.result import BacktestResult
from research_env.sweeps.result import SweepResult

SPY_2015_2020 = dict(symbols="SPY", start="2015-01-01", end="2021-01-01", timeframe="1d")
GRID = {"fast_period": [5, 10, 20], "slow_period": [30, 50]}


def test_backtest_on_the_service_equals_the_local_run(client, same_settings):
    remote = client.backtest("dual_ma_crossover", **SPY_2015_2020, progress=False)
    local = research_env.backtest("dual_ma_crossover", **SPY_2015_2020)

    assert isinstance(remote, BacktestResult)
    assert remote.metrics.to_dict() == local.metrics.to_dict()
    assert local.metrics.total_trades > 0
    pd.testing.assert_series_equal(remote.equity, local.equity, check_exact=True)
    pd.testing.assert_series_equal(remote.drawdown, local.drawdown, check_exact=True)
    pd.testing.assert_frame_equal(remote.trades_frame(), local.trades_frame(), check_exact=True)
    pd.testing.assert_frame_equal(remote.fills_frame(), local.fills_frame(), check_exact=True)
    assert remote.data_sources == local.data_sources and remote.data_sources["SPY"].startswith("local")
    assert remote.report() == local.report()
    assert remote.spec.strategy == local.spec.strategy
    assert (remote.spec.symbols, remote.spec.start, remote.spec.end) == (("SPY",), "2015-01-01", "2021-01-01")


def test_backtest_with_params_sends_them_and_numpy_values_too(client, same_settings):
    import numpy as np

    remote = client.backtest("dual_ma_crossover", "SPY", "2019-01-01", "2021-01-01", "1d", 50_000,
                             {"fast_period": np.int64(5), "slow_period": 20}, progress=False)
    local = research_env.backtest("dual_ma_crossover", "SPY", "2019-01-01", "2021-01-01", "1d", 50_000,
                                  {"fast_period": 5, "slow_period": 20})
    assert remote.parameters == local.parameters == {"fast_period": 5, "slow_period": 20}
    assert remote.config.initial_cash == 50_000
    assert remote.report() == local.report()


def test_vectorized_sweep_on_the_service_equals_the_local_sweep(client, same_settings):
    remote = client.sweep("dual_ma_crossover", "SPY", "2018-01-01", "2021-01-01", "1d", GRID, progress=False)
    local = research_env.sweep("dual_ma_crossover", "SPY", "2018-01-01", "2021-01-01", "1d", GRID,
                               mode="vectorized")

    assert isinstance(remote, SweepResult)
    assert remote.kind == local.kind and remote.kind.startswith("vectorized")
    assert remote.grid == GRID
    assert remote.rows == local.rows
    assert remote.best == local.best
    pd.testing.assert_frame_equal(remote.to_frame(), local.to_frame(), check_exact=True)


def test_parallel_sweep_on_the_service_runs_bar_by_bar_with_the_local_numbers(client, same_settings):
    grid = {"rsi_period": [10, 14], "oversold": [25, 30]}
    remote = client.sweep("rsi_mean_reversion", "SPY", "2019-01-01", "2021-01-01", "1d", grid, parallel=True,
                          metric="total_return", progress=False)
    local = research_env.sweep("rsi_mean_reversion", "SPY", "2019-01-01", "2021-01-01", "1d", grid, mode="bar",
                               metric="total_return", max_workers=2)
    assert remote.kind == local.kind == "bar-by-bar"
    assert remote.metric == "total_return"
    assert remote.rows == local.rows
    assert any(row["total_trades"] for row in local.rows)


@pytest.mark.parametrize("parallel", [False, True])
def test_a_sweep_over_the_combination_limit_is_refused_with_the_servers_detail(client, parallel):
    from research_env.client import ServiceRequestError

    grid = {"fast_period": list(range(2, 32)), "slow_period": list(range(40, 61))}  # 630 combinations
    with pytest.raises(ServiceRequestError) as info:
        client.sweep("dual_ma_crossover", "SPY", "2019-01-01", "2020-01-01", "1d", grid, parallel=parallel)
    assert info.value.status == 422
    assert "630" in str(info.value) and "500" in str(info.value)
    assert isinstance(info.value, research_env.InputError)
