"""Turn what a user names (class, instance, registered name, ``.py`` path, source text) into a strategy.

Strategy files run unchanged: before a file executes, the guide's import
paths (``core.models``, ``strategies.base``, ``core.order_utils``) are made
importable, and the file's own folder is put on ``sys.path`` so it can import
its neighbours. A file without a ``StrategyBase`` subclass but with the
reference's ``on_bar_close`` (or legacy ``strategy``) function becomes a
function-style strategy class (``research_env.strategy.function_style``).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import linecache
import os
import sys
import types
import warnings
from pathlib import Path

from .._seed_aliases import install_seed_aliases
from .base import StrategyBase
from .function_style import FunctionStrategyError, function_strategy_class, helper_namespace, is_function_style

__all__ = [
    "StrategyLoadError",
    "available_strategies",
    "load_strategy_class",
    "load_strategy_file",
    "load_strategy_source",
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
    """Import a strategy file and return its strategy class.

    That is its first ``StrategyBase`` subclass (one class per file) or, for a
    function-style file (``on_bar_close`` or the legacy ``strategy`` function),
    the ``FunctionStrategy`` class the adapter makes of it.
    """
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise StrategyLoadError(f"strategy file {path} does not exist")
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    return _load_source(path.read_text(encoding="utf-8"), module_name=f"research_env_user_{path.stem}_{digest}",
                        filename=str(path), where=str(path), name=path.stem, folder=path.parent)


def load_strategy_source(source: str, name: str) -> type[StrategyBase]:
    """The strategy defined by ``source`` (e.g. a ``%%strategy`` notebook cell), as ``load_strategy_file`` would.

    ``name`` names it in messages, reports and tracebacks (``<strategy name>``);
    register the class with ``register_strategy(name, cls)`` to backtest it by name.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise StrategyLoadError(f"strategy name {name!r} must be a Python identifier, e.g. 'my_rsi'")
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    filename = f"<strategy {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return _load_source(source, module_name=f"research_env_cell_{name}_{digest}", filename=filename,
                        where=f"strategy `{name}`", name=name, folder=None)


def _load_source(source: str, *, module_name: str, filename: str, where: str, name: str,
                 folder: Path | None) -> type[StrategyBase]:
    install_seed_aliases()
    try:
        tree = ast.parse(source, filename)
        code = compile(tree, filename, "exec")
    except SyntaxError as e:
        raise StrategyLoadError(f"{where}, line {e.lineno}: syntax error: {e.msg}") from e
    module = types.ModuleType(module_name)
    if folder is not None:
        module.__file__ = filename
    function_style = is_function_style(tree)
    if function_style:
        module.__dict__.update(helper_namespace())  # the reference's helpers need no import
    if folder is not None:
        sys.path.insert(0, str(folder))
    try:
        exec(code, module.__dict__)
    except Exception as e:
        raise StrategyLoadError(f"{where} failed to import: {type(e).__name__}: {e}") from e
    finally:
        if folder is not None and sys.path and sys.path[0] == str(folder):
            sys.path.pop(0)
    sys.modules[module_name] = module
    classes = [
        obj for obj in vars(module).values()
        if inspect.isclass(obj) and issubclass(obj, StrategyBase) and obj.__module__ == module_name
        and not inspect.isabstract(obj)
    ]
    if classes:
        if len(classes) > 1:
            warnings.warn(
                f"{where} defines {len(classes)} strategies ({', '.join(c.__name__ for c in classes)}); "
                f"using the first, {classes[0].__name__} (the guide asks for one class per file)",
                stacklevel=3,
            )
        return classes[0]
    if function_style or "BACKTEST_CONFIG" in vars(module):
        try:
            return function_strategy_class(vars(module), tree, code, name=name, origin=where,
                                           module_name=module_name, file=module.__dict__.get("__file__"))
        except FunctionStrategyError as e:
            raise StrategyLoadError(str(e)) from e
    vectorized = [obj.__name__ for obj in vars(module).values()
                  if inspect.isclass(obj) and callable(getattr(obj, "generate_signals", None))
                  and obj.__module__ == module_name]
    if vectorized:
        raise StrategyLoadError(
            f"{where} defines the vectorized strategy {vectorized[0]}, which runs in parameter sweeps: use "
            "`research-env sweep` or research_env.sweep(...); backtest its StrategyBase twin bar by bar"
        )
    raise StrategyLoadError(
        f"{where} defines no StrategyBase subclass; write `class MyStrategy(StrategyBase)` with an on_bar method, "
        "or a function-style `def on_bar_close(market, portfolio, memory, session)`"
    )
