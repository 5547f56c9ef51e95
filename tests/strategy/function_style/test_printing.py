"""print() in a strategy: captured per bar into result.logs with the bar time, never on stdout."""

from research_env import backtest
from research_env.strategy.function_style.printing import PrintCapture
from tests.builders import daily_frame, function_strategy

BARS = daily_frame([(100.0, 101.0, 99.0, 100.0)] * 3)
T = BARS.index

SOURCE = """
def on_strategy_start(portfolio, memory):
    print("starting with", portfolio.cash)

def on_bar_close(market, portfolio, memory, session):
    print(f"bar {session.minute_index}: close {market['AAA'].close:.2f}")
    if session.minute_index == 1:
        print("two", "lines\\nhere", sep="-")
        print("partial ", end="")
        print("line", end="")
        print("to stderr", file=sys.stderr)

def on_strategy_end(portfolio, memory, results):
    print("done after", results['bars'], "bars")
"""


def test_print_lands_in_the_logs_stamped_with_the_bar_and_not_on_stdout(capsys):
    result = backtest(function_strategy("import sys\n" + SOURCE), data={"AAA": BARS}, start="2024-03-01",
                      end="2024-03-30")
    assert result.logs == [
        (None, "starting with 100000.0"),
        (T[0], "bar 0: close 100.00"),
        (T[1], "bar 1: close 100.00"),
        (T[1], "two-lines"),
        (T[1], "here"),
        (T[1], "partial line"),
        (T[2], "bar 2: close 100.00"),
        (T[2], "done after 3 bars"),
    ]
    out, err = capsys.readouterr()
    assert out == "" and err == "to stderr\n"
    assert "Strategy log: 8 lines (result.logs_frame()); last ones:" in result.report()
    assert list(result.logs_frame().columns) == ["time", "message"]


def test_capture_keeps_print_semantics():
    capture = PrintCapture()
    capture.print(1, 2, 3, sep=None, end=None)
    capture.print()
    capture.print("a", "b", sep=", ", end="!")
    assert capture.drain() == ["1 2 3", "", "a, b!"]
    assert capture.drain() == []
