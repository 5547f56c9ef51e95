"""One error family: every bad-input error is an ``InputError`` (and a ``ValueError``), strategy failures are
``StrategyError``s, all of them pickle, and a worker's strategy error reaches the user with its bar and symbol."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest
from IPython.core.error import UsageError

from research_env.api import RunTimeoutError
from research_env.assistant import AssistantError
from research_env.batch.runner import NotebookRunError, NotebookTimeoutError
from research_env.data import BarDataError
from research_env.data._errors import BarImportError, SourceUnavailableError
from research_env.data._store_file import StoreFileError
from research_env.db import DatabaseError
from research_env.errors import InputError, ResearchEnvError, StrategyError
from research_env.strategy.function_style import FunctionStrategyError, OrderError
from research_env.strategy.git_source import GitError
from research_env.strategy.loader import StrategyLoadError
from research_env.strategy.params import ParameterError
from research_env.strategy.untrusted import ContainmentError, UntrustedCodeError
from research_env.sweeps import GridError, SignalError, SweepError

INPUT_ERRORS = [BarDataError, BarImportError, StoreFileError, SourceUnavailableError, DatabaseError, ParameterError,
                StrategyLoadError, FunctionStrategyError, OrderError, GitError, SweepError, GridError, SignalError,
                RunTimeoutError, NotebookRunError, NotebookTimeoutError, UntrustedCodeError, ContainmentError,
                AssistantError]

RAISING = '''
from core.models import Bar, Signal
from strategies.base import StrategyBase


class RaisesOnBarFive(StrategyBase):
    timeframe = "1d"

    def __init__(self, symbols=None, period=5):
        super().__init__(name="raises_on_five", symbols=symbols or ["AAA"])
        self.period = period
        self.seen = 0

    def on_bar(self, bar):
        self.seen += 1
        if self.seen == self.period:
            raise ZeroDivisionError("the strategy divided by zero")
        return []
'''


@pytest.mark.parametrize("cls", INPUT_ERRORS)
def test_every_bad_input_error_is_an_input_error_and_a_value_error(cls):
    assert issubclass(cls, InputError) and issubclass(cls, ValueError) and issubclass(cls, ResearchEnvError)


def test_strategy_errors_stand_apart_from_input_errors():
    assert issubclass(StrategyError, ResearchEnvError) and issubclass(StrategyError, RuntimeError)
    assert not issubclass(StrategyError, InputError)


WITH_OWN_ARGUMENTS = (BarImportError, StoreFileError, SourceUnavailableError, NotebookRunError, NotebookTimeoutError)


@pytest.mark.parametrize("cls", [*(e for e in INPUT_ERRORS if e not in WITH_OWN_ARGUMENTS), InputError])
def test_input_errors_pickle_with_their_message(cls):
    again = pickle.loads(pickle.dumps(cls("`symbols` has `APPL`; did you mean `AAPL`?")))
    assert type(again) is cls and str(again) == "`symbols` has `APPL`; did you mean `AAPL`?"


def test_an_unavailable_source_pickles_with_its_name():
    error = SourceUnavailableError("postgres", "the postgres bar source `postgresql+psycopg://u:***@h/db` is down")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.source, str(again)) == (SourceUnavailableError, "postgres", str(error))


def test_a_batch_import_error_pickles_with_what_was_stored_and_refused():
    import pandas as pd

    stored = pd.DataFrame({"file": ["a.csv"], "symbol": ["AAA"], "timeframe": ["1d"], "rows": [10]})
    error = BarImportError(stored, {"b.csv": "row 3 has a close of 1e300"})
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.refused == {"b.csv": "row 3 has a close of 1e300"}
    assert "refused `b.csv`: row 3 has a close of 1e300" in str(again)


def test_notebook_run_errors_pickle_with_their_attributes(tmp_path):
    error = NotebookRunError("cell 3 failed", notebook=tmp_path / "a.ipynb", output=tmp_path / "b.ipynb", html=None,
                             cell_index=3, ename="KeyError", evalue="'x'")
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.cell_index, again.ename, again.output) == ("cell 3 failed", 3, "KeyError",
                                                                        tmp_path / "b.ipynb")


def test_strategy_errors_pickle_with_the_users_own_frames():
    try:
        try:
            1 / 0  # noqa: B018 - the user's failing line
        except ZeroDivisionError as cause:
            raise StrategyError("mine", "on_bar", "AAPL", datetime(2024, 3, 1, 21, tzinfo=UTC), cause) from cause
    except StrategyError as error:
        again = pickle.loads(pickle.dumps(error))
    assert str(again) == ("strategy `mine` raised in on_bar() on the AAPL bar of 2024-03-01 21:00:00+0000: "
                          "ZeroDivisionError: division by zero")
    assert (again.strategy, again.hook, again.symbol, again.error_type) == ("mine", "on_bar", "AAPL",
                                                                            "ZeroDivisionError")
    assert any("1 / 0" in line for line in again.user_traceback)


def test_a_replay_error_pickles_with_what_changed():
    from research_env.replays import ReplayError

    error = ReplayError("replay of x: the bars of MSFT changed", "bars", "MSFT")
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.what, again.symbol) == ("replay of x: the bars of MSFT changed", "bars", "MSFT")
    assert isinstance(again, ResearchEnvError) and not isinstance(again, InputError)


def test_a_two_worker_sweep_shows_the_strategys_own_error_bar_and_symbol(tmp_path):
    from research_env import sweep
    from tests.sweeps.test_vectorbt import random_bars

    path = tmp_path / "raising.py"
    path.write_text(RAISING)
    frames = {"AAA": random_bars(120, 4)}
    with pytest.raises(StrategyError) as caught:
        sweep(path, start="2021-01-01", end="2021-06-01", param_grid={"period": [5, 7]}, data=frames, mode="bar",
              max_workers=2)
    error = caught.value
    assert error.symbol == "AAA" and error.error_type == "ZeroDivisionError"
    assert "strategy `raises_on_five` raised in on_bar() on the AAA bar of 2021-01-" in str(error)
    assert error.error_message == "the strategy divided by zero"
    assert any("raise ZeroDivisionError" in line for line in error.user_traceback)


def test_the_cli_prints_a_workers_strategy_error_and_exits_1(tmp_path, capsys):
    from research_env.cli import main

    path = tmp_path / "raising.py"
    path.write_text(RAISING)
    store = tmp_path / "store"
    store.mkdir()  # an empty store: the run uses synthetic demo bars
    code = main(["sweep", str(path), "--data", str(store), "--start", "2021-01-01", "--end", "2021-06-01",
                 "--grid", "period=5,7", "--mode", "bar", "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 1
    assert "research-env: error: strategy `raises_on_five` raised in on_bar() on the AAA bar" in err
    assert "raise ZeroDivisionError" in err


def test_sweep_magic_shows_input_errors_as_usage_errors_and_our_bugs_as_bugs():
    from research_env.notebook.sweep_magics import call_sweep

    def bad_input(strategy, **kwargs):
        raise GridError("`param_grid` is empty")

    def our_bug(strategy, **kwargs):
        raise TypeError("unsupported operand type(s)")

    with pytest.raises(UsageError, match="`param_grid` is empty"):
        call_sweep(bad_input, "x", {}, "sweep")
    with pytest.raises(TypeError, match="unsupported operand"):
        call_sweep(our_bug, "x", {}, "sweep")


def test_a_notebook_strategy_error_renders_the_same_from_a_worker():
    from research_env.notebook._errors import NotebookStrategyError

    error = StrategyError("raises_on_five", "on_bar", "AAA", datetime(2021, 1, 8, 21, tzinfo=UTC),
                          ZeroDivisionError("the strategy divided by zero"))
    shown = NotebookStrategyError.from_error(pickle.loads(pickle.dumps(error)))._render_traceback_()
    assert shown[:2] == ["StrategyError: strategy `raises_on_five` raised in on_bar() on the AAA bar of "
                         "2021-01-08 16:00 New York", "  ZeroDivisionError: the strategy divided by zero"]
