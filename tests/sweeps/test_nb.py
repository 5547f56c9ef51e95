"""The kernels of ``research_env/sweeps/nb.py``, called directly and through the API, on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_env import BacktestConfig, RiskConfig, backtest
from research_env.data import BarData, DataOrigin
from research_env.sweeps import nb, vectorized_backtest
from research_env.sweeps._market import config_vector, market_arrays
from research_env.sweeps.enums import N_RULES, Metric, Rule
from tests.builders import ScriptedStrategy, daily_frame, signal
from tests.sweeps.fixtures import Scripted, assert_metrics_equal, fill_tuples

ROWS = [(100, 101, 99, 100), (100.5, 102, 100, 101), (101, 103, 100.5, 102), (101.8, 102.5, 101, 102),
        (102, 103, 101, 102.5)]
NO_BENCH = BacktestConfig(benchmark=None)


def arrays(frames: dict[str, pd.DataFrame]):
    market = market_arrays(BarData(frames=frames, origins=dict.fromkeys(frames, DataOrigin("user")), timeframe="1d"),
                           list(frames))
    return market


def padded(signals: np.ndarray, width: int) -> np.ndarray:
    """One symbol's signals in the kernel's layout: one column per symbol, padded to the market's width."""
    out = np.zeros((signals.shape[0], width), dtype=np.bool_, order="F")
    out[:, :signals.shape[1]] = signals
    return out


def run_kernel(market, entries, exits, config=NO_BENCH, returns=None):
    returns = np.empty((1, 0), np.float32) if returns is None else returns
    return nb.sweep_signals_nb(market.arrays, config_vector(config), 0, market.n_bars,
                               padded(entries, market.width), padded(exits, market.width),
                               np.zeros((2, 2), order="F"), returns)


def test_pairwise_sum_nb_gives_numpys_bits():
    rng = np.random.default_rng(3)
    for n in (0, 1, 7, 8, 9, 127, 128, 129, 255, 1000, 4097):
        a = rng.normal(size=n) * 10 ** rng.uniform(-6, 6, n)
        assert nb.pairwise_sum_nb(a, 0, n) == np.sum(a)


def test_the_kernel_keeps_the_engines_daily_returns_when_asked():
    market = arrays({"AAA": daily_frame(ROWS)})
    entries = np.zeros((5, 1), bool)
    exits = np.zeros((5, 1), bool)
    entries[0, 0] = exits[2, 0] = True
    returns = np.full((1, 5), np.nan, np.float32)
    run_kernel(market, entries, exits, returns=returns)
    engine = vectorized_backtest(Scripted({("AAA", 0): "in", ("AAA", 2): "out"}), ["AAA"], "2024-03-01",
                                 "2024-03-30", "1d", data={"AAA": daily_frame(ROWS)}, config=NO_BENCH)
    daily = engine.equity.to_numpy() / np.concatenate([[100_000.0], engine.equity.to_numpy()[:-1]]) - 1.0
    assert returns[0].tolist() == daily.astype(np.float32).tolist()
    # day 2: 20 bought at 100.5 * 1.0002 plus $0.10 commission, marked at the close of 101
    assert returns[0, 0] == 0.0 and returns[0, 1] == pytest.approx((20 * 101 - 20 * 100.5201 - 0.1) / 1e5, rel=1e-6)


def test_entry_buys_two_percent_at_next_open_and_exit_sells_all():
    market = arrays({"AAA": daily_frame(ROWS)})
    entries = np.zeros((5, 1), bool)
    exits = np.zeros((5, 1), bool)
    entries[0, 0] = exits[2, 0] = True
    metrics, counts, status = run_kernel(market, entries, exits)
    # buy floor(100000 * 0.02 / 100) = 20 at 100.5 * 1.0002 = 100.5201, commission 0.10;
    # sell 20 at 101.8 * 0.9998 = 101.77964, commission 0.10
    pnl = -(20 * 100.5201 + 0.1) - (-20 * 101.77964 + 0.1)
    m = metrics[0]
    assert m[Metric.FINAL_EQUITY] == pytest.approx(100_000 + pnl, rel=1e-15)
    assert m[Metric.TOTAL_RETURN] == pytest.approx(pnl / 100_000, rel=1e-12)
    assert m[Metric.TOTAL_TRADES] == 1 and m[Metric.WIN_RATE] == 1.0
    assert m[Metric.TOTAL_COMMISSION] == pytest.approx(0.2, rel=1e-15)
    assert m[Metric.AVG_HOLDING_DAYS] == 2.0  # filled on the 2nd and 4th weekday
    assert m[Metric.MAX_DRAWDOWN] == pytest.approx((100_000 + pnl) / (97_989.498 + 2040) - 1, rel=1e-12)
    assert np.isnan(m[Metric.PROFIT_LOSS_RATIO]) and np.isnan(m[Metric.ALPHA])
    assert counts.sum() == 0 and status[0] == 0


