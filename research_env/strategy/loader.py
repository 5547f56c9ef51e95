"""Turn what a user names (class, instance, registered name, ``.py`` path) into a strategy.

Strategy files run unchanged: before a file executes, the guide's import
paths (``core.models``, ``strategies.base``) are made importable, and the
file's own folder is put on ``sys.path`` so it can import its neighbours.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import warnings
from pathlib import Path

from .._seed_aliases import install_seed_aliases
from .base import StrategyBase

__all__ = [
    "StrategyLoadError",
    "available_strategies",
    "load_strategy_class",
    "load_strategy_file",
    "register_strategy",
    "strategy_search_path",
]

_REGISTRY: dict[str, type[StrategyBase]] = {}


class StrategyLoadError(ValueError):
    """A strategy could not be found, imported or instantiated; the message says how to fix it."""


def register_strategy(name: str, strategy: type[StrategyBase]) -> None:
    """Make ``strategy`` available by ``name`` to ``backtest``, the CLI and the magics."""
    if not (inspect.isclass(strategy) and issubclass(strategy, StrategyBase)):
        raise StrategyLoadError(f"`{name}` must be a StrategyBase subclass, got {strategy!r}")
    _REGISTRY[name] = strategy


def strategy_search_path() -> list[Path]:
    """Folders searched for ``<name>.py``: ``$RESEARCH_ENV_STRATEGIES``, ``./strategies``, ``.``, the examples."""
    paths = [Path(p) for p in os.environ.get("RESEARCH_ENV_STRATEGIES", "").split(os.pathsep) if p]
    paths += [Path.cwd() / "strategies", Path.cwd()]
    package = Path(__file__).resolve().parents[1]
    paths += [package.parent / "strategies", package / "bundled_strategies"]
    return [p for p in dict.fromkeys(paths) if p.is_dir()]


def available_strategies() -> dict[str, str]:
    """Every name ``load_strategy_class`` accepts, with where it comes from."""
    found = {name: "registered" for name in _REGISTRY}
    for folder in strategy_search_path():
        for file in sorted(folder.glob("*.py")):
            if not file.name.startswith("_"):
                found.setdefault(file.stem, str(file))
    return found


def load_strategy_class(spec) -> type[StrategyBase] | StrategyBase:
    """A ``StrategyBase`` subclass or instance from a class, instance, registered name or file path."""
    if isinstance(spec, StrategyBase):
        return spec
    if inspect.isclass(spec):
        if issubclass(spec, StrategyBase):
            return spec
        raise StrategyLoadError(f"`strategy` {spec.__name__} does not inherit from StrategyBase")
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and (spec.endswith(".py") or os.sep in spec)):
        return load_strategy_file(spec)
    if isinstance(spec, str):
        if spec in _REGISTRY:
            return _REGISTRY[spec]
        for folder in strategy_search_path():
            candidate = folder / f"{spec}.py"
            if candidate.is_file():
                return load_strategy_file(candidate)
        names = ", ".join(sorted(available_strategies())) or "none"
        raise StrategyLoadError(
            f"no strategy named `{spec}`; known names: {names}. Pass a .py path, a class, or register one."
        )
    raise StrategyLoadError(f"`strategy` must be a class, instance, name or .py path, got {type(spec).__name__}")


def load_strategy_file(path) -> type[StrategyBase]:
    """Import a strategy file and return its first ``StrategyBase`` subclass (one class per file)."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise StrategyLoadError(f"strategy file {path} does not exist")
    install_seed_aliases()
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    module_name = f"research_env_user_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    folder = str(path.parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        raise StrategyLoadError(f"{path}, line {e.lineno}: syntax error: {e.msg}") from e
    except Exception as e:
        raise StrategyLoadError(f"{path} failed to import: {type(e).__name__}: {e}") from e
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    sys.modules[module_name] = module
    classes = [
        obj for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, StrategyBase) and obj.__module__ == module_name
        and not inspect.isabstract(obj)
    ]
    if not classes:
        raise StrategyLoadError(
            f"{path} defines no StrategyBase subclass; write `class MyStrategy(StrategyBase)` with an on_bar method"
        )
    if len(classes) > 1:
        warnings.warn(
            f"{path} defines {len(classes)} strategies ({', '.join(c.__name__ for c in classes)}); "
            f"using the first, {classes[0].__name__} (the guide asks for one class per file)",
            stacklevel=2,
        )
    return classes[0]
