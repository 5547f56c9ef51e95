"""Look-ahead: signals that read later bars are caught at the right bar, causal strategies pass, sweeps refuse."""

from __future__ import annotations

import json

import pytest

from research_env.lookahead import check_lookahead
from research_env.strategy.vectorized import VectorizedStrategy, sma
from research_env.sweeps import sweep, walk_forward
from research_env.sweeps._lookahead import LookaheadError, cut_rows
from tests.sweeps.test_vectorbt import random_bars

BARS = {"AAA": random_bars(400, 1), "BBB": random_bars(400, 2)}
SPAN = ("2021-01-01", "2022-03-01")
INDEX = BARS["AAA"].index


class NextBar(VectorizedStrategy):
    name = "next_bar"

    def generate_signals(self, prices, volumes, lag=1):
        up = prices.shift(-lag) > prices
        return up.fillna(False), (prices.shift(-lag) < prices).fillna(False)


class Centred(VectorizedStrategy):
    name = "centred"

    def generate_signals(self, prices, volumes, window=9):
        mid = prices.rolling(window, center=True).mean()
        return (prices < mid).fillna(False), (prices > mid).fillna(False)


class ZScore(VectorizedStrategy):
    name = "zscore"

    def generate_signals(self, prices, volumes):
        z = (prices - prices.mean()) / prices.std()
        return z < -0.5, z > 0.5


class Causal(VectorizedStrategy):
    name = "causal"

    def generate_signals(self, prices, volumes, fast=5, slow=20):
        f, s = sma(prices, fast), sma(prices, slow)
        return (f > s).fillna(False), (f < s).fillna(False)


def check(strategy, params=None, **kwargs):
    return check_lookahead(strategy, list(BARS), *SPAN, "1d", params, data=BARS, **kwargs)


def test_shift_minus_one_is_caught_on_the_last_bar_before_a_cut():
    report = check(NextBar)
    assert not report.ok and report.kind == "vectorized"
    cuts = [INDEX[k] for k in cut_rows(len(INDEX), 8)]
    assert report.cuts == cuts and report.cut in cuts
    # shift(-1) reads one bar ahead: the signal that changes is the one on the bar just before the cut
    assert report.time == INDEX[INDEX.get_loc(report.cut) - 1]
    assert report.signal in ("entries", "exits") and (report.with_future, report.without_future) == (True, False)
    assert f"look-ahead at {report.symbol} {report.time}" in report.message() and "shift(-1)" in report.message()


def test_a_centred_window_is_caught_within_half_a_window_of_a_cut():
    report = check(Centred, {"window": 9})
    assert not report.ok
    gap = INDEX.get_loc(report.cut) - INDEX.get_loc(report.time)
    assert 1 <= gap <= 4


def test_a_full_sample_z_score_is_caught():
    report = check(ZScore)
    assert not report.ok and report.time < report.cut


def test_causal_and_bundled_strategies_pass(real_store):
    assert check(Causal, {"fast": 5, "slow": 30}).ok
    for name in ("dual_ma_crossover", "rsi_mean_reversion", "bollinger_mean_reversion",
                 "tests/sweeps/guide_example_4.py"):
        report = check_lookahead(name, ["AAPL", "MSFT"], "2015-01-01", "2016-07-01", "1d", data=real_store)
        assert report.ok and report.kind == "vectorized", report.message()


@pytest.mark.parametrize("path", ["strategies/class_rsi.py", "strategies/dual_ma_crossover.py",
                                  "strategies/function_rsi.py"])
def test_bar_by_bar_strategies_pass_decision_by_decision(real_store, path):
    from research_env.strategy.loader import load_strategy

    cls = load_strategy(path).strategy_class
    report = check_lookahead(cls, ["AAPL", "MSFT"], "2015-01-01", "2016-01-01", "1d", data=real_store)
    assert report.ok and report.kind == "bar-by-bar" and len(report.cuts) == 3, report.message()


def test_a_sweep_refuses_a_peeking_strategy_and_can_be_told_to_go_on():
    grid = {"lag": [1, 2]}
    with pytest.raises(LookaheadError, match="look-ahead at .* The sweep did not run: .* pass lookahead=False to run "
                                             "it anyway"):
        sweep(NextBar(), list(BARS), *SPAN, "1d", grid, data=BARS)
    result = sweep(NextBar(), list(BARS), *SPAN, "1d", grid, data=BARS, lookahead=False)
    assert result.lookahead is None and len(result.rows) == 2


