"""The layers only look down, and module imports form no cycle (docs/architecture.md).

Every module of ``research_env/`` is read with ``ast`` (nothing is imported).
An import counts where it runs: at module level (also inside ``try``, ``if``
and class bodies) or inside a function (a lazy import). Imports under
``if TYPE_CHECKING:`` never run and do not count.

- Looking up a layer is wrong at module level and inside functions alike; the
  one exception is the display hook (``DISPLAY_HOOKS``).
- Doors stand side by side: one imports another only along ``DOOR_IMPORTS``.
- Module-level imports form no cycle; inside ``research_env.notebook`` lazy
  imports count too (``LAZY_CYCLE_PACKAGES``), so magics and widgets keep
  importing ``notebook.running`` rather than each other.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGE = "research_env"

#: Bottom to top; a module may import its own layer and the ones below. A prefix names a module and its submodules.
#: A prefix whose module does not exist yet (``run_spec`` while it is being written) is simply unused.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("research_env.errors", "research_env.core", "research_env._seed_aliases")),
    ("settings", ("research_env.settings", "research_env.db")),
    ("data", ("research_env.data",)),
    ("strategy", ("research_env.strategy",)),
    ("engine", ("research_env.engine", "research_env.manifest")),
    ("run spec", ("research_env.run_spec", "research_env.run_options")),
    ("entry points", ("research_env.api", "research_env.sweeps", "research_env.contained",
                      "research_env.lookahead", "research_env.replays")),
    ("doors", ("research_env.notebook", "research_env.commands", "research_env.cli", "research_env.batch",
               "research_env.assistant", "research_env.service", "research_env.client", "research_env.__main__")),
)

#: The layer whose members stand side by side and may import each other only along ``DOOR_IMPORTS``.
DOORS = "doors"

#: (importing door, imported door) -> "module" (anywhere) or "lazy" (inside functions only). Nothing else.
DOOR_IMPORTS: dict[tuple[str, str], str] = {
    ("research_env.__main__", "research_env.cli"): "module",  # `python -m research_env` is the CLI
    ("research_env.cli", "research_env.commands"): "module",  # the parser and its subcommands are one door
    ("research_env.batch", "research_env.notebook"): "module",  # batch runs notebooks: BATCH_ENV, report HTML
    ("research_env.commands", "research_env.batch"): "lazy",  # `research-env run` / `schedule`
    ("research_env.commands", "research_env.notebook"): "lazy",
    ("research_env.commands", "research_env.assistant"): "lazy",  # `research-env ai` / `mcp`
    ("research_env.commands", "research_env.service"): "lazy",  # `research-env serve`
    ("research_env.client", "research_env.notebook"): "lazy",  # the client shows the local runs' progress bar
    ("research_env.service", "research_env.notebook"): "lazy",  # the page's figures: the notebook report's module
}

#: The only imports allowed to look up a layer: results draw themselves in Jupyter through the notebook's report,
#: loaded lazily inside their ``_repr_*_`` methods (the engine itself never draws). (module, imported module).
DISPLAY_HOOKS: frozenset[tuple[str, str]] = frozenset({
    ("research_env.engine.result", "research_env.notebook.report"),
    ("research_env.sweeps.result", "research_env.notebook.report"),
})

#: Packages where lazy imports between their own modules count for the cycle check too.
LAZY_CYCLE_PACKAGES: tuple[str, ...] = ("research_env.notebook",)

_DISPLAY_HOOK_NAME = re.compile(r"_repr_\w+_")


@dataclass(frozen=True)
class Import:
    """``importer`` imports ``imported`` at ``path:line``, inside ``function`` (None: at module level)."""

    importer: str
    imported: str
    path: str
    line: int
    function: str | None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" + (f", in {self.function}()" if self.function else "")
        return f"{self.importer} -> {self.imported} ({where})"


def module_files(package_dir: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if not all(part.isidentifier() for part in parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((package, *parts))] = path
    return modules


def collect_imports(package_dir: Path, package: str) -> list[Import]:
    """Every import of the package's own modules, from every module but the package's ``__init__``."""
    modules = module_files(package_dir, package)
    found = []
    for module, path in modules.items():
        if module == package:
            continue  # research_env/__init__.py only has lazy exports (checked by tests/test_exports.py)
        shown = path.relative_to(package_dir.parent).as_posix()
        is_package = path.name == "__init__.py"
        for node, function in _imports(ast.parse(path.read_text(), str(path)).body, None):
            for target in _targets(node, module, is_package, package, modules):
                found.append(Import(module, target, shown, node.lineno, function))
    return found


def _imports(body: list[ast.stmt], function: str | None):
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, function
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _imports(node.orelse, function)  # the body never runs
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _imports(node.body, node.name)
        else:  # class bodies, if/try/with/for/match blocks: they run where they stand
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _imports([child], function)
                elif isinstance(child, ast.excepthandler | ast.match_case):
                    yield from _imports(child.body, function)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _ours(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _targets(node, module: str, is_package: bool, package: str, modules: dict) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if _ours(alias.name, package)]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, node.module] if node.module else base)
    else:
        source = node.module or ""
    if not _ours(source, package):
        return []
    # `from pkg import sub` imports the submodule; `from pkg.mod import name` imports pkg.mod.
    targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source for alias in node.names]
    return list(dict.fromkeys(targets))


def _unit(module: str, layers) -> tuple[int, str, str] | None:
    """(layer index, layer name, matching prefix) of ``module``; None when no layer names it."""
    best = None
    for index, (name, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > len(best[2])):
                best = (index, name, prefix)
    return best


def unassigned_modules(package_dir: Path, package: str, layers=LAYERS) -> list[str]:
    return [m for m in module_files(package_dir, package) if m != package and _unit(m, layers) is None]


def layer_violations(imports: list[Import], package: str, layers=LAYERS, doors: str = DOORS,
                     door_imports=DOOR_IMPORTS, display_hooks=DISPLAY_HOOKS) -> list[str]:
    """One line per import that looks up a layer, crosses between doors, or goes through the package facade."""
    problems = []
    for imp in imports:
        if imp.imported == package:
            problems.append(f"{imp}  [imports the package facade; import from the name's home module]")
            continue
        src, dst = _unit(imp.importer, layers), _unit(imp.imported, layers)
        if src is None or dst is None or src[2] == dst[2]:
            continue  # unassigned modules are reported by test_every_module_has_a_layer
        if dst[0] < src[0]:
            continue
        if dst[0] == src[0]:
            if src[1] != doors:
                continue
            allowed = door_imports.get((src[2], dst[2]))
            if allowed == "module" or (allowed == "lazy" and imp.function is not None):
                continue
            why = "lazily only" if allowed == "lazy" else "not at all"
            problems.append(f"{imp}  [door {src[2]} may import door {dst[2]} {why}]")
            continue
        if ((imp.importer, imp.imported) in display_hooks and imp.function is not None
                and _DISPLAY_HOOK_NAME.fullmatch(imp.function)):
            continue
        problems.append(f"{imp}  [{src[1]} layer looks up at the {dst[1]} layer]")
    return problems


def import_cycles(imports: list[Import], lazy_packages=LAZY_CYCLE_PACKAGES) -> list[str]:
    """One line per strongly connected group of modules, as a path ``a -> b (file:line) -> ... -> a``."""
    edges: dict[tuple[str, str], Import] = {}
    for imp in imports:
        counts = imp.function is None or any(
            _ours(imp.importer, p) and _ours(imp.imported, p) for p in lazy_packages)
        if counts and imp.importer != imp.imported:
            edges.setdefault((imp.importer, imp.imported), imp)
    graph: dict[str, list[str]] = {}
    for a, b in edges:
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    cycles = []
    for group in _strongly_connected(graph):
        if len(group) < 2:
            continue
        start = min(group)
        path = _path_back(start, graph, set(group))
        hops = " -> ".join(f"{b} ({edges[a, b].path}:{edges[a, b].line})" for a, b in zip(path, path[1:], strict=False))
        cycles.append(f"{start} -> {hops}")
    return cycles


def _strongly_connected(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups


def _path_back(start: str, graph: dict[str, list[str]], group: set[str]) -> list[str]:
    """The shortest path start -> ... -> start inside ``group`` (breadth first)."""
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child not in group:
                    continue
                if child == start:
                    path = [start, node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[1:-1]), start]
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def _report(title: str, lines: list[str]) -> str:
    return f"{title} (rules: tests/test_layers.py, docs/architecture.md):\n  " + "\n  ".join(lines)


# --- the project ---


def _project_imports() -> list[Import]:
    return collect_imports(REPO_ROOT / PACKAGE, PACKAGE)


def test_every_module_has_a_layer():
    missing = unassigned_modules(REPO_ROOT / PACKAGE, PACKAGE)
    assert not missing, _report("Modules in no layer; add their package to LAYERS", missing)


def test_layers_only_look_down():
    problems = layer_violations(_project_imports(), PACKAGE)
    assert not problems, _report("Imports that break the layering", problems)


def test_module_imports_form_no_cycle():
    cycles = import_cycles(_project_imports())
    assert not cycles, _report("Import cycles", cycles)


def test_every_allowed_display_hook_is_still_used():
    used = {(imp.importer, imp.imported) for imp in _project_imports() if imp.function}
    stale = sorted(f"{a} -> {b}" for a, b in DISPLAY_HOOKS - used)
    assert not stale, _report("DISPLAY_HOOKS entries no import needs any more; remove them", stale)


# --- the checker itself, on a package written for the test ---

_FAKE_LAYERS = (
    ("low", ("fake.low",)),
    ("high", ("fake.high",)),
    ("doors", ("fake.door_a", "fake.door_b")),
)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "fake" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root / "fake"


def test_checker_reports_upward_imports_door_crossings_and_cycles(tmp_path):
    package_dir = _write(tmp_path, {
        "__init__.py": "from .high import thing  # the facade is exempt\n",
        "low/__init__.py": "",
        "low/base.py": "from ..high import api\n",  # upward, module level
        "low/util.py": "def helper():\n    from fake.high.api import run\n",  # upward, lazily
        "high/__init__.py": "",
        "high/api.py": "from ..low import util\nfrom . import loop\n",
        "high/loop.py": "from .api import thing\n",  # api <-> loop: a cycle
        "door_a.py": "from fake import door_b\n",  # doors side by side
        "door_b.py": "import fake.low.base\n",
        "stray.py": "",
    })
    imports = collect_imports(package_dir, "fake")

    problems = layer_violations(imports, "fake", layers=_FAKE_LAYERS, door_imports={}, display_hooks=frozenset())
    cycles = import_cycles(imports, lazy_packages=())

    assert problems == [
        "fake.door_a -> fake.door_b (fake/door_a.py:1)  [door fake.door_a may import door fake.door_b not at all]",
        "fake.low.base -> fake.high.api (fake/low/base.py:1)  [low layer looks up at the high layer]",
        "fake.low.util -> fake.high.api (fake/low/util.py:2, in helper())  [low layer looks up at the high layer]",
    ]
    assert cycles == ["fake.high.api -> fake.high.loop (fake/high/api.py:2) -> fake.high.api (fake/high/loop.py:1)"]
    assert unassigned_modules(package_dir, "fake", layers=_FAKE_LAYERS) == ["fake.stray"]


def test_checker_skips_type_checking_and_allows_only_listed_display_hooks_and_lazy_door_imports(tmp_path):
    package_dir = _write(tmp_path, {
        "low/__init__.py": "",
        "low/result.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from fake.door_a import Report
            class Result:
                def _repr_html_(self):
                    from ..door_a import draw
                def plot(self):
                    from ..door_a import draw
            """,
        "door_a.py": "def f():\n    from . import door_b\n",
        "door_b.py": "from .door_a import f\nfrom . import door_a\n",
    })
    imports = collect_imports(package_dir, "fake")

    problems = layer_violations(
        imports, "fake", layers=_FAKE_LAYERS,
        door_imports={("fake.door_a", "fake.door_b"): "lazy", ("fake.door_b", "fake.door_a"): "lazy"},
        display_hooks=frozenset({("fake.low.result", "fake.door_a")}),
    )

    assert problems == [
        "fake.door_b -> fake.door_a (fake/door_b.py:1)  [door fake.door_b may import door fake.door_a lazily only]",
        "fake.door_b -> fake.door_a (fake/door_b.py:2)  [door fake.door_b may import door fake.door_a lazily only]",
        "fake.low.result -> fake.door_a (fake/low/result.py:8, in plot())  [low layer looks up at the doors layer]",
    ]
    # door_a imports door_b lazily: no module-level cycle unless the package's lazy imports are asked to count
    assert import_cycles(imports, lazy_packages=()) == []
    assert import_cycles(imports, lazy_packages=("fake",)) == [
        "fake.door_a -> fake.door_b (fake/door_a.py:2) -> fake.door_a (fake/door_b.py:1)",
    ]
