"""The adapter: a ``StrategyBase`` subclass that runs a function-style strategy's functions on the engine.

``function_strategy_class`` turns an executed strategy module into a class;
``backtest()``, the CLI, the magics and the sweeps then treat it like any
class-based strategy (same matching, risk rules, metrics and result). The
file runs once, when it is loaded; each instance gets its own copy of the
module's globals (functions rebound to it, module-level data copied), so
module-level state and constant overrides (``params={'RSI_OVERSOLD': 25}``)
never leak from one backtest into another.

The moments, per bar of the run (a bar time of the merged timeline):

1. on the first bar of a session: ``on_market_open(portfolio, memory, session)``;
2. ``on_bar_close(market, portfolio, memory, session)`` (or the legacy
   ``strategy(data_contexts, portfolio, state)``);
3. on the last bar of a session in the data: ``on_market_close(...)``;
4. orders that became due (split-order parts, bracket exits, orders returned
   by ``on_strategy_start``) are sized and sent.

All orders of a bar are sized at its close, in that order, and fill from the
next bar on. ``on_strategy_start`` runs before the first bar (its orders go out
with the first bar's), ``on_strategy_end(portfolio, memory, results)`` after
the last (orders returned there cannot fill and are dropped with a warning).
"""

from __future__ import annotations

import ast
import copy
import inspect
import re
import types
import warnings

import numpy as np

from ...core.enums import OrderStatus
from ..base import StrategyBase
from ..params import ParameterError
from .config import parse_backtest_config
from .discovery import discover_symbols
from .errors import FunctionStrategyError, OrderError, StrategyFunctionError
from .later import Bracket, Due, split
from .market import Market, SymbolData
from .order_utils import __all__ as _HELPER_NAMES
from .orders import Book, OrderSpec, Quantity, RebalanceSpec, parse_orders, size, to_signal
from .portfolio import FunctionPortfolio
from .printing import PrintCapture
from .session import Session, SessionCalendar

__all__ = ["LIFECYCLE", "FunctionStrategy", "function_strategy_class", "helper_namespace", "is_function_style"]

#: Lifecycle functions and the arguments each receives, in order.
LIFECYCLE = {
    "on_bar_close": ("market", "portfolio", "memory", "session"),
    "strategy": ("data_contexts", "portfolio", "state"),
    "on_strategy_start": ("portfolio", "memory"),
    "on_market_open": ("portfolio", "memory", "session"),
    "on_market_close": ("portfolio", "memory", "session"),
    "on_strategy_end": ("portfolio", "memory", "results"),
}
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]*$")
_NO_SIGNALS = ()
_ENDED = (OrderStatus.DENIED, OrderStatus.EXPIRED, OrderStatus.CANCELLED)


def helper_namespace() -> dict:
    """The order helpers a function-style file may use without importing them."""
    from . import order_utils

    return {name: getattr(order_utils, name) for name in _HELPER_NAMES}


def is_function_style(tree: ast.Module) -> bool:
    """True when a parsed file defines ``on_bar_close``/``strategy`` or another lifecycle function at top level."""
    return any(isinstance(node, ast.FunctionDef) and node.name in LIFECYCLE for node in tree.body)


