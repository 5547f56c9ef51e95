"""The adapter: lifecycle moments, orders from every hook, legacy form, several symbols, constants, errors."""

import pytest

from research_env import RiskConfig, StrategyError, backtest
from research_env.strategy.function_style import FunctionStrategy
from research_env.strategy.loader import StrategyLoadError
from research_env.strategy.params import ParameterError
from tests.builders import daily_frame, function_strategy

BARS = daily_frame([
    (100.0, 101.0, 99.0, 100.0),
    (100.0, 101.0, 99.0, 100.0),
    (102.0, 104.0, 99.0, 103.0),
    (103.0, 103.5, 96.0, 97.0),
])
T = BARS.index
PERMISSIVE = RiskConfig.permissive()


def run(source: str, data=None, **kwargs):
    kwargs.setdefault("risk", PERMISSIVE)
    return backtest(function_strategy(source), data=data or {"AAA": BARS}, start="2024-03-01", end="2024-03-30",
                    **kwargs)


def test_lifecycle_order_start_open_bar_close_end():
    result = run("""
        def on_strategy_start(portfolio, memory):
            memory['calls'] = ['start']
        def on_market_open(portfolio, memory, session):
            memory['calls'].append(('open', session.minute_index))
        def on_bar_close(market, portfolio, memory, session):
            memory['calls'].append(('bar', session.minute_index, market['AAA'].close))
        def on_market_close(portfolio, memory, session):
            memory['calls'].append(('close', session.minute_index))
        def on_strategy_end(portfolio, memory, results):
            memory['calls'].append('end')
    """)
    calls = result.variables["memory"]["calls"]
    assert calls == ["start"] + [c for i, close in enumerate([100.0, 100.0, 103.0, 97.0])
                                 for c in (("open", i), ("bar", i, close), ("close", i))] + ["end"]


def test_orders_from_every_hook_are_sent_in_hook_order():
    result = run("""
        def on_strategy_start(portfolio, memory):
            return buy('AAA', 1)
        def on_market_open(portfolio, memory, session):
            if session.minute_index == 1:
                return buy('AAA', 2)
        def on_bar_close(market, portfolio, memory, session):
            if session.minute_index == 1:
                return buy('AAA', 3)
        def on_market_close(portfolio, memory, session):
            if session.minute_index == 1:
                return buy('AAA', 4)
        def on_strategy_end(portfolio, memory, results):
            return None
    """)
    # on_strategy_start's order waits for the first bar; the others go out at bar 1's close
    assert [(o.quantity, o.submitted_at) for o in result.orders] == [(1.0, T[0]), (2.0, T[1]), (3.0, T[1]),
                                                                     (4.0, T[1])]
    assert [(f.quantity, f.timestamp) for f in result.fills] == [(1.0, T[1]), (2.0, T[2]), (3.0, T[2]), (4.0, T[2])]


def test_on_strategy_end_gets_the_outcome_and_its_orders_are_not_sent():
    source = """
        def on_bar_close(market, portfolio, memory, session):
            if session.minute_index == 0:
                return buy('AAA', 10)
        def on_strategy_end(portfolio, memory, results):
            memory['results'] = results
            return sell_all('AAA')
    """
    with pytest.warns(UserWarning, match=r"on_strategy_end\(\) returned orders; nothing can fill after the last bar"):
        result = run(source)
    got = result.variables["memory"]["results"]
    assert sorted(got) == ["bars", "cash", "denials", "equity", "fills", "final_equity", "initial_capital",
                           "orders", "positions", "sessions", "total_return"]
    assert (got["bars"], got["sessions"], got["positions"], got["initial_capital"]) == (4, 4, {"AAA": 10}, 100_000.0)
    assert got["final_equity"] == result.equity.iloc[-1] == result.metrics.final_equity
    assert got["total_return"] == got["final_equity"] / 100_000.0 - 1
    assert got["equity"] == result.equity.tolist() and got["fills"] == result.fills and got["denials"] == []
    assert len(result.fills) == 1


def test_legacy_strategy_form_gets_market_portfolio_and_state():
    result = run("""
        def strategy(data_contexts, portfolio, state):
            state['n'] = state.get('n', 0) + 1
            if state['n'] == 1:
                return buy('AAA', 5)
    """)
    assert result.variables["memory"] == {"n": 4}
    assert [f.quantity for f in result.fills] == [5.0]


def test_on_bar_close_may_leave_out_session_and_varargs_get_everything():
    short = run("def on_bar_close(market, portfolio, memory):\n    memory['ok'] = market['AAA'].close\n")
    assert short.variables["memory"] == {"ok": 97.0}
    star = run("def on_bar_close(*args):\n    args[2]['n'] = len(args)\n", symbols=["AAA"])
    assert star.variables["memory"] == {"n": 4}


def test_two_symbols_one_call_per_bar_time_with_stale_values_for_a_missing_bar():
    sparse = BARS.iloc[[0, 2]].copy()
    result = run("""
        def on_bar_close(market, portfolio, memory, session):
            memory.setdefault('seen', []).append((market['AAA'].close, market['BBB'].close))
    """, data={"AAA": BARS, "BBB": sparse * 2})
    seen = result.variables["memory"]["seen"]
    assert seen == [(100.0, 200.0), (100.0, 200.0), (103.0, 206.0), (97.0, 206.0)]


