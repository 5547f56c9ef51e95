"""``print`` inside a strategy file: while the engine runs the strategy, lines go to its log, not to stdout.

The loader puts ``strategy_print`` into every strategy module's namespace as
``print`` (a module global wins over the builtin), so a ``print(...)`` in
``on_bar`` lands in ``result.logs``, stamped with the bar time, and the
command line's ``--json`` output stays valid JSON. Outside a run (at import,
in a plain Python call) it prints as usual. Function-style files have their
own capture (``function_style/printing.py``), which replaces this one.
"""

from __future__ import annotations

import builtins
import contextlib
import sys
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["printing_to_log", "strategy_print"]

_RUNNING: ContextVar = ContextVar("research_env_running_strategy", default=None)


def strategy_print(*values, sep: str | None = " ", end: str | None = "\n", file=None, flush: bool = False) -> None:
    """Same signature as the builtin ``print``; inside a run, whole lines go to the running strategy's log."""
    strategy = _RUNNING.get()
    if strategy is None or (file is not None and file is not sys.stdout):
        builtins.print(*values, sep=sep, end=end, file=file, flush=flush)
        return
    pending = strategy.__dict__.setdefault("_unlogged_print", [])
    pending.append((" " if sep is None else sep).join(str(v) for v in values) + ("\n" if end is None else end))
    text = "".join(pending)
    if "\n" in text:
        *lines, rest = text.split("\n")
        pending[:] = [rest] if rest else []
        for line in lines:
            strategy.log(line)


@contextlib.contextmanager
def printing_to_log(strategy) -> Iterator[None]:
    """While the block runs, ``print`` in strategy files writes to ``strategy``'s log (an unfinished last line
    included)."""
    token = _RUNNING.set(strategy)
    try:
        yield
    finally:
        _RUNNING.reset(token)
        rest = "".join(strategy.__dict__.pop("_unlogged_print", []))
        if rest:
            strategy.log(rest)