class FunctionStrategy(StrategyBase):
    """Base of the classes ``function_strategy_class`` makes; see the module docstring for the lifecycle."""

    strategy_name = "function_strategy"
    origin = ""
    discovered_symbols: tuple[str, ...] = ()
    unresolved_references: tuple[str, ...] = ()
    default_start = None
    default_end = None
    default_cash = None
    timeframe = "1m"
    variables = ["memory"]
    _template: dict = {}
    _arity: dict[str, int] = {}

    def __init__(self, symbols=None, **constants):
        cls = type(self)
        unknown = [name for name in constants if name not in cls.parameters]
        if unknown:
            raise ParameterError(
                f"{cls.origin} has no module-level constant {unknown[0]!r} to override "
                f"(numeric constants: {', '.join(cls.parameters) or 'none'})"
            )
        if isinstance(symbols, str):
            symbols = [symbols]
        super().__init__(name=cls.strategy_name, symbols=list(symbols) if symbols else cls.default_symbols())
        self.memory: dict = {}
        self._capture = PrintCapture()
        self._printed = self._capture.chunks  # the captured text not yet logged (checked after every call)
        namespace = _fresh_namespace(cls._template)
        namespace["print"] = self._capture.print
        namespace.update(constants)
        for name in cls.parameters:
            setattr(self, name, namespace[name])
        self._functions = {hook: namespace[hook] for hook in cls._arity}
        self._later: list[Due] = []
        self._brackets: dict[str, Bracket] = {}
        self._covered: dict[str, list[Bracket]] = {}
        self._last_fill: tuple | None = None
        self._book: Book | None = None
        self._book_step = -1
        self._bracket_count = 0
        self._step = -1

    @classmethod
    def default_symbols(cls) -> list[str]:
        """The symbols found in the file (or listed in ``BACKTEST_CONFIG['symbols']``); raises when unsure."""
        if cls.unresolved_references:
            raise ParameterError(
                f"{cls.origin}: cannot tell which symbols {', '.join(cls.unresolved_references)} refers to; "
                "list them explicitly: BACKTEST_CONFIG['symbols'] = ['AAPL', 'MSFT'], a module-level constant "
                "used as `for sym in SYMBOLS_TO_TRADE`, or backtest(..., symbols=[...])"
            )
        if not cls.discovered_symbols:
            raise ParameterError(
                f"{cls.origin} references no symbol (no market['SYM'] found); write market['AAPL'] in the code, "
                "set BACKTEST_CONFIG['symbols'], or pass backtest(..., symbols=[...])"
            )
        return list(cls.discovered_symbols)

    # --- engine hooks --------------------------------------------------
    def on_init(self) -> None:
        """Before the first bar: build ``market``, ``portfolio`` and ``session`` over the preloaded bars."""
        context = self._context
        if context is None or not self._bars or not all(len(h.times) for h in self._bars.values()):
            raise FunctionStrategyError(
                f"{self.origin}: function-style strategies run inside backtest(); the engine must preload the bars"
            )
        settings = context.settings
        slippage, commission = settings.slippage_bps / 10_000, settings.commission_per_share
        last = {symbol: context.last_of_step(symbol) for symbol in self._bars}
        self._last_of_step = None if None in last.values() else last
        self._calendar = SessionCalendar(context.timeline)
        self._session = Session(self._calendar)
        self._market = Market({s: SymbolData(s, h, self.indicators_for(s)) for s, h in self._bars.items()})
        self._portfolio = FunctionPortfolio(self.account, slippage, commission)
        self._book_costs = (slippage, commission)
        values = {"market": self._market, "data_contexts": self._market, "portfolio": self._portfolio,
                  "memory": self.memory, "state": self.memory, "session": self._session, "results": None}
        self._args = {hook: tuple(values[a] for a in LIFECYCLE[hook][:n]) for hook, n in self._arity.items()}
        bar_hook = "on_bar_close" if "on_bar_close" in self._functions else "strategy"
        self._bar_hook, self._bar_fn, self._bar_args = bar_hook, self._functions[bar_hook], self._args[bar_hook]
        self._open_fn = self._functions.get("on_market_open")
        self._close_fn = self._functions.get("on_market_close")
        self._opens = self._calendar.opens if self._open_fn is not None else None
        self._closes = self._calendar.closes if self._close_fn is not None else None

    def on_start(self) -> None:
        """``on_strategy_start(portfolio, memory)``; its orders wait for the first bar."""
        if "on_strategy_start" in self._functions:
            out = self._hook("on_strategy_start")
            self._later += [Due(spec, step=0) for spec in self._parse(out, "on_strategy_start")]
        self._flush()

    def on_bar(self, bar):
        """Runs the lifecycle functions once per bar time, at the last symbol's bar of that time."""
        last = self._last_of_step
        if last is not None and not last[bar.symbol][self._bars[bar.symbol].count - 1]:
            return _NO_SIGNALS
        k = self._step = self._step + 1
        self._calendar.step = k
        signals = None
        if self._opens is not None and self._opens[k]:
            signals = self._run("on_market_open", self._open_fn, self._args["on_market_open"], signals)
        try:
            out = self._bar_fn(*self._bar_args)
        except Exception as e:
            raise StrategyFunctionError(f"{self._bar_hook}() raised {type(e).__name__}: {e}") from e
        if self._printed:
            self._flush()
        if out is not None:
            signals = self._add(signals, out, self._bar_hook)
        if self._closes is not None and self._closes[k]:
            signals = self._run("on_market_close", self._close_fn, self._args["on_market_close"], signals)
        if self._later:
            released = self._release(k)
            if released:
                signals = released if signals is None else signals + released
        return signals or _NO_SIGNALS

    def on_stop(self) -> None:
        """``on_strategy_end(portfolio, memory, results)`` after the last bar."""
        if self._later:
            waiting = [d for d in self._later if d.bracket is None or not d.bracket.done]
            if waiting:
                self.log(f"{len(waiting)} scheduled order(s) not sent: the data ended first")
        if "on_strategy_end" in self._functions:
            args = self._args["on_strategy_end"]
            if len(args) == 3:
                args = (*args[:2], self.results())
            out = self._run_hook("on_strategy_end", self._functions["on_strategy_end"], args)
            if self._parse(out, "on_strategy_end"):
                warnings.warn(f"{self.origin}: on_strategy_end() returned orders; nothing can fill after the last "
                              "bar, so they were not sent", stacklevel=2)
        self._flush()

    def on_trade(self, symbol, side, price, volume) -> None:
        """Remember the fill for ``on_order`` (bracket exits are priced off the entry's fill)."""
        self._last_fill = (symbol, float(price), float(volume))

    def on_order(self, order_id, status) -> None:
        """Bracket bookkeeping: place exits when an entry fills, drop them when it does not."""
        if not self._brackets:
            return
        bracket = self._brackets.get(order_id)
        if bracket is None:
            if status is OrderStatus.FILLED and self._last_fill is not None:
                self._check_cover(self._last_fill[0])
            return
        if order_id == bracket.entry_id:
            if status is OrderStatus.FILLED:
                bracket.fill_price, bracket.quantity = self._last_fill[1], self._last_fill[2]
                self._covered.setdefault(bracket.symbol, []).append(bracket)
                self._later.append(Due(None, step=0, bracket=bracket))
            elif status in _ENDED:
                self._forget(bracket, f"{bracket.group}: entry {order_id} {str(status).lower()}; "
                                      "no stop-loss or take-profit placed")
        elif status is OrderStatus.FILLED:
            self._forget(bracket, None)
        elif status is OrderStatus.DENIED:
            self.log(f"{bracket.group}: exit {order_id} denied; the position has no such exit (see result.denials)")

    def results(self) -> dict:
        """What ``on_strategy_end`` gets: the run's outcome as known after the last bar (before metrics)."""
        context, account = self._context, self.account
        return {
            "initial_capital": account.initial_cash,
            "final_equity": account.equity,
            "total_return": account.equity / account.initial_cash - 1.0,
            "cash": account.cash,
            "positions": self._portfolio.positions,
            "bars": self._calendar.total,
            "sessions": (self._calendar.number[-1] + 1) if self._calendar.total else 0,
            "equity": list(context.equity),
            "fills": list(context.fills),
            "orders": list(context.orders),
            "denials": list(context.denials),
        }

    # --- calling the user's functions ----------------------------------
    def _hook(self, hook: str):
        return self._run_hook(hook, self._functions[hook], self._args[hook])

    def _run_hook(self, hook: str, function, args):
        try:
            return function(*args)
        except Exception as e:
            raise StrategyFunctionError(f"{hook}() raised {type(e).__name__}: {e}") from e
        finally:
            if self._printed:
                self._flush()

    def _run(self, hook: str, function, args, signals):
        out = self._run_hook(hook, function, args)
        return signals if out is None else self._add(signals, out, hook)

    def _flush(self) -> None:
        for line in self._capture.drain():
            self.log(line)

    @staticmethod
    def _parse(out, hook: str) -> list:
        try:
            return parse_orders(out, hook)
        except OrderError as e:
            if str(e).startswith(f"{hook}()"):
                raise
            raise OrderError(f"{hook}(): {e}") from e

    def _add(self, signals, out, hook: str) -> list:
        new = self._signals(self._parse(out, hook))
        return new if signals is None else signals + new

    # --- orders to signals ---------------------------------------------
    def _current_book(self) -> Book:
        if self._book_step != self._step:  # one book per bar: later orders of the bar see earlier ones
            self._book_step = self._step
            slippage, commission = self._book_costs
            account = self.account
            self._book = Book(account.equity, self._portfolio.buying_power, slippage, commission, account.price,
                              account.position)
        return self._book

    def _signals(self, specs: list) -> list:
        book, signals = self._current_book(), []
        for spec in specs:
            if isinstance(spec, RebalanceSpec):
                signals += self._rebalance(spec, book)
                continue
            if spec.action == "sell":
                self._uncover(spec.symbol, "a sell order of the strategy")
            shares, how = size(spec.quantity, spec.symbol, book)
            if spec.num_orders > 1:
                k = self._step
                spec, later = split(spec, shares, k, self._calendar.days[k])
                self._later += later
                shares, how = size(spec.quantity, spec.symbol, book)
            order_id = spec.order_id
            if spec.is_bracket:
                order_id = self._bracket(spec, order_id)
            book.book(spec.symbol, spec.action, shares or 0, book.price(spec.symbol))
            signals.append(to_signal(spec, shares, _reason(spec, shares, how), order_id=order_id))
        return signals

    def _rebalance(self, spec: RebalanceSpec, book: Book) -> list:
        sells, buys = [], []
        for symbol, weight in spec.targets:
            price = book.price(symbol)
            if price is None:
                order = OrderSpec(symbol, "buy", Quantity("shares", 0.0, "0"))
                buys.append(to_signal(order, None, f"rebalance {symbol} to {weight:.1%}: no price for {symbol}"))
                continue
            target = int(np.floor(book.equity * weight / price + 1e-9))
            held = book.held(symbol)
            diff = target - held
            if diff == 0 or abs(diff) * price < spec.min_trade_amount:
                continue
            action = "buy" if diff > 0 else "sell"
            if action == "sell":
                self._uncover(symbol, "a rebalance")
            shares = int(abs(diff))
            order = OrderSpec(symbol, action, Quantity("shares", float(shares), str(shares)), reason=spec.reason)
            book.book(symbol, action, shares, price)
            why = (f"rebalance {symbol} to {weight:.1%} of equity ${book.equity:,.2f}: {target} shares at close "
                   f"{price:g}, {held:g} held")
            (sells if action == "sell" else buys).append(to_signal(order, shares, spec.reason or why))
        return sells + buys

    # --- later orders and brackets -------------------------------------
    def _release(self, k: int) -> list | None:
        now, day = self._calendar.times[k], self._calendar.days[k]
        due, waiting = [], []
        for item in self._later:
            (due if item.is_due(k, day, now) else waiting).append(item)
        self._later = waiting
        signals, specs = [], []
        for item in due:
            if item.bracket is None:
                specs.append(item.spec)
            elif item.bracket.done:
                continue
            elif item.spec is None:  # the entry filled: stop-loss and take-profit now
                signals += self._exit_signals(item.bracket.exits())
        if specs:
            signals += self._signals(specs)
        return signals or None

    def _exit_signals(self, items: list[Due]) -> list:
        signals = []
        for item in items:
            spec, bracket = item.spec, item.bracket
            bracket.exit_ids.append(spec.order_id)
            self._brackets[spec.order_id] = bracket
            shares = int(spec.quantity.value)
            signals.append(to_signal(spec, shares, spec.reason))
        return signals

    def _bracket(self, spec: OrderSpec, order_id: str | None) -> str:
        self._bracket_count += 1
        group = spec.oco_group or f"bracket{self._bracket_count}"
        entry_id = order_id or f"{group}-entry"
        self._brackets[entry_id] = Bracket(group, spec.symbol, spec.stop_loss_pct, spec.take_profit_pct, entry_id)
        return entry_id

    def _forget(self, bracket: Bracket, message: str | None) -> None:
        bracket.done = True
        covered = self._covered.get(bracket.symbol, [])
        if bracket in covered:
            covered.remove(bracket)
        if message:
            self.log(message)

    def _uncover(self, symbol: str, why: str) -> None:
        """Cancel the live bracket exits of ``symbol`` (they would sell shares the strategy is selling itself)."""
        for bracket in list(self._covered.get(symbol, [])):
            for order_id in bracket.exit_ids:
                self.cancel_order(order_id)
            self._forget(bracket, f"{bracket.group}: stop-loss/take-profit cancelled because of {why}")

    def _check_cover(self, symbol: str) -> None:
        held = self.account.position(symbol)
        for bracket in list(self._covered.get(symbol, [])):
            if held < bracket.quantity:
                for order_id in bracket.exit_ids:
                    self.cancel_order(order_id)
                self._forget(bracket, f"{bracket.group}: stop-loss/take-profit cancelled: {held:g} {symbol} held, "
                                      f"fewer than the {bracket.quantity:g} they would sell")


