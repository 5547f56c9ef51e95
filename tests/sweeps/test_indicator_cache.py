"""``indicator_cache()``: each distinct indicator of read-only frames computed once, read-only, bounded, cleared."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pandas as pd
import pytest
import talib

from research_env.strategy._indicator_cache import active_cache, input_mark
from research_env.strategy.vectorized import atr, bollinger_bands, ema, indicator_cache, rsi, sma
from tests.sweeps.test_vectorbt import random_bars


def frozen(values: np.ndarray, index: pd.Index) -> pd.DataFrame:
    """A frame over a read-only copy of ``values``, as a sweep hands its frames to ``generate_signals``."""
    values = np.array(values, order="F")
    values.flags.writeable = False
    return pd.DataFrame(values, index=index, columns=["A", "B"], copy=False)


def frozen_closes(n: int = 400) -> pd.DataFrame:
    """Two symbols' closes."""
    return frozen(np.column_stack([random_bars(n, 1)["close"], random_bars(n, 2)["close"]]), random_bars(n, 1).index)


def test_each_distinct_indicator_is_computed_once_and_equals_the_uncached_one():
    prices = frozen_closes()
    plain = {p: sma(prices, p) for p in (5, 10)}
    with indicator_cache() as cache:
        calls = [sma(prices, p) for p in (5, 10, 5, 10, 5)] + [rsi(prices, 14), rsi(prices, 14), ema(prices, 5)]
        assert (cache.computed, cache.reused, len(cache)) == (4, 4, 4)
        for p, frame in zip((5, 10, 5, 10, 5), calls, strict=False):
            pd.testing.assert_frame_equal(frame, plain[p])
        assert calls[0].to_numpy().__array_interface__ == calls[2].to_numpy().__array_interface__
        assert calls[0] is not calls[2]  # a new frame each call over the same read-only values


def test_a_column_or_slice_of_the_frozen_frame_finds_its_own_entry():
    prices = frozen_closes()
    with indicator_cache() as cache:
        first = sma(prices["A"], 7)
        again = sma(prices["A"], 7)
        other = sma(prices["B"], 7)
        tail = sma(prices.iloc[100:], 7)
        assert (cache.computed, cache.reused) == (3, 1)
    assert isinstance(first, pd.Series) and first.name == "A"
    np.testing.assert_array_equal(again.to_numpy(), talib.SMA(prices["A"].to_numpy(), timeperiod=7))
    np.testing.assert_array_equal(other.to_numpy(), talib.SMA(prices["B"].to_numpy(), timeperiod=7))
    np.testing.assert_array_equal(tail["A"].to_numpy(), talib.SMA(prices["A"].to_numpy()[100:], timeperiod=7))


def test_frames_whose_values_could_change_are_computed_every_time():
    prices = frozen_closes()
    writable = prices.copy()
    with indicator_cache() as cache:
        first = sma(writable, 5)
        writable.iloc[50, 0] = 1_000.0
        second = sma(writable, 5)
        assert (cache.computed, cache.reused, len(cache)) == (2, 0, 0)
    assert first.iloc[50, 0] != second.iloc[50, 0]
    assert input_mark(writable.to_numpy()) is None and input_mark(prices.to_numpy()) is not None


def test_results_of_results_are_cached_too_and_every_helper_takes_part():
    prices = frozen_closes()
    high = frozen(prices.to_numpy() * 1.01, prices.index)
    with indicator_cache() as cache:
        for _ in range(2):
            sma(rsi(prices, 14), 3)
            bollinger_bands(prices, 20, 2.0)
            atr(high, prices, prices, 14)
        assert (cache.computed, cache.reused) == (4, 4)


@pytest.mark.parametrize("edit", [
    lambda f: f.iloc.__setitem__((30, 0), 1.0),
    lambda f: f.__setitem__(f > 0, 0.0),
    lambda f: f.loc.__setitem__(f.index[30], 0.0),
    lambda f: f.clip(upper=f["A"].median(), inplace=True),
    lambda f: f.to_numpy().__setitem__((30, 0), 1.0),
], ids=["iloc", "mask", "loc-row", "clip-inplace", "to_numpy"])
def test_an_in_place_edit_of_a_cached_result_raises_and_changes_nothing(edit):
    prices = frozen_closes()
    with indicator_cache():
        fast = sma(prices, 5)
        with pytest.raises(ValueError, match="read-only"):
            edit(fast)
        assert sma(prices, 5).iloc[30, 0] == talib.SMA(prices["A"].to_numpy(), timeperiod=5)[30]
    # derived operations work as on any frame
    assert (fast.shift(1) > fast).to_numpy().dtype == np.bool_


