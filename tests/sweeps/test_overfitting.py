"""Overfitting statistics: PSR, deflated Sharpe, effective trials and PBO against independent computations."""

from __future__ import annotations

import json
import math
from itertools import combinations
from statistics import NormalDist, mean, stdev

import numpy as np
import pytest

from research_env.errors import InputError
from research_env.sweeps.overfitting import (
    _expected_maximum_of_normals,
    deflated_sharpe_ratio,
    describe_overfitting,
    effective_trials,
    expected_maximum_sharpe,
    overfitting_stats,
    probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting,
)

GAMMA = 0.5772156649015329
PHI = NormalDist()

#: 8 days x 3 trials: small enough to enumerate CSCV with S=4 (6 splits) by hand.
TINY = [
    [0.007, 0.003, 0.000],
    [-0.004, -0.004, -0.009],
    [-0.008, -0.009, -0.006],
    [0.006, 0.003, 0.008],
    [0.000, 0.002, 0.009],
    [0.004, 0.003, 0.001],
    [0.001, 0.008, -0.004],
    [0.006, 0.003, -0.009],
]

def _noise(seed: int, days: int = 1000, trials: int = 200) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.01, size=(days, trials))


def _loop_moments(xs: list[float]) -> tuple[float, float, float]:
    """Per-period Sharpe (ddof=1), skewness m3/m2^1.5 and kurtosis m4/m2^2, one return at a time."""
    n = len(xs)
    mu = sum(xs) / n
    m2 = sum((x - mu) ** 2 for x in xs) / n
    m3 = sum((x - mu) ** 3 for x in xs) / n
    m4 = sum((x - mu) ** 4 for x in xs) / n
    return mu / math.sqrt(m2 * n / (n - 1)), m3 / m2**1.5, m4 / m2**2


# ------------------------------------------------------------------------------------- hand-computed small cases


def test_expected_maximum_sharpe_matches_the_euler_mascheroni_formula():
    # Literals from scipy.stats.norm.ppf: sqrt(V) * ((1-g) ppf(1-1/N) + g ppf(1-1/(N e))).
    assert expected_maximum_sharpe(100, 0.05**2) == pytest.approx(0.12653014466008425, rel=1e-9)
    assert expected_maximum_sharpe(10, 0.0004) == pytest.approx(0.031491966026915, rel=1e-9)
    assert expected_maximum_sharpe(2, 1.0) == pytest.approx(0.5197553442805939, rel=1e-9)
    assert expected_maximum_sharpe(1, 0.3) == 0.0
    assert expected_maximum_sharpe(1.1, 0.3) == 0.0  # the approximation dips below 0 there: floored


def test_exact_expected_maximum_of_independent_normals_matches_closed_forms():
    assert _expected_maximum_of_normals(1) == pytest.approx(0.0, abs=1e-12)
    assert _expected_maximum_of_normals(2) == pytest.approx(1 / math.sqrt(math.pi), rel=1e-7)
    assert _expected_maximum_of_normals(3) == pytest.approx(1.5 / math.sqrt(math.pi), rel=1e-7)
    assert _expected_maximum_of_normals(10) == pytest.approx(1.5387527308351732, rel=1e-7)  # scipy quad


def test_probabilistic_sharpe_ratio_is_the_published_formula():
    sr, sr0, t, skew, kurt = 0.12, 0.05, 250, -0.4, 5.5
    z = (sr - sr0) * math.sqrt(t - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    expected = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert probabilistic_sharpe_ratio(sr, sr0, t, skew, kurt) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.8579, abs=1e-4)
    assert probabilistic_sharpe_ratio(0.0, 0.0, 100) == pytest.approx(0.5, abs=1e-15)


