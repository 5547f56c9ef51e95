"""The two static layers of the validation: imports and builtins (with the attribute walks that reach around them).

Both read the source with ``ast`` and run nothing. Each problem names its line and the offending name.
"""

from __future__ import annotations

import ast
import string
from typing import NamedTuple

from ._policy import BLOCKED_BUILTINS, from_import_refusal, import_refusal

__all__ = ["Problem", "builtin_problems", "import_problems"]

#: Attributes that walk from an object to frames, code or globals without a dunder name.
_INTROSPECTION = frozenset({"gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_frame",
                            "ag_code", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "tb_frame",
                            "tb_next", "co_code", "co_consts", "mro", "format_map"})
#: Dunder names code may read: the module's name.
_READABLE_DUNDERS = frozenset({"__name__"})


class Problem(NamedTuple):
    """One refused construct: ``line``, the offending ``name`` and the ``message`` (rule and fix)."""

    line: int
    name: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def _from_import_problems(node: ast.ImportFrom, allowed: tuple[str, ...]) -> list[Problem]:
    if node.level:
        return [Problem(node.lineno, "." * node.level + (node.module or ""),
                        "relative imports are refused: an untrusted strategy is one file")]
    base = node.module or ""
    problems = [Problem(node.lineno, f"{base}.{alias.name}",
                        f"`from {base} import {alias.name}`: private names and `*` are refused")
                for alias in node.names if alias.name.startswith("_") or alias.name == "*"][:1]
    refusal = from_import_refusal(base, [alias.name for alias in node.names], allowed)
    if refusal is not None:
        problems.append(Problem(node.lineno, base, f"import refused: {refusal}"))
    return problems


def import_problems(tree: ast.Module, allowed: tuple[str, ...]) -> list[Problem]:
    """Every ``import``/``from ... import`` of a module untrusted code may not use."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                refusal = import_refusal(alias.name, allowed)
                if refusal is not None:
                    problems.append(Problem(node.lineno, alias.name, f"import refused: {refusal}"))
        elif isinstance(node, ast.ImportFrom):
            problems.extend(_from_import_problems(node, allowed))
    return problems


def _format_fields(text: str) -> list[str]:
    """The field names of a ``str.format`` template that look up attributes or items (``{0.__class__}``)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return []
    found = []
    for _, field, spec, _ in parsed:
        for part in (field or "", spec or ""):
            if "." in part.split(":")[0] or "[" in part:
                found.append(part)
    return found


def _call_problems(node: ast.Call) -> list[Problem]:
    func = node.func
    if isinstance(func, ast.Name) and func.id == "type" and len(node.args) == 3:
        return [Problem(node.lineno, "type", "`type(name, bases, namespace)` (making classes at run time) is "
                                             "refused; write a class statement")]
    return []


def _node_problems(node: ast.AST) -> list[Problem]:
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Name):
        if node.id in BLOCKED_BUILTINS:
            return [Problem(line, node.id, f"the builtin `{node.id}` is blocked for untrusted strategies")]
        if _dunder(node.id) and node.id not in _READABLE_DUNDERS:
            return [Problem(line, node.id, f"the name `{node.id}` is refused (dunder names reach the interpreter)")]
    elif isinstance(node, ast.Attribute):
        is_super_init = (node.attr == "__init__" and isinstance(node.value, ast.Call)
                         and isinstance(node.value.func, ast.Name) and node.value.func.id == "super")
        if _dunder(node.attr) and not is_super_init:
            return [Problem(line, node.attr, f"attribute `.{node.attr}` is refused: dunder attributes walk to the "
                                             "interpreter (only `super().__init__(...)` is allowed)")]
        if node.attr in _INTROSPECTION:
            return [Problem(line, node.attr, f"attribute `.{node.attr}` is refused: it reaches frames, code or "
                                             "globals")]
    elif isinstance(node, ast.Call):
        return _call_problems(node)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [Problem(line, field, f"the format field `{{{field}}}` looks up attributes or items; use an "
                                     "f-string with plain names") for field in _format_fields(node.value)]
    elif isinstance(node, ast.ClassDef):
        return [Problem(line, "metaclass", f"class {node.name}: `metaclass=` is refused")
                for keyword in node.keywords if keyword.arg == "metaclass"]
    elif isinstance(node, ast.Global | ast.Nonlocal):
        return [Problem(line, ", ".join(node.names), "`global`/`nonlocal` are refused; keep state on `self`")]
    return []


def builtin_problems(tree: ast.Module) -> list[Problem]:
    """Every use of a blocked builtin, dunder access (but ``super().__init__``), frame/code introspection,
    three-argument ``type``, attribute lookups in format templates, metaclasses and ``global``."""
    problems = []
    for node in ast.walk(tree):
        problems.extend(_node_problems(node))
    return sorted(problems)
