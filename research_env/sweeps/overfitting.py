"""Overfitting statistics of a sweep: deflated Sharpe ratio, effective number of trials, PBO.

Pure functions over a returns matrix of shape ``(days, trials)``: one column per
parameter combination, one row per period (a trading day for daily returns),
``NaN`` where a trial has no return that day. Nothing here knows about
strategies or sweeps; ``overfitting_stats`` is the one entry point a sweep
needs, ``walk_forward_returns`` selects fold by fold over the same matrix, and
``describe_overfitting`` words their results in one line.

Units: every Sharpe ratio inside the formulas is **per period** (mean / standard
deviation with ``ddof=1`` of the per-period returns, no annualisation), as in the
papers; the returned dict annualises only the numbers meant for reading
(``sharpe``, ``expected_max_sharpe*``) with ``sqrt(periods_per_year)``.

References:

- D. H. Bailey and M. López de Prado (2012), "The Sharpe Ratio Efficient
  Frontier", Journal of Risk 15(2): the probabilistic Sharpe ratio.
- D. H. Bailey and M. López de Prado (2014), "The Deflated Sharpe Ratio:
  Correcting for Selection Bias, Backtest Overfitting and Non-Normality",
  Journal of Portfolio Management 40(5): the expected maximum Sharpe ratio of
  N unskilled trials and the deflated Sharpe ratio.
- D. H. Bailey, J. M. Borwein, M. López de Prado and Q. J. Zhu (2015/2017),
  "The Probability of Backtest Overfitting", Journal of Computational Finance
  20(4): combinatorially symmetric cross-validation (CSCV) and the PBO.
- F. Dudbridge and A. Gusnanto (2008), "Estimation of significance thresholds
  for genomewide association scans", Genetic Epidemiology 32(3): the effective
  number of tests as the number of independent ones whose best statistic is
  distributed like the observed best.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from statistics import NormalDist

import numpy as np

from ..errors import InputError
from ._folds import fold_windows

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_FOLDS",
    "DEFAULT_SPLITS",
    "EULER_MASCHERONI",
    "MAX_SPLITS",
    "CSCVResult",
    "deflated_sharpe_ratio",
    "describe_overfitting",
    "effective_trials",
    "expected_maximum_sharpe",
    "overfitting_stats",
    "probabilistic_sharpe_ratio",
    "probability_of_backtest_overfitting",
    "walk_forward_returns",
]

#: The Euler-Mascheroni constant of the expected-maximum formula.
EULER_MASCHERONI = 0.5772156649015329
#: CSCV blocks by default (12,870 in-sample/out-of-sample splits), the paper's own choice.
DEFAULT_SPLITS = 16
#: More blocks than this means over 184,756 splits: refused rather than run for minutes.
MAX_SPLITS = 20
#: Monte Carlo draws of ``effective_trials``: about 3% relative error on the count.
DEFAULT_DRAWS = 1000
#: Walk-forward folds over the returns by default, as ``walk_forward``'s ``splits``.
DEFAULT_FOLDS = 4

_NORMAL = NormalDist()
_CHUNK = 256  # CSCV splits per block of work: keeps the (splits, trials) arrays small and in cache
_FLAT = 1e-12  # a subset whose variance is below this share of the trial's own counts as flat
_CONSTANT = 1e-9  # a trial whose standard deviation is below this share of its mean return counts as constant


# ---------------------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Returns:
    """Checked returns: the usable trials' columns (float64, NaN = missing) and their per-trial moments."""

    values: np.ndarray  # (days, usable trials); rows where every usable trial is NaN dropped
    columns: np.ndarray  # index of each usable trial in the caller's matrix
    trials: int  # columns the caller passed
    observations: np.ndarray  # finite returns per usable trial
    mean: np.ndarray
    std: np.ndarray  # ddof=1
    skewness: np.ndarray  # m3 / m2**1.5 (sample moments)
    kurtosis: np.ndarray  # m4 / m2**2, not excess: 3 for a normal distribution

    @property
    def sharpe(self) -> np.ndarray:
        """Per-period Sharpe ratio of each usable trial."""
        return self.mean / self.std


