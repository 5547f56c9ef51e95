"""The one strategy loader: what a user names (class, instance, registered name, ``.py`` path, source text)
becomes a ``LoadedStrategy``.

Strategy files run unchanged: the guide's import paths (``core.models``,
``strategies.base``, ``core.order_utils``) are importable, and a file may
import its neighbours (``import helpers``), which load under a name private
to its folder (see ``_local_imports``). A file without a ``StrategyBase``
subclass but with the reference's ``on_bar_close`` (or legacy ``strategy``)
function becomes a function-style strategy class.

One cache serves every caller (``backtest``, sweeps of every kind and their
workers, the magics): it is keyed by the content of the file and of the
local modules it imported, so a file executes once per process and a changed
file, or a changed ``helpers.py`` next to it, is loaded afresh.
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
import weakref
from dataclasses import dataclass
from pathlib import Path

from .._seed_aliases import install_seed_aliases
from ..errors import InputError
from ._local_imports import local_builtins, local_files, local_package, purge_local_package
from .base import StrategyBase
from .function_style import FunctionStrategyError, function_strategy_class, helper_namespace, is_function_style
from .printing import strategy_print
from .vectorized import VectorizedStrategy

__all__ = [
    "LoadedStrategy",
    "StrategyLoadError",
    "available_strategies",
    "load_strategy",
    "load_strategy_class",
    "load_strategy_file",
    "load_strategy_source",
    "register_strategy",
    "strategy_search_path",
]


class StrategyLoadError(InputError):
    """A strategy could not be found, imported or instantiated; the message says how to fix it."""


@dataclass(frozen=True, eq=False)
class LoadedStrategy:
    """A strategy as the loader found it: its bar-by-bar class, its vectorized twin, where it came from.

    ``kind`` says how it was named: ``"file"`` (``path`` set), ``"source"``
    (notebook cell text), ``"registered"`` (a name given to
    ``register_strategy``) or ``"object"`` (a class or instance passed
    directly). ``digest`` is the SHA-256 of the file (or source) and of the
    local modules it imported: the same digest, the same code.
    ``strategy_class`` runs bar by bar (a ``StrategyBase`` subclass, the
    function-style adapter's class for a function-style file);
    ``vectorized_class`` runs in vectorized sweeps; either may be ``None``.
    ``instance`` is the object the user passed, when they passed one.
    """

    name: str
    kind: str
    origin: str
    strategy_class: type[StrategyBase] | None = None
    vectorized_class: type[VectorizedStrategy] | None = None
    path: Path | None = None
    digest: str | None = None
    instance: StrategyBase | VectorizedStrategy | None = None

    @property
    def style(self) -> str:
        """``"function"``, ``"class"`` or ``"vectorized"`` (only a vectorized strategy)."""
        from .function_style import FunctionStrategy

        if self.strategy_class is None:
            return "vectorized"
        return "function" if issubclass(self.strategy_class, FunctionStrategy) else "class"

    def bar_class(self) -> type[StrategyBase]:
        """The bar-by-bar class, or a ``StrategyLoadError`` that says where a vectorized-only strategy runs."""
        if self.strategy_class is None:
            raise StrategyLoadError(
                f"{self.origin} defines the vectorized strategy {self.vectorized_class.__name__}, which runs in "
                "parameter sweeps: use `research-env sweep` or research_env.sweep(...); backtest its StrategyBase "
                "twin bar by bar"
            )
        return self.strategy_class

    def ref(self) -> dict:
        """Plain data naming this strategy for a run specification: kind, name, path and digest."""
        return {"kind": self.kind, "name": self.name, "path": str(self.path) if self.path else None,
                "digest": self.digest}


_REGISTRY: dict[str, LoadedStrategy] = {}
# resolved file -> (the files it executed with their SHA-256, the result)
_FILE_CACHE: dict[Path, tuple[dict[Path, str], LoadedStrategy]] = {}
_SOURCE_CACHE: dict[tuple[str, str, bool], LoadedStrategy] = {}
_CLASS_DIGESTS: weakref.WeakKeyDictionary[type, str | None] = weakref.WeakKeyDictionary()


def register_strategy(name: str, strategy: type[StrategyBase] | type[VectorizedStrategy]) -> None:
    """Make ``strategy`` available by ``name`` to ``backtest``, ``sweep``, the CLI and the magics."""
    if inspect.isclass(strategy) and issubclass(strategy, StrategyBase):
        previous = _REGISTRY.get(name)
        twin = previous.vectorized_class if previous is not None else None
        _REGISTRY[name] = LoadedStrategy(name, "registered", f"strategy `{name}`", strategy_class=strategy,
                                         vectorized_class=twin, digest=_digest_of(strategy))
    elif inspect.isclass(strategy) and issubclass(strategy, VectorizedStrategy):
        previous = _REGISTRY.get(name)
        bar = previous.strategy_class if previous is not None else None
        _REGISTRY[name] = LoadedStrategy(name, "registered", f"strategy `{name}`", strategy_class=bar,
                                         vectorized_class=strategy, digest=_digest_of(strategy))
    else:
        raise StrategyLoadError(f"`{name}` must be a StrategyBase or VectorizedStrategy subclass, got {strategy!r}")


def strategy_search_path() -> list[Path]:
    """Folders searched for ``<name>.py``: ``$RESEARCH_ENV_STRATEGIES``, ``./strategies``, ``.``, the examples."""
    paths = [Path(p) for p in os.environ.get("RESEARCH_ENV_STRATEGIES", "").split(os.pathsep) if p]
    paths += [Path.cwd() / "strategies", Path.cwd()]
    package = Path(__file__).resolve().parents[1]
    paths += [package.parent / "strategies", package / "bundled_strategies"]
    return [p for p in dict.fromkeys(paths) if p.is_dir()]


def available_strategies() -> dict[str, str]:
    """Every name ``load_strategy`` accepts, with where it comes from."""
    found = {name: "registered" for name in _REGISTRY}
    for folder in strategy_search_path():
        for file in sorted(folder.glob("*.py")):
            if not file.name.startswith("_"):
                found.setdefault(file.stem, str(file))
    return found


def load_strategy(spec) -> LoadedStrategy:
    """The strategy ``spec`` names: a ``StrategyBase`` or ``VectorizedStrategy`` class or instance, a
    ``LoadedStrategy``, a registered name, a name found on ``strategy_search_path()`` or a ``.py`` path.

    A name ``x`` takes its bar-by-bar class from ``x.py`` and its vectorized
    twin from ``x_vectorized.py`` (else from ``x.py``).
    """
    if isinstance(spec, LoadedStrategy):
        return spec
    if isinstance(spec, StrategyBase | VectorizedStrategy):
        loaded = _of_class(type(spec))
        return LoadedStrategy(loaded.name, loaded.kind, loaded.origin, loaded.strategy_class,
                              loaded.vectorized_class, loaded.path, loaded.digest, instance=spec)
    if inspect.isclass(spec):
        if issubclass(spec, StrategyBase | VectorizedStrategy):
            return _of_class(spec)
        raise StrategyLoadError(f"`strategy` {spec.__name__} inherits from neither StrategyBase nor "
                                "VectorizedStrategy")
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and (spec.endswith(".py") or os.sep in spec)):
        return _load_file(Path(spec))
    if isinstance(spec, str):
        return _load_name(spec)
    raise StrategyLoadError(f"`strategy` must be a class, instance, name or .py path, got {type(spec).__name__}")


def load_strategy_class(spec) -> type[StrategyBase] | StrategyBase:
    """The bar-by-bar ``StrategyBase`` subclass ``spec`` names, or the instance itself when ``spec`` is one."""
    loaded = load_strategy(spec)
    if isinstance(loaded.instance, StrategyBase):
        return loaded.instance
    return loaded.bar_class()


def load_strategy_file(path) -> type[StrategyBase]:
    """The bar-by-bar strategy class of a file: its ``StrategyBase`` subclass (one class per file) or, for a
    function-style file, the class the adapter makes of it."""
    return _load_file(Path(path)).bar_class()


def load_strategy_source(source: str, name: str) -> type[StrategyBase]:
    """The strategy defined by ``source`` (e.g. a ``%%strategy`` notebook cell), as ``load_strategy_file`` would.

    ``name`` names it in messages, reports and tracebacks (``<strategy name>``);
    register the class with ``register_strategy(name, cls)`` to backtest it by name.
    """
    return load_source(source, name).bar_class()


def load_source(source: str, name: str, *, builtins: dict | None = None) -> LoadedStrategy:
    """``load_strategy_source`` as a ``LoadedStrategy`` (with the vectorized twin, if the text defines one).

    ``builtins`` replaces the module's ``__builtins__`` (the untrusted-code policy's restricted ones); such a
    load is cached apart from an unrestricted one.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise StrategyLoadError(f"strategy name {name!r} must be a Python identifier, e.g. 'my_rsi'")
    digest = hashlib.sha256(source.encode()).hexdigest()
    key = (name, digest, builtins is not None)
    cached = _SOURCE_CACHE.get(key)
    if cached is not None:
        return cached
    filename = f"<strategy {name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module_name = f"research_env_cell_{name}_{digest[:10]}"
    module, tree = _execute(source, module_name=module_name, filename=filename, where=f"strategy `{name}`",
                            package=None, builtins=builtins)
    loaded = _inspect(module, tree, name=name, kind="source", origin=f"strategy `{name}`", path=None,
                      digest=digest)
    _SOURCE_CACHE[key] = loaded
    return loaded


