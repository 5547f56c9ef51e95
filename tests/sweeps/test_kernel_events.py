"""The kernels' signal events against plain-Python readings of their rules, bar by bar.

``next_signal_row_nb`` reads signal columns eight bars at a time and ``cross_events_nb`` passes over bars
that repeat the previous comparison; both must give exactly what the one-bar-at-a-time reading gives, from
any row and at any window ``[lo, hi)``, with rows without a bar, NaN averages and ties.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from research_env.sweeps.nb import count_signals_nb, cross_events_nb, next_signal_row_nb


def next_signal_row(values, present, r, hi):
    """The first row from ``r`` below ``hi`` with a signal and a bar, or ``hi``."""
    return next((q for q in range(r, hi) if values[q] and present[q]), hi)


def cross_events(has_bar, lo, hi, ma, fast, slow, warmup, guide, s):
    """The crossover rules bar by bar, as ``cross_events_nb`` documents them."""
    events, seen, prev, below, above_seen = [], 0, 2, False, False
    for t in range(hi):
        if not has_bar[t, s]:
            continue
        f, w = ma[t, fast], ma[t, slow]
        state = 2 if math.isnan(f) or math.isnan(w) else 1 if f > w else -1 if f < w else 0
        flag = 0
        if guide:
            seen += 1
            if min(seen, warmup[1]) < warmup[0]:
                continue
            above = 1 if state == 1 else 0
            if prev != 2 and above != prev:
                flag = 1 if above else 2
            prev = above
        else:
            if state == 2:
                below = above_seen = False
            elif state == 1:
                flag = 1 if below and prev in (-1, 0) else 0
                above_seen = True
            elif state == -1:
                flag = 2 if above_seen and prev in (1, 0) else 0
                below = True
            prev = state
        if flag and t >= lo:
            events.append((t, flag))
    return events


def found(kernel, *args) -> list[tuple[int, int]]:
    rows, flags = np.empty(4096, dtype=np.int64), np.empty(4096, dtype=np.int8)
    n = kernel(*args, rows, flags)
    return list(zip(rows[:n].tolist(), flags[:n].tolist(), strict=True))


def windows(rng, n):
    return [(0, n), (0, 0), (n, n)] + [tuple(sorted(rng.integers(0, n + 1, 2))) for _ in range(6)]


@pytest.mark.parametrize("bars", [1, 7, 8, 9, 63, 400])
@pytest.mark.parametrize("density", [0.0, 0.01, 0.1, 0.6, 1.0])
def test_the_next_signal_row_equals_the_bar_by_bar_reading(bars, density):
    rng = np.random.default_rng(bars * 100 + int(density * 10))
    has_bar = np.asfortranarray(rng.random((bars, 2)) < (0.9 if density < 1 else 1.0))
    signals = np.asfortranarray(rng.random((bars, 6)) < density)
    for _, hi in windows(rng, bars):
        for col, s in ((0, 0), (3, 1), (5, 1)):
            values, present = signals[:, col], has_bar[:, s]
            for r in range(hi + 1):
                assert next_signal_row_nb(values, present, r, hi) == next_signal_row(values, present, r, hi)
                assert count_signals_nb(values, present, r, hi) == int(np.sum(values[r:hi] & present[r:hi]))


@pytest.mark.parametrize("guide", [False, True], ids=["strict", "guide"])
@pytest.mark.parametrize("seed", range(6))
def test_cross_events_equal_the_bar_by_bar_reading(guide, seed):
    rng = np.random.default_rng(seed)
    bars = 600
    walk = 100 + np.cumsum(rng.normal(0, 1, (bars, 2)), axis=0)
    ma = np.empty((bars, 6), order="F")
    for k, window in enumerate((3, 10, 30)):
        for s in range(2):
            column = np.convolve(walk[:, s], np.ones(window) / window)[:bars]
            column[:window - 1] = np.nan
            ma[:, 2 * k + s] = np.round(column, 1)  # rounding makes ties
    ma[rng.random((bars, 6)) < 0.02] = np.nan
    has_bar = np.asfortranarray(rng.random((bars, 2)) < 0.95)
    for lo, hi in windows(rng, bars):
        for warmup in ([30, 500], [30, 10], [1, 1]):
            for s in range(2):
                fast, slow = s, 4 + s
                args = (has_bar, lo, hi, ma, fast, slow, np.array(warmup), guide, s)
                assert found(cross_events_nb, *args) == cross_events(*args)
