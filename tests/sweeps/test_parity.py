"""Parity: the vectorized sweep gives the bar-by-bar engine's fills, trades and metrics on real bars.

Pairs (each really equivalent, bar for bar):

* Bollinger mean reversion: ``BollingerMeanReversionStrategy`` (guide Example 2) against the guide's
  vectorized Example 4 plus the class's warm-up. Example 4 verbatim differs from its class twin in one
  place: the class returns no signal while ``len(bars) < bb_period + 5``, Example 4 may enter as soon as
  the bands and RSI(14) exist. ``BollingerTwin`` adds exactly that guard; the RSI details agree already
  (the class only tests RSI < 40 for entries, and RSI is NaN only in the first 14 bars, when no position
  can be open). ``test_example_4_differs_from_its_twin_only_in_the_warm_up`` pins the difference.
* Dual MA crossover: ``DualMaCrossoverStrategy`` (guide Example 1) against
  ``strategies/dual_ma_crossover_vectorized.py``, both through ``generate_signals`` and the fused kernel.

Each runs a 2 x 2 grid on AAPL and MSFT, real daily bars (2015-2017) and real 5-minute bars
(June-July 2025), with the default matching and risk rules, and compares every combination.
"""

from __future__ import annotations

import pandas as pd
import pytest

from research_env import BacktestConfig, RiskConfig, backtest
from research_env.sweeps import sweep, vectorized_backtest
from tests.sweeps.fixtures import (
    approx_rows,
    assert_metrics_equal,
    fill_tuples,
    guide_class,
    guide_vectorized,
    trade_tuples,
)

SYMBOLS = ["AAPL", "MSFT"]
RANGES = {"1d": ("2015-01-01", "2018-01-01"), "5m": ("2025-06-02", "2025-08-01")}
BOLLINGER_GRID = {"bb_period": [10, 20], "bb_std": [1.5, 2.0]}
DUAL_MA_GRID = {"fast_period": [5, 10], "slow_period": [20, 30]}

Example4 = guide_vectorized("bollinger_mean_reversion_vectorized")


class BollingerTwin(Example4):
    """Example 4 with the class's warm-up: no signal while the symbol has fewer than bb_period + 5 bars."""

    def generate_signals(self, prices, volumes, **params):
        entries, exits = super().generate_signals(prices, volumes, **params)
        seen = prices.notna().cumsum()
        ready = seen >= params.get("bb_period", 20) + 5
        return entries & ready, exits & ready


def check_grid_against_engine(vectorized, cls, grid, timeframe, store, config=None, fused=True):
    start, end = RANGES[timeframe]
    result = sweep(vectorized, SYMBOLS, start, end, timeframe, grid, data=store, config=config, fused=fused)
    assert result.total_combinations == len(result.rows) == 4
    for row in result.rows:
        where = f"{timeframe} {row['params']}"
        engine = backtest(cls, SYMBOLS, start, end, timeframe, params=row["params"], data=store, config=config)
        assert_metrics_equal(row, engine.metrics.to_dict(), where=where)
        assert row["denials"] == engine.denial_counts(), where
        single = vectorized_backtest(vectorized, SYMBOLS, start, end, timeframe, row["params"], data=store,
                                     config=config, fused=fused)
        assert fill_tuples(single.fills) == approx_rows(fill_tuples(engine.fills)), where
        assert trade_tuples(single.trades) == approx_rows(trade_tuples(engine.trades)), where
        assert [(d.order_id, d.rule, d.timestamp) for d in single.denials] == \
            [(d.order_id, d.rule, d.timestamp) for d in engine.denials], where
        assert single.equity.to_numpy() == pytest.approx(engine.equity.to_numpy(), rel=1e-12)
    return result


@pytest.mark.parametrize("timeframe", ["1d", "5m"])
def test_bollinger_sweep_matches_the_engine_for_every_combination(real_store, timeframe):
    result = check_grid_against_engine(BollingerTwin, guide_class("bollinger_mean_reversion"), BOLLINGER_GRID,
                                       timeframe, real_store)
    assert result.kind == "vectorized"
    assert sum(r["total_trades"] for r in result.rows) > 10


@pytest.mark.parametrize("timeframe", ["1d", "5m"])
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "generate_signals"])
def test_dual_ma_sweep_matches_the_engine_for_every_combination(real_store, timeframe, fused):
    vectorized = guide_vectorized("dual_ma_crossover_vectorized")
    result = check_grid_against_engine(vectorized, guide_class("dual_ma_crossover"), DUAL_MA_GRID, timeframe,
                                       real_store, fused=fused)
    assert result.kind == ("vectorized-fused" if fused else "vectorized")
    assert sum(r["total_trades"] for r in result.rows) > 10


_OFF = dict(max_order_value=None, max_symbol_weight=None, max_total_weight=None, min_cash_ratio=None)
STRESS = {
    "order-value-total-weight-deviation-duplicates": (
        0.15, RiskConfig(max_order_value=14_985, max_total_weight=0.25, max_price_deviation=0.004,
                         duplicate_window_seconds=5 * 86_400),
        {"max_order_value", "max_total_weight", "max_price_deviation", "duplicate_order"}),
    "symbol-weight": (0.12, RiskConfig(max_order_value=None, max_symbol_weight=0.1197, max_total_weight=None),
                      {"max_symbol_weight"}),
    "drawdown-halt": (0.45, RiskConfig(**_OFF, max_daily_loss=0.002, max_drawdown=0.05, max_price_deviation=None),
                      {"max_drawdown"}),
    "daily-loss": (0.45, RiskConfig(**_OFF, max_daily_loss=0.002, max_drawdown=None, max_price_deviation=None),
                   {"max_daily_loss"}),
    "margin": (0.55, RiskConfig(**_OFF, max_daily_loss=None, max_drawdown=None, max_price_deviation=None),
               {"allow_margin"}),
    "min-cash": (0.15, RiskConfig(max_order_value=None, max_symbol_weight=None, max_total_weight=None,
                                  min_cash_ratio=0.8), {"min_cash_ratio"}),
}


@pytest.mark.parametrize("case", list(STRESS))
def test_tight_risk_limits_deny_the_same_signals_as_the_engine(real_store, case):
    """Each risk rule of the kernel fires and agrees with the engine, signal by signal."""
    ratio, risk, expected = STRESS[case]
    config = BacktestConfig(position_size_ratio=ratio, risk=risk)
    result = check_grid_against_engine(BollingerTwin, guide_class("bollinger_mean_reversion"), BOLLINGER_GRID,
                                       "1d", real_store, config=config)
    denied = set().union(*(r["denials"] for r in result.rows))
    assert expected <= denied, denied


def test_example_4_differs_from_its_twin_only_in_the_warm_up(real_store):
    from research_env.data import BarStore, load_bars

    bars = load_bars(SYMBOLS, "2015-01-01", "2018-01-01", "1d", store=BarStore(real_store))
    prices = pd.DataFrame({s: bars.frames[s]["close"] for s in SYMBOLS})
    for period in (10, 20):
        verbatim = Example4().generate_signals(prices, prices, bb_period=period, bb_std=1.5)
        twin = BollingerTwin().generate_signals(prices, prices, bb_period=period, bb_std=1.5)
        for a, b in zip(verbatim, twin, strict=True):
            differs = (a != b).any(axis=1).to_numpy().nonzero()[0]
            assert all(row < period + 4 for row in differs)