def _reason(spec: OrderSpec, shares: int | None, how: str) -> str:
    text = f"{spec.action} {shares if shares is not None else '?'} {spec.symbol}"
    if spec.quantity.kind != "shares" or shares != spec.quantity.value:
        text += f" ({spec.quantity.text}: {how})"
    if shares == 0:
        text += ": no whole share, nothing to trade"
    return f"{spec.reason}: {text}" if spec.reason else text


def _fresh_namespace(template: dict) -> dict:
    """A per-instance copy of the strategy module's globals: the file ran once, when it was loaded.

    Its functions are rebound to the copy and its module-level data is deep-copied, so module state and
    constant overrides never leak from one backtest into another. Imported modules, classes and values
    that cannot be copied are shared.
    """
    namespace: dict = {}
    memo: dict = {id(template): namespace}
    for name, value in template.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is template:
            namespace[name] = memo[id(value)] = _rebind(value, namespace)
    for name, value in template.items():
        if name not in namespace:
            namespace[name] = _copied(value, memo)
    return namespace


def _rebind(function: types.FunctionType, namespace: dict) -> types.FunctionType:
    bound = types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__,
                               function.__closure__)
    bound.__kwdefaults__ = function.__kwdefaults__
    bound.__qualname__, bound.__doc__, bound.__module__ = function.__qualname__, function.__doc__, function.__module__
    bound.__annotations__ = function.__annotations__
    bound.__dict__.update(function.__dict__)
    return bound


