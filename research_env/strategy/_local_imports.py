"""A strategy's own modules (``import helpers`` next to the strategy file), loaded under a name private to the folder.

A strategy file may import a sibling ``helpers.py`` (or a sibling package)
as if its folder were on ``sys.path``. Those modules load as
``research_env_local_<folder hash>.helpers``, never as a bare ``helpers`` in
``sys.modules``, so two folders with a ``helpers.py`` each never see each
other's, and a user's unrelated ``helpers`` package is never shadowed. The
strategy's module gets its own ``__builtins__`` whose ``__import__`` routes
the folder's names there; modules loaded that way get the same treatment, so
``helpers`` may import a sibling too.
"""

from __future__ import annotations

import builtins
import hashlib
import importlib.machinery
import sys
import types
from pathlib import Path

__all__ = ["LOCAL_PREFIX", "local_builtins", "local_files", "local_package", "purge_local_package"]

LOCAL_PREFIX = "research_env_local_"


def local_package(folder: Path) -> str:
    """The private package name for ``folder``'s modules, registered in ``sys.modules`` on first use."""
    folder = folder.resolve()
    name = LOCAL_PREFIX + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    if name not in sys.modules:
        package = types.ModuleType(name, f"Modules next to the strategy files in {folder}.")
        package.__path__ = [str(folder)]
        package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.__spec__.submodule_search_locations = [str(folder)]
        sys.modules[name] = package
    _install_finder()
    return name


def purge_local_package(package: str) -> None:
    """Forget every module loaded under ``package`` (one of them changed on disk)."""
    for name in [n for n in sys.modules if n.startswith(package + ".")]:
        del sys.modules[name]


def local_files(package: str) -> list[Path]:
    """The files of the modules loaded so far under ``package``."""
    files = []
    for name, module in list(sys.modules.items()):
        if name.startswith(package + ".") and getattr(module, "__file__", None):
            files.append(Path(module.__file__))
    return sorted(files)


def local_builtins(package: str) -> dict:
    """``builtins`` with an ``__import__`` that serves the folder's own module names from ``package``."""
    folder = Path(sys.modules[package].__path__[0])
    namespace = dict(vars(builtins))
    namespace["__import__"] = _importer(package, folder)
    return namespace


def _is_local(folder: Path, top: str) -> bool:
    return (folder / f"{top}.py").is_file() or (folder / top / "__init__.py").is_file()


def _importer(package: str, folder: Path):
    real = builtins.__import__

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name:
            top = name.partition(".")[0]
            if _is_local(folder, top):
                module = real(f"{package}.{name}", globals, locals, fromlist, 0)
                return module if fromlist else sys.modules[f"{package}.{top}"]
        return real(name, globals, locals, fromlist, level)

    return _import


class _LocalLoader:
    """Wraps the file loader so a local module runs with the folder-aware ``__builtins__``."""

    def __init__(self, loader, package: str):
        self._loader = loader
        self._package = package

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        module.__dict__["__builtins__"] = local_builtins(self._package)
        self._loader.exec_module(module)


class _LocalFinder:
    """Finds ``research_env_local_<hash>.<name>`` in the folder the private package stands for."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if not fullname.startswith(LOCAL_PREFIX) or "." not in fullname:
            return None
        package = fullname.partition(".")[0]
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _LocalLoader(spec.loader, package)
        return spec


def _install_finder() -> None:
    if _LocalFinder not in sys.meta_path:
        sys.meta_path.insert(0, _LocalFinder)
