"""Import paths of the strategy guide (``core.models``, ``strategies.base`` ...) served by research-env.

Strategy files written to the guide import ``from core.models import Bar``
and ``from strategies.base import StrategyBase``. A finder placed at the END
of ``sys.meta_path`` answers those names, so a project's own ``core`` or
``strategies`` package still wins for everything it really contains, and no
package of that name is installed into site-packages.

The aliases are not copies: ``core``, ``core.models``, ``core.enums``,
``core.order_utils``, ``strategies.base`` and ``strategies.vectorized`` ARE
the research-env modules (``sys.modules['core.models'] is
sys.modules['research_env.core.models']``); their ``__name__`` and
``__spec__`` stay the research-env ones. ``strategies`` (no research-env
twin) is an empty package. Once an alias that is a package (``core``) has
been served, a second finder at the FRONT of ``sys.meta_path`` maps its
submodules (``core.<name>`` -> ``research_env.core.<name>``) so that they are
not loaded a second time from the research-env folder under the guide name.

This module is imported at every interpreter start by
``research_env_seed_aliases.pth``: it imports nothing but ``sys`` (the
package ``__init__`` that runs first only defines lazy exports), and
``importlib.util``/``importlib.machinery`` and the research-env modules load
only at the first import of a guide name (``import core`` ...). Each function
defined here is compiled at every start when no ``.pyc`` is written
(``PYTHONDONTWRITEBYTECODE``): keep the module small.
"""

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

#: served alias package -> its research-env package (``core`` -> ``research_env.core``).
_SERVED_PACKAGES: dict[str, str] = {}


class SeedAliasFinder:
    """Finder and loader of the guide's names (one class: fewer functions to compile at start-up).

    The instance at the end of ``sys.meta_path`` resolves the ``ALIASES`` that
    nothing earlier found; the ``front`` one, inserted at the front once ``core``
    was served, resolves ``core.<name>``: the path finder would otherwise find
    ``<research_env/core>/<name>.py`` through ``core.__path__`` and execute it
    again as a distinct module ``core.<name>``. A spec's ``loader_state`` is the
    research-env module name (``None``: an empty package).
    """

    #: True for the instance at the front of ``sys.meta_path`` (a class attribute: no ``__init__`` to compile).
    front = False

    def find_spec(self, fullname, path=None, target=None):
        if self.front:
            parent, _, child = fullname.rpartition(".")
            real = _SERVED_PACKAGES.get(parent)
            if real is None or sys.modules.get(parent) is not sys.modules.get(real):
                return None  # not a submodule of a served alias (e.g. a project's own ``core`` won)
            aliased = ALIASES.get(fullname) or f"{real}.{child}"
            if aliased not in sys.modules:
                from importlib.util import find_spec

                if find_spec(aliased) is None:
                    return None
        elif fullname in ALIASES:
            aliased = ALIASES[fullname]
        else:
            return None
        from importlib.machinery import ModuleSpec

        spec = ModuleSpec(fullname, self, is_package=aliased is None)
        spec.loader_state = aliased
        return spec

    def create_module(self, spec):
        if spec.loader_state is None:
            return None  # the default: a new empty module, ``__path__ = []`` (is_package)
        __import__(spec.loader_state)
        module = sys.modules[spec.loader_state]
        # The import system now sets ``__spec__`` unconditionally (``__name__``, ``__loader__``,
        # ``__package__``, ``__path__`` only when missing): exec_module puts the real one back.
        spec.loader_state = (spec.loader_state, module.__spec__)
        return module

    def exec_module(self, module) -> None:
        spec = module.__spec__
        if spec.loader_state is None:
            return
        real, module.__spec__ = spec.loader_state
        if hasattr(module, "__path__"):
            _SERVED_PACKAGES[spec.name] = real
            if not any(isinstance(f, SeedAliasFinder) and f.front for f in sys.meta_path):
                submodules = SeedAliasFinder()
                submodules.front = True
                sys.meta_path.insert(0, submodules)


def install_seed_aliases() -> None:
    """Make the guide's import paths importable (idempotent)."""
    if not any(isinstance(f, SeedAliasFinder) and not f.front for f in sys.meta_path):
        sys.meta_path.append(SeedAliasFinder())