def test_entry_while_holding_is_ignored_and_exit_when_flat_does_nothing():
    market = arrays({"AAA": daily_frame(ROWS)})
    entries = np.zeros((5, 1), bool)
    exits = np.zeros((5, 1), bool)
    exits[0, 0] = True  # flat: nothing
    entries[1, 0] = entries[2, 0] = True  # second entry while holding: ignored
    metrics, counts, _ = run_kernel(market, entries, exits)
    # one buy of floor(100000 * 0.02 / 101) = 19 at 101 * 1.0002, still open at the end
    assert metrics[0, Metric.TOTAL_TRADES] == 0
    assert metrics[0, Metric.FINAL_EQUITY] == pytest.approx(100_000 - 19 * 101 * 1.0002 - 19 * 0.005 + 19 * 102.5)


def test_gap_beyond_one_percent_denies_the_fill_and_a_tiny_budget_denies_the_size():
    rows = [(100, 101, 99, 100), (102, 103, 101, 102), (3000, 3000, 3000, 3000), (3000, 3000, 3000, 3000)]
    market = arrays({"AAA": daily_frame(rows)})
    entries = np.zeros((4, 1), bool)
    entries[0, 0] = entries[2, 0] = True
    metrics, counts, _ = run_kernel(market, entries, np.zeros((4, 1), bool))
    assert counts[0, Rule.MAX_PRICE_DEVIATION] == 1  # opened 2% above the signal close
    assert counts[0, Rule.POSITION_SIZE] == 1  # $2,000 buys no share at 3,000
    assert counts.sum() == 2 and metrics[0, Metric.FINAL_EQUITY] == 100_000


def test_both_entry_and_exit_true_buys_when_flat_and_sells_when_holding():
    market = arrays({"AAA": daily_frame(ROWS)})
    both = np.zeros((5, 1), bool)
    both[0, 0] = both[1, 0] = True
    metrics, _, _ = run_kernel(market, both, both)
    assert metrics[0, Metric.TOTAL_TRADES] == 1  # bought at bar 1's open, sold at bar 2's open


def test_kernel_and_api_agree_with_the_engine_on_a_scripted_two_symbol_run_with_trading_hours():
    """Bars at 17:00 New York are outside market hours: the rule denies the same signals in both."""
    late = daily_frame(ROWS)
    late.index = late.index + pd.Timedelta(hours=1) * np.array([0, 1, 0, 1, 0])
    frames = {"AAA": daily_frame(ROWS), "BBB": late}
    script = {("AAA", 0): "in", ("BBB", 1): "in", ("BBB", 2): "in", ("AAA", 2): "out", ("BBB", 3): "out"}
    config = BacktestConfig(benchmark=None, risk=RiskConfig(trading_hours=True))
    rows = {sym: {} for sym in frames}
    for (sym, row), what in script.items():
        rows[sym][row] = what
    engine_script = {(sym, row): [signal(sym, "BUY" if what == "in" else "SELL")]
                     for (sym, row), what in script.items()}
    engine = backtest(ScriptedStrategy(symbols=["AAA", "BBB"], script=engine_script), start="2024-03-01",
                      end="2024-03-20", timeframe="1d", data=frames, config=config)
    market = arrays(frames)
    positions = {sym: np.flatnonzero(market.has_bar[:, j]) for j, sym in enumerate(market.symbols)}
    aligned = {(sym, int(positions[sym][row])): what for (sym, row), what in script.items()}
    ours = vectorized_backtest(Scripted(aligned), ["AAA", "BBB"], "2024-03-01", "2024-03-20", "1d", data=frames,
                               config=config)
    assert engine.denial_counts() == ours.denial_counts() == {"trading_hours": 2}
    assert fill_tuples(ours.fills) == fill_tuples(engine.fills)
    assert_metrics_equal(ours.metrics.to_dict(), engine.metrics.to_dict(), rel=1e-12)
    assert N_RULES == 13  # one code per row of the engine's risk table
