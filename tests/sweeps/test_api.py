"""``sweep()`` through its door: result shape, JSON, limits, errors, progress, stability, walk-forward."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import research_env
from research_env import BacktestConfig
from research_env.strategy.vectorized import VectorizedStrategy, bollinger_bands, sma
from research_env.sweeps import GridError, SignalError, SweepError, SweepResult, sweep, walk_forward
from tests.sweeps.fixtures import STRATEGIES, guide_vectorized
from tests.sweeps.test_vectorbt import random_bars

FRAMES = {"AAA": random_bars(300, 5), "BBB": random_bars(300, 6)}
CONFIG = BacktestConfig(benchmark=None)
DualMa = guide_vectorized("dual_ma_crossover_vectorized")


def run(strategy=DualMa, grid=None, **kwargs):
    grid = grid or {"fast_period": [5, 10], "slow_period": [20, 30, 40]}
    kwargs.setdefault("config", CONFIG)
    return sweep(strategy, ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", grid, data=FRAMES, **kwargs)


def test_result_has_the_guides_sweep_response_shape():
    result = run()
    payload = json.loads(result.to_json())
    assert payload["total_combinations"] == 6 and payload["elapsed_seconds"] > 0
    first = payload["results"][0]
    assert first["params"] == {"fast_period": 5, "slow_period": 20}
    assert {"total_return", "sharpe_ratio", "max_drawdown", "win_rate", "total_trades"} <= set(first)
    best = max((r for r in payload["results"] if r["sharpe_ratio"] is not None), key=lambda r: r["sharpe_ratio"])
    assert payload["best"] == {"params": best["params"], "sharpe_ratio": best["sharpe_ratio"]}
    assert {r["rule"]: r["status"] for r in payload["risk_rules"]}["allow_short"] == "not applicable"
    frame = result.to_frame()
    assert list(frame.columns[:2]) == ["fast_period", "slow_period"] and len(frame) == 6
    assert frame["total_return"].to_list() == [r["total_return"] for r in payload["results"]]


def test_package_level_sweep_and_exports():
    result = research_env.sweep(DualMa, ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                                {"fast_period": [5], "slow_period": [20]}, data=FRAMES, config=CONFIG)
    assert isinstance(result, research_env.SweepResult) and result.total_combinations == 1
    assert research_env.VectorizedStrategy is VectorizedStrategy


def test_progress_reports_every_combination():
    seen = []
    run(progress=lambda done, total: seen.append((done, total)), fused=False)
    assert seen[-1] == (6, 6)


def test_stability_lists_each_cells_neighbours():
    result = run()
    view = result.stability("total_return")
    corner = view[(view.fast_period == 5) & (view.slow_period == 20)].iloc[0]
    values = result.to_frame().set_index(["fast_period", "slow_period"])["total_return"]
    expected = [values[(5, 30)], values[(10, 20)], values[(10, 30)]]
    assert corner.n_neighbors == 3
    assert corner.neighbors_mean == pytest.approx(np.mean(expected), rel=1e-12)
    assert corner["drop"] == pytest.approx(values[(5, 20)] - np.mean(expected), rel=1e-12)


def test_walk_forward_picks_in_sample_and_reports_out_of_sample():
    result = walk_forward(DualMa, ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                          {"fast_period": [5, 10], "slow_period": [20, 30]}, data=FRAMES, config=CONFIG, splits=3,
                          metric="total_return")
    frame = result.to_frame()
    assert len(frame) == 3 and (frame.test_start > frame.train_end).all()
    fold = result.folds[1]
    in_sample = run(grid={"fast_period": [5, 10], "slow_period": [20, 30]}, metric="total_return")
    assert fold["params"] in [r["params"] for r in in_sample.rows]
    anchored = walk_forward(DualMa, ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                            {"fast_period": [5], "slow_period": [20]}, data=FRAMES, config=CONFIG, splits=3,
                            anchored=True)
    assert {f["train_start"] for f in anchored.folds} == {anchored.folds[0]["train_start"]}
    assert json.loads(anchored.to_json())["folds"][0]["fold"] == 0


def test_date_range_over_three_years_is_refused_unless_raised():
    with pytest.raises(SweepError, match="over the 3-year limit; .*max_years=4"):
        sweep(DualMa, ["AAA"], "2018-01-01", "2021-06-01", "1d", {"fast_period": [5]}, data=FRAMES)


def test_unknown_parameter_and_empty_grid_are_named():
    with pytest.raises(GridError, match="no parameter `fast_perod`; did you mean `fast_period`"):
        run(grid={"fast_perod": [5]})
    with pytest.raises(GridError, match="is empty"):
        sweep(DualMa, ["AAA"], "2021-01-01", "2021-12-01", "1d", {}, data=FRAMES)


class Bad(VectorizedStrategy):
    name = "bad"

    def __init__(self, kind):
        self.kind = kind

    def generate_signals(self, prices, volumes, **params):
        upper, mid, lower = bollinger_bands(prices, 20, 2.0)
        if self.kind == "shape":
            return prices.iloc[:-1] > mid.iloc[:-1], prices > upper
        if self.kind == "numbers":
            return (prices > upper).astype(float), prices > upper
        if self.kind == "nan":
            return (prices > upper).where(mid.notna()), prices > upper
        return prices > upper


@pytest.mark.parametrize(("kind", "message"), [
    ("shape", "returned entries of shape .* but `prices` has shape"),
    ("numbers", "returned entries column `AAA` of dtype float64; return booleans"),
    ("nan", "returned entries column `AAA` of dtype object; return booleans"),
    ("single", r"must return \(entries, exits\)"),
])
def test_bad_signals_are_named(kind, message):
    with pytest.raises(SignalError, match=message):
        run(Bad(kind), grid={"x": [1]})


def test_helpers_compute_each_symbol_over_its_own_bars():
    prices = pd.DataFrame({"A": [1.0, 2, 3, 4, 5], "B": [np.nan, 2, np.nan, 4, 6]})
    out = sma(prices, 2)
    assert out["A"].tolist()[1:] == [1.5, 2.5, 3.5, 4.5]
    assert np.isnan(out["B"].iloc[1]) and out["B"].iloc[3] == 3.0 and out["B"].iloc[4] == 5.0
    with pytest.raises(ValueError, match="positive whole number"):
        sma(prices, 2.5)


def test_strategy_names_resolve_to_the_vectorized_twin():
    from research_env.run_spec import build_run

    resolved = build_run("dual_ma_crossover", mode="auto")
    assert resolved.vectorized and resolved.target.name == "dual_ma_crossover"
    assert resolved.strategy.strategy_class.__name__ == "DualMaCrossoverStrategy"
    resolved = build_run("dual_ma_crossover", mode="bar")
    assert not resolved.vectorized and type(resolved.target).__name__ == "DualMaCrossoverStrategy"
    resolved = build_run(STRATEGIES / "bollinger_mean_reversion_vectorized.py", symbols="SPY", mode="auto")
    assert type(resolved.target).__name__ == "BollingerMeanReversionVectorized"
    assert isinstance(run(), SweepResult)
