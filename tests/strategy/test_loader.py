"""Loading strategies: classes, instances, names, files; clear errors for everything else."""

import pytest

from research_env.strategy.base import StrategyBase
from research_env.strategy.loader import StrategyLoadError, load_strategy_class, load_strategy_file
from research_env.strategy.params import ParameterError, instantiate


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = """
from core.models import Bar, Signal
from strategies.base import StrategyBase


class TinyStrategy(StrategyBase):
    parameters = ["period", "threshold", "use_filter"]

    def __init__(self, symbols=None, period=14, threshold=30.0, use_filter=True):
        super().__init__(name="tiny", symbols=symbols or ["SPY"])
        self.period = period
        self.threshold = threshold
        self.use_filter = use_filter

    def on_bar(self, bar):
        return []
"""


def test_file_with_guide_imports_loads_its_strategy_class(tmp_path):
    cls = load_strategy_file(write(tmp_path, "tiny.py", GOOD))
    assert cls.__name__ == "TinyStrategy" and issubclass(cls, StrategyBase)


def test_name_is_found_in_strategies_folder_of_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "strategies").mkdir()
    write(tmp_path / "strategies", "tiny.py", GOOD)
    monkeypatch.chdir(tmp_path)
    assert load_strategy_class("tiny").__name__ == "TinyStrategy"


def test_bundled_example_is_found_by_name():
    assert load_strategy_class("dual_ma_crossover").__name__ == "DualMaCrossoverStrategy"


def test_unknown_name_lists_known_ones():
    with pytest.raises(StrategyLoadError, match=r"no strategy named `nope`; known names: .*dual_ma_crossover"):
        load_strategy_class("nope")


def test_file_without_strategy_class_says_what_to_write(tmp_path):
    with pytest.raises(StrategyLoadError, match=r"defines no StrategyBase subclass"):
        load_strategy_file(write(tmp_path, "empty.py", "x = 1\n"))