# --- names and classes -------------------------------------------------------------------------------------------


def _load_name(name: str) -> LoadedStrategy:
    if name in _REGISTRY:
        return _REGISTRY[name]
    for folder in strategy_search_path():
        plain, twin = folder / f"{name}.py", folder / f"{name}_vectorized.py"
        if not (plain.is_file() or twin.is_file()):
            continue
        loaded = _load_file(plain) if plain.is_file() else None
        vectorized = _load_file(twin) if twin.is_file() else None
        if loaded is None:
            return vectorized
        if vectorized is None or vectorized.vectorized_class is None:
            return loaded
        return LoadedStrategy(name, "file", loaded.origin, loaded.strategy_class, vectorized.vectorized_class,
                              loaded.path, _combine(loaded.digest, vectorized.digest))
    names = ", ".join(sorted(available_strategies())) or "none"
    raise StrategyLoadError(
        f"no strategy named `{name}`; known names: {names}. Pass a .py path, a class, or register one."
    )


def _of_class(cls: type) -> LoadedStrategy:
    """A class passed directly: the file's entry when it came from a loaded file, else an ``"object"`` entry."""
    for _, loaded in _FILE_CACHE.values():
        if cls is loaded.strategy_class or cls is loaded.vectorized_class:
            return LoadedStrategy(loaded.name, "file", loaded.origin,
                                  cls if issubclass(cls, StrategyBase) else None,
                                  cls if issubclass(cls, VectorizedStrategy) else None, loaded.path, loaded.digest)
    for loaded in _REGISTRY.values():
        if cls is loaded.strategy_class or cls is loaded.vectorized_class:
            return loaded
    bar = cls if issubclass(cls, StrategyBase) else None
    vectorized = cls if issubclass(cls, VectorizedStrategy) else None
    return LoadedStrategy(cls.__name__, "object", f"{cls.__module__}.{cls.__qualname__}", bar, vectorized,
                          digest=_digest_of(cls))