def test_deflated_sharpe_of_a_tiny_matrix_matches_a_loop_computation():
    columns = [[row[j] for row in TINY] for j in range(3)]
    sharpes = [_loop_moments(col)[0] for col in columns]
    best = max(range(3), key=lambda j: sharpes[j])
    sr, skew, kurt = _loop_moments(columns[best])
    mean_sr = sum(sharpes) / 3
    variance = sum((s - mean_sr) ** 2 for s in sharpes) / 2
    sr0 = math.sqrt(variance) * ((1 - GAMMA) * PHI.inv_cdf(1 - 1 / 3) + GAMMA * PHI.inv_cdf(1 - 1 / (3 * math.e)))
    z = (sr - sr0) * math.sqrt(8 - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    expected = PHI.cdf(z)

    stats = overfitting_stats(np.array(TINY), splits=2)

    assert stats["best"] == best == 0
    assert stats["sharpe_per_period"] == pytest.approx(sr, rel=1e-12)
    assert stats["sharpe"] == pytest.approx(sr * math.sqrt(252), rel=1e-12)
    assert stats["skewness"] == pytest.approx(skew, rel=1e-12)
    assert stats["kurtosis"] == pytest.approx(kurt, rel=1e-12)
    assert stats["expected_max_sharpe"] == pytest.approx(sr0 * math.sqrt(252), rel=1e-12)
    assert stats["deflated_sharpe"] == pytest.approx(expected, rel=1e-12)
    assert stats["deflated_sharpe"] == pytest.approx(0.5662, abs=1e-4)
    assert deflated_sharpe_ratio(sr, 8, trials=3, sharpe_variance=variance, skewness=skew,
                                 kurtosis=kurt) == pytest.approx(expected, rel=1e-12)


def _cscv_by_hand(rows: list[list[float]], splits: int):
    """CSCV one split at a time: contiguous blocks, Sharpe (ddof=1) per half, rank among all trials."""
    days, trials = len(rows), len(rows[0])
    size = days // splits
    blocks = [list(range(k * size, (k + 1) * size)) for k in range(splits)]
    found = []
    for chosen in combinations(range(splits), splits // 2):
        inside = [d for k in chosen for d in blocks[k]]
        outside = [d for k in range(splits) if k not in chosen for d in blocks[k]]
        is_sr = [mean(rows[d][j] for d in inside) / stdev(rows[d][j] for d in inside) for j in range(trials)]
        oos_sr = [mean(rows[d][j] for d in outside) / stdev(rows[d][j] for d in outside) for j in range(trials)]
        best = max(range(trials), key=lambda j: is_sr[j])
        rank = 1 + sum(1 for j in range(trials) if oos_sr[j] < oos_sr[best])
        w = rank / (trials + 1)
        found.append((best, is_sr[best], oos_sr[best], math.log(w / (1 - w))))
    return found


def test_pbo_of_a_tiny_matrix_matches_enumeration_by_hand():
    by_hand = _cscv_by_hand(TINY, 4)
    result = probability_of_backtest_overfitting(np.array(TINY), splits=4)

    assert result.combinations == 6
    assert result.in_sample_blocks.tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    assert result.selected.tolist() == [b for b, *_ in by_hand] == [0, 0, 1, 2, 0, 1]
    assert result.in_sample_sharpe == pytest.approx([s for _, s, _, _ in by_hand], rel=1e-12)
    assert result.out_of_sample_sharpe == pytest.approx([s for _, _, s, _ in by_hand], rel=1e-12)
    assert result.logits == pytest.approx([g for *_, g in by_hand], rel=1e-12)
    # Split 0 (days 0-3 in sample): trial 0 is the only one with a positive mean in sample; out of sample its
    # Sharpe 0.9986 sits between trial 2 (negative mean) and trial 1 (1.477), rank 2 of 3, w = 0.5, logit 0:
    # at the median counts as overfit. Ranks over the six splits: 2, 3, 1, 1, 3, 1 -> 4 of 6 logits <= 0.
    assert [round(g, 9) for *_, g in by_hand] == [round(v, 9) for v in (0.0, math.log(3), -math.log(3),
                                                                       -math.log(3), math.log(3), -math.log(3))]
    assert result.out_of_sample_sharpe[0] == pytest.approx(0.00275 / math.sqrt(22.75e-6 / 3), rel=1e-12)
    assert result.pbo == pytest.approx(4 / 6, abs=1e-15)
    assert result.summary()["oos_loss_probability"] == pytest.approx(
        sum(1 for _, _, s, _ in by_hand if s < 0) / 6, abs=1e-15)


def test_vectorized_cscv_matches_a_per_split_computation_with_missing_values_and_uneven_blocks():
    rng = np.random.default_rng(7)
    returns = rng.normal(0.0005, 0.01, size=(70, 9))  # 70 rows in 8 blocks: sizes 9 9 9 9 9 9 8 8
    returns[:12, 3] = np.nan  # a trial that starts late
    returns[40:45, 5] = np.nan
    result = probability_of_backtest_overfitting(returns, splits=8)

    starts = [0, 9, 18, 27, 36, 45, 54, 62, 70]
    for k, chosen in enumerate(combinations(range(8), 4)):
        inside = np.zeros(70, dtype=bool)
        for b in chosen:
            inside[starts[b]:starts[b + 1]] = True
        is_sr = np.nanmean(returns[inside], axis=0) / np.nanstd(returns[inside], axis=0, ddof=1)
        oos_sr = np.nanmean(returns[~inside], axis=0) / np.nanstd(returns[~inside], axis=0, ddof=1)
        best = int(np.argmax(is_sr))
        rank = 1 + np.sum(oos_sr < oos_sr[best])
        assert result.selected[k] == best
        assert result.in_sample_sharpe[k] == pytest.approx(is_sr[best], rel=1e-9)
        assert result.out_of_sample_sharpe[k] == pytest.approx(oos_sr[best], rel=1e-9)
        assert result.logits[k] == pytest.approx(math.log(rank / (10 - rank)), rel=1e-12)


def test_constant_and_empty_trials_cannot_be_best_and_empty_days_are_dropped():
    returns = _noise(3, days=200, trials=6)
    returns[:, 1] = 0.002  # constant: infinite Sharpe on paper, no Sharpe here
    returns[:, 4] = np.nan
    returns[:, 2] = 0.001 + 1e-15 * np.sin(np.arange(200))  # constant up to rounding
    with_gap = np.insert(returns, 50, np.nan, axis=0)

    stats = overfitting_stats(returns, splits=4)
    assert stats["trials"] == 6 and stats["usable_trials"] == 3
    assert stats["best"] in (0, 3, 5)
    assert overfitting_stats(with_gap, splits=4) == stats
    cscv = probability_of_backtest_overfitting(returns, splits=4)
    assert cscv.trials == 3 and set(cscv.selected.tolist()) <= {0, 3, 5}


def test_float32_returns_give_the_float64_statistics():
    returns = _noise(5, days=300, trials=40).astype(np.float32)
    single, double = overfitting_stats(returns, splits=8), overfitting_stats(returns.astype(np.float64), splits=8)
    assert single == double


# ------------------------------------------------------------------------------------- synthetic grids


def test_pure_noise_grids_are_not_significant_and_pbo_centres_on_one_half():
    """200 iid N(0, 1%) trials x 1000 days, 8 seeds.

    Every seed: deflated Sharpe (both counts) below 0.8, PBO in (0.2, 0.9) (one data set's 12,870 splits are
    strongly dependent, so a single PBO spreads widely), effective trials at least 180 of 200. Across seeds:
    mean PBO and mean deflated Sharpe within 0.5 +- 0.1, and deflated Sharpe on both sides of 0.5.
    """
    pbos, dsrs = [], []
    for seed in range(8):
        stats = overfitting_stats(_noise(seed))
        assert stats["deflated_sharpe"] < 0.8 and stats["deflated_sharpe_effective"] < 0.8
        assert not stats["significant"]
        assert 0.2 < stats["pbo"] < 0.9
        assert stats["effective_trials"] >= 180
        pbos.append(stats["pbo"])
        dsrs.append(stats["deflated_sharpe_effective"])
    assert 0.4 <= mean(pbos) <= 0.6
    assert 0.4 <= mean(dsrs) <= 0.6
    assert min(dsrs) < 0.5 < max(dsrs)


def test_a_planted_edge_is_significant_and_not_overfit():
    returns = _noise(11)
    returns[:, 17] += 0.0025  # true daily Sharpe 0.25 (4 a year); this seed realises 0.18, about 2.8 a year
    stats = overfitting_stats(returns)
    assert stats["best"] == 17
    assert stats["deflated_sharpe"] > 0.95 and stats["deflated_sharpe_effective"] > 0.95
    assert stats["significant"]
    assert stats["pbo"] < 0.1
    assert stats["oos_loss_probability"] < 0.05
    line = describe_overfitting(stats)
    assert line.startswith("best of 200 trials")
    assert ": deflated Sharpe 1.00, above 0.95, significant" in line and line.endswith("; PBO 2%")


# ------------------------------------------------------------------------------------- effective trials


def _clusters(base: np.ndarray, copies: int, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    repeated = np.repeat(base, copies, axis=1)
    return repeated + noise * rng.standard_normal(repeated.shape)


def test_copies_of_five_series_count_as_about_five_trials():
    base = np.random.default_rng(20).normal(0.0, 0.01, size=(1000, 5))
    tight = effective_trials(_clusters(base, 40, 0.0001, 21))  # within-cluster correlation 0.9999
    loose = effective_trials(_clusters(base, 40, 0.003, 21))  # about 0.92: the copies add some choice
    assert 4.5 <= tight <= 6.0
    assert tight < loose < 40


def test_one_big_cluster_does_not_hide_the_distinct_trials():
    rng = np.random.default_rng(30)
    big = _clusters(rng.normal(0.0, 0.01, size=(1000, 1)), 190, 0.0001, 31)
    distinct = rng.normal(0.0, 0.01, size=(1000, 10))
    returns = np.hstack([big, distinct])
    assert 9.0 <= effective_trials(returns) <= 13.0
    correlation = np.corrcoef(returns.T)
    mean_correlation = (correlation.sum() - 200) / (200 * 199)
    assert 200 / (1 + 199 * mean_correlation) < 1.2  # the mean-correlation formula would hide them


def test_independent_trials_count_as_nearly_all_and_the_count_is_seeded():
    returns = _noise(40, days=750, trials=100)
    assert 90 <= effective_trials(returns) <= 100
    assert effective_trials(returns, seed=3) == effective_trials(returns, seed=3)


# ------------------------------------------------------------------------------------- output and wording


def test_stats_are_json_serialisable_with_the_documented_keys():
    stats = overfitting_stats(_noise(2, days=400, trials=30), splits=8)
    assert json.loads(json.dumps(stats, allow_nan=False)) == stats
    assert {"trials", "effective_trials", "best", "sharpe", "deflated_sharpe", "deflated_sharpe_effective", "pbo",
            "splits"} <= set(stats)
    assert stats["splits"] == 8 and stats["combinations"] == 70 and stats["evaluated_splits"] == 70
    assert 0.0 <= stats["deflated_sharpe"] <= stats["deflated_sharpe_effective"] <= 1.0


def test_one_line_reading_says_count_verdict_and_pbo():
    stats = {"trials": 500, "usable_trials": 500, "effective_trials": 40.3, "deflated_sharpe_effective": 0.62,
             "deflated_sharpe": 0.41, "confidence": 0.95, "pbo": 0.38}
    assert describe_overfitting(stats) == ("best of 500 trials (about 40 independent): deflated Sharpe 0.62, "
                                           "below 0.95, not significant (0.41 counting all 500); PBO 38%")
    stats.update(usable_trials=480, effective_trials=480.0, deflated_sharpe_effective=0.9512,
                 deflated_sharpe=0.9512, pbo=None)
    assert describe_overfitting(stats) == ("best of 500 trials (480 usable): deflated Sharpe 0.951, above 0.95, "
                                           "significant; PBO not available")


# ------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("returns", "kwargs", "message"), [
    (np.zeros(100), {}, r"`returns` must be 2-D, shape \(days, trials\)"),
    (np.zeros((100, 1)), {}, r"`returns` has 1 trial column\(s\).*at least 2 columns"),
    (np.ones((100, 3)), {}, r"`returns` has 0 trial column\(s\) with varying returns out of 3"),
    (np.random.default_rng(0).normal(size=(20, 4)), {}, r"20 days with data, too few for `splits=16`.*\(32\)"),
    (np.random.default_rng(0).normal(size=(100, 4)), {"splits": 15}, r"`splits` must be an even whole number"),
    (np.random.default_rng(0).normal(size=(100, 4)), {"splits": 22}, r"`splits` must be an even whole number"),
    (np.array([[0.1, np.inf], [0.2, 0.3]] * 40), {}, r"infinite value \(day row 0, trial column 1\)"),
    ([["a", "b"], ["c", "d"]], {}, r"`returns` must be a numeric array"),
    (np.random.default_rng(0).normal(size=(100, 4)), {"periods_per_year": 0}, r"`periods_per_year` must be a posit"),
    (np.random.default_rng(0).normal(size=(100, 4)), {"confidence": 1.5}, r"`confidence` must be between 0 and 1"),
])
def test_bad_input_names_the_argument_and_the_fix(returns, kwargs, message):
    with pytest.raises(InputError, match=message):
        overfitting_stats(returns, **kwargs)


def test_formula_functions_refuse_impossible_arguments():
    with pytest.raises(InputError, match="`trials` must be at least 1"):
        expected_maximum_sharpe(0.5, 0.01)
    with pytest.raises(InputError, match="`sharpe_variance`"):
        expected_maximum_sharpe(10, -0.01)
    with pytest.raises(InputError, match="`observations` must be at least 2"):
        probabilistic_sharpe_ratio(0.1, 0.0, 1)
    with pytest.raises(InputError, match="`draws` must be a positive whole number"):
        effective_trials(_noise(0, days=50, trials=3), draws=0)


# --- the sweep keeps each combination's daily returns and reads them ------------------------------------------


def test_a_vectorized_sweep_keeps_each_combinations_daily_returns_and_reads_them():
    from research_env.sweeps import sweep, vectorized_backtest
    from tests.sweeps.fixtures import guide_vectorized
    from tests.sweeps.test_vectorbt import random_bars

    bars = {"AAA": random_bars(600, 11), "BBB": random_bars(600, 12)}
    twin = guide_vectorized("rsi_mean_reversion_vectorized")
    grid = {"rsi_period": [5, 9, 14], "oversold": [30, 40]}
    span = ("2021-01-04", "2022-08-28")
    result = sweep(twin, list(bars), *span, "1d", grid, data=bars)
    assert result.daily_returns.dtype == np.float32 and result.daily_returns.shape == (6, 600)
    for k in (0, 5):
        single = vectorized_backtest(twin, list(bars), *span, "1d", result.rows[k]["params"], data=bars)
        equity = single.equity.to_numpy()
        daily = equity / np.concatenate([[single.config.initial_cash], equity[:-1]]) - 1.0
        assert result.daily_returns[k].tolist() == daily.astype(np.float32).tolist()
    stats = result.overfitting(splits=4)
    expected = overfitting_stats(result.daily_returns.T, splits=4)
    assert stats["deflated_sharpe"] == expected["deflated_sharpe"] and stats["pbo"] == expected["pbo"]
    assert stats["best_params"] == result.rows[expected["best"]]["params"]
    assert stats["reading"] == describe_overfitting(expected)
    assert f"Overfitting: {result.overfitting()['reading']}" in result.report()
    for workers in (1, 2):  # generate_signals, serial (batch kernel) and on forked workers (one at a time)
        plain = sweep(twin, list(bars), *span, "1d", grid, data=bars, fused=False, max_workers=workers)
        assert plain.kind == "vectorized" and np.array_equal(plain.daily_returns, result.daily_returns)
    assert sweep(twin, list(bars), *span, "1d", grid, data=bars, keep_returns=False).daily_returns is None


def test_overfitting_needs_the_kept_returns():
    from research_env.sweeps import sweep
    from tests.sweeps.test_vectorbt import random_bars

    bars = {"AAA": random_bars(300, 13)}
    result = sweep("dual_ma_crossover", ["AAA"], "2021-01-04", "2021-10-31", "1d",
                   {"fast_period": [5, 10], "slow_period": [20]}, data=bars, mode="bar")
    with pytest.raises(InputError, match="kept no daily returns .* keep_returns=True"):
        result.overfitting()
