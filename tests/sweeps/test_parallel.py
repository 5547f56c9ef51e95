"""Bar-by-bar sweeps: the same metrics as ``backtest()`` per combination, on processes and on Dask."""

from __future__ import annotations

import concurrent.futures as cf

import numpy as np
import pandas as pd
import pytest

from research_env import BacktestConfig, backtest
from research_env.data import session_dates
from research_env.engine.metrics import daily_equity, daily_returns
from research_env.sweeps import sweep
from tests.sweeps.fixtures import STRATEGIES, assert_metrics_equal, guide_class
from tests.sweeps.test_vectorbt import random_bars

FRAMES = {"AAA": random_bars(250, 7), "BBB": random_bars(250, 8)}
CONFIG = BacktestConfig(benchmark=None)
GRID = {"fast_period": [5, 10], "slow_period": [20, 30]}
ARGS = (["AAA", "BBB"], "2021-01-01", "2021-10-01", "1d", GRID)


def check_against_backtest(result, cls):
    """Every combination's metrics, denials and kept daily returns (float32, one per session) are backtest()'s."""
    assert result.kind == "bar-by-bar" and result.total_combinations == 4
    assert result.daily_returns.dtype == np.float32 and result.daily_returns.shape == (4, 250)
    for row, kept in zip(result.rows, result.daily_returns, strict=True):
        engine = backtest(cls, *ARGS[:4], params=row["params"], data=FRAMES, config=CONFIG)
        assert_metrics_equal(row, engine.metrics.to_dict(), rel=0.0)
        assert row["denials"] == engine.denial_counts()
        daily = daily_equity(engine.equity, session_dates(engine.equity.index))
        assert kept.tolist() == daily_returns(daily, engine.config.initial_cash).to_numpy(np.float32).tolist()


def test_local_processes_give_backtests_numbers():
    done = []
    result = sweep(STRATEGIES / "dual_ma_crossover.py", *ARGS, data=FRAMES, config=CONFIG, mode="bar",
                   max_workers=2, progress=lambda d, t: done.append(d))
    check_against_backtest(result, guide_class("dual_ma_crossover"))
    assert sorted(done)[-1] == 4


def test_a_name_with_a_vectorized_twin_sweeps_bar_by_bar_on_processes():
    # the name's entry digests both files; the workers check the bar-by-bar file's own digest
    result = sweep("dual_ma_crossover", *ARGS, data=FRAMES, config=CONFIG, mode="bar", max_workers=2)
    check_against_backtest(result, guide_class("dual_ma_crossover"))


def test_any_concurrent_futures_executor_can_run_it():
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        result = sweep(guide_class("dual_ma_crossover"), *ARGS, data=FRAMES, config=CONFIG, executor=pool)
    check_against_backtest(result, guide_class("dual_ma_crossover"))
    assert {r["rule"]: r["status"] for r in result.risk_rules}["allow_short"] == "applied"


def test_a_dask_local_cluster_runs_the_same_sweep():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        result = sweep(guide_class("dual_ma_crossover"), *ARGS, data=FRAMES, config=CONFIG, client=client)
    check_against_backtest(result, guide_class("dual_ma_crossover"))


def test_a_bar_by_bar_sweep_keeps_no_returns_when_told_not_to():
    result = sweep(guide_class("dual_ma_crossover"), *ARGS, data=FRAMES, config=CONFIG, max_workers=1,
                   keep_returns=False)
    assert result.daily_returns is None


def test_bar_by_bar_grid_values_are_checked_and_coerced():
    from research_env.sweeps import GridError

    with pytest.raises(GridError, match="no parameter `fast`"):
        sweep(guide_class("dual_ma_crossover"), ["AAA"], "2021-01-01", "2021-10-01", "1d", {"fast": [1]},
              data=FRAMES)
    result = sweep(guide_class("dual_ma_crossover"), ["AAA"], "2021-01-01", "2021-10-01", "1d",
                   {"fast_period": ["5"], "slow_period": [20.0]}, data=FRAMES, config=CONFIG, max_workers=1)
    assert result.rows[0]["params"] == {"fast_period": 5, "slow_period": 20}


def test_bar_by_bar_walk_forward_backtests_the_chosen_parameters_out_of_sample():
    from research_env.sweeps import walk_forward

    cls = guide_class("dual_ma_crossover")
    result = walk_forward(cls, *ARGS, data=FRAMES, config=CONFIG, splits=2, metric="total_return", max_workers=1)
    assert result.kind == "bar-by-bar" and len(result.folds) == 2
    fold = result.folds[1]
    end = (pd.Timestamp(fold["test_end"]) + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    engine = backtest(cls, ["AAA", "BBB"], fold["test_start"], end, "1d", params=fold["params"], data=FRAMES,
                      config=CONFIG)
    assert fold["out_of_sample"]["total_return"] == engine.metrics.total_return
    assert fold["out_of_sample"]["trading_days"] == engine.metrics.trading_days
