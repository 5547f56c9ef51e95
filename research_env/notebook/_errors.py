"""Strategy errors as the notebook shows them: where it happened and the user's own lines, not the engine's."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..errors import StrategyError

__all__ = ["NotebookStrategyError"]

_NEW_YORK = ZoneInfo("America/New_York")


class NotebookStrategyError(StrategyError):
    """A ``StrategyError`` that IPython renders as strategy, hook, symbol, bar time and the user's frames.

    IPython calls ``_render_traceback_`` instead of printing the full chain, so
    the cell fails (papermill stops, ``%backtest`` returns nothing) with a short
    readable report and the kernel carries on. Works the same for an error that
    came back from a worker process (its frames travel as text).
    """

    @classmethod
    def from_error(cls, error: StrategyError) -> NotebookStrategyError:
        """The same failure, rendered for the notebook; ``__cause__`` stays the user's exception."""
        wrapped = cls.__new__(cls, *error.args)
        wrapped.args = error.args
        wrapped.__dict__.update(error.__dict__)
        wrapped.__cause__ = error.__cause__
        return wrapped

    def _render_traceback_(self) -> list[str]:
        where = f"strategy `{self.strategy}` raised in {self.hook}()"
        if self.symbol is not None:
            where += f" on the {self.symbol} bar"
        if self.timestamp is not None:
            where += f" of {self.timestamp.astimezone(_NEW_YORK):%Y-%m-%d %H:%M} New York"
        lines = [f"StrategyError: {where}", f"  {self.error_type}: {self.error_message}"]
        if self.user_traceback:
            lines.append("Your code (most recent call last):")
            lines.extend(self.user_traceback)
        return lines
