"""Symbol auto-discovery: which tickers a function-style strategy trades, found by parsing (never running) it.

Two kinds of reference count:

* **market references** ``market['SYM']`` / ``data_contexts['SYM']`` (also
  ``.get('SYM')``, and the same on whatever name a lifecycle function gives its
  first parameter). Each must resolve to known strings; one that cannot makes
  ``Discovery.unresolved`` non-empty, and the strategy then needs an explicit
  symbol list.
* **order references**: the first argument (or ``symbol=``) of the order
  helpers, ``{'symbol': 'SYM', ...}`` dict literals and the keys of
  ``rebalance_portfolio``'s targets. They add symbols when they resolve and are
  ignored when they do not (an order can only trade a symbol the backtest has).

A name resolves through every assignment to it anywhere in the file (scopes are
not told apart, which can only add symbols): a string constant, a loop
variable over a list/tuple/set/dict literal or over a name bound to one
(``for symbol in SYMBOLS_TO_TRADE``, ``for sym, weight in WEIGHTS.items()``),
``sorted(...)``/``list(...)`` of those, ``A + B`` of lists, a subscript of a
resolvable list. Function parameters and computed values do not resolve.
Iterating ``market`` itself (``for sym in market``) names no new symbol.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["MARKET_NAMES", "ORDER_HELPERS", "Discovery", "discover_symbols"]

#: Names of the market mapping in the reference's two styles.
MARKET_NAMES = frozenset({"market", "data_contexts"})
#: Helpers whose first argument (or ``symbol=``) is a ticker.
ORDER_HELPERS = frozenset({
    "buy", "sell", "sell_all", "buy_limit", "sell_limit", "sell_stop", "scale_in", "scale_out", "bracket_order",
    "dollar_cost_average",
})
_LIFECYCLE = ("on_bar_close", "strategy")
_WRAPPERS = frozenset({"sorted", "list", "tuple", "set", "reversed", "frozenset"})


class _Unresolved(Exception):
    """Raised inside the resolver when a node has no static string value."""


@dataclass(frozen=True)
class Discovery:
    """Tickers in order of first appearance, and the market references that did not resolve."""

    symbols: tuple[str, ...]
    unresolved: tuple[str, ...]


def discover_symbols(tree: ast.Module) -> Discovery:
    """Find the symbols referenced by a parsed strategy file (see the module docstring for the rules)."""
    finder = _Finder(tree)
    return Discovery(tuple(finder.symbols), tuple(finder.unresolved))


class _Finder:
    def __init__(self, tree: ast.Module):
        self.bindings: dict[str, list[tuple[str, ast.AST | None]]] = {}
        self.market_names = set(MARKET_NAMES)
        self.symbols: dict[str, None] = {}
        self.unresolved: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in _LIFECYCLE and node.args.args:
                self.market_names.add(node.args.args[0].arg)
        nodes = list(ast.walk(tree))
        for node in nodes:
            self._bind(node)
        located = [n for n in nodes if isinstance(n, ast.Subscript | ast.Call | ast.Dict)]
        for node in sorted(located, key=lambda n: (n.lineno, n.col_offset)):
            self._reference(node)

    # --- what each name is bound to ---------------------------------------
    def _add(self, name: str, kind: str, value: ast.AST | None) -> None:
        self.bindings.setdefault(name, []).append((kind, value))

    def _bind_target(self, target: ast.AST, kind: str, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            self._add(target.id, kind, value)
        elif isinstance(target, ast.Tuple | ast.List):
            pairs = _unpack(target, kind, value)
            for element, (sub_kind, sub_value) in pairs:
                self._bind_target(element, sub_kind, sub_value)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, "opaque", None)

    def _bind(self, node: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(target, "value", node.value)
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            self._bind_target(node.target, "value", node.value)
        elif isinstance(node, ast.AugAssign):
            self._bind_target(node.target, "opaque", None)
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            self._bind_target(node.target, "element", node.iter)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            args = node.args
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    self._add(arg.arg, "opaque", None)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, "opaque", None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._add(node.name, "opaque", None)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                self._add((alias.asname or alias.name).split(".")[0], "opaque", None)

    # --- references --------------------------------------------------------
    def _reference(self, node: ast.AST) -> None:
        if isinstance(node, ast.Subscript) and self._is_market(node.value):
            self._hard(node.slice, node)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and self._is_market(func.value) and node.args:
                self._hard(node.args[0], node)
            elif isinstance(func, ast.Name) and func.id in ORDER_HELPERS:
                target = node.args[0] if node.args else _keyword(node, "symbol")
                if target is not None:
                    self._soft(target, "value")
            elif isinstance(func, ast.Name) and func.id == "rebalance_portfolio":
                target = node.args[0] if node.args else _keyword(node, "targets")
                if target is not None:
                    self._soft(target, "element")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "symbol":
                    self._soft(value, "value")

    def _is_market(self, node: ast.AST) -> bool:
        return isinstance(node, ast.Name) and node.id in self.market_names

    def _hard(self, node: ast.AST, where: ast.AST) -> None:
        try:
            found = self._values(node, frozenset())
        except _Unresolved:
            self.unresolved.append(f"line {where.lineno}: `{ast.unparse(where)}`")
            return
        self.symbols.update(dict.fromkeys(found))

    def _soft(self, node: ast.AST, kind: str) -> None:
        try:
            found = self._values(node, frozenset()) if kind == "value" else self._elements(node, frozenset())
        except _Unresolved:
            return
        self.symbols.update(dict.fromkeys(found))

    # --- static values -----------------------------------------------------
    def _values(self, node: ast.AST, seen: frozenset) -> list[str]:
        """Every string ``node`` can evaluate to."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.Name):
            return self._name(node.id, seen, self._values)
        if isinstance(node, ast.IfExp):
            return self._values(node.body, seen) + self._values(node.orelse, seen)
        if isinstance(node, ast.Subscript) and not self._is_market(node.value):
            return self._elements(node.value, seen)
        raise _Unresolved

    def _elements(self, node: ast.AST, seen: frozenset) -> list[str]:
        """Every string iterating ``node`` can yield."""
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return [s for element in node.elts for s in self._values(element, seen)]
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                raise _Unresolved
            return [s for key in node.keys for s in self._values(key, seen)]
        if isinstance(node, ast.Name):
            if node.id in self.market_names:
                return []
            return self._name(node.id, seen, self._elements)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self._elements(node.left, seen) + self._elements(node.right, seen)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _WRAPPERS and len(node.args) == 1:
                return self._elements(node.args[0], seen)
            if isinstance(func, ast.Attribute) and func.attr == "keys" and not node.args:
                return self._elements(func.value, seen)
        raise _Unresolved

    def _name(self, name: str, seen: frozenset, resolve) -> list[str]:
        bindings = self.bindings.get(name)
        if not bindings or name in seen:
            raise _Unresolved
        seen = seen | {name}
        found: list[str] = []
        for kind, value in bindings:
            if kind == "opaque" or value is None:
                raise _Unresolved
            if kind == "element":
                if resolve != self._values:
                    raise _Unresolved  # iterating a loop variable: nested collections are not followed
                found += self._elements(value, seen)
            elif resolve == self._values:
                found += self._values(value, seen)
            else:
                found += self._elements(value, seen)
        return found


def _keyword(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _unpack(target: ast.Tuple | ast.List, kind: str, value: ast.AST | None) -> list[tuple[ast.AST, tuple]]:
    """Pair each element of a tuple target with what it is bound to (``opaque`` when unknown)."""
    opaque = ("opaque", None)
    elements = target.elts
    if kind == "value" and isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(elements):
        return [(e, ("value", v)) for e, v in zip(elements, value.elts, strict=True)]
    call = value if kind == "element" and isinstance(value, ast.Call) else None
    if call is not None and len(elements) == 2:
        if isinstance(call.func, ast.Attribute) and call.func.attr == "items" and not call.args:
            return [(elements[0], ("element", call.func.value)), (elements[1], opaque)]
        if isinstance(call.func, ast.Name) and call.func.id == "enumerate" and len(call.args) == 1:
            return [(elements[0], opaque), (elements[1], ("element", call.args[0]))]
    return [(e, opaque) for e in elements]
