"""The notebook layer: ``%backtest``/``%%strategy``/``%sweep``/``%lookahead``/``%replay`` magics, parameter
sliders, plotly reports, progress.

``load_ipython_extension`` only registers the magics; everything heavy
(pandas, plotly, the engine) loads when a magic or ``interact`` first runs.
"""

from __future__ import annotations

__all__ = ["load_ipython_extension"]


def load_ipython_extension(ip) -> None:
    """Register ``%backtest``, ``%%strategy``, ``%sweep``, ``%lookahead`` and ``%replay`` with the IPython shell
    ``ip``."""
    from .backtest_magics import BacktestMagics
    from .lookahead_magics import LookaheadMagics
    from .replay_magics import ReplayMagics
    from .strategy_magics import StrategyMagics
    from .sweep_magics import SweepMagics

    ip.register_magics(BacktestMagics, StrategyMagics, SweepMagics, LookaheadMagics, ReplayMagics)

