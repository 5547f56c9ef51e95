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
    walk_forward_returns,
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


# ------------------------------------------------------------------------------------- walk-forward over returns

#: 10 days x 3 trials in hundredths: two-day windows, whose Sharpe ratio (x + y) / (sqrt(2) |x - y|) reads off.
WALK = [[1, 3, 0], [3, -1, 2], [2, 1, -1], [-2, 3, 1], [1, -3, 2], [1, 1, 4], [4, 0, -3], [2, 2, -1], [1, 2, 0],
        [3, 2, 1]]


def _walk_by_hand(rows: list[list[float]], windows: list[tuple[int, int, int, int]]) -> list[tuple]:
    """Per fold, one window at a time: (selected, in-sample, out-of-sample per-period Sharpe, above the median)."""
    def sharpe(lo: int, hi: int, j: int) -> float | None:
        xs = [rows[d][j] for d in range(lo, hi) if not math.isnan(rows[d][j])]
        return mean(xs) / stdev(xs) if len(xs) >= 2 and stdev(xs) > 0 else None

    found = []
    trials = len(rows[0])
    for a, b, c, d in windows:
        is_sr = [sharpe(a, b, j) for j in range(trials)]
        best = max((j for j in range(trials) if is_sr[j] is not None), key=lambda j: is_sr[j])
        scores = [sharpe(c, d, j) or 0.0 for j in range(trials)]
        rank = 1 + sum(s < scores[best] for s in scores) + 0.5 * (sum(s == scores[best] for s in scores) - 1)
        found.append((best, is_sr[best], scores[best], rank > (trials + 1) / 2))
    return found


def test_walk_forward_over_a_tiny_matrix_matches_the_windows_read_by_hand():
    returns = np.array(WALK) / 100
    walk = walk_forward_returns(returns)
    annual = math.sqrt(252)
    r2 = math.sqrt(2)
    assert [(f["train"], f["test"]) for f in walk["folds"]] == [([0, 2], [2, 4]), ([2, 4], [4, 6]),
                                                                ([4, 6], [6, 8]), ([6, 8], [8, 10])]
    # fold 0: A (1, 3) beats C (0, 2) and B (3, -1) in sample; out of sample A (2, -2) scores 0, tied with C,
    # below B (1, 3): rank 1.5 of 3, not above the median. Fold 1 picks B, which loses (-3, 1); fold 2 picks C
    # (2, 4) over A (1, 1), flat and so never selected, and C loses (-3, -1); fold 3 picks A (4, 2), the best of
    # days 8-9 (1, 3), where B (2, 2) is flat and scores 0.
    assert [f["selected"] for f in walk["folds"]] == [0, 1, 2, 0]
    assert [f["in_sample_sharpe"] for f in walk["folds"]] == pytest.approx(
        [r2 * annual, r2 * annual, 3 / r2 * annual, 3 / r2 * annual], rel=1e-12)
    assert [f["out_of_sample_sharpe"] for f in walk["folds"]] == pytest.approx(
        [0.0, -annual / (2 * r2), -r2 * annual, r2 * annual], rel=1e-12, abs=1e-12)
    assert [f["above_median"] for f in walk["folds"]] == [False, False, False, True]
    assert walk["evaluated_folds"] == 4 and walk["above_median"] == 0.25
    assert walk["in_sample_sharpe"] == pytest.approx(5 * r2 / 4 * annual, rel=1e-12)  # 28.0624
    assert walk["out_of_sample_sharpe"] == pytest.approx(-annual / (8 * r2), rel=1e-12)  # -1.4031
    # the test days laid end to end: 2 -2 | -3 1 | -3 -1 | 1 3, mean -0.25, squared deviations summing to 37.5
    assert walk["combined_sharpe"] == pytest.approx(-0.25 * math.sqrt(7 * 252 / 37.5), rel=1e-12)  # -1.7146
    by_hand = _walk_by_hand(WALK, [(0, 2, 2, 4), (2, 4, 4, 6), (4, 6, 6, 8), (6, 8, 8, 10)])
    assert [(f["selected"], f["above_median"]) for f in walk["folds"]] == [(b, up) for b, _, _, up in by_hand]
    with_gap = np.insert(returns, 5, np.nan, axis=0)  # a day without data is dropped, as overfitting_stats does
    assert walk_forward_returns(with_gap) == walk


