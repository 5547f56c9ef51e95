"""research_env.backtest(): every way to name a strategy and the data, and the errors for bad input."""

import pandas as pd
import pytest

from research_env import BarDataError, ParameterError, StrategyError, StrategyLoadError, backtest
from research_env.strategy.loader import load_strategy_file
from tests.builders import ScriptedStrategy, daily_frame
from tests.conftest import REPO_ROOT

DUAL_MA = REPO_ROOT / "strategies" / "dual_ma_crossover.py"
SPY_DEMO = dict(symbols=["SPY"], start="2022-01-01", end="2023-01-01", timeframe="1d")


@pytest.mark.parametrize("how", ["path", "name", "class", "instance"])
def test_backtest_accepts_path_name_class_or_instance(how, data_dir):
    cls = load_strategy_file(DUAL_MA)
    strategy = {"path": str(DUAL_MA), "name": "dual_ma_crossover", "class": cls,
                "instance": cls(symbols=["SPY"])}[how]
    with pytest.warns(UserWarning, match="SYNTHETIC"):
        result = backtest(strategy, **SPY_DEMO)
    assert result.strategy == "dual_ma_crossover"
    assert result.data_sources == {"SPY": "demo"} and result.is_synthetic
    assert result.metrics.trading_days == 251  # NYSE sessions in 2022


def test_same_inputs_give_the_same_numbers(data_dir):
    with pytest.warns(UserWarning):
        a = backtest(DUAL_MA, params={"fast_period": 5, "slow_period": 20}, **SPY_DEMO)
        b = backtest(DUAL_MA, params={"fast_period": 5, "slow_period": 20}, **SPY_DEMO)
    assert a.metrics == b.metrics and a.parameters == {"fast_period": 5, "slow_period": 20}


def test_params_cannot_change_an_instance(data_dir):
    cls = load_strategy_file(DUAL_MA)
    with pytest.raises(ParameterError, match="`params` cannot change an instance"):
        backtest(cls(), params={"fast_period": 3}, **SPY_DEMO)


def test_end_before_start_is_named():
    with pytest.raises(ParameterError, match=r"`end` \(2022-01-01\) must be after `start` \(2023-01-01\)"):
        backtest(DUAL_MA, symbols=["SPY"], start="2023-01-01", end="2022-01-01")


def test_unknown_timeframe_lists_the_valid_ones(data_dir):
    with pytest.raises(BarDataError, match=r"2h.*1m, 5m, 15m, 30m, 1h, 1d"):
        backtest(DUAL_MA, symbols=["SPY"], start="2022-01-01", end="2023-01-01", timeframe="2h")


def test_unknown_strategy_name_is_a_clear_error():
    with pytest.raises(StrategyLoadError, match="no strategy named `nope`"):
        backtest("nope")


def test_frames_without_a_requested_symbol_are_named():
    with pytest.raises(BarDataError, match=r"`data` has no frame for `BBB`"):
        backtest(ScriptedStrategy(symbols=["AAA", "BBB"]), start="2024-03-01", end="2024-04-01",
                 data={"AAA": daily_frame([(1, 1, 1, 1)] * 3)})


def test_strategy_exception_names_strategy_symbol_and_bar_and_keeps_the_cause():
    class Broken(ScriptedStrategy):
        def on_bar(self, bar):
            if self._bars[bar.symbol].count == 2:
                raise ZeroDivisionError("oops")
            return []

    frame = daily_frame([(100, 101, 99, 100)] * 4)
    with pytest.raises(StrategyError) as info:
        backtest(Broken(symbols=["AAA"]), start="2024-03-01", end="2024-04-01", data={"AAA": frame})
    message = str(info.value)
    assert message == ("strategy `scripted` raised in on_bar() on the AAA bar of 2024-03-05 21:00:00+0000: "
                       "ZeroDivisionError: oops")
    assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_alpha_and_beta_are_none_with_the_reason_when_spy_is_not_in_the_data():
    frame = daily_frame([(100, 101, 99, 100)] * 5)
    result = backtest(ScriptedStrategy(symbols=["AAA"]), start="2024-03-01", end="2024-04-01", data={"AAA": frame})
    assert result.metrics.alpha is None and result.metrics.beta is None
    assert result.metrics.benchmark_note == "SPY is not in the supplied `data`"


def test_alpha_and_beta_use_spy_from_the_same_store(real_store):
    result = backtest(DUAL_MA, symbols=["AAPL"], start="2015-01-01", end="2020-01-01", timeframe="1d",
                      data=real_store)
    assert result.metrics.beta is not None and result.metrics.benchmark_note is None
    assert result.benchmark.index[0] == pd.Timestamp("2015-01-02")


def test_intraday_equity_is_sampled_to_daily_for_daily_statistics(real_store):
    result = backtest(REPO_ROOT / "strategies" / "rsi_mean_reversion.py", symbols=["SPY"], start="2025-06-02",
                      end="2025-07-01", timeframe="5m", data=real_store)
    # 20 sessions of 78 five-minute bars: June 2025 has 21 weekdays from the 2nd, minus Juneteenth
    assert len(result.equity) == 20 * 78
    assert result.metrics.trading_days == 20


def test_a_run_over_a_range_its_bars_only_partly_cover_says_so_in_the_result_and_the_reports(real_store):
    import warnings

    from research_env import backtest
    from research_env.notebook.report import backtest_mimebundle

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        partial = backtest("dual_ma_crossover", symbols="AAPL", start="2025-01-01", end="2025-08-01", timeframe="5m",
                           data=str(real_store))
        full = backtest("dual_ma_crossover", symbols="AAPL", start="2024-01-01", end="2025-01-01", timeframe="1d",
                        data=str(real_store))
    assert partial.coverage == {"AAPL": ("2025-05-12", "2025-07-31")}
    note = "AAPL: bars only from 2025-05-12 to 2025-07-31 of the requested 2025-01-01 to 2025-08-01 (end exclusive)"
    assert f"!! {note}" in partial.report()
    assert note in backtest_mimebundle(partial)["text/html"]
    assert partial.to_dict()["partial_coverage"] == {"AAPL": ["2025-05-12", "2025-07-31"]}
    assert full.coverage == {} and "bars only from" not in full.report()
