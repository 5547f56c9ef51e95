"""Argument helpers shared by the magics: strategies from the namespace, and the API's errors as ``UsageError``.

Everything else a magic reads (symbols, ``NAME=VALUE`` pairs, grids) is parsed
by the same functions the command line uses, and every default is resolved
below the doors (``research_env.run_spec``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from IPython.core.error import UsageError

__all__ = ["git_options", "git_source", "input_errors", "resolve_strategy"]


def git_options(magic):
    """The Git-source options of ``%backtest`` and ``%sweep``, named as on the command line."""
    from IPython.core.magic_arguments import argument

    options = [
        argument("--git-repo", dest="git_repo", metavar="URL",
                 help="take the strategy from this Git repository (https://, ssh://, git@host:, file:// or a path)"),
        argument("--branch", dest="git_branch", metavar="NAME", help="branch or tag (default: the default branch)"),
        argument("--commit", dest="git_commit", metavar="SHA", help="commit to run (default: the branch's tip)"),
        argument("--strategy-path", dest="strategy_path", metavar="FILE",
                 help="strategy file in the repository (default: discovered in strategies/, else the root)"),
        argument("--offline", action="store_true", help="use the commits fetched before; do not fetch"),
    ]
    for option in reversed(options):
        magic = option(magic)
    return magic


def git_source(args) -> dict:
    """The Git source the options give, as ``backtest``/``sweep`` keyword arguments."""
    from ..run_spec import GIT_ARGUMENTS

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