def _check_returns(returns) -> _Returns:
    try:
        values = np.array(returns, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise InputError(f"`returns` must be a numeric array of shape (days, trials): {e}") from e
    if values.ndim != 2:
        raise InputError(f"`returns` must be 2-D, shape (days, trials) with one column per parameter combination; "
                         f"got shape {values.shape}")
    days, trials = values.shape
    if days < 2:
        raise InputError(f"`returns` has {days} day row(s); it needs at least 2, "
                         "shape (days, trials) with days down the rows")
    if trials < 2:
        raise InputError(f"`returns` has {trials} trial column(s); overfitting statistics compare trials, "
                         "so pass at least 2 columns (one per parameter combination, days down the rows)")
    if np.isinf(values).any():
        day, trial = np.argwhere(np.isinf(values))[0]
        raise InputError(f"`returns` has an infinite value (day row {day}, trial column {trial}); "
                         "use NaN for a missing return")
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    mean = np.where(finite, values, 0.0).sum(axis=0) / np.maximum(count, 1)
    spread = np.sqrt((np.where(finite, values - mean, 0.0) ** 2).sum(axis=0) / np.maximum(count - 1, 1))
    # Constant up to rounding counts as constant: a Sharpe ratio of a billion is float dust, not skill.
    usable = (count >= 2) & (spread > _CONSTANT * np.abs(mean))
    if usable.sum() < 2:
        raise InputError(f"`returns` has {int(usable.sum())} trial column(s) with varying returns out of {trials}; "
                         "at least 2 are needed (an all-NaN or constant column has no Sharpe ratio)")
    values = values[:, usable]
    values = values[np.isfinite(values).any(axis=1)]
    return _with_moments(values, np.flatnonzero(usable), trials)


def _with_moments(values: np.ndarray, columns: np.ndarray, trials: int) -> _Returns:
    finite = np.isfinite(values)
    count = finite.sum(axis=0)
    mean = np.where(finite, values, 0.0).sum(axis=0) / count
    centred = np.where(finite, values - mean, 0.0)
    m2 = (centred**2).sum(axis=0) / count
    m3 = (centred**3).sum(axis=0) / count
    m4 = (centred**4).sum(axis=0) / count
    return _Returns(values=values, columns=columns, trials=trials, observations=count, mean=mean,
                    std=np.sqrt(m2 * count / (count - 1)), skewness=m3 / m2**1.5, kurtosis=m4 / m2**2)


def _check_splits(splits) -> int:
    if isinstance(splits, bool) or not isinstance(splits, int | np.integer) or splits % 2 or not (
            2 <= splits <= MAX_SPLITS):
        raise InputError(f"`splits` must be an even whole number from 2 to {MAX_SPLITS} ({DEFAULT_SPLITS} is usual, "
                         f"{MAX_SPLITS} already means 184,756 splits); got {splits!r}")
    return int(splits)


def _check_positive(name: str, value, *, whole: bool = False) -> None:
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0 or not math.isfinite(value):
        raise InputError(f"`{name}` must be a positive {'whole ' if whole else ''}number; got {value!r}")


# ------------------------------------------------------------------------------------- PSR and deflated Sharpe


def probabilistic_sharpe_ratio(sharpe: float, benchmark: float, observations: int, skewness: float = 0.0,
                               kurtosis: float = 3.0) -> float:
    """Probability that the true per-period Sharpe ratio exceeds ``benchmark`` (Bailey and López de Prado, 2012).

    ``PSR = Phi((SR - SR*) * sqrt(T - 1) / sqrt(1 - skew * SR + (kurt - 1) / 4 * SR**2))`` with ``SR`` and
    ``SR*`` per period, ``T`` the number of returns, ``skew`` and ``kurt`` (not excess: 3 when normal) those of
    the returns. The denominator is the standard error of the Sharpe ratio under non-normal returns
    (Mertens, 2002).
    """
    if observations < 2:
        raise InputError(f"`observations` must be at least 2 returns; got {observations!r}")
    spread = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not spread > 0.0:  # only a two-point distribution reaches 0 (Pearson: kurt >= 1 + skew**2)
        return 1.0 if sharpe > benchmark else 0.0 if sharpe < benchmark else 0.5
    return _NORMAL.cdf((sharpe - benchmark) * math.sqrt(observations - 1) / math.sqrt(spread))


def expected_maximum_sharpe(trials: float, sharpe_variance: float) -> float:
    """Expected maximum per-period Sharpe ratio of ``trials`` unskilled trials (Bailey and López de Prado, 2014).

    ``SR* = sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))`` with ``V`` the variance of the trials'
    per-period Sharpe ratios, ``g`` the Euler-Mascheroni constant and ``Z^-1`` the standard normal quantile.
    One trial (``N <= 1``) expects 0, the mean of an unskilled trial; the approximation, which dips below 0 for
    ``N`` under about 1.3, is floored at 0. ``trials`` may be fractional (an effective count).
    """
    if not trials >= 1:
        raise InputError(f"`trials` must be at least 1; got {trials!r}")
    if not sharpe_variance >= 0:
        raise InputError(f"`sharpe_variance` must be zero or positive; got {sharpe_variance!r}")
    if trials <= 1:
        return 0.0
    gamma = EULER_MASCHERONI
    z = (1 - gamma) * _NORMAL.inv_cdf(1 - 1 / trials) + gamma * _NORMAL.inv_cdf(1 - 1 / (trials * math.e))
    return max(0.0, math.sqrt(sharpe_variance) * z)


def deflated_sharpe_ratio(sharpe: float, observations: int, *, trials: float, sharpe_variance: float,
                          skewness: float = 0.0, kurtosis: float = 3.0) -> float:
    """The deflated Sharpe ratio (Bailey and López de Prado, 2014), a probability in [0, 1].

    The probabilistic Sharpe ratio of the selected trial (its per-period ``sharpe``, ``observations``,
    ``skewness`` and ``kurtosis``) against ``expected_maximum_sharpe(trials, sharpe_variance)``: the probability
    that its true Sharpe ratio beats the best of as many unskilled trials. Above 0.95 is significant at 5%.
    """
    benchmark = expected_maximum_sharpe(trials, sharpe_variance)
    return probabilistic_sharpe_ratio(sharpe, benchmark, observations, skewness, kurtosis)


# ---------------------------------------------------------------------------------------- effective trial count


def effective_trials(returns, *, draws: int = DEFAULT_DRAWS, seed: int = 0) -> float:
    """How many independent trials the correlated columns of ``returns`` are worth, in [1, usable trials].

    Method: the number of independent trials whose best Sharpe ratio is expected to be as large as the best of
    these trials (the effective number of tests of Dudbridge and Gusnanto, 2008, here matched on the mean of
    the maximum). Under the null of no skill the trials' Sharpe ratio estimates are jointly normal with the
    correlation of their returns, so ``draws`` vectors ``y = G @ Z`` (``G`` standard normal draws over days,
    ``Z`` the returns standardised to unit norm per trial, missing values 0) have exactly that correlation; the
    mean of ``max(y)`` is inverted through the exact expected maximum of ``n`` independent standard normals,
    ``integral x n phi(x) Phi(x)**(n-1) dx``. Seeded, so the same returns give the same count.

    Why this one: it measures what the deflated Sharpe ratio needs, the expected maximum, for any correlation
    pattern. ``N / (1 + (N - 1) * mean correlation)`` collapses to about 1 when most cells sit in one
    near-identical cluster and a few are distinct (190 copies and 10 independent trials count as 1.1, this
    counts about 11); eigenvalue counts (Nyholt, 2004; Li and Ji, 2005) overcount clusters or depend on the
    fractional parts of eigenvalues; clustering (López de Prado's ONC, 2019) needs many k-means runs and a
    cut-off. Cost: ``draws x days x trials`` single-precision multiply-adds in chunks, about 0.06 s for 500
    trials x 750 days on one core.
    Trials that are all-NaN or constant are left out (they cannot be the best).
    """
    _check_positive("draws", draws, whole=True)
    return _effective_trials(_check_returns(returns), int(draws), seed)


def _effective_trials(checked: _Returns, draws: int, seed: int) -> float:
    finite = np.isfinite(checked.values)
    z = np.where(finite, checked.values - checked.mean, 0.0)
    z = (z / np.sqrt((z**2).sum(axis=0))).astype(np.float32)  # single precision: half the cost, ample for a mean
    rng = np.random.default_rng(seed)
    total = 0.0
    for start in range(0, draws, _CHUNK):
        gauss = rng.standard_normal((min(_CHUNK, draws - start), z.shape[0]), dtype=np.float32)
        total += float((gauss @ z).max(axis=1).sum())
    return _independent_count(total / draws, z.shape[1])


@lru_cache(maxsize=1)
def _normal_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.linspace(-10.0, 10.0, 4001)
    log_cdf = np.log([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return x, log_cdf, pdf


def _expected_maximum_of_normals(n: float) -> float:
    """E[max] of ``n`` independent standard normals (``n`` may be fractional): the integral of x n phi Phi^(n-1)."""
    x, log_cdf, pdf = _normal_grid()
    density = n * pdf * np.exp((n - 1.0) * log_cdf)
    return float(np.trapezoid(x * density, x))


def _independent_count(expected_max: float, upper: int) -> float:
    """The ``n`` in [1, upper] whose expected maximum of independent standard normals is ``expected_max``."""
    if expected_max <= 0.0:
        return 1.0
    if expected_max >= _expected_maximum_of_normals(upper):
        return float(upper)
    low, high = 0.0, math.log(upper)
    for _ in range(50):
        middle = 0.5 * (low + high)
        if _expected_maximum_of_normals(math.exp(middle)) < expected_max:
            low = middle
        else:
            high = middle
    return math.exp(0.5 * (low + high))


# ------------------------------------------------------------------------------------------------------ CSCV / PBO


@dataclass(frozen=True)
class CSCVResult:
    """Combinatorially symmetric cross-validation of a returns matrix (Bailey, Borwein, López de Prado and Zhu).

    One entry per split, in the order of ``itertools.combinations(range(splits), splits // 2)`` over the
    in-sample blocks (``in_sample_blocks``). ``selected`` is the column of the in-sample best trial (-1 where
    no trial could be selected: every one flat in sample), ``in_sample_sharpe`` and ``out_of_sample_sharpe``
    its per-period Sharpe ratios, ``logits`` ``ln(w / (1 - w))`` of its relative out-of-sample rank
    ``w = rank / (N + 1)`` (rank 1 the worst of the ``N`` usable trials). ``pbo`` is the share of evaluated
    splits with logit <= 0 (the in-sample best at or below the out-of-sample median); None if none was evaluated.
    """

    pbo: float | None
    splits: int
    trials: int  # usable trials ranked out of sample
    selected: np.ndarray
    in_sample_sharpe: np.ndarray
    out_of_sample_sharpe: np.ndarray
    logits: np.ndarray

    @property
    def combinations(self) -> int:
        """Number of in-sample/out-of-sample splits: C(splits, splits / 2)."""
        return len(self.selected)

    @property
    def in_sample_blocks(self) -> np.ndarray:
        """``(combinations, splits // 2)``: the blocks (0 = oldest) of each split's in-sample half."""
        return np.array(list(combinations(range(self.splits), self.splits // 2)))

    def degradation(self) -> dict[str, float | None]:
        """Out-of-sample against in-sample per-period Sharpe of the selected trial, over the evaluated splits.

        ``slope`` and ``intercept`` of the least-squares line ``oos = intercept + slope * is`` (a negative slope:
        the better in sample, the worse out of sample) and ``oos_loss_probability``, the share of splits whose
        selected trial lost out of sample (Sharpe < 0).
        """
        ok = self.selected >= 0
        is_, oos = self.in_sample_sharpe[ok], self.out_of_sample_sharpe[ok]
        slope = intercept = loss = None
        if len(oos):
            loss = float(np.mean(oos < 0))
        if len(oos) > 1 and np.ptp(is_) > 0:
            slope, intercept = (float(v) for v in np.polyfit(is_, oos, 1))
        return {"slope": slope, "intercept": intercept, "oos_loss_probability": loss}

    def summary(self) -> dict[str, float | int | None]:
        """JSON-serialisable: pbo, splits, combinations, evaluated splits, logit median/mean, degradation."""
        logits = self.logits[self.selected >= 0]
        finite = logits[np.isfinite(logits)]
        degradation = self.degradation()
        return {"pbo": self.pbo, "splits": self.splits, "combinations": self.combinations,
                "evaluated_splits": len(logits),
                "logit_median": float(np.median(logits)) if len(logits) else None,
                "logit_mean": float(finite.mean()) if len(finite) else None,
                "degradation_slope": degradation["slope"], "degradation_intercept": degradation["intercept"],
                "oos_loss_probability": degradation["oos_loss_probability"]}


def probability_of_backtest_overfitting(returns, *, splits: int = DEFAULT_SPLITS) -> CSCVResult:
    """The probability of backtest overfitting by CSCV (Bailey, Borwein, López de Prado and Zhu, 2015).

    The rows are cut into ``splits`` (S, even) contiguous blocks of near-equal size (``T mod S`` oldest blocks
    one row longer). For each of the C(S, S/2) ways to pick S/2 blocks as in-sample (the rest out-of-sample),
    the trial with the best in-sample Sharpe ratio is selected and its out-of-sample Sharpe ratio ranked among
    all trials; PBO is the share of splits where it ranks at or below the median (logit <= 0). About 0.5 means
    selection by in-sample Sharpe is no better than picking at random; near 0, the best in sample stays good.

    Per-block sums, sums of squares and counts of the mean-centred returns are taken once; each split's Sharpe
    ratios are matrix products of them, and each split's out-of-sample half is its mirror split's in-sample
    half, so every Sharpe matrix is computed once. NaN is a missing return; all-NaN or constant trials are left
    out; a trial with no variance inside one half cannot be selected there and scores 0 when ranked there.
    """
    splits = _check_splits(splits)
    checked = _check_returns(returns)
    _check_days(checked, splits)
    return _cscv(checked, splits)


def _check_days(checked: _Returns, splits: int) -> None:
    days = checked.values.shape[0]
    if days < 2 * splits:
        raise InputError(f"`returns` has {days} days with data, too few for `splits={splits}`: CSCV needs at "
                         f"least 2 per block ({2 * splits}); pass a smaller even `splits` or more days")


def _cscv(checked: _Returns, splits: int) -> CSCVResult:
    values = checked.values
    days, trials = values.shape
    finite = np.isfinite(values)
    centred = np.where(finite, values - checked.mean, 0.0)
    starts = np.concatenate([[0], np.cumsum([days // splits + (k < days % splits) for k in range(splits - 1)])])
    sums = np.add.reduceat(centred, starts, axis=0)
    squares = np.add.reduceat(centred**2, starts, axis=0)
    counts = (np.add.reduceat(finite.astype(np.float64), starts, axis=0) if not finite.all()
              else np.diff(np.append(starts, days)).astype(np.float64)[:, None])
    blocks = (sums, squares, counts, checked.mean, _FLAT * squares.sum(axis=0) / checked.observations)

    in_sample = np.array(list(combinations(range(splits), splits // 2)))
    total = len(in_sample)
    out = {"selected": np.full(total, -1), "is": np.full(total, np.nan), "oos": np.full(total, np.nan),
           "rank": np.full(total, np.nan)}
    # Lexicographic order: the first half holds block 0 in sample and split i's complement is split total-1-i.
    for start in range(0, total // 2, _CHUNK):
        rows = np.arange(start, min(start + _CHUNK, total // 2))
        first, second = _half_sharpe(in_sample[rows], blocks)
        _select_and_rank(first, second, rows, out)
        _select_and_rank(second, first, total - 1 - rows, out)

    ok = out["selected"] >= 0
    rank = out["rank"]
    logits = np.log(rank / (trials + 1 - rank))  # rank in [1, trials]: finite; NaN where no split was evaluated
    pbo = float(np.mean(2 * rank[ok] <= trials + 1)) if ok.any() else None
    selected = np.where(ok, checked.columns[np.maximum(out["selected"], 0)], -1)
    return CSCVResult(pbo=pbo, splits=splits, trials=trials, selected=selected, in_sample_sharpe=out["is"],
                      out_of_sample_sharpe=out["oos"], logits=logits)


def _half_sharpe(chosen: np.ndarray, blocks: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Per-period Sharpe of every trial in the ``chosen`` blocks and in the others; NaN where flat or under 2 returns.

    Gathered sums, not a 0/1 matrix product: products this small are slower through a threaded BLAS.
    """
    sums, squares, counts, mean, flat = blocks
    inside = (sums[chosen].sum(axis=1), squares[chosen].sum(axis=1), counts[chosen].sum(axis=1))
    outside = (sums.sum(axis=0) - inside[0], squares.sum(axis=0) - inside[1], counts.sum(axis=0) - inside[2])
    return _sharpe(*inside, mean, flat), _sharpe(*outside, mean, flat)


def _sharpe(sums: np.ndarray, squares: np.ndarray, counts: np.ndarray, mean: np.ndarray,
            flat: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        centred_mean = sums / counts
        variance = (squares - sums * centred_mean) / (counts - 1)
        sharpe = (centred_mean + mean) / np.sqrt(variance)
    sharpe[~(variance > flat) | ~(counts >= 2)] = np.nan
    return sharpe


def _select_and_rank(in_sample: np.ndarray, out_of_sample: np.ndarray, rows: np.ndarray, out: dict) -> None:
    at = np.arange(len(rows))
    best = np.argmax(np.where(np.isnan(in_sample), -np.inf, in_sample), axis=1)
    chosen_is = in_sample[at, best]
    ok = ~np.isnan(chosen_is)
    scores = np.where(np.isnan(out_of_sample), 0.0, out_of_sample)
    chosen = scores[at, best]
    below = (scores < chosen[:, None]).sum(axis=1)
    ties = (scores == chosen[:, None]).sum(axis=1) - 1
    out["selected"][rows] = np.where(ok, best, -1)
    out["is"][rows] = np.where(ok, chosen_is, np.nan)
    out["oos"][rows] = np.where(ok, chosen, np.nan)
    out["rank"][rows] = np.where(ok, 1 + below + 0.5 * ties, np.nan)


# ------------------------------------------------------------------------------------ walk-forward over returns


def walk_forward_returns(returns, *, folds: int = DEFAULT_FOLDS, train: int | None = None, test: int | None = None,
                         anchored: bool = False, periods_per_year: float = 252) -> dict:
    """Walk-forward selection over a ``(days, trials)`` returns matrix: per fold, the trial with the best Sharpe
    ratio on the training days, and its Sharpe ratio on the test days that follow.

    The days with data are cut as ``walk_forward`` cuts sessions (``fold_windows``): by default ``folds + 1``
    equal blocks, fold k training on block k (blocks 0..k when ``anchored``) and testing on block k + 1, the last
    test block running to the last day; ``train`` and ``test`` set the lengths in days instead. Trials are
    checked as for ``overfitting_stats`` (all-NaN and constant columns are left out); a trial flat on the
    training days cannot be selected there, and one flat on the test days scores 0 there, as in CSCV.

    Returns a JSON-serialisable dict:

    - ``folds``: per fold ``fold``, ``train`` and ``test`` (``[first, stop)`` rows of the days with data),
      ``selected`` (column, None when every trial is flat in sample), its annualised ``in_sample_sharpe`` and
      ``out_of_sample_sharpe``, and ``above_median`` (its out-of-sample rank among the usable trials, ties
      averaged, above the median);
    - ``evaluated_folds``; ``in_sample_sharpe`` and ``out_of_sample_sharpe``: their means over those folds;
      ``above_median``: the share of them above the median;
    - ``combined_sharpe``: annualised Sharpe ratio of the selected trials' test returns laid end to end (the
      walk-forward's own return series), None when it has under 2 returns or none vary;
    - ``anchored``, ``periods_per_year``.
    """
    _check_positive("folds", folds, whole=True)
    for name, value in (("train", train), ("test", test)):
        if value is not None:
            _check_positive(name, value, whole=True)
    _check_positive("periods_per_year", periods_per_year)
    checked = _check_returns(returns)
    days = checked.values.shape[0]
    if train is None and test is None and days < folds + 1:
        raise InputError(f"`returns` has {days} days with data, too few for `folds={folds}`: each fold needs at "
                         f"least one training and one test day ({folds + 1}); pass a smaller `folds` or more days")
    return _walk_forward(checked, fold_windows(days, int(folds), train, test, anchored), anchored, periods_per_year)


def _walk_forward(checked: _Returns, windows: list[tuple[int, int, int, int]], anchored: bool,
                  periods_per_year: float) -> dict:
    values = checked.values
    finite = np.isfinite(values)
    centred = np.where(finite, values - checked.mean, 0.0)
    flat = _FLAT * (centred**2).sum(axis=0) / checked.observations
    annual = math.sqrt(periods_per_year)

    def sharpe(lo: int, hi: int) -> np.ndarray:
        part = centred[lo:hi]
        return _sharpe(part.sum(axis=0), (part**2).sum(axis=0), finite[lo:hi].sum(axis=0), checked.mean, flat)

    trials = values.shape[1]
    records, tested = [], []
    for n, (a, b, c, d) in enumerate(windows):
        record = {"fold": n, "train": [a, b], "test": [c, d], "selected": None, "in_sample_sharpe": None,
                  "out_of_sample_sharpe": None, "above_median": None}
        in_sample = sharpe(a, b)
        if not np.isnan(in_sample).all():
            best = int(np.nanargmax(in_sample))
            scores = np.nan_to_num(sharpe(c, d), nan=0.0)
            rank = 1 + (scores < scores[best]).sum() + 0.5 * ((scores == scores[best]).sum() - 1)
            record.update(selected=int(checked.columns[best]), in_sample_sharpe=float(in_sample[best]) * annual,
                          out_of_sample_sharpe=float(scores[best]) * annual, above_median=bool(2 * rank > trials + 1))
            tested.append(values[c:d, best])
        records.append(record)
    done = [r for r in records if r["selected"] is not None]
    combined = np.concatenate(tested) if tested else np.empty(0)
    combined = combined[np.isfinite(combined)]
    spread = float(np.std(combined, ddof=1)) if len(combined) >= 2 else 0.0
    varies = spread > _CONSTANT * abs(float(np.mean(combined))) if len(combined) >= 2 else False

    def mean_of(key: str):
        return float(np.mean([r[key] for r in done])) if done else None

    return {"folds": records, "evaluated_folds": len(done), "in_sample_sharpe": mean_of("in_sample_sharpe"),
            "out_of_sample_sharpe": mean_of("out_of_sample_sharpe"), "above_median": mean_of("above_median"),
            "combined_sharpe": float(np.mean(combined)) / spread * annual if varies else None,
            "anchored": bool(anchored), "periods_per_year": periods_per_year}


# ---------------------------------------------------------------------------------------------------- entry point


def overfitting_stats(returns, *, splits: int = DEFAULT_SPLITS, periods_per_year: float = 252,
                      confidence: float = 0.95, draws: int = DEFAULT_DRAWS, seed: int = 0) -> dict:
    """Deflated Sharpe ratio of the best trial, effective trials and PBO of a ``(days, trials)`` returns matrix.

    ``returns`` holds per-period (daily) returns, one column per parameter combination; float32 is fine, NaN
    marks a missing return (a row where every trial is NaN is dropped). A column that is all-NaN, has fewer
    than 2 returns or is constant (standard deviation under 1e-9 of its mean) has no Sharpe ratio: it counts
    in ``trials`` but cannot be the best, and ``usable_trials`` (the N of the deflation and the trials CSCV
    ranks) leaves it out.

    Returns a JSON-serialisable dict:

    - ``trials``, ``usable_trials``, ``effective_trials`` (see ``effective_trials``);
    - ``best``: column of the trial with the highest full-sample Sharpe ratio; ``sharpe`` (annualised),
      ``sharpe_per_period``, ``observations``, ``skewness``, ``kurtosis`` (not excess) of its returns;
    - ``sharpe_std_per_period``: standard deviation (ddof=1) of the usable trials' per-period Sharpe ratios;
    - ``expected_max_sharpe`` / ``expected_max_sharpe_effective``: the benchmark of the deflation, annualised,
      with ``usable_trials`` / ``effective_trials`` as N;
    - ``deflated_sharpe`` / ``deflated_sharpe_effective``: the deflated Sharpe ratio with each N;
      ``confidence`` and ``significant`` (``deflated_sharpe_effective > confidence``);
    - ``pbo``, ``splits``, ``combinations``, ``evaluated_splits``, ``logit_median``, ``logit_mean``,
      ``degradation_slope``, ``degradation_intercept`` (per period), ``oos_loss_probability``
      (see ``CSCVResult``); ``periods_per_year``.
    """
    splits = _check_splits(splits)
    _check_positive("periods_per_year", periods_per_year)
    _check_positive("draws", draws, whole=True)
    if not 0 < confidence < 1:
        raise InputError(f"`confidence` must be between 0 and 1 (0.95 is usual); got {confidence!r}")
    checked = _check_returns(returns)
    _check_days(checked, splits)

    sharpe = checked.sharpe
    best = int(np.argmax(sharpe))
    usable = len(sharpe)
    variance = float(np.var(sharpe, ddof=1))
    effective = _effective_trials(checked, int(draws), seed)
    observations = int(checked.observations[best])
    moments = (float(checked.skewness[best]), float(checked.kurtosis[best]))

    def deflated(trials: float) -> float:
        return deflated_sharpe_ratio(float(sharpe[best]), observations, trials=trials, sharpe_variance=variance,
                                     skewness=moments[0], kurtosis=moments[1])

    annual = math.sqrt(periods_per_year)
    stats = {
        "trials": checked.trials, "usable_trials": usable, "effective_trials": effective,
        "best": int(checked.columns[best]), "sharpe": float(sharpe[best]) * annual,
        "sharpe_per_period": float(sharpe[best]), "observations": observations,
        "skewness": moments[0], "kurtosis": moments[1], "sharpe_std_per_period": math.sqrt(variance),
        "expected_max_sharpe": expected_maximum_sharpe(usable, variance) * annual,
        "expected_max_sharpe_effective": expected_maximum_sharpe(effective, variance) * annual,
        "deflated_sharpe": deflated(usable), "deflated_sharpe_effective": deflated(effective),
        "confidence": float(confidence),
    }
    stats["significant"] = stats["deflated_sharpe_effective"] > confidence
    stats.update(_cscv(checked, splits).summary())
    stats["periods_per_year"] = periods_per_year
    return stats


def describe_overfitting(stats: Mapping) -> str:
    """One line reading ``overfitting_stats``' dict, verdict on the effective-trials deflated Sharpe ratio.

    ``best of 500 trials (about 40 independent): deflated Sharpe 0.62, below 0.95, not significant (0.41 counting
    all 500); PBO 38%``; the raw-count figure and the usable count appear only where they differ. With a
    ``walk_forward`` entry (``walk_forward_returns``' dict) it ends ``; walk-forward over the kept returns
    (4 folds): out-of-sample Sharpe 0.41 vs 1.20 in sample, 3 of 4 above the median``.
    """
    trials, usable, confidence = stats["trials"], stats["usable_trials"], stats["confidence"]
    independent = max(1, round(stats["effective_trials"]))
    notes = [f"{usable:,} usable"] if usable < trials else []
    if independent < usable:
        notes.append(f"about {independent:,} independent")
    head = f"best of {trials:,} trials" + (f" ({', '.join(notes)})" if notes else "")

    dsr = stats["deflated_sharpe_effective"]
    verdict = f"above {confidence:.2f}, significant" if dsr > confidence else f"below {confidence:.2f}, not significant"
    line = f"{head}: deflated Sharpe {_probability(dsr, confidence)}, {verdict}"
    if independent < usable:
        line += f" ({_probability(stats['deflated_sharpe'], confidence)} counting all {usable:,})"
    pbo = stats.get("pbo")
    line += f"; PBO {pbo:.0%}" if pbo is not None else "; PBO not available"
    return line + (f"; {_walk_forward_clause(stats['walk_forward'])}" if "walk_forward" in stats else "")


def _walk_forward_clause(walk: Mapping) -> str:
    """The walk-forward part of the reading: mean out-of-sample against in-sample Sharpe of the selected trials."""
    done, total = walk["evaluated_folds"], len(walk["folds"])
    if not done:
        return f"walk-forward over the kept returns: no trial could be selected in any of {total} folds"
    folds = f"{done} folds" if done == total else f"{done} of {total} folds"
    above = round(walk["above_median"] * done)
    return (f"walk-forward over the kept returns ({folds}): out-of-sample Sharpe {walk['out_of_sample_sharpe']:.2f} "
            f"vs {walk['in_sample_sharpe']:.2f} in sample, {above} of {done} above the median")


def _probability(value: float, threshold: float) -> str:
    """Two decimals, three where two would read as the threshold itself."""
    text = f"{value:.2f}"
    return f"{value:.3f}" if text == f"{threshold:.2f}" and value != threshold else text