def test_a_frame_made_writable_again_after_its_first_call_is_computed_afresh():
    prices = frozen_closes()
    owner = prices.to_numpy().base
    while owner.base is not None:
        owner = owner.base
    with indicator_cache() as cache:
        first = sma(prices, 5)
        sma(prices, 5)
        assert (cache.computed, cache.reused) == (1, 1)
        owner.flags.writeable = True  # the array under the frame is open to edits again, and edited
        owner[50, 0] = 1_000.0
        second = sma(prices, 5)
        assert (cache.computed, cache.reused) == (2, 1)
    assert first.iloc[50, 0] != second.iloc[50, 0]
    np.testing.assert_array_equal(second["A"].to_numpy(), talib.SMA(prices["A"].to_numpy(), timeperiod=5))


def test_the_same_frame_with_other_settings_or_another_frame_finds_its_own_entry():
    prices = frozen_closes()
    other = frozen(prices.to_numpy()[::-1], prices.index)
    with indicator_cache() as cache:
        results = [sma(prices, 5), sma(prices, 6), sma(other, 5), ema(prices, 5), sma(prices, 5), sma(other, 5)]
        assert (cache.computed, cache.reused, len(cache)) == (4, 2, 4)
    for result, (frame, function, period) in zip(results, [(prices, talib.SMA, 5), (prices, talib.SMA, 6),
                                                            (other, talib.SMA, 5), (prices, talib.EMA, 5),
                                                            (prices, talib.SMA, 5), (other, talib.SMA, 5)],
                                                 strict=True):
        for column in ("A", "B"):
            np.testing.assert_array_equal(result[column].to_numpy(),
                                          function(frame[column].to_numpy(), timeperiod=period))


def test_the_byte_budget_bounds_the_cache_and_drops_the_least_recently_used():
    prices = frozen_closes()
    one = prices.to_numpy().nbytes
    with indicator_cache(max_bytes=2 * one) as cache:
        sma(prices, 5)
        sma(prices, 6)
        sma(prices, 5)  # 5 is now the most recent
        sma(prices, 7)  # over budget: 6 goes
        assert (len(cache), cache.nbytes, cache.computed, cache.reused) == (2, 2 * one, 3, 1)
        sma(prices, 5)
        sma(prices, 6)
        assert (cache.computed, cache.reused) == (4, 2)
    with indicator_cache(max_bytes=one - 1) as cache:
        sma(prices, 5)
        sma(prices, 5)
        assert (len(cache), cache.nbytes, cache.computed) == (0, 0, 2)


def test_the_cache_is_released_when_the_block_ends_and_helpers_compute_as_before_outside():
    prices = frozen_closes()
    with indicator_cache() as cache:
        owner = weakref.ref(sma(prices, 5).to_numpy().base)
        with indicator_cache() as inner:
            assert inner is cache and active_cache() is cache
        assert len(cache) == 1
    gc.collect()
    assert active_cache() is None and len(cache) == 0 and cache.nbytes == 0 and owner() is None
    outside = sma(prices, 5)
    outside.iloc[0, 0] = 1.0  # a fresh result, writable as ever
    assert sma(prices, 5).to_numpy().__array_interface__["data"][0] != \
        outside.to_numpy().__array_interface__["data"][0]


def test_where_pandas_copies_instead_of_raising_the_stored_values_stay_as_computed():
    prices = frozen_closes()
    with indicator_cache():
        fast = sma(prices, 5)
        column = fast["A"]  # a live view: pandas copies the frame's values before writing
        fast.iloc[30, 0] = -1.0
        assert fast.iloc[30, 0] == -1.0 and column.iloc[30] != -1.0
        assert sma(prices, 5).iloc[30, 0] == talib.SMA(prices["A"].to_numpy(), timeperiod=5)[30]
