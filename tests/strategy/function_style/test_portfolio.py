"""portfolio: cash, equity, buying power, returns and positions after hand-computed fills."""

import pytest

from research_env import RiskConfig, StrategyError, backtest
from tests.builders import daily_frame, function_strategy

BARS = daily_frame([
    (100.0, 101.0, 99.0, 100.0),
    (100.0, 103.0, 99.0, 102.0),
    (102.0, 104.0, 99.0, 103.0),
])

SOURCE = """
def on_bar_close(market, portfolio, memory, session):
    memory.setdefault('rows', []).append((
        portfolio.cash, portfolio.equity, portfolio.buying_power, portfolio.initial_capital,
        portfolio.total_return, portfolio.position('AAA'), portfolio.positions, portfolio.market_value('AAA'),
        portfolio.unrealized_pnl(), portfolio.avg_cost('AAA'),
    ))
    if session.minute_index == 0:
        return [buy('AAA', 100), buy_limit('AAA', 10, limit_price=90.0, time_in_force='GTC')]
"""


def test_portfolio_after_a_fill_and_with_a_pending_buy():
    result = backtest(function_strategy(SOURCE), data={"AAA": BARS}, start="2024-03-01", end="2024-03-30",
                      risk=RiskConfig.permissive())
    rows = result.variables["memory"]["rows"]
    assert rows[0] == (100_000.0, 100_000.0, 100_000.0, 100_000.0, 0.0, 0, {}, 0.0, 0.0, 0.0)
    fill = 100.0 * (1 + 2.0 / 10_000)
    cash = 100_000.0 - 100 * fill - 100 * 0.005
    equity = cash + 100 * 102.0
    pending = 10 * (100.0 * (1 + 2.0 / 10_000) + 0.005)  # the GTC limit buy, valued at its signal close
    assert rows[1] == (cash, equity, cash - pending, 100_000.0, equity / 100_000.0 - 1, 100, {"AAA": 100},
                       100 * 102.0, (102.0 - fill) * 100, fill)
    assert type(rows[1][5]) is int and type(rows[1][6]["AAA"]) is int  # whole shares read as int


def test_portfolio_is_read_only():
    source = "def on_bar_close(market, portfolio, memory, session):\n    portfolio.cash = 5\n"
    with pytest.raises(StrategyError, match=r"`portfolio` is read-only \(tried to set `cash`\)"):
        backtest(function_strategy(source), symbols=["AAA"], data={"AAA": BARS}, start="2024-03-01",
                 end="2024-03-30")