def test_a_sweep_records_the_verdict_and_remembers_it(monkeypatch):
    from research_env.sweeps import _lookahead

    grid = {"fast": [5, 8], "slow": [20, 30]}
    first = sweep(Causal(), list(BARS), *SPAN, "1d", grid, data=BARS)
    assert first.lookahead["ok"] is True and "Look-ahead: causal: no look-ahead found" in first.report()

    def fail(*args, **kwargs):
        raise AssertionError("the verdict should have been remembered")

    monkeypatch.setattr(_lookahead, "check_signals_causal", fail)
    again = sweep(Causal(), list(BARS), *SPAN, "1d", grid, data=BARS)
    assert again.lookahead == first.lookahead


def test_a_walk_forward_refuses_a_peeking_strategy_and_can_be_told_to_go_on():
    grid = {"lag": [1, 2]}
    with pytest.raises(LookaheadError, match="next_bar: look-ahead at .* The walk-forward did not run: fix "
                                             "generate_signals, or pass lookahead=False to run it anyway"):
        walk_forward(NextBar(), list(BARS), *SPAN, "1d", grid, data=BARS, splits=2)
    result = walk_forward(NextBar(), list(BARS), *SPAN, "1d", grid, data=BARS, splits=2, lookahead=False)
    assert result.lookahead is None and result.to_dict()["lookahead"] is None and len(result.folds) == 2


def test_a_walk_forward_records_the_verdict_the_sweep_remembered(monkeypatch):
    from research_env.sweeps import _lookahead

    grid = {"fast": [5, 8], "slow": [20, 30]}
    swept = sweep(Causal(), list(BARS), *SPAN, "1d", grid, data=BARS)

    def fail(*args, **kwargs):
        raise AssertionError("the verdict should have been remembered")

    monkeypatch.setattr(_lookahead, "check_signals_causal", fail)
    result = walk_forward(Causal(), list(BARS), *SPAN, "1d", grid, data=BARS, splits=2)
    assert result.lookahead == swept.lookahead and result.lookahead["ok"] is True
    assert result.to_dict()["lookahead"]["message"] == (
        "causal: no look-ahead found (5 cut points, vectorized: every decision before each cut is the same without "
        "the later bars)")
    assert json.loads(result.to_json())["lookahead"] == result.lookahead


def test_a_walk_forward_checks_no_fused_rule_and_no_bar_by_bar_strategy():
    from tests.sweeps.fixtures import guide_class, guide_vectorized

    grid = {"fast_period": [5, 10], "slow_period": [20]}
    fused = walk_forward(guide_vectorized("dual_ma_crossover_vectorized"), list(BARS), *SPAN, "1d", grid,
                         data=BARS, splits=2)
    bar = walk_forward(guide_class("dual_ma_crossover"), list(BARS), *SPAN, "1d", grid, data=BARS, splits=2,
                       max_workers=1)
    assert (fused.kind, fused.lookahead) == ("vectorized", None)
    assert (bar.kind, bar.lookahead) == ("bar-by-bar", None)
    plain = walk_forward(guide_vectorized("dual_ma_crossover_vectorized"), list(BARS), *SPAN, "1d", grid,
                         data=BARS, splits=2, fused=False)
    assert plain.lookahead["ok"] is True and plain.folds == fused.folds


def test_a_history_call_reaching_into_the_future_is_refused(tmp_path):
    from research_env import StrategyError, backtest

    path = tmp_path / "peek.py"
    path.write_text(
        "BACKTEST_CONFIG = {'symbols': ['AAA'], 'timeframe': '1d'}\n"
        "def on_bar_close(market, portfolio, memory, session):\n"
        "    tomorrow_price = market['AAA'].history('close', -1)\n"
        "    return []\n")
    with pytest.raises(StrategyError, match=r"history\('close', -1\): n must be a whole number of past bars"):
        backtest(str(path), ["AAA"], *SPAN, "1d", data={"AAA": BARS["AAA"]})


def test_cut_points_need_bars():
    from research_env.errors import InputError

    with pytest.raises(InputError, match="needs at least 3 bars"):
        cut_rows(2, 8)
    assert cut_rows(9, 2) == [3, 6]


def test_a_strategy_that_cannot_run_on_fewer_bars_is_told_how_to_skip_the_check():
    from research_env.sweeps import SignalError

    class NeedsAll(VectorizedStrategy):
        name = "needs_all"

        def generate_signals(self, prices, volumes, n=1):
            if len(prices) < 400:
                raise ValueError("need every bar")
            return prices > 0, prices < 0

    with pytest.raises(SignalError, match=r"raised ValueError: need every bar \(on the first 67 of 400 bars: .* "
                                          r"skip the check with lookahead=False\)"):
        sweep(NeedsAll(), list(BARS), *SPAN, "1d", {"n": [1, 2]}, data=BARS)
    assert len(sweep(NeedsAll(), list(BARS), *SPAN, "1d", {"n": [1, 2]}, data=BARS, lookahead=False).rows) == 2
