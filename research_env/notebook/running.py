"""``run_backtest``: the notebook's one call of ``research_env.backtest``, shared by ``%backtest`` and the sliders.

It lives apart from both so that ``backtest_magics`` and ``widgets`` import it
from here and never each other.
"""

from __future__ import annotations

import warnings

from ._args import input_errors

__all__ = ["run_backtest"]


def run_backtest(strategy, *, params: dict | None = None, progress_label: str | None = None, **kwargs):
    """``research_env.backtest`` with a progress bar, warnings shown in the report only, and notebook errors."""
    from ..api import backtest
    from ..errors import StrategyError
    from ._errors import NotebookStrategyError
    from .progress import Progress

    label = progress_label or f"backtest {getattr(strategy, '__name__', strategy or kwargs.get('git_repo'))}"
    with warnings.catch_warnings(), input_errors(), Progress(label) as progress:
        warnings.simplefilter("ignore")  # backtest() keeps them in result.warnings, which the report shows
        try:
            result = backtest(strategy, params=params, progress=progress, **kwargs)
        except StrategyError as e:
            raise NotebookStrategyError.from_error(e) from e.__cause__
    return result
