"""Which grids run a declared fused rule, what they read, and their bad values (parity with the class twins
on real bars is in ``test_parity.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from research_env.errors import InputError
from research_env.strategy.vectorized import BollingerReversion, RsiThreshold, VectorizedStrategy, rsi
from research_env.sweeps import sweep
from research_env.sweeps._fused import fused_inputs, fused_parameters
from research_env.sweeps.enums import FusedCol, FusedLevel, SignalSource
from tests.sweeps.fixtures import guide_vectorized
from tests.sweeps.test_vectorbt import random_bars

RsiTwin = guide_vectorized("rsi_mean_reversion_vectorized")
BollingerTwin = guide_vectorized("bollinger_mean_reversion_vectorized")


class RsiWithExtra(RsiTwin):
    def generate_signals(self, prices, volumes, rsi_period=14, oversold=30, overbought=70, hold=1):
        return super().generate_signals(prices, volumes, rsi_period, oversold, overbought)


def test_parameters_the_grid_does_not_move_take_the_generate_signals_defaults():
    params = fused_parameters(RsiTwin(), [{"rsi_period": 7}, {"oversold": 25}])
    assert params == [{"rsi_period": 7, "oversold": 30, "overbought": 70},
                      {"rsi_period": 14, "oversold": 25, "overbought": 70}]


def test_a_grid_moving_a_parameter_the_rule_does_not_read_runs_generate_signals():
    assert fused_parameters(RsiWithExtra(), [{"rsi_period": 7, "hold": 2}]) is None
    assert fused_parameters(RsiWithExtra(), [{"rsi_period": 7}]) is not None

    class Plain(VectorizedStrategy):
        pass

    assert fused_parameters(Plain(), [{}]) is None


def test_each_distinct_indicator_is_one_series_and_the_bounds_are_per_combination():
    close = random_bars(300, 4)["close"].to_numpy().reshape(-1, 1)
    params = [{"bb_period": p, "bb_std": s, "rsi_filter": f} for p in (10, 20) for s in (1.5, 2.0)
              for f in (True, False)]
    fused = fused_inputs(BollingerReversion(), params, close, width=2)
    assert fused.source == SignalSource.LEVELS_INCLUSIVE
    # the close, 4 (period, std) pairs x (lower, upper), and one RSI(14) shared by every filtered combination
    assert fused.series.shape == (300, (1 + 8 + 1) * 2)
    assert fused.cols[:, FusedCol.VALUE].tolist() == [0] * 8
    assert sorted(set(fused.cols[:, FusedCol.FILTER].tolist())) == [-1, 3]  # after the close and the first bands
    assert fused.levels[0, FusedLevel.FILTER_BELOW] == 40 and np.isnan(fused.levels[1, FusedLevel.FILTER_BELOW])
    assert fused.warmup[:, 0].tolist() == [15] * 4 + [25] * 4
    upper_col = fused.cols[0, FusedCol.UPPER] * 2
    np.testing.assert_array_equal(fused.series[:, upper_col], _talib_upper(close[:, 0], 10, 1.5))


def test_rsi_thresholds_read_one_rsi_per_period():
    close = random_bars(300, 5)["close"].to_numpy().reshape(-1, 1)
    params = [{"rsi_period": p, "oversold": lo, "overbought": 70} for p in (7, 14) for lo in (25, 30)]
    fused = fused_inputs(RsiThreshold(), params, close, width=2)
    assert fused.source == SignalSource.LEVELS_STRICT and fused.series.shape == (300, 4)
    assert fused.cols[:, FusedCol.VALUE].tolist() == [0, 0, 1, 1]
    assert fused.levels[:, FusedLevel.LOWER].tolist() == [25, 30, 25, 30]
    assert fused.warmup[:, 0].tolist() == [8, 8, 15, 15]
    frame = random_bars(300, 5)[["close"]]
    np.testing.assert_array_equal(fused.series[:, 2], rsi(frame, 14)["close"].to_numpy())


@pytest.mark.parametrize(("params", "message"), [
    ({"rsi_period": 0, "oversold": 30, "overbought": 70}, "`rsi_period` period must be a positive whole number"),
    ({"rsi_period": 14, "oversold": "low", "overbought": 70}, "`oversold` must be a number, got 'low'"),
    ({"rsi_period": 14, "oversold": 30, "overbought": float("nan")}, "`overbought` must be a number"),
])
def test_bad_values_are_named(params, message):
    close = random_bars(50, 6)["close"].to_numpy().reshape(-1, 1)
    with pytest.raises(InputError, match=message):
        fused_inputs(RsiThreshold(), [params], close, width=2)


def test_the_fused_and_generate_signals_sweeps_agree_on_every_metric():
    bars = {"AAA": random_bars(1500, 7), "BBB": random_bars(1500, 8)}
    grid = {"rsi_period": [5, 9, 14], "oversold": [30, 40], "overbought": [60, 70]}
    start, end = str(bars["AAA"].index[0].date()), str(bars["AAA"].index[-1].date() + np.timedelta64(1, "D"))
    fused = sweep(RsiTwin(), list(bars), start, end, "1d", grid, data=bars, max_years=None)
    plain = sweep(RsiTwin(), list(bars), start, end, "1d", grid, data=bars, max_years=None, fused=False)
    assert (fused.kind, plain.kind) == ("vectorized-fused", "vectorized")
    assert [r["params"] for r in fused.rows] == [r["params"] for r in plain.rows]
    assert fused.to_frame().equals(plain.to_frame())
    assert sum(r["total_trades"] for r in fused.rows) > 50


def _talib_upper(close, period, std):
    import talib

    return talib.BBANDS(close, timeperiod=period, nbdevup=std, nbdevdn=std, matype=0)[0]
