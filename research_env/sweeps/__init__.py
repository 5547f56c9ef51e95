"""Parameter sweeps: vectorized on numba kernels, or bar by bar across processes / a Dask cluster.

``sweep()`` runs a grid, ``walk_forward()`` evaluates it out of sample,
``vectorized_backtest()`` runs one combination of a vectorized strategy as a
full ``BacktestResult``. Kernels live in ``nb.py``; codes in ``enums.py``.
"""

from ..run_spec import DEFAULT_MAX_COMBINATIONS, DEFAULT_MAX_YEARS
from ._api import check_years, risk_notes, sweep, vectorized_backtest, walk_forward
from ._errors import GridError, SignalError, SweepError
from ._grid import check_grid, expand_grid, parse_grid, parse_values
from ._lookahead import LookaheadError, LookaheadReport
from .result import SweepResult, WalkForwardResult

__all__ = [
    "DEFAULT_MAX_COMBINATIONS",
    "DEFAULT_MAX_YEARS",
    "GridError",
    "LookaheadError",
    "LookaheadReport",
    "SignalError",
    "SweepError",
    "SweepResult",
    "WalkForwardResult",
    "check_grid",
    "check_years",
    "expand_grid",
    "parse_grid",
    "parse_values",
    "risk_notes",
    "sweep",
    "vectorized_backtest",
    "walk_forward",
]
