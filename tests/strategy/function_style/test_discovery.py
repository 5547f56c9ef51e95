"""Symbol auto-discovery by parsing: literals, constants, loop variables; unresolvable references."""

import ast
import textwrap

import pytest

from research_env import backtest
from research_env.strategy.function_style.discovery import discover_symbols
from research_env.strategy.params import ParameterError
from tests.builders import daily_frame, function_strategy


def found(source: str):
    d = discover_symbols(ast.parse(textwrap.dedent(source)))
    return list(d.symbols), list(d.unresolved)


def test_string_literals_in_order_of_appearance():
    assert found("""
        def on_bar_close(market, portfolio, memory, session):
            spy = market['SPY']
            return buy('AAPL', 10) if market['MSFT'].close > spy.close else None
    """) == (["SPY", "AAPL", "MSFT"], [])


def test_module_constants_and_loop_variables():
    assert found("""
        SYMBOLS_TO_TRADE = ['AAPL', 'GOOGL', 'MSFT']
        BENCH = 'SPY'
        def strategy(data_contexts, portfolio, state):
            for symbol in SYMBOLS_TO_TRADE:
                data = data_contexts[symbol]
            return data_contexts[BENCH]
    """) == (["AAPL", "GOOGL", "MSFT", "SPY"], [])


def test_loops_over_literals_dict_items_sorted_and_concatenations():
    assert found("""
        WEIGHTS = {'QQQ': 0.6, 'TLT': 0.4}
        EXTRA = ('GLD',)
        def on_bar_close(market, portfolio, memory, session):
            for sym, w in WEIGHTS.items():
                market[sym]
            for s in sorted(['NVDA'] + list(EXTRA)):
                market[s]
            for i, t in enumerate(['META']):
                market.get(t)
    """) == (["QQQ", "TLT", "NVDA", "GLD", "META"], [])


def test_renamed_market_parameter_and_iterating_market_itself():
    assert found("""
        def on_bar_close(m, portfolio, memory, session):
            for sym in m:
                m[sym].close
            return m['IWM']
    """) == (["IWM"], [])


def test_order_dicts_and_helpers_add_symbols_but_never_block():
    assert found("""
        def on_bar_close(market, portfolio, memory, session):
            for sym in portfolio.positions:
                sell_all(sym)
            rebalance_portfolio({'AAA': 0.5, 'BBB': 0.5})
            return {'symbol': 'CCC', 'action': 'buy', 'quantity': 1}
    """) == (["AAA", "BBB", "CCC"], [])


def test_computed_or_parameter_symbols_are_unresolved():
    symbols, unresolved = found("""
        def check(market, sym):
            return market[sym].close
        def on_bar_close(market, portfolio, memory, session):
            return market['SPY'.lower()]
    """)
    assert symbols == []
    assert unresolved == ["line 3: `market[sym]`", "line 5: `market['SPY'.lower()]`"]


UNRESOLVABLE = """
    def on_bar_close(market, portfolio, memory, session):
        for sym in memory.get('watch', ['AAA']):
            market[sym].close
        return None
"""


def test_unresolvable_reference_asks_for_an_explicit_symbol_list():
    cls = function_strategy(UNRESOLVABLE, "watcher")
    with pytest.raises(ParameterError, match=r"strategy `watcher`: cannot tell which symbols line 4: `market\[sym\]` "
                                             r"refers to; list them explicitly: BACKTEST_CONFIG\['symbols'\]"):
        backtest(cls, data={"AAA": daily_frame([(1.0, 1.0, 1.0, 1.0)])}, start="2024-03-01", end="2024-03-30")


def test_explicit_symbols_make_any_reference_fine():
    bars = {"AAA": daily_frame([(1.0, 1.0, 1.0, 1.0)])}
    result = backtest(function_strategy(UNRESOLVABLE), data=bars, symbols=["AAA"], start="2024-03-01",
                      end="2024-03-30")
    assert result.symbols == ["AAA"]
    listed = function_strategy("BACKTEST_CONFIG = {'symbols': ['AAA']}\n" + UNRESOLVABLE.replace("\n    ", "\n"))
    assert listed.discovered_symbols == ("AAA",) and listed.unresolved_references == ()


def test_no_symbol_at_all_says_how_to_name_one():
    cls = function_strategy("""
        def on_bar_close(market, portfolio, memory, session):
            return None
    """, "empty")
    with pytest.raises(ParameterError, match=r"strategy `empty` references no symbol \(no market\['SYM'\] found\)"):
        backtest(cls, data={"AAA": daily_frame([(1.0, 1.0, 1.0, 1.0)])}, start="2024-03-01", end="2024-03-30")
