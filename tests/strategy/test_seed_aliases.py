"""The guide's import paths (``core.models``, ``strategies.base`` ...) are the research-env modules themselves.

Each check runs in a fresh interpreter of the venv (``sys.executable``), where
``research_env_seed_aliases.pth`` installed the finder at start-up, so that
``sys.modules`` holds nothing but what the code under test imported.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import research_env._seed_aliases as seed_aliases

ALIASED = {
    "core": "research_env.core",
    "core.enums": "research_env.core.enums",
    "core.models": "research_env.core.models",
    "core.order_utils": "research_env.strategy.function_style.order_utils",
    "strategies.base": "research_env.strategy.base",
    "strategies.vectorized": "research_env.strategy.vectorized",
}


def run_python(code: str, cwd, *args: str) -> str:
    done = subprocess.run([sys.executable, *args, "-c", textwrap.dedent(code)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_aliases_table_names_every_guide_module():
    assert seed_aliases.ALIASES == {**ALIASED, "strategies": None}
    assert seed_aliases.__all__ == ["ALIASES", "install_seed_aliases"]


def test_every_alias_is_its_research_env_module(tmp_path):
    out = run_python(f"""
        import importlib, sys
        for alias, real in {ALIASED!r}.items():
            module = importlib.import_module(alias)
            print(alias, module is importlib.import_module(real), sys.modules[alias] is sys.modules[real],
                  module.__name__ == real, module.__spec__.name == real, module.__loader__ is module.__spec__.loader)
    """, tmp_path)
    assert out.splitlines() == [f"{alias} True True True True True" for alias in ALIASED]


def test_guide_imports_give_the_research_env_classes(tmp_path):
    out = run_python("""
        import core.models, research_env.core.models
        from core.models import Bar, Signal
        from core.enums import OrderSide
        from strategies.base import StrategyBase
        from strategies.vectorized import VectorizedStrategy
        import research_env
        print(core.models is research_env.core.models, Bar is research_env.Bar, Signal is research_env.Signal,
              OrderSide is research_env.OrderSide, StrategyBase is research_env.StrategyBase,
              VectorizedStrategy is research_env.VectorizedStrategy)
    """, tmp_path)
    assert out.split() == ["True"] * 6


def test_submodule_after_import_core_is_not_loaded_a_second_time(tmp_path):
    # ``core`` is research_env.core, whose __path__ would let the path finder execute models.py again as core.models.
    out = run_python("""
        import sys
        import core
        import core.enums
        import core.models
        print(sys.modules["core.models"] is sys.modules["research_env.core.models"],
              sys.modules["core.enums"] is sys.modules["research_env.core.enums"],
              core.models is sys.modules["research_env.core.models"], core.models.Bar is core.Bar)
        print(sorted(name for name in sys.modules if name == "core" or name.startswith("core.")))
    """, tmp_path)
    assert out.splitlines() == ["True True True True", "['core', 'core.enums', 'core.models']"]


def test_unknown_core_submodule_is_a_module_not_found_error_naming_it(tmp_path):
    out = run_python("""
        import core
        try:
            import core.no_such_module
        except ModuleNotFoundError as e:
            print(e.name)
    """, tmp_path)
    assert out.strip() == "core.no_such_module"


def test_strategies_is_a_package_holding_only_base_and_vectorized(tmp_path):
    out = run_python("""
        import strategies.base, strategies.vectorized
        import research_env.strategy.base, research_env.strategy.vectorized
        print(hasattr(strategies, "__path__"), strategies.base is research_env.strategy.base,
              strategies.vectorized is research_env.strategy.vectorized)
        print(sorted(name for name in vars(strategies) if not name.startswith("__")))
    """, tmp_path)
    assert out.splitlines() == ["True True True", "['base', 'vectorized']"]


def test_strategy_file_with_the_guide_imports_runs_with_plain_python(tmp_path):
    (tmp_path / "always_buy.py").write_text(textwrap.dedent("""
        from core.enums import OrderSide
        from core.models import Bar, Signal
        from core.order_utils import buy
        from strategies.base import StrategyBase
        from strategies.vectorized import VectorizedStrategy


        class AlwaysBuy(StrategyBase):
            def __init__(self, symbols=None):
                super().__init__(name="always_buy", symbols=symbols or ["AAPL"])

            def on_bar(self, bar: Bar) -> list[Signal]:
                return [Signal(bar.symbol, OrderSide.BUY, 1.0)]
    """))
    (tmp_path / "try_it.py").write_text(textwrap.dedent("""
        from datetime import datetime
        from decimal import Decimal

        import research_env
        from always_buy import AlwaysBuy, Bar, VectorizedStrategy, buy

        strategy = AlwaysBuy()
        strategy.on_init()
        strategy.on_start()
        price = Decimal("150")
        bar = Bar(symbol="AAPL", timeframe="1d", timestamp=datetime(2024, 1, 2), open=price, high=price,
                  low=price, close=price, volume=Decimal("1000"))
        signals = strategy.feed_bar(bar)
        print([(s.symbol, s.side.name) for s in signals])
        print(isinstance(strategy, research_env.StrategyBase), type(signals[0]) is research_env.Signal,
              VectorizedStrategy is research_env.VectorizedStrategy, callable(buy))
    """))
    done = subprocess.run([sys.executable, "try_it.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[('AAPL', 'BUY')]", "True True True True"]


def test_project_core_package_in_the_working_directory_wins(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "__init__.py").write_text("")
    (tmp_path / "core" / "models.py").write_text("Bar = 'the project bar'\n")
    out = run_python("""
        import os, sys
        import core.models
        here = os.path.join(os.getcwd(), "core")
        print(core.models.Bar, os.path.dirname(core.__file__) == here)
        print(os.path.dirname(core.models.__file__) == here, "research_env" not in core.models.__file__)
        print("research_env.core" in sys.modules)
        from core.enums import OrderSide  # not in the project's package: still served
        import research_env.core.enums
        print(OrderSide is research_env.core.enums.OrderSide)
    """, tmp_path)
    assert out.splitlines() == ["the project bar True", "True True", "False", "True"]


def test_finder_is_last_on_meta_path_and_install_is_idempotent(tmp_path):
    out = run_python("""
        import sys
        from research_env._seed_aliases import SeedAliasFinder, install_seed_aliases
        install_seed_aliases()
        install_seed_aliases()
        ours = [i for i, f in enumerate(sys.meta_path) if isinstance(f, SeedAliasFinder)]
        print(ours == [len(sys.meta_path) - 1])
    """, tmp_path)
    assert out.strip() == "True"


def test_interpreter_start_loads_neither_importlib_abc_nor_the_aliased_modules(tmp_path):
    out = run_python("""
        import sys
        print("research_env._seed_aliases" in sys.modules)
        print([m for m in ("importlib.abc", "importlib.util", "research_env.core", "core", "strategies")
               if m in sys.modules])
    """, tmp_path)
    assert out.splitlines() == ["True", "[]"]


def test_interpreter_start_imports_nothing_but_the_hook_and_the_empty_package(tmp_path):
    """``python -X importtime -c pass``: what loads under research_env._seed_aliases at every interpreter start is
    the package's own ``__init__`` (which imports nothing) and ``__future__``. Its cost in microseconds is a
    benchmark (benchmarks/RESULTS.md, "Seed-alias start-up cost"), not a test: timings here move with the
    machine's load."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "pass"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=True)
    rows = [row.split("|")[-1] for row in done.stderr.splitlines() if row.startswith("import time:")]
    names = [row.strip() for row in rows]
    hook = names.index("research_env._seed_aliases")
    depth = len(rows[hook]) - len(rows[hook].lstrip())
    children = []
    for row in reversed(rows[:hook]):  # importtime lists a module's imports just before it, indented deeper
        if len(row) - len(row.lstrip()) <= depth:
            break
        children.append(row.strip())
    assert sorted(children) == ["__future__", "research_env"]