def _copied(value, memo: dict):
    if isinstance(value, types.ModuleType | type | types.FunctionType | types.BuiltinFunctionType) or callable(value):
        return value
    try:
        return copy.deepcopy(value, memo)
    except Exception:  # an object that refuses copying (a lock, a connection): shared, as Python would share it
        return value


# --- the class factory ---------------------------------------------------------
def function_strategy_class(namespace: dict, tree: ast.Module, *, name: str, origin: str,
                            module_name: str) -> type[FunctionStrategy]:
    """The ``FunctionStrategy`` subclass for an executed function-style module.

    ``namespace``: the module's globals after its one execution (each instance
    copies them); ``tree``: its parsed source; ``origin``: how messages name it (a path
    or ``strategy `name```). Raises ``FunctionStrategyError`` for a missing
    ``on_bar_close``, wrong function signatures or a bad ``BACKTEST_CONFIG``.
    """
    functions = {hook: namespace[hook] for hook in LIFECYCLE if isinstance(namespace.get(hook), types.FunctionType)}
    if "on_bar_close" not in functions and "strategy" not in functions:
        found = ", ".join(sorted(functions)) or "no lifecycle function"
        raise FunctionStrategyError(
            f"{origin} has {found} but no on_bar_close(market, portfolio, memory, session); every function-style "
            "strategy needs it (or the legacy strategy(data_contexts, portfolio, state))"
        )
    if "on_bar_close" in functions and "strategy" in functions:
        warnings.warn(f"{origin} defines both on_bar_close and the legacy strategy(); using on_bar_close",
                      stacklevel=3)
        del functions["strategy"]
    arity = {hook: _arity(hook, fn, origin) for hook, fn in functions.items()}
    try:
        config = parse_backtest_config(namespace.get("BACKTEST_CONFIG"))
    except FunctionStrategyError as e:
        raise FunctionStrategyError(f"{origin}: {e}") from e
    found = discover_symbols(tree)
    symbols = config.symbols or found.symbols
    unresolved = () if config.symbols else found.unresolved
    parameters = _constants(tree, namespace)

    def __init__(self, symbols=None, **constants):
        FunctionStrategy.__init__(self, symbols, **constants)

    kw = inspect.Parameter.KEYWORD_ONLY
    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
         inspect.Parameter("symbols", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
        + [inspect.Parameter(p, kw, default=namespace[p]) for p in parameters]
    )
    attrs = {
        "__init__": __init__,
        "__doc__": namespace.get("__doc__") or f"Function-style strategy {origin}.",
        "__module__": module_name,
        "strategy_name": name,
        "origin": origin,
        "discovered_symbols": tuple(symbols),
        "unresolved_references": tuple(unresolved),
        "default_start": config.start_date,
        "default_end": config.end_exclusive,
        "default_cash": config.initial_capital,
        "timeframe": config.timeframe or "1m",
        "parameters": parameters,
        "_template": namespace,
        "_arity": arity,
    }
    return type("FunctionStrategy", (FunctionStrategy,), attrs)


def _arity(hook: str, function, origin: str) -> int:
    """How many of the hook's arguments to pass (a function may leave trailing ones out, e.g. ``session``)."""
    expected = LIFECYCLE[hook]
    params = inspect.signature(function).parameters.values()
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    kw_required = [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
    if len(required) > len(expected) or kw_required:
        raise FunctionStrategyError(
            f"{origin}: {hook}{inspect.signature(function)} asks for more than the engine passes; "
            f"write {hook}({', '.join(expected)})"
        )
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return len(expected)
    return min(len(positional), len(expected))


def _constants(tree: ast.Module, namespace: dict) -> list[str]:
    """Module-level UPPER_CASE names assigned a number or bool in the file: the tunable parameters."""
    names: dict[str, None] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name) and _CONSTANT.match(target.id) and target.id != "BACKTEST_CONFIG":
                names[target.id] = None
    return [n for n in names if type(namespace.get(n)) in (int, float, bool)]