def test_second_symbol_before_its_first_bar_reads_nan():
    late = BARS.iloc[[2, 3]].copy()
    result = run("""
        def on_bar_close(market, portfolio, memory, session):
            b = market['BBB']
            memory.setdefault('seen', []).append((b.close != b.close, b.timestamp is None, b.history('close', 5)))
    """, data={"AAA": BARS, "BBB": late}, symbols=["AAA", "BBB"])
    assert result.variables["memory"]["seen"] == [(True, True, []), (True, True, []), (False, False, [103.0]),
                                                  (False, False, [103.0, 97.0])]


THRESHOLD = """
LIMIT = 101.0
LOOKBACK = 2
NAME = 'not a parameter'

def on_bar_close(market, portfolio, memory, session):
    if market['AAA'].close > LIMIT and portfolio.position('AAA') == 0:
        return buy('AAA', LOOKBACK)
"""


def test_numeric_module_constants_are_parameters():
    cls = function_strategy(THRESHOLD)
    assert cls.parameters == ["LIMIT", "LOOKBACK"]
    default = backtest(cls, data={"AAA": BARS}, start="2024-03-01", end="2024-03-30", risk=PERMISSIVE)
    assert [(f.quantity, f.timestamp) for f in default.fills] == [(2.0, T[3])]  # close 103 > 101 on bar 2
    tuned = backtest(cls, data={"AAA": BARS}, start="2024-03-01", end="2024-03-30", risk=PERMISSIVE,
                     params={"LIMIT": "99", "LOOKBACK": 7})
    assert [(f.quantity, f.timestamp) for f in tuned.fills] == [(7.0, T[1])]
    assert tuned.parameters == {"LIMIT": 99.0, "LOOKBACK": 7}
    with pytest.raises(ParameterError, match=r"has no parameter `LIMT`; did you mean `LIMIT`\?"):
        backtest(cls, data={"AAA": BARS}, start="2024-03-01", end="2024-03-30", params={"LIMT": 1})


def test_each_run_starts_from_fresh_module_state():
    cls = function_strategy("""
        SEEN = []
        def on_bar_close(market, portfolio, memory, session):
            SEEN.append(market['AAA'].close)
            memory['seen'] = len(SEEN)
    """)
    first = backtest(cls, data={"AAA": BARS}, start="2024-03-01", end="2024-03-30")
    second = backtest(cls, data={"AAA": BARS}, start="2024-03-01", end="2024-03-30")
    assert first.variables["memory"] == second.variables["memory"] == {"seen": 4}


def test_an_exception_names_the_function_and_the_bar():
    with pytest.raises(StrategyError, match=r"strategy `fn` raised in on_bar\(\) on the AAA bar of 2024-03-05 "
                                            r"21:00:00\+0000: StrategyFunctionError: on_bar_close\(\) raised "
                                            r"ZeroDivisionError: division by zero") as info:
        run("""
            def on_bar_close(market, portfolio, memory, session):
                return None if market['AAA'] and 1 / (session.minute_index - 1) else None
        """)
    assert isinstance(info.value.__cause__.__cause__, ZeroDivisionError)


def test_exception_in_a_session_hook_names_that_hook():
    with pytest.raises(StrategyError, match=r"on_market_close\(\) raised KeyError: 'x'"):
        run("""
            def on_bar_close(market, portfolio, memory, session):
                market['AAA']
            def on_market_close(portfolio, memory, session):
                memory['x']
        """)


@pytest.mark.parametrize(("returned", "message"), [
    ("{'symbol': 'AAA', 'action': 'purchase', 'quantity': 1}",
     r"OrderError: on_bar_close\(\): order \{.*\}: unknown action 'purchase'; use 'buy' or 'sell'"),
    ("{'symbol': 'AAA', 'action': 'buy', 'quantity': 'lots'}", r"unknown quantity 'lots'"),
    ("{'symbol': 'AAA', 'action': 'buy', 'quantity': -5}", r"negative quantity -5"),
    ("buy('AAA', -5)", r"on_bar_close\(\) raised OrderError: negative quantity -5"),
    ("'buy AAA'", r"on_bar_close\(\) returned 'buy AAA' \(str\); return an order dict"),
])
def test_bad_orders_stop_the_run_naming_the_value(returned, message):
    with pytest.raises(StrategyError, match=message):
        run(f"def on_bar_close(market, portfolio, memory, session):\n    market['AAA']\n    return {returned}\n")


def test_missing_on_bar_close_is_a_clear_error():
    with pytest.raises(StrategyLoadError, match=r"strategy `fn` has on_market_open but no on_bar_close\(market, "
                                                r"portfolio, memory, session\); every function-style strategy "
                                                r"needs it"):
        function_strategy("""
            BACKTEST_CONFIG = {'start_date': '20230610', 'end_date': '20230615', 'initial_capital': 100000}
            def on_market_open(portfolio, memory, session):
                return None
        """)
    with pytest.raises(StrategyLoadError, match=r"has no lifecycle function but no on_bar_close"):
        function_strategy("BACKTEST_CONFIG = {'initial_capital': 1000}\n")


def test_a_function_that_wants_more_arguments_is_refused():
    with pytest.raises(StrategyLoadError, match=r"on_bar_close\(market, portfolio, memory, session, extra\) asks "
                                                r"for more than the engine passes"):
        function_strategy("def on_bar_close(market, portfolio, memory, session, extra):\n    pass\n")


def test_both_forms_use_on_bar_close_with_a_warning():
    with pytest.warns(UserWarning, match=r"defines both on_bar_close and the legacy strategy\(\); using on_bar_close"):
        cls = function_strategy("def on_bar_close(market, portfolio, memory, session):\n    pass\n"
                                "def strategy(data_contexts, portfolio, state):\n    pass\n")
    assert issubclass(cls, FunctionStrategy) and set(cls._arity) == {"on_bar_close"}
