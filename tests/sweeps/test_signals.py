"""The generic vectorized path: memoised helpers within a sweep, read-only inputs, signal checks on every
combination (``sweeps/_signals.py``, ``VectorizedRunner``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from research_env import BacktestConfig
from research_env.strategy._indicator_cache import active_cache
from research_env.strategy.vectorized import VectorizedStrategy, apply_columns, bollinger_bands, rsi, sma
from research_env.sweeps import SignalError, _vectorized, sweep
from tests.sweeps.test_vectorbt import random_bars

SYMBOLS = ["AAPL", "MSFT"]
SPAN = ("2025-06-02", "2025-08-01")
#: 11 fast x 3 slow x 2 thresholds = 66 combinations: two kernel batches
GRID = {"fast_period": list(range(5, 26, 2)), "slow_period": [30, 40, 50], "rsi_threshold": [30, 40]}
FRAMES = {"AAA": random_bars(300, 5), "BBB": random_bars(300, 6)}
CONFIG = BacktestConfig(benchmark=None)


class SmaRsi(VectorizedStrategy):
    """The guide's section 7 example; remembers the cache each call saw."""

    name = "sma_rsi"

    def __init__(self):
        self.caches = []

    def generate_signals(self, prices, volumes, **params):
        self.caches.append(active_cache())
        fast = sma(prices, params["fast_period"])
        slow = sma(prices, params["slow_period"])
        r = rsi(prices, 14)
        entries = (fast > slow) & (r < params["rsi_threshold"])
        exits = fast < slow
        return entries.fillna(False), exits.fillna(False)


class SmaRsiByHand(VectorizedStrategy):
    """The same rule with TA-Lib called directly: never memoised."""

    name = "sma_rsi"

    def generate_signals(self, prices, volumes, **params):
        def each(function, **settings):
            values = apply_columns(function, [prices.to_numpy()], **settings)[0]
            return pd.DataFrame(values, index=prices.index, columns=prices.columns)

        fast = each(talib.SMA, timeperiod=params["fast_period"])
        slow = each(talib.SMA, timeperiod=params["slow_period"])
        r = each(talib.RSI, timeperiod=14)
        return ((fast > slow) & (r < params["rsi_threshold"])).fillna(False), (fast < slow).fillna(False)


def real_sweep(strategy, store, **options):
    return sweep(strategy, SYMBOLS, *SPAN, "5m", GRID, data=store, **options)


@pytest.mark.filterwarnings("ignore::research_env.data.BarDataWarning")
def test_memoised_sweep_equals_the_unmemoised_one_and_computes_each_indicator_once(real_store):
    strategy = SmaRsi()
    # lookahead=False: the look-ahead check calls generate_signals on cut histories, outside the sweep's cache
    memoised = real_sweep(strategy, real_store, max_workers=1, lookahead=False)
    by_hand = real_sweep(SmaRsiByHand(), real_store, max_workers=1)
    assert memoised.rows == by_hand.rows
    assert sum(r["total_trades"] for r in memoised.rows) > 100
    cache = strategy.caches[0]
    assert cache is not None and all(c is cache for c in strategy.caches) and len(strategy.caches) == 66
    # 11 fast + 3 slow windows + RSI(14), each computed once; 66 x 3 helper calls in all
    assert (cache.computed, cache.reused) == (15, 66 * 3 - 15)
    assert len(cache) == 0 and cache.nbytes == 0 and active_cache() is None  # released with the sweep


class EditsItsInputs(VectorizedStrategy):
    """Changes ``prices``/``bars`` after computing the signals of one combination, in ways pandas allows on a
    read-only frame."""

    name = "edits"

    def __init__(self, edit=None):
        self.edit = edit

    def generate_signals(self, prices, volumes, **params):
        fast = sma(prices, params["period"])
        signals = (prices > fast).fillna(False), (prices < fast).fillna(False)
        if params["period"] == 10 and self.edit is not None:
            self.edit(self, prices)
        return signals