def _digest_of(cls: type) -> str | None:
    """SHA-256 of a class's source, when Python can find it (once per class: reading it parses the module)."""
    if cls not in _CLASS_DIGESTS:
        try:
            _CLASS_DIGESTS[cls] = hashlib.sha256(inspect.getsource(cls).encode()).hexdigest()
        except (OSError, TypeError):
            _CLASS_DIGESTS[cls] = None
    return _CLASS_DIGESTS[cls]


def _combine(*digests: str | None) -> str | None:
    if any(d is None for d in digests):
        return None
    return hashlib.sha256("".join(digests).encode()).hexdigest()


# --- files -------------------------------------------------------------------------------------------------------


def _load_file(path: Path) -> LoadedStrategy:
    path = path.expanduser().resolve()
    if path.suffix != ".py":
        raise StrategyLoadError(f"strategy file {path} is not a .py file; name a Python strategy file (nothing else "
                                "is executed)")
    if not path.is_file():
        raise StrategyLoadError(f"strategy file {path} does not exist")
    cached = _FILE_CACHE.get(path)
    if cached is not None and all(_sha256(f) == sha for f, sha in cached[0].items()):
        return cached[1]
    package = local_package(path.parent)
    if cached is not None:
        purge_local_package(package)  # a neighbour changed, or the file itself: load every local module afresh
    source = path.read_text(encoding="utf-8")
    module_name = f"research_env_user_{path.stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:10]}"
    module, tree = _execute(source, module_name=module_name, filename=str(path), where=str(path), package=package)
    files = {path: hashlib.sha256(source.encode()).hexdigest()}
    files.update({f: _sha256(f) for f in local_files(package)})
    digest = hashlib.sha256("".join(f"{f.name}:{sha}" for f, sha in sorted(files.items())).encode()).hexdigest()
    loaded = _inspect(module, tree, name=path.stem, kind="file", origin=str(path), path=path, digest=digest)
    _FILE_CACHE[path] = (files, loaded)
    return loaded


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _execute(source: str, *, module_name: str, filename: str, where: str, package: str | None,
             builtins: dict | None = None) -> tuple[types.ModuleType, ast.Module]:
    install_seed_aliases()
    try:
        tree = ast.parse(source, filename)
        code = compile(tree, filename, "exec")
    except SyntaxError as e:
        raise StrategyLoadError(f"{where}, line {e.lineno}: syntax error: {e.msg}") from e
    module = types.ModuleType(module_name)
    module.__dict__["print"] = strategy_print  # while the engine runs it, the strategy's prints go to its log
    if package is not None:
        module.__file__ = filename
        module.__dict__["__builtins__"] = local_builtins(package)
    if builtins is not None:
        module.__dict__["__builtins__"] = builtins
    if is_function_style(tree):
        module.__dict__.update(helper_namespace())  # the reference's helpers need no import
    try:
        exec(code, module.__dict__)
    except Exception as e:
        raise StrategyLoadError(f"{where} failed to import: {type(e).__name__}: {e}") from e
    sys.modules[module_name] = module
    return module, tree