@pytest.mark.parametrize("anchored", [False, True])
def test_walk_forward_matches_a_window_by_window_computation_with_missing_values(anchored):
    rng = np.random.default_rng(8)
    returns = rng.normal(0.0003, 0.01, size=(90, 7))
    returns[:20, 2] = np.nan
    returns[50:53, 4] = np.nan
    walk = walk_forward_returns(returns, folds=3, anchored=anchored, periods_per_year=12)
    windows = [(0 if anchored else k * 22, 22 * (k + 1), 22 * (k + 1), 22 * (k + 2) if k < 2 else 90)
               for k in range(3)]
    assert [tuple(f["train"] + f["test"]) for f in walk["folds"]] == windows
    by_hand = _walk_by_hand(returns.tolist(), windows)
    for fold, (best, is_sr, oos_sr, up) in zip(walk["folds"], by_hand, strict=True):
        assert fold["selected"] == best and fold["above_median"] is up
        assert fold["in_sample_sharpe"] == pytest.approx(is_sr * math.sqrt(12), rel=1e-9)
        assert fold["out_of_sample_sharpe"] == pytest.approx(oos_sr * math.sqrt(12), rel=1e-9)
    tested = np.concatenate([returns[c:d, best] for (_, _, c, d), (best, *_) in zip(windows, by_hand, strict=True)])
    tested = tested[np.isfinite(tested)]
    assert walk["combined_sharpe"] == pytest.approx(mean(tested) / stdev(tested) * math.sqrt(12), rel=1e-9)
    assert walk["anchored"] is anchored and json.loads(json.dumps(walk, allow_nan=False)) == walk


def test_walk_forward_over_pure_noise_finds_nothing_out_of_sample():
    """200 iid N(0, 1%) trials x 1000 days, 8 seeds, 4 folds of 200 training and 200 test days.

    The best of 200 noise trials shows an annualised Sharpe ratio near 3 in sample (every seed above 2.5); out of
    sample it is noise with a standard error of about 0.56 per seed: every seed within +-1.5, their mean within
    +-0.5 (0.13 here) and about half the folds above the median.
    """
    in_sample, out_of_sample, above = [], [], []
    for seed in range(8):
        walk = walk_forward_returns(_noise(seed))
        assert walk["evaluated_folds"] == 4
        assert walk["in_sample_sharpe"] > 2.5
        assert abs(walk["out_of_sample_sharpe"]) < 1.5 and abs(walk["combined_sharpe"]) < 1.5
        in_sample.append(walk["in_sample_sharpe"])
        out_of_sample.append(walk["out_of_sample_sharpe"])
        above.append(walk["above_median"])
    assert abs(mean(out_of_sample)) < 0.5
    assert 0.3 <= mean(above) <= 0.7
    assert mean(in_sample) - mean(out_of_sample) > 2.5


def test_walk_forward_keeps_a_planted_edge_out_of_sample():
    """Trial 17 earns 0.25% a day more (true Sharpe 4 a year) on each of the 8 noise grids: it is selected in 20 of
    the 32 folds (on 200 training days the best of 199 noise trials sometimes beats it), and every seed's
    out-of-sample Sharpe ratio stays positive (above 0.5; 2.46 on average)."""
    out_of_sample, chosen = [], 0
    for seed in range(8):
        returns = _noise(seed)
        returns[:, 17] += 0.0025
        walk = walk_forward_returns(returns)
        assert walk["out_of_sample_sharpe"] > 0.5 and walk["combined_sharpe"] > 0.5
        out_of_sample.append(walk["out_of_sample_sharpe"])
        chosen += sum(f["selected"] == 17 for f in walk["folds"])
    assert chosen == 20
    assert mean(out_of_sample) > 2.0


