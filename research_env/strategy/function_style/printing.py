"""``print`` inside a function-style strategy: captured per bar into the strategy's log, not written to stdout.

The adapter puts a ``PrintCapture.print`` into the strategy module's namespace
as ``print``, so every ``print(...)`` in the file lands here (a module global
wins over the builtin) and nothing else in the process is affected. After each
lifecycle call the adapter drains the captured text into ``StrategyBase.log``,
one log line per printed line, stamped with the bar time; the lines reach
``result.logs`` / ``result.logs_frame()`` and the report.
"""

from __future__ import annotations

import builtins
import sys

__all__ = ["PrintCapture"]


class PrintCapture:
    """Collects what ``print`` writes to stdout; ``print(..., file=other)`` still goes to ``other``."""

    __slots__ = ("chunks",)

    def __init__(self):
        self.chunks: list[str] = []  # text printed since the last drain (empty: nothing to log)

    def print(self, *values, sep: str | None = " ", end: str | None = "\n", file=None, flush: bool = False) -> None:
        """Same signature as the builtin ``print``."""
        if file is not None and file is not sys.stdout:
            builtins.print(*values, sep=sep, end=end, file=file, flush=flush)
            return
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        self.chunks.append(sep.join(str(v) for v in values) + end)

    def drain(self) -> list[str]:
        """The lines printed since the last drain (a trailing unfinished line counts as a line)."""
        text = "".join(self.chunks)
        self.chunks.clear()
        return text.splitlines()