def _inspect(module: types.ModuleType, tree: ast.Module, *, name: str, kind: str, origin: str, path: Path | None,
             digest: str) -> LoadedStrategy:
    """The strategy classes an executed module defines."""
    own = [obj for obj in vars(module).values() if inspect.isclass(obj) and obj.__module__ == module.__name__]
    classes = [c for c in own if issubclass(c, StrategyBase) and not inspect.isabstract(c)]
    vectorized = [c for c in own if issubclass(c, VectorizedStrategy)]
    if len(classes) > 1:
        warnings.warn(
            f"{origin} defines {len(classes)} strategies ({', '.join(c.__name__ for c in classes)}); "
            f"using the first, {classes[0].__name__} (the guide asks for one class per file)",
            stacklevel=4,
        )
    bar = classes[0] if classes else None
    if bar is None and (is_function_style(tree) or "BACKTEST_CONFIG" in vars(module)):
        try:
            bar = function_strategy_class(vars(module), tree, name=name, origin=origin, module_name=module.__name__)
        except FunctionStrategyError as e:
            raise StrategyLoadError(str(e)) from e
    if bar is None and not vectorized:
        plain = [c.__name__ for c in own if callable(getattr(c, "generate_signals", None))]
        if plain:
            raise StrategyLoadError(f"{origin} defines {plain[0]} with generate_signals, but it does not inherit "
                                    f"from VectorizedStrategy; write `class {plain[0]}(VectorizedStrategy)`")
        raise StrategyLoadError(
            f"{origin} defines no StrategyBase subclass; write `class MyStrategy(StrategyBase)` with an on_bar "
            "method, or a function-style `def on_bar_close(market, portfolio, memory, session)`"
        )
    return LoadedStrategy(name, kind, origin, bar, vectorized[0] if vectorized else None, path, digest)
