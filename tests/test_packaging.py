"""The distribution: environment.yml lists what pyproject.toml does; the console script and aliases work."""

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT


def _name(requirement: str) -> str:
    for sep in ("[", ">", "<", "=", "~", "!", " "):
        requirement = requirement.split(sep)[0]
    return requirement.strip().lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"]) | {r for extra in project["optional-dependencies"].values() for r in extra}
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = {r for r in pip if not r.startswith("-e")}
    assert {_name(r): r for r in listed} == {_name(r): r for r in wanted}


def test_import_research_env_loads_no_heavy_module():
    code = ("import sys, research_env; heavy = [m for m in ('pandas', 'numpy', 'talib', 'numba', 'vectorbt') "
            "if m in sys.modules]; print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_seed_import_paths_resolve_to_research_env_types():
    import core.enums
    import core.models
    import strategies.base

    import research_env

    assert core.models.Bar is research_env.Bar
    assert core.models.Signal is research_env.Signal
    assert core.enums.OrderSide is research_env.OrderSide
    assert strategies.base.StrategyBase is research_env.StrategyBase


def test_reference_helpers_import_from_core_order_utils():
    from core.order_utils import bracket_order, buy, sell_all

    from research_env.strategy.function_style import order_utils

    assert (buy, sell_all, bracket_order) == (order_utils.buy, order_utils.sell_all, order_utils.bracket_order)


def test_console_script_is_installed_beside_the_interpreter():
    script = Path(sys.executable).parent / "research-env"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert done.returncode == 0
    assert "backtest" in done.stdout and "data" in done.stdout