def test_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.py", "x = 1\ndef f(:\n")
    with pytest.raises(StrategyLoadError, match=r"broken.py, line 2: syntax error"):
        load_strategy_file(path)


def test_import_error_in_strategy_file_is_reported_with_the_file(tmp_path):
    path = write(tmp_path, "needs.py", "import not_a_real_module_xyz\n")
    with pytest.raises(StrategyLoadError, match=r"needs.py failed to import: ModuleNotFoundError"):
        load_strategy_file(path)


def test_two_classes_in_one_file_use_the_first_with_a_warning(tmp_path):
    text = GOOD + "\n\nclass Second(TinyStrategy):\n    pass\n"
    with pytest.warns(UserWarning, match=r"defines 2 strategies \(TinyStrategy, Second\); using the first"):
        assert load_strategy_file(write(tmp_path, "two.py", text)).__name__ == "TinyStrategy"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(StrategyLoadError, match=r"does not exist"):
        load_strategy_file(tmp_path / "nowhere.py")


def test_instantiate_coerces_cli_strings_to_the_default_types(tmp_path):
    cls = load_strategy_file(write(tmp_path, "tiny.py", GOOD))
    s = instantiate(cls, ["aapl"], {"period": "10", "threshold": "25", "use_filter": "false"})
    assert (s.period, s.threshold, s.use_filter, s.symbols) == (10, 25.0, False, ["AAPL"])


def test_unknown_parameter_suggests_the_closest_name(tmp_path):
    cls = load_strategy_file(write(tmp_path, "tiny.py", GOOD))
    with pytest.raises(ParameterError, match=r"has no parameter `perod`; did you mean `period`\?"):
        instantiate(cls, None, {"perod": 3})


def test_wrong_parameter_type_is_named(tmp_path):
    cls = load_strategy_file(write(tmp_path, "tiny.py", GOOD))
    with pytest.raises(ParameterError, match=r"parameter `period` expects a number like 14, got 'abc'"):
        instantiate(cls, None, {"period": "abc"})


# --- function-style files (research_env.strategy.function_style) ---------------
FUNCTIONS = """
BACKTEST_CONFIG = {'start_date': '20240104', 'end_date': '20240110', 'initial_capital': 5000}
THRESHOLD = 30

def on_bar_close(market, portfolio, memory, session):
    if market['SPY'].rsi(14) < THRESHOLD:
        return buy('SPY', 1)
"""


def test_function_style_file_loads_as_the_adapter_class(tmp_path):
    from research_env.strategy.function_style import FunctionStrategy

    cls = load_strategy_file(write(tmp_path, "fn_rsi.py", FUNCTIONS))
    assert issubclass(cls, FunctionStrategy) and issubclass(cls, StrategyBase)
    assert (cls.strategy_name, cls.discovered_symbols, cls.parameters) == ("fn_rsi", ("SPY",), ["THRESHOLD"])
    assert (str(cls.default_start), str(cls.default_end), cls.default_cash, cls.timeframe) == (
        "2024-01-04", "2024-01-11", 5000.0, "1m")
    assert instantiate(cls, None, {"THRESHOLD": "25"}).get_parameters() == {"THRESHOLD": 25}


def test_function_style_file_is_found_by_name(tmp_path, monkeypatch):
    (tmp_path / "strategies").mkdir()
    write(tmp_path / "strategies", "fn_rsi.py", FUNCTIONS)
    monkeypatch.chdir(tmp_path)
    assert load_strategy_class("fn_rsi").strategy_name == "fn_rsi"


def test_source_text_loads_like_a_file_and_tracebacks_show_its_lines():
    import linecache

    from research_env.strategy.loader import load_strategy_source

    cls = load_strategy_source(FUNCTIONS, "cell_rsi")
    assert cls.origin == "strategy `cell_rsi`" and cls.discovered_symbols == ("SPY",)
    assert linecache.getline("<strategy cell_rsi>", 6).strip() == "if market['SPY'].rsi(14) < THRESHOLD:"
    assert load_strategy_source(GOOD, "tiny_cell").__name__ == "TinyStrategy"
    with pytest.raises(StrategyLoadError, match=r"strategy name 'my cell' must be a Python identifier"):
        load_strategy_source(FUNCTIONS, "my cell")
    with pytest.raises(StrategyLoadError, match=r"strategy `broken`, line 2: syntax error"):
        load_strategy_source("x = 1\ndef f(:\n", "broken")


def test_class_wins_over_functions_in_one_file(tmp_path):
    both = GOOD + "\n\ndef on_bar_close(market, portfolio, memory, session):\n    return None\n"
    assert load_strategy_file(write(tmp_path, "both.py", both)).__name__ == "TinyStrategy"


def test_file_with_neither_class_nor_functions_names_both_ways(tmp_path):
    with pytest.raises(StrategyLoadError, match=r"or a function-style `def on_bar_close\(market, portfolio, memory, "
                                                r"session\)`"):
        load_strategy_file(write(tmp_path, "empty.py", "x = 1\n"))


def test_vectorized_file_given_to_the_bar_by_bar_loader_points_to_sweeps():
    from tests.conftest import REPO_ROOT

    with pytest.raises(StrategyLoadError, match=r"defines the vectorized strategy BollingerMeanReversionVectorized"):
        load_strategy_file(REPO_ROOT / "strategies" / "bollinger_mean_reversion_vectorized.py")


# --- one loader, one cache ---------------------------------------------------------------------------------------

COUNTED = """
from pathlib import Path

from core.models import Bar, Signal
from strategies.base import StrategyBase

with open(Path(__file__).with_suffix(".count"), "a") as counter:
    counter.write("x")


class Counted(StrategyBase):
    parameters = ["period"]
    timeframe = "1d"

    def __init__(self, symbols=None, period=5):
        super().__init__(name="counted", symbols=symbols or ["AAA"])
        self.period = period

    def on_bar(self, bar):
        return []
"""

FUNCTION_COUNTED = """
from pathlib import Path

with open(Path(__file__).with_suffix(".count"), "a") as counter:
    counter.write("x")

BACKTEST_CONFIG = {'symbols': ['AAA'], 'timeframe': '1d'}
PERIOD = 5
SEEN = []


def on_bar_close(market, portfolio, memory, session):
    SEEN.append(1)
    if len(SEEN) > 300:
        raise RuntimeError("module state leaked between backtests")
    return None
"""


def test_a_strategy_file_executes_once_per_process_whatever_runs_it(tmp_path):
    from research_env import backtest, sweep
    from research_env.strategy.loader import load_strategy
    from tests.sweeps.test_vectorbt import random_bars

    frames = {"AAA": random_bars(200, 3)}
    for name, text in (("counted.py", COUNTED), ("function_counted.py", FUNCTION_COUNTED)):
        path = write(tmp_path, name, text)
        first = load_strategy(path)
        assert load_strategy(path) is first
        backtest(path, start="2021-01-01", end="2021-10-01", data=frames)
        backtest(path, start="2021-01-01", end="2021-10-01", data=frames)
        grid = {"period": [5, 6]} if name == "counted.py" else {"PERIOD": [5, 6]}
        sweep(path, start="2021-01-01", end="2021-10-01", param_grid=grid, data=frames, mode="bar", max_workers=1)
        assert path.with_suffix(".count").read_text() == "x", name


def test_function_style_module_state_is_fresh_for_every_backtest(tmp_path):
    from research_env import backtest
    from tests.sweeps.test_vectorbt import random_bars

    path = write(tmp_path, "function_counted.py", FUNCTION_COUNTED)
    frames = {"AAA": random_bars(200, 3)}
    for _ in range(3):  # 187 sessions each: a shared SEEN would pass 300 in the second run and raise
        backtest(path, start="2021-01-01", end="2021-10-01", data=frames)


def test_a_changed_sibling_module_is_loaded_afresh_under_a_private_name(tmp_path):
    import sys

    from research_env.strategy.loader import load_strategy

    write(tmp_path, "helpers.py", "PERIOD = 30\n")
    path = write(tmp_path, "uses_helpers.py", GOOD.replace("period=14", "period=PERIOD")
                 .replace("from core.models", "from helpers import PERIOD\nfrom core.models"))
    first = load_strategy(path)
    assert instantiate(first.strategy_class, None, None).period == 30
    assert "helpers" not in sys.modules
    assert [n for n in sys.modules if n.endswith(".helpers") and n.startswith("research_env_local_")]

    write(tmp_path, "helpers.py", "PERIOD = 40\n")
    second = load_strategy(path)
    assert second is not first and second.digest != first.digest
    assert instantiate(second.strategy_class, None, None).period == 40
    write(tmp_path, "helpers.py", "PERIOD = 30\n")
    assert instantiate(load_strategy(path).strategy_class, None, None).period == 30


def test_two_folders_each_get_their_own_helpers_and_nested_local_imports_work(tmp_path):
    from research_env.strategy.loader import load_strategy

    for folder, period in (("a", 11), ("b", 22)):
        (tmp_path / folder).mkdir()
        write(tmp_path / folder, "constants.py", f"PERIOD = {period}\n")
        write(tmp_path / folder, "helpers.py", "from constants import PERIOD\n")
        write(tmp_path / folder, "strat.py", GOOD.replace("period=14", "period=PERIOD")
              .replace("from core.models", "import helpers\nfrom helpers import PERIOD\nfrom core.models"))
    a = instantiate(load_strategy(tmp_path / "a" / "strat.py").strategy_class, None, None)
    b = instantiate(load_strategy(tmp_path / "b" / "strat.py").strategy_class, None, None)
    assert (a.period, b.period) == (11, 22)


def test_a_name_knows_its_class_its_vectorized_twin_and_its_style():
    from research_env.strategy.loader import load_strategy

    loaded = load_strategy("dual_ma_crossover")
    assert loaded.strategy_class.__name__ == "DualMaCrossoverStrategy"
    assert loaded.vectorized_class.__name__ == "DualMaCrossoverVectorized"
    assert loaded.style == "class" and loaded.kind == "file" and len(loaded.digest) == 64
    assert load_strategy("function_rsi").style == "function"
    again = load_strategy(loaded.strategy_class)  # the class passed directly is known by its file
    assert again.kind == "file" and again.path == loaded.path and again.digest is not None
