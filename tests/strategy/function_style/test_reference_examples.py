"""Every complete strategy of the Strategy Syntax Reference runs unchanged on real daily bars.

The files in ``examples/`` are copies of the reference's code; each says where
it comes from. Two are the nearest complete form of an incomplete example and
say so in their header: ``skeleton.py`` (``orders_or_none`` undefined) and
``debugging.py`` (``entering_trade``, ``entry_reason``, ``shares`` undefined).
``fragments.py`` runs the reference's code fragments inside one
``on_bar_close``. The ``return ...`` lines of the order sections run below,
each as the body of a one-bar strategy (their nearest complete form).
"""

import shutil
from pathlib import Path

import pytest

from research_env import backtest

EXAMPLES = Path(__file__).parent / "examples"
WINDOW = dict(start="2017-01-01", end="2019-01-01", timeframe="1d")

CASES = {
    "multi_symbol.py": ["AAPL", "GOOGL", "MSFT"],
    "pairs_trading.py": ["AAPL", "MSFT"],
    "conditional_logic.py": ["AAPL"],
    "risk_management.py": ["AAPL"],
    "global_variables.py": ["AAPL", "GOOGL", "MSFT"],
    "debugging.py": ["AAPL"],
    "fragments.py": ["SPY", "AAPL", "GOOGL"],
}


@pytest.fixture()
def outside(tmp_path, monkeypatch):
    """The example files copied to a folder outside the repository, the working directory."""
    for file in EXAMPLES.glob("*.py"):
        shutil.copy(file, tmp_path / file.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", sorted(CASES))
def test_reference_strategy_runs_unchanged_on_real_bars(name, outside, real_store):
    result = backtest(str(outside / name), data=real_store, **WINDOW)
    assert result.symbols == CASES[name]  # discovered from the code
    assert not result.is_synthetic and len(result.equity) == 502
    assert result.metrics.total_trades == len([t for t in result.trades if not t.is_open])
    assert result.metrics.final_equity > 0


def test_reference_strategies_that_trade_do_trade(outside, real_store):
    traded = {name: len(backtest(str(outside / name), data=real_store, **WINDOW).fills)
              for name in ("multi_symbol.py", "pairs_trading.py", "conditional_logic.py", "global_variables.py")}
    assert all(n > 0 for n in traded.values()), traded


def test_skeleton_takes_its_dates_and_capital_from_backtest_config(outside, real_store):
    result = backtest(str(outside / "skeleton.py"), symbols=["SPY"], data=real_store, timeframe="1d")
    assert [t.strftime("%Y-%m-%d") for t in result.equity.index] == ["2023-06-12", "2023-06-13", "2023-06-14",
                                                                     "2023-06-15"]
    assert result.config.initial_cash == 100000.0 and result.fills == []


def test_debugging_example_prints_into_the_log(outside, real_store):
    result = backtest(str(outside / "debugging.py"), data=real_store, **WINDOW)
    assert len(result.logs) == 9 * 502
    first = [m for _, m in result.logs[:9]]
    assert first[0] == "Time: 2017-01-03 16:00:00-05:00"
    assert first[1].startswith("Price: $") and first[2] == "RSI: nan" and first[3] == "Position: 0 shares"
    assert first[6:] == ["ENTRY: Buying at " + first[1][len("Price: "):], "  Reason: RSI below 30",
                         "  Size: 100 shares"]
    assert {t for t, _ in result.logs[:9]} == {result.equity.index[0]}


def test_fragments_track_their_trade_in_memory(outside, real_store):
    result = backtest(str(outside / "fragments.py"), data=real_store, **WINDOW)
    memory = result.variables["memory"]
    assert (memory["trade_count"], memory["winning_trades"] + memory["losing_trades"]) == (1, 1)
    assert [(str(f.side), f.quantity) for f in result.fills] == [("BUY", 10.0), ("SELL", 10.0)]


# The `return` lines of "Order Creation", "Quantity Specifications", "Helper Functions" and
# "Portfolio Operations", verbatim (multi-line calls joined); each runs at bar 1 after buying 100 AAPL
# at bar 0, with GOOGL and MSFT in the backtest too.
REFERENCE_RETURNS = [
    "return {'symbol': 'AAPL', 'action': 'buy', 'quantity': 100}",
    "return {'symbol': 'AAPL', 'action': 'sell', 'quantity': 'all'}",
    "return {'symbol': 'AAPL', 'action': 'buy', 'quantity': '$5000'}",
    "return {'symbol': 'AAPL', 'action': 'buy', 'quantity': '10%'}",
    "return {'symbol': 'AAPL', 'action': 'sell', 'quantity': '50%:position'}",
    "return {'symbol': 'AAPL', 'action': 'buy', 'quantity': 'max'}",
    "return {'symbol': 'AAPL', 'action': 'buy', 'quantity': 'half'}",
    "return buy('AAPL', 100)                    # Buy 100 shares",
    "return buy('AAPL', '$5000')                # Buy $5000 worth",
    "return buy('AAPL', '10%')                  # Buy with 10% of portfolio",
    "return sell('AAPL', 50)                    # Sell 50 shares",
    "return sell('AAPL', '50%:position')        # Sell half of position",
    "return sell_all('AAPL')                    # Sell entire position",
    "orders = []\norders.append(buy('AAPL', 100))\norders.append(sell('GOOGL', 'all'))\nreturn orders",
    "return buy_limit('AAPL', 100, limit_price=150.00)",
    "return sell_limit('AAPL', 'all', limit_price=160.00)",
    "return sell_stop('AAPL', 'all', stop_price=145.00)",
    "return scale_in('AAPL', '$10000', num_orders=3)   # Split into 3 buys",
    "return scale_out('AAPL', num_orders=4)            # Exit in 4 parts",
    "return bracket_order('AAPL', '10%', \n                    stop_loss_pct=0.05,    # 5% stop loss\n"
    "                    take_profit_pct=0.15)   # 15% take profit",
    "target_allocations = {\n    'AAPL': 0.40,   # 40% in AAPL\n    'GOOGL': 0.35,  # 35% in GOOGL\n"
    "    'MSFT': 0.25    # 25% in MSFT\n}\nreturn rebalance_portfolio(target_allocations, min_trade_amount=500)",
    "return dollar_cost_average('AAPL', '$5000', \n                          num_periods=5,    # Split into 5 buys\n"
    "                          period_days=7)    # One per week",
]


@pytest.mark.parametrize("body", REFERENCE_RETURNS, ids=range(len(REFERENCE_RETURNS)))
def test_reference_order_lines_become_orders(body, tmp_path, real_store):
    indented = "\n".join("        " + line for line in body.splitlines())
    (tmp_path / "line.py").write_text(
        "BACKTEST_CONFIG = {'symbols': ['AAPL', 'GOOGL', 'MSFT']}\n\n"
        "def on_bar_close(market, portfolio, memory, session):\n"
        "    if session.minute_index == 0:\n        return buy('AAPL', 100)\n"
        f"    if session.minute_index == 1:\n{indented}\n"
    )
    result = backtest(str(tmp_path / "line.py"), data=real_store, start="2019-03-01", end="2019-06-01",
                      timeframe="1d")
    later = [o for o in result.orders if o.submitted_at > result.equity.index[0]]
    denied = [d for d in result.denials if d.timestamp > result.equity.index[0]]
    assert later or denied  # every line became at least one order (or a denial saying why not)
    assert all(d.reason for d in denied)
