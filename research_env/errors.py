"""The one error family of research-env.

``ResearchEnvError`` is the root. ``InputError`` is everything a user can fix
by changing what they passed (a parameter, a symbol, a file, a grid, an order
dict); it keeps ``ValueError`` as a second base so ``except ValueError`` code
still works. ``StrategyError`` is a user strategy that raised while it ran:
the message names the strategy, the hook, the symbol and the bar time. Every
door catches the family and prints its message; anything else is a bug in
research-env and shows as one.

Errors of the family pickle with their attributes, so an error raised in a
worker process reaches the user unchanged. Only the standard library is
imported here: every layer may import this module.
"""

from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

__all__ = ["InputError", "ResearchEnvError", "StrategyError", "user_frames"]

_PACKAGE = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE / "bundled_strategies"


def _rebuild(cls: type, args: tuple, state: dict) -> BaseException:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ResearchEnvError(Exception):
    """Root of research-env's errors; the message says what went wrong and how to fix it."""

    def __reduce__(self):
        return _rebuild, (type(self), self.args, dict(self.__dict__))


class InputError(ResearchEnvError, ValueError):
    """Bad input: an argument, file, symbol, grid or order the user can correct; the message names the fix."""


class StrategyError(ResearchEnvError, RuntimeError):
    """A strategy hook raised; the message names the strategy, the hook, the symbol and the bar time.

    ``__cause__`` is the strategy's own exception while in the process that
    ran it; ``error_type``, ``error_message`` and ``user_traceback`` (the
    strategy's own frames, formatted) travel with the error across processes.
    """

    def __init__(self, strategy: str, hook: str, symbol: str | None, timestamp: datetime | None, error: BaseException):
        where = ""
        if timestamp is not None:
            bar = f"the {symbol} bar" if symbol is not None else "the bar"
            where = f" on {bar} of {timestamp:%Y-%m-%d %H:%M:%S%z}"
        super().__init__(f"strategy `{strategy}` raised in {hook}(){where}: {type(error).__name__}: {error}")
        self.strategy, self.hook, self.symbol, self.timestamp = strategy, hook, symbol, timestamp
        self.error_type = type(error).__name__
        self.error_message = str(error)
        self.user_traceback = [line.rstrip("\n") for line in traceback.format_list(user_frames(error))]


def user_frames(error: BaseException) -> list[traceback.FrameSummary]:
    """The frames of ``error``'s traceback and of its causes that are not research-env's own.

    Bundled example strategies count as the user's.
    """
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__
    frames = []
    for link in reversed(chain):  # the strategy's own exception first, as Python prints a chain
        for frame in traceback.extract_tb(link.__traceback__):
            path = Path(frame.filename)
            if not path.is_relative_to(_PACKAGE) or path.is_relative_to(_BUNDLED):
                frames.append(frame)
    return frames
