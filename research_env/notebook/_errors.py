"""Strategy errors as the notebook shows them: where it happened and the user's own lines, not the engine's."""

from __future__ import annotations

import traceback
from pathlib import Path
from zoneinfo import ZoneInfo

from ..engine.loop import StrategyError

__all__ = ["NotebookStrategyError", "user_frames"]

_PACKAGE = Path(__file__).resolve().parents[1]
_BUNDLED = _PACKAGE / "bundled_strategies"
_NEW_YORK = ZoneInfo("America/New_York")


class NotebookStrategyError(StrategyError):
    """A ``StrategyError`` that IPython renders as strategy, hook, symbol, bar time and the user's frames.

    IPython calls ``_render_traceback_`` instead of printing the full chain, so
    the cell fails (papermill stops, ``%backtest`` returns nothing) with a short
    readable report and the kernel carries on.
    """

    @classmethod
    def from_error(cls, error: StrategyError) -> NotebookStrategyError:
        """The same failure, rendered for the notebook; ``__cause__`` stays the user's exception."""
        cause = error.__cause__ or error
        wrapped = cls(error.strategy, error.hook, error.symbol, error.timestamp, cause)
        wrapped.__cause__ = cause
        return wrapped

    def _render_traceback_(self) -> list[str]:
        cause = self.__cause__ or self
        where = f"strategy `{self.strategy}` raised in {self.hook}()"
        if self.symbol is not None:
            where += f" on the {self.symbol} bar"
        if self.timestamp is not None:
            where += f" of {self.timestamp.astimezone(_NEW_YORK):%Y-%m-%d %H:%M} New York"
        lines = [f"StrategyError: {where}", f"  {type(cause).__name__}: {cause}"]
        frames = user_frames(cause)
        if frames:
            lines.append("Your code (most recent call last):")
            lines.extend(line.rstrip("\n") for line in traceback.format_list(frames))
        return lines


def user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``error``'s traceback outside research-env's own modules (bundled strategies count as user's)."""
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename)
        ours = path.is_relative_to(_PACKAGE) and not path.is_relative_to(_BUNDLED)
        if not ours:
            frames.append(frame)
    return frames
