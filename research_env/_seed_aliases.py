"""Import paths of the strategy guide (``core.models``, ``strategies.base`` ...) served by research-env.

Strategy files written to the guide import ``from core.models import Bar``
and ``from strategies.base import StrategyBase``. A finder placed at the END
of ``sys.meta_path`` answers those names, so a project's own ``core`` or
``strategies`` package still wins for everything it really contains, and no
package of that name is installed into site-packages. Only the standard
library is imported here: the finder is installed at interpreter start by
``research_env_seed_aliases.pth``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

__all__ = ["ALIASES", "install_seed_aliases"]

#: guide module name -> research-env module (``None``: an empty package).
ALIASES: dict[str, str | None] = {
    "core": "research_env.core",
    "core.enums": "research_env.core.enums",
    "core.models": "research_env.core.models",
    "core.order_utils": "research_env.strategy.function_style.order_utils",
    "strategies": None,
    "strategies.base": "research_env.strategy.base",
    "strategies.vectorized": "research_env.strategy.vectorized",
}
_PACKAGES = {"core", "strategies"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str | None):
        self.target = target

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        if module.__name__ in _PACKAGES:
            module.__path__ = []
        if self.target is None:
            return
        target = importlib.import_module(self.target)
        names = getattr(target, "__all__", [n for n in vars(target) if not n.startswith("_")])
        module.__dict__.update({name: getattr(target, name) for name in names})
        module.__all__ = list(names)
        module.__doc__ = target.__doc__


class SeedAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves the guide's module names that nothing earlier on ``sys.meta_path`` found."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in ALIASES:
            return None
        aliased = ALIASES[fullname]
        if aliased is not None and importlib.util.find_spec(aliased) is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(aliased), is_package=fullname in _PACKAGES
        )


def install_seed_aliases() -> None:
    """Make the guide's import paths importable (idempotent)."""
    if not any(isinstance(f, SeedAliasFinder) for f in sys.meta_path):
        sys.meta_path.append(SeedAliasFinder())
