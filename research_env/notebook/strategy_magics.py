"""``%%strategy [NAME]``: the cell defines a strategy; it is registered under NAME for ``%backtest``/``%sweep``."""

from __future__ import annotations

import ast

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

__all__ = ["StrategyMagics"]


@magics_class
class StrategyMagics(Magics):
    """The ``%%strategy`` cell magic."""

    @magic_arguments()
    @argument("name", nargs="?", help="name to register the strategy under (default: the class's `name` "
                                      "attribute, else the class name)")
    @cell_magic
    def strategy(self, line: str, cell: str):
        """Run the cell, which defines one strategy, and register it for ``%backtest``, ``%sweep`` and ``interact``.

        Class style: one ``StrategyBase`` subclass; the cell runs like any
        other (its imports and names stay in the notebook), then the class is
        registered. Function style (``on_bar_close(market, portfolio, memory,
        session)`` with ``BACKTEST_CONFIG``, or the legacy ``strategy``
        function) runs in its own module through the function-style adapter,
        with the order helpers available, and needs a NAME.

        Example::

            %%strategy fast_cross
            class FastCross(StrategyBase):
                parameters = ["fast_period"]
                ...
        """
        args = parse_argstring(self.strategy, line)
        try:
            tree = ast.parse(cell)
        except SyntaxError as e:
            raise UsageError(f"%%strategy cell, line {e.lineno}: syntax error: {e.msg}") from None
        from ..strategy.function_style import is_function_style

        if is_function_style(tree):
            cls = _function_style(cell, args.name)
        else:
            filename = self.shell.compile.cache(cell, self.shell.execution_count, raw_code=cell)
            cls = self._class_style(cell, args.name, filename)
        name = args.name or _default_name(cls)
        from ..strategy.loader import register_strategy

        register_strategy(name, cls)
        print(f"Registered strategy `{name}` ({cls.__name__}): %backtest {name} ...")
        return None

    def _class_style(self, cell: str, name: str | None, filename: str):
        from ..strategy.base import StrategyBase

        namespace = self.shell.user_ns
        before = {key: id(value) for key, value in namespace.items()}
        exec(compile(cell, filename, "exec"), namespace)  # noqa: S102 - running the user's cell is the point
        new = [value for key, value in namespace.items()
               if before.get(key) != id(value) and isinstance(value, type) and issubclass(value, StrategyBase)
               and value is not StrategyBase and not getattr(value, "__abstractmethods__", None)]
        if not new:
            raise UsageError("the %%strategy cell defines no StrategyBase subclass; write "
                             "`class MyStrategy(StrategyBase):` with an on_bar method (or a function-style "
                             "strategy with BACKTEST_CONFIG and on_bar_close)")
        if len(new) > 1:
            chosen = [c for c in new if name in (c.__name__, getattr(c, "name", None))]
            if len(chosen) != 1:
                raise UsageError(f"the %%strategy cell defines {len(new)} strategies "
                                 f"({', '.join(c.__name__ for c in new)}); keep one per cell")
            return chosen[0]
        return new[0]


def _function_style(cell: str, name: str | None):
    """A function-style cell (``on_bar_close(market, portfolio, memory, session)``) through the loader's adapter."""
    from ..strategy.loader import load_strategy_source
    from ._args import input_errors

    if not name:
        raise UsageError("name the function-style strategy of this cell, e.g. `%%strategy my_rsi`")
    with input_errors():
        return load_strategy_source(cell, name)


def _default_name(cls) -> str:
    name = getattr(cls, "name", None)
    return name if isinstance(name, str) and name else cls.__name__
