"""Argument helpers shared by the magics: strategies from the namespace, and the API's errors as ``UsageError``.

Everything else a magic reads (symbols, ``NAME=VALUE`` pairs, grids) is parsed
by the same functions the command line uses, and every default is resolved
below the doors (``research_env.run_spec``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument

from ..run_options import DEMO_OPTIONS, GIT_ARGUMENTS, GIT_OPTIONS

__all__ = ["check_demo", "demo_options", "git_options", "git_source", "input_errors", "resolve_strategy"]


def git_options(magic):
    """The Git-source options of ``%backtest`` and ``%sweep``, spelled as on the command line."""
    return _with_options(magic, GIT_OPTIONS)


def demo_options(magic):
    """``--demo`` / ``--no-demo`` of ``%backtest`` and ``%sweep`` (``check_demo`` refuses both at once)."""
    return _with_options(magic, DEMO_OPTIONS)


def check_demo(line: str) -> None:
    """A ``UsageError`` when a magic's line gives both ``--demo`` and ``--no-demo``."""
    words = line.split()
    if "--demo" in words and "--no-demo" in words:
        raise UsageError("--demo and --no-demo contradict each other; give one")


def _with_options(magic, options):
    for flag, keywords in reversed(options):
        magic = argument(flag, **keywords)(magic)
    return magic


def git_source(args) -> dict:
    """The Git source the options give, as ``backtest``/``sweep`` keyword arguments."""
    return {name: getattr(args, name) for name in GIT_ARGUMENTS}


def resolve_strategy(token: str | None, namespace: dict):
    """A strategy class or instance bound to ``token`` in the user's namespace, else ``token`` itself (a name or a
    path)."""
    from ..strategy.base import StrategyBase
    from ..strategy.vectorized import VectorizedStrategy

    if token is None:
        return None
    value = namespace.get(token)
    kinds = (StrategyBase, VectorizedStrategy)
    if isinstance(value, kinds) or (isinstance(value, type) and issubclass(value, kinds)):
        return value
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    return token


@contextlib.contextmanager
def input_errors() -> Iterator[None]:
    """Turn research-env's bad-input errors (``InputError``: strategy, parameter, symbol, dates, grid ...) into
    ``UsageError``, which IPython shows without a traceback; anything else stays the bug it is."""
    from ..errors import InputError

    try:
        yield
    except (InputError, FileNotFoundError) as e:
        raise UsageError(str(e)) from e
