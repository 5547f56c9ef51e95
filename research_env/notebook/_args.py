"""Argument helpers shared by the magics: strategies from the namespace, and the API's errors as ``UsageError``.

Everything else a magic reads (symbols, ``NAME=VALUE`` pairs, grids) is parsed
by the same functions the command line uses, and every default is resolved
below the doors (``research_env.run_spec``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from IPython.core.error import UsageError

__all__ = ["input_errors", "resolve_strategy"]


def resolve_strategy(token: str, namespace: dict):
    """A strategy class or instance bound to ``token`` in the user's namespace, else ``token`` itself (a name or a
    path)."""
    from ..strategy.base import StrategyBase
    from ..strategy.vectorized import VectorizedStrategy

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