@pytest.mark.parametrize("workers", [1, 2, None])
@pytest.mark.parametrize("edit", [
    lambda self, prices: prices.__setitem__("AAA", 1.0),
    lambda self, prices: prices.__imul__(-1.0),
    lambda self, prices: setattr(prices, "columns", ["X", "Y"]),
    lambda self, prices: self.bars.__setitem__("close", None),
    lambda self, prices: (prices["AAA"], prices.iloc.__setitem__((0, 0), 2.0)),  # a live view: pandas copies
], ids=["column", "imul", "columns", "bars-entry", "copy-on-write"])
def test_a_combination_that_changes_its_frames_changes_them_for_itself_only(edit, workers, monkeypatch):
    monkeypatch.setattr(_vectorized, "BATCH", 2)  # by default (None), batches after the first on kernel threads
    grid = {"period": [5, 10, 20, 30, 10, 40]}
    reference = sweep(EditsItsInputs(), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", grid, data=FRAMES,
                      config=CONFIG, max_workers=1).rows
    edited = sweep(EditsItsInputs(edit), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", grid, data=FRAMES,
                   config=CONFIG, max_workers=workers).rows
    assert edited == reference
    assert reference[2]["total_trades"] > 0 and reference[2] != reference[3]


def test_editing_an_input_or_a_helpers_result_in_place_names_the_fix():
    class Clips(VectorizedStrategy):
        name = "clips"

        def generate_signals(self, prices, volumes, **params):
            upper, mid, lower = bollinger_bands(prices, params["period"], 2.0)
            if params["period"] == 20:
                upper[upper > mid] = np.nan
            return (prices < lower).fillna(False), (prices > upper).fillna(False)

    with pytest.raises(SignalError, match=r"Clips.generate_signals\(period=20\) raised ValueError: putmask: output "
                                          r"array is read-only; the frames a sweep passes .* `fast = fast.copy\(\)`"):
        sweep(Clips(), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", {"period": [10, 20]}, data=FRAMES,
              config=CONFIG)


class Reordered(VectorizedStrategy):
    """Signals with the columns in another order (accepted and put back in ``prices``'s order)."""

    name = "reordered"

    def generate_signals(self, prices, volumes, **params):
        fast = sma(prices, params["period"])
        entries, exits = (prices > fast).fillna(False), (prices < fast).fillna(False)
        if params["reverse"]:
            return entries[entries.columns[::-1]], exits[exits.columns[::-1]].astype("boolean")
        return entries, exits


def test_signals_laid_out_otherwise_go_through_the_full_check():
    result = sweep(Reordered(), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                   {"period": [10], "reverse": [False, True]}, data=FRAMES, config=CONFIG)
    plain, reordered = result.rows
    assert {k: v for k, v in plain.items() if k != "params"} == {k: v for k, v in reordered.items() if k != "params"}


class LaterBad(VectorizedStrategy):
    """Good signals except for ``x == 3``, which returns what ``kind`` says."""

    name = "later_bad"

    def __init__(self, kind):
        self.kind = kind

    def generate_signals(self, prices, volumes, **params):
        upper, mid, lower = bollinger_bands(prices, 20, 2.0)
        good = (prices > upper).fillna(False), (prices < lower).fillna(False)
        if params["x"] != 3:
            return good
        if self.kind == "shape":
            return good[0].iloc[:-1], good[1]
        if self.kind == "numbers":
            return good[0].astype(float), good[1]
        if self.kind == "nan":
            return (prices > upper).where(mid.notna()), good[1]
        if self.kind == "columns":
            return good[0].rename(columns={"AAA": "ZZZ"}), good[1]
        if self.kind == "index":
            return good[0].set_axis(good[0].index + pd.Timedelta(hours=1)), good[1]
        if self.kind == "raises":
            raise KeyError("rsi_period")
        return good[0]


@pytest.mark.parametrize("workers", [1, 2, None])
@pytest.mark.parametrize(("kind", "message"), [
    ("shape", r"generate_signals\(x=3\) returned entries of shape \(299, 2\), but `prices` has shape \(300, 2\)"),
    ("numbers", r"\(x=3\) returned entries column `AAA` of dtype float64; return booleans"),
    ("nan", r"\(x=3\) returned entries column `AAA` of dtype object; return booleans"),
    ("columns", r"\(x=3\) returned entries with columns \['ZZZ', 'BBB'\]; expected the symbols \['AAA', 'BBB'\]"),
    ("index", r"\(x=3\) returned entries with an index other than `prices.index`"),
    ("raises", r"LaterBad.generate_signals\(x=3\) raised KeyError: 'rsi_period'"),
    ("single", r"generate_signals\(x=3\) must return \(entries, exits\)"),
])
def test_bad_signals_of_a_later_combination_are_named(kind, message, workers, monkeypatch):
    monkeypatch.setattr(_vectorized, "BATCH", 2)  # None: the bad one is built while a kernel thread runs
    with pytest.raises(SignalError, match=message):
        sweep(LaterBad(kind), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", {"x": [1, 2, 4, 3, 5]},
              data=FRAMES, config=CONFIG, max_workers=workers)
