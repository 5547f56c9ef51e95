"""BACKTEST_CONFIG: date formats, end after start, capital, timeframe, symbols; and backtest() using it."""

from datetime import date

import pytest

from research_env import backtest
from research_env.strategy.function_style.config import parse_backtest_config
from research_env.strategy.function_style.errors import FunctionStrategyError
from research_env.strategy.loader import StrategyLoadError
from tests.builders import daily_frame, function_strategy


def test_reference_config_in_both_date_formats():
    config = parse_backtest_config({"start_date": "20230610", "end_date": "2023-06-15", "initial_capital": 100000})
    assert (config.start_date, config.end_date, config.initial_capital) == (date(2023, 6, 10), date(2023, 6, 15),
                                                                            100000.0)
    assert config.end_exclusive == date(2023, 6, 16)  # end_date is inclusive, backtest(end=...) exclusive
    assert (config.timeframe, config.symbols) == (None, None)


def test_no_config_means_backtest_defaults():
    assert parse_backtest_config(None).start_date is None


def test_optional_timeframe_and_symbols():
    config = parse_backtest_config({"timeframe": "5m", "symbols": ["aapl", "MSFT", "AAPL"]})
    assert (config.timeframe, config.symbols) == ("5m", ("AAPL", "MSFT"))
    assert parse_backtest_config({"symbols": "SPY, QQQ"}).symbols == ("SPY", "QQQ")


@pytest.mark.parametrize(("config", "message"), [
    ({"start_date": "20230615", "end_date": "20230610"},
     r"end_date '20230610' is before start_date '20230615'; the end date must be on or after the start date"),
    ({"start_date": "2023/06/10"}, r"start_date '2023/06/10' is not a date; write it as 'YYYYMMDD'"),
    ({"end_date": "20230231"}, r"end_date '20230231' is not a calendar date"),
    ({"initial_capital": -5}, r"initial_capital -5 must be a positive number of dollars"),
    ({"initial_capital": "100000"}, r"initial_capital '100000' must be a positive number"),
    ({"timeframe": "2m"}, r"timeframe '2m' is not one of 1m, 5m, 15m, 30m, 1h, 1d"),
    ({"symbols": []}, r"symbols \[\] must be a non-empty list of tickers"),
    ({"start": "20230610"}, r"unknown key 'start'; did you mean 'start_date'\?"),
    (["20230610"], r"`BACKTEST_CONFIG` must be a dict"),
])
def test_bad_config_names_the_value(config, message):
    with pytest.raises(FunctionStrategyError, match=message):
        parse_backtest_config(config)


def test_end_before_start_stops_the_load_naming_the_strategy():
    with pytest.raises(StrategyLoadError, match=r"strategy `bad`: `BACKTEST_CONFIG` end_date '2023-06-01' is before"):
        function_strategy("""
            BACKTEST_CONFIG = {'start_date': '2023-06-10', 'end_date': '2023-06-01', 'initial_capital': 1000}
            def on_bar_close(market, portfolio, memory, session):
                return None
        """, "bad")


BARS = daily_frame([(100.0, 101.0, 99.0, 100.0)] * 10, start="2024-03-04")  # 03-04 .. 03-15
SOURCE = """
    BACKTEST_CONFIG = {'start_date': '20240305', 'end_date': '20240307', 'initial_capital': 25000,
                       'timeframe': '1d'}
    def on_bar_close(market, portfolio, memory, session):
        memory.setdefault('cash', portfolio.cash)
        return None
"""


def test_backtest_takes_dates_cash_and_timeframe_from_the_config():
    result = backtest(function_strategy(SOURCE), data={"AAA": BARS}, symbols=["AAA"])
    assert (result.start.date(), result.end.date()) == (date(2024, 3, 5), date(2024, 3, 8))
    assert [t.date() for t in result.equity.index] == [date(2024, 3, 5), date(2024, 3, 6), date(2024, 3, 7)]
    assert result.config.initial_cash == 25000.0 and result.timeframe == "1d"
    assert result.variables["memory"] == {"cash": 25000.0}


def test_arguments_given_to_backtest_win_over_the_config():
    result = backtest(function_strategy(SOURCE), data={"AAA": BARS}, symbols=["AAA"], start="2024-03-11",
                      end="2024-03-13", initial_cash=5000)
    assert [t.date() for t in result.equity.index] == [date(2024, 3, 11), date(2024, 3, 12)]
    assert result.config.initial_cash == 5000.0