def test_walk_forward_refuses_impossible_folds():
    returns = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(InputError, match="4 days with data, too few for `folds=4`.*\\(5\\)"):
        walk_forward_returns(returns)
    with pytest.raises(InputError, match="`folds` must be a positive whole number"):
        walk_forward_returns(returns, folds=0)
    with pytest.raises(InputError, match="`train` must be a positive whole number"):
        walk_forward_returns(returns, train=0)
    with pytest.raises(InputError, match="no fold fits: 4 training \\+ 1 test sessions"):
        walk_forward_returns(returns, train=4, test=1, folds=1)


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


def test_the_reading_puts_the_walk_forward_beside_the_overfitting_numbers():
    stats = {"trials": 20, "usable_trials": 20, "effective_trials": 20.0, "deflated_sharpe_effective": 0.62,
             "deflated_sharpe": 0.62, "confidence": 0.95, "pbo": 0.38,
             "walk_forward": {"folds": [{}] * 4, "evaluated_folds": 4, "in_sample_sharpe": 1.204,
                              "out_of_sample_sharpe": 0.405, "above_median": 0.75}}
    assert describe_overfitting(stats) == (
        "best of 20 trials: deflated Sharpe 0.62, below 0.95, not significant; PBO 38%; walk-forward over the kept "
        "returns (4 folds): out-of-sample Sharpe 0.41 vs 1.20 in sample, 3 of 4 above the median")
    stats["walk_forward"].update(evaluated_folds=2, above_median=0.5)
    assert describe_overfitting(stats).endswith("(2 of 4 folds): out-of-sample Sharpe 0.41 vs 1.20 in sample, "
                                                "1 of 2 above the median")
    stats["walk_forward"].update(evaluated_folds=0)
    assert describe_overfitting(stats).endswith("; walk-forward over the kept returns: no trial could be selected "
                                                "in any of 4 folds")


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
    expected["walk_forward"] = walk_forward_returns(result.daily_returns.T, folds=4)
    assert stats["reading"] == describe_overfitting(expected)
    assert [f["params"] for f in stats["walk_forward"]["folds"]] == [
        result.rows[f["selected"]]["params"] for f in expected["walk_forward"]["folds"]]
    assert result.overfitting(splits=4, folds=2)["walk_forward"]["folds"][1]["test"] == [400, 600]
    assert f"Overfitting: {result.overfitting()['reading']}" in result.report()
    for workers in (1, 2):  # generate_signals, serial (batch kernel) and on forked workers (one at a time)
        plain = sweep(twin, list(bars), *span, "1d", grid, data=bars, fused=False, max_workers=workers)
        assert plain.kind == "vectorized" and np.array_equal(plain.daily_returns, result.daily_returns)
    assert sweep(twin, list(bars), *span, "1d", grid, data=bars, keep_returns=False).daily_returns is None


def test_overfitting_needs_the_kept_returns():
    from research_env.sweeps import sweep
    from tests.sweeps.test_vectorbt import random_bars

    bars = {"AAA": random_bars(300, 13)}
    grid = {"fast_period": [5, 10], "slow_period": [20]}
    kept = sweep("dual_ma_crossover", ["AAA"], "2021-01-04", "2021-10-31", "1d", grid, data=bars, mode="bar",
                 max_workers=1)
    assert kept.kind == "bar-by-bar" and kept.daily_returns.shape == (2, 300)
    assert kept.overfitting(splits=4)["walk_forward"]["evaluated_folds"] == 4
    result = sweep("dual_ma_crossover", ["AAA"], "2021-01-04", "2021-10-31", "1d", grid, data=bars, mode="bar",
                   max_workers=1, keep_returns=False)
    with pytest.raises(InputError, match="kept no daily returns .* keep_returns=True"):
        result.overfitting()
