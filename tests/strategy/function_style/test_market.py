"""market[sym]: latest bar values, history, TA-Lib indicators as floats (NaN in warm-up), read-only."""

import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import talib

from research_env import RiskConfig, StrategyError, backtest
from tests.builders import daily_frame, function_strategy

CLOSES = [100 + 5 * math.sin(i / 3) + i * 0.2 for i in range(40)]
BARS = daily_frame([(c - 0.5, c + 1.0, c - 1.0, c) for c in CLOSES])
BARS["volume"] = [1000.0 + 10 * i for i in range(40)]


def run(source: str, **kwargs):
    return backtest(function_strategy(source), symbols=["AAA"], data={"AAA": BARS}, start="2024-03-01",
                    end="2024-05-01", risk=RiskConfig.permissive(), **kwargs)


RECORDER = """
def on_bar_close(market, portfolio, memory, session):
    a = market['AAA']
    memory.setdefault('rows', []).append((
        a.open, a.high, a.low, a.close, a.volume, a.timestamp, a.history('close', 3),
        a.sma(5), a.ema(5), a.rsi(14), a.bollinger_bands(20, 2.0), tuple(a.bollinger_bands()),
    ))
"""


def test_latest_bar_values_and_history_oldest_first():
    rows = run(RECORDER).variables["memory"]["rows"]
    assert len(rows) == 40
    o, h, low, c, v, ts, hist = rows[10][:7]
    assert (o, h, low, c, v) == (CLOSES[10] - 0.5, CLOSES[10] + 1.0, CLOSES[10] - 1.0, CLOSES[10], 1100.0)
    assert ts == datetime(2024, 3, 18, 16, 0, tzinfo=ZoneInfo("America/New_York"))
    assert hist == CLOSES[8:11]
    assert rows[0][6] == CLOSES[:1] and rows[1][6] == CLOSES[:2]  # fewer than n at the start


def test_indicators_are_talib_values_as_floats_nan_during_warm_up():
    rows = run(RECORDER).variables["memory"]["rows"]
    closes = np.array(CLOSES)
    sma, ema, rsi = talib.SMA(closes, 5), talib.EMA(closes, 5), talib.RSI(closes, 14)
    upper, middle, lower = talib.BBANDS(closes, 20, 2.0, 2.0, 0)
    for i, row in enumerate(rows):
        got = [row[7], row[8], row[9], *row[10]]
        want = [sma[i], ema[i], rsi[i], upper[i], middle[i], lower[i]]
        assert all(type(x) is float for x in got)
        assert [x if x == x else "nan" for x in got] == [x if x == x else "nan" for x in want]
        assert row[11] == tuple(row[10])  # defaults are period 20, 2 standard deviations
    assert math.isnan(rows[3][7]) and not math.isnan(rows[4][7])  # sma(5) from the 5th bar
    assert math.isnan(rows[13][9]) and not math.isnan(rows[14][9])  # rsi(14) from the 15th bar
    assert rows[25][10].upper > rows[25][10].middle > rows[25][10].lower


@pytest.mark.parametrize(("expression", "message"), [
    ("market['AAA'].history('close', -1)", r"history\('close', -1\): n must be a whole number of past bars >= 1; "
                                           r"the future is not visible"),
    ("market['AAA'].history('price', 3)", r"field must be one of open, high, low, close, volume"),
    ("market['ZZZ']", r"market\['ZZZ'\]: 'ZZZ' is not among this backtest's symbols \['AAA'\]"),
    ("setattr(market['AAA'], 'close', 100)", r"market data of AAA is read-only; put `close` in a local variable"),
    ("market.update({'AAA': 1})", r"`market` is read-only; keep your own values in `memory`"),
    ("market['AAA'].sma(0)", r"`sma` period must be a positive whole number, got 0"),
])
def test_misuse_is_a_clear_error(expression, message):
    source = f"def on_bar_close(market, portfolio, memory, session):\n    market['AAA']\n    {expression}\n"
    with pytest.raises(StrategyError, match=message):
        run(source)


def test_lower_case_ticker_finds_the_symbol():
    result = run("def on_bar_close(market, portfolio, memory, session):\n"
                 "    memory['c'] = market['aaa'].close if 'AAA' in market else None\n")
    assert result.variables["memory"]["c"] == CLOSES[-1]
