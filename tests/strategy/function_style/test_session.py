"""Sessions: on_market_open/on_market_close once per NYSE session, in order, with correct session fields."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from research_env import backtest
from research_env.data import BarStore, session_dates, sessions
from tests.builders import daily_frame, function_strategy, minute_frame

NY = ZoneInfo("America/New_York")

RECORDER = """
def on_market_open(portfolio, memory, session):
    memory.setdefault('events', []).append(('open', session.current_timestamp, session.current_date,
        session.current_time, session.is_market_open, session.is_market_close, session.minute_index,
        session.session_index, session.session_open, session.session_close))

def on_bar_close(market, portfolio, memory, session):
    memory.setdefault('bars', []).append((session.current_timestamp, market['SPY'].timestamp,
        session.minute_index, session.bars_remaining, session.progress_pct))
    memory['events'].append(('bar', session.current_timestamp))

def on_market_close(portfolio, memory, session):
    memory['events'].append(('close', session.current_timestamp, session.current_date, session.current_time,
        session.is_market_open, session.is_market_close, session.minute_index, session.session_index,
        session.session_open, session.session_close))
"""


@pytest.fixture(scope="module")
def spy_minutes(real_store):
    """The backtest of the recorder over every SPY minute bar of the shared data, and those bars."""
    frame = BarStore(real_store).read("SPY", "1m")
    first, last = session_dates(frame.index[[0, -1]])
    result = backtest(function_strategy(RECORDER, "recorder"), data=real_store, timeframe="1m",
                      start=str(first), end=str(last + 1))
    return result, frame


def test_minute_bars_call_open_and_close_once_per_session_in_order(spy_minutes):
    result, frame = spy_minutes
    memory = result.variables["memory"]
    days = session_dates(frame.index)
    expected = sorted(set(days.tolist()))
    calendar = sessions(str(expected[0]), str(expected[-1] + pd.Timedelta(days=1)))
    assert [d.date() for d in calendar.index] == expected  # every calendar session in the span has bars
    opens = [e for e in memory["events"] if e[0] == "open"]
    closes = [e for e in memory["events"] if e[0] == "close"]
    assert len(opens) == len(closes) == len(expected) == 31
    # open, its session's bars, close; then the next session
    kinds = [e[0] for e in memory["events"]]
    bars_per_session = pd.Series(days).value_counts().sort_index().tolist()
    assert kinds == [k for n in bars_per_session for k in ["open", *["bar"] * n, "close"]]
    starts = [sum(bars_per_session[:k]) for k in range(len(expected))]
    for k, (day, first, last) in enumerate(zip(expected, *_first_last(frame, days), strict=True)):
        assert opens[k][1:] == (first, day, first.time().replace(tzinfo=None), True, False,
                                starts[k], k, datetime.combine(day, time(9, 30), NY),
                                datetime.combine(day, time(16, 0), NY))
        assert closes[k][1:] == (last, day, last.time().replace(tzinfo=None), False, True,
                                 starts[k] + bars_per_session[k] - 1, k, datetime.combine(day, time(9, 30), NY),
                                 datetime.combine(day, time(16, 0), NY))
    # the data starts mid-session (12:57): that session still opens, at its first bar
    assert opens[0][1] == datetime(2021, 7, 1, 12, 57, tzinfo=NY)
    assert closes[-1][1] == datetime(2021, 8, 13, 16, 0, tzinfo=NY)


def test_minute_bars_progress_fields(spy_minutes):
    result, frame = spy_minutes
    bars = result.variables["memory"]["bars"]
    n = len(frame)
    assert n == 11_632 == len(bars)
    assert [b[2] for b in bars] == list(range(n))
    assert [b[3] for b in bars[:2]] == [n - 1, n - 2] and bars[-1][3] == 0
    assert bars[-1][4] == 100.0 and bars[0][4] == 100.0 / n
    assert all(b[0] == b[1] for b in bars)  # the session's bar time is the bar's own time
    assert bars[0][0] == frame.index[0].to_pydatetime().astimezone(NY)


def _first_last(frame, days):
    stamps = pd.Series(frame.index.tz_convert(NY), index=days)
    grouped = stamps.groupby(level=0)
    return [t.to_pydatetime() for t in grouped.first()], [t.to_pydatetime() for t in grouped.last()]


def test_session_whose_data_ends_before_the_close_closes_at_its_last_bar():
    bars = minute_frame([("2024-03-04", "09:31", "16:00"), ("2024-03-05", "09:31", "10:00")])
    result = backtest(function_strategy(RECORDER.replace("SPY", "AAA")), data={"AAA": bars}, start="2024-03-04",
                      end="2024-03-06", timeframe="1m")
    closes = [e for e in result.variables["memory"]["events"] if e[0] == "close"]
    assert [(e[1], e[5], e[9]) for e in closes] == [
        (datetime(2024, 3, 4, 16, 0, tzinfo=NY), True, datetime(2024, 3, 4, 16, 0, tzinfo=NY)),
        (datetime(2024, 3, 5, 10, 0, tzinfo=NY), True, datetime(2024, 3, 5, 16, 0, tzinfo=NY)),
    ]


def test_early_close_day_reports_the_one_pm_close():
    bars = minute_frame([("2024-11-29", "09:31", "13:00")])  # the day after Thanksgiving
    result = backtest(function_strategy(RECORDER.replace("SPY", "AAA")), data={"AAA": bars}, start="2024-11-29",
                      end="2024-11-30", timeframe="1m")
    [close] = [e for e in result.variables["memory"]["events"] if e[0] == "close"]
    assert close[1] == close[9] == datetime(2024, 11, 29, 13, 0, tzinfo=NY)


def test_daily_bars_open_and_close_every_bar_around_on_bar_close():
    bars = daily_frame([(1.0, 1.0, 1.0, 1.0)] * 3)
    result = backtest(function_strategy(RECORDER.replace("SPY", "AAA")), data={"AAA": bars}, start="2024-03-01",
                      end="2024-03-30", timeframe="1d")
    events = result.variables["memory"]["events"]
    assert [e[0] for e in events] == ["open", "bar", "close"] * 3
    assert [e[2] for e in events if e[0] == "open"] == [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)]
    assert all(e[4] and e[5] for e in events if e[0] != "bar")  # each daily bar both opens and closes


def test_session_is_read_only():
    source = "def on_bar_close(market, portfolio, memory, session):\n    session.minute_index = 3\n"
    with pytest.raises(Exception, match=r"`session` is read-only \(tried to set `minute_index`\)"):
        backtest(function_strategy(source), symbols=["AAA"], data={"AAA": daily_frame([(1.0, 1.0, 1.0, 1.0)])},
                 start="2024-03-01", end="2024-03-30")
