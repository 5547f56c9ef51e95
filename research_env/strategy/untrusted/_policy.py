"""What untrusted strategy code may use: the imports, the builtins, and modules seen through a public-only view.

The guide's section 15 allows `strategies.base`, `core.models`, `core.enums`, `math`, `statistics`,
`collections` and `dataclasses`; its own examples also use `decimal`, `datetime`, `typing`, `enum`,
`functools` and `itertools`. Everything else is refused unless the operator lists it in
``[untrusted] allowed_imports``; the guide's blocked modules can never be allowed.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Iterable

from ...errors import InputError

__all__ = [
    "ALLOWED_IMPORTS",
    "BLOCKED_BUILTINS",
    "BLOCKED_MODULES",
    "UntrustedCodeError",
    "allowed_modules",
    "from_import_refusal",
    "import_refusal",
    "restricted_builtins",
]

#: The guide's list (section 15) and the harmless standard modules its examples import.
ALLOWED_IMPORTS = ("strategies.base", "core.models", "core.enums", "math", "statistics", "collections",
                   "dataclasses", "decimal", "datetime", "typing", "enum", "functools", "itertools")
#: The guide's blocked modules and their kin (file, process, network, interpreter access); never allowed.
BLOCKED_MODULES = ("os", "subprocess", "sys", "shutil", "socket", "http", "requests", "urllib", "pathlib",
                   "ctypes", "multiprocessing", "threading", "signal", "importlib", "builtins", "io", "posix",
                   "nt", "_thread", "asyncio", "concurrent", "pickle", "marshal", "shelve", "gc", "inspect",
                   "code", "codeop", "runpy", "pty", "tempfile", "glob", "fcntl", "resource", "mmap", "select",
                   "selectors", "ssl", "ftplib", "smtplib", "xmlrpc", "webbrowser", "zipimport", "pkgutil",
                   "sysconfig", "platform", "faulthandler", "tracemalloc", "site", "ensurepip", "venv", "urllib3",
                   "httpx", "aiohttp", "cffi", "_ctypes", "_posixsubprocess", "_socket", "_io", "_os")
#: The guide's blocked builtins, and those that reach around the static checks.
BLOCKED_BUILTINS = ("exec", "eval", "compile", "__import__", "open", "breakpoint", "input", "getattr", "setattr",
                    "delattr", "vars", "globals", "locals", "dir", "memoryview", "help", "exit", "quit")

_SAFE_BUILTINS = ("abs", "all", "any", "ascii", "bin", "bool", "bytearray", "bytes", "callable", "chr",
                  "classmethod", "complex", "dict", "divmod", "enumerate", "filter", "float", "format",
                  "frozenset", "hasattr", "hash", "hex", "id", "int", "isinstance", "issubclass", "iter", "len",
                  "list", "map", "max", "min", "next", "object", "oct", "ord", "pow", "print", "property", "range",
                  "repr", "reversed", "round", "set", "slice", "sorted", "staticmethod", "str", "sum", "super",
                  "tuple", "type", "zip", "None", "True", "False", "NotImplemented", "Ellipsis", "__build_class__")


class UntrustedCodeError(InputError):
    """Untrusted strategy code that the validation refused; the message names the rule, the line and the setting."""


def allowed_modules(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The modules untrusted code may import: ``ALLOWED_IMPORTS`` plus the operator's ``extra`` ones."""
    return tuple(dict.fromkeys((*ALLOWED_IMPORTS, *extra)))


def _within(name: str, roots: Iterable[str]) -> str | None:
    return next((root for root in roots if name == root or name.startswith(root + ".")), None)


def import_refusal(name: str, allowed: Iterable[str]) -> str | None:
    """Why ``import name`` is refused (``None``: allowed). A submodule of an allowed module is allowed."""
    blocked = _within(name, BLOCKED_MODULES)
    if blocked is not None:
        return (f"`{name}` is a blocked module ({blocked}: files, processes, network or the interpreter); "
                "untrusted strategies can never import it")
    if _within(name, allowed) is not None:
        return None
    return (f"`{name}` is not among the modules untrusted strategies may import ({', '.join(ALLOWED_IMPORTS)}); "
            "indicators come from self.indicators_for(symbol). An operator may allow it with "
            f'`[untrusted] allowed_imports = ["{name}"]` in research-env.toml')


def from_import_refusal(module: str, names, allowed: Iterable[str]) -> str | None:
    """Why ``from module import names`` is refused (``None``: allowed): ``module`` is allowed, or every name is an
    allowed submodule of it (``from core import models``)."""
    refusal = import_refusal(module, allowed)
    if refusal is not None and names and all(import_refusal(f"{module}.{name}", allowed) is None for name in names):
        return None
    return refusal


def _public_view(module: types.ModuleType, allowed: tuple[str, ...], seen: dict) -> types.ModuleType:
    """``module`` with only its public names; the modules it holds appear only when allowed (as views too), so
    ``dataclasses.sys`` or ``collections._sys`` lead nowhere."""
    if module.__name__ in seen:
        return seen[module.__name__]
    view = types.ModuleType(module.__name__, getattr(module, "__doc__", None))
    seen[module.__name__] = view
    for key, value in vars(module).items():
        if key.startswith("_"):
            continue
        if isinstance(value, types.ModuleType):
            if import_refusal(value.__name__, allowed) is not None:
                continue
            value = _public_view(value, allowed, seen)
        setattr(view, key, value)
    return view


def _check_import(name: str, fromlist, level: int, allowed: tuple[str, ...]) -> None:
    if level:
        raise UntrustedCodeError(f"relative import `from {'.' * level}{name or ''} import ...`: untrusted strategies "
                                 "are one file; import only allowed modules")
    items = list(fromlist or ())
    private = [item for item in items if item.startswith("_") or item == "*"]
    if private:
        raise UntrustedCodeError(f"`from {name} import {private[0]}`: private names and `*` are refused")
    refusal = from_import_refusal(name, items, allowed)
    if refusal is not None:
        raise UntrustedCodeError(f"import refused: {refusal}")


def _guarded_import(allowed: tuple[str, ...]):
    real_import = builtins.__import__
    views: dict = {}  # one public view per module, however often the strategy imports it (e.g. in on_bar)

    def guarded(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 - __import__'s signature
        _check_import(name, fromlist, level, allowed)
        module = real_import(name, globals, locals, fromlist, 0)
        if fromlist:
            for item in fromlist:  # a submodule named in fromlist is imported here, as Python would
                if not hasattr(module, item) and import_refusal(f"{name}.{item}", allowed) is None:
                    real_import(f"{name}.{item}")
        return _public_view(module, allowed, views)

    return guarded


def restricted_builtins(allowed: tuple[str, ...]) -> dict:
    """The ``__builtins__`` of untrusted code: harmless builtins, the exception classes, and an ``__import__``
    that admits only ``allowed`` modules (seen through public-only views)."""
    namespace = {name: getattr(builtins, name) for name in _SAFE_BUILTINS}
    namespace.update({name: value for name, value in vars(builtins).items()
                      if isinstance(value, type) and issubclass(value, BaseException)})
    namespace["__import__"] = _guarded_import(allowed)
    return namespace
