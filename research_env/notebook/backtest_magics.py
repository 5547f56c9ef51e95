"""``%backtest``: run a strategy from the notebook, show its report, return the ``BacktestResult``."""

from __future__ import annotations

import warnings

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import input_errors, parse_pairs, parse_symbols, resolve_strategy

__all__ = ["BacktestMagics", "run_backtest"]


@magics_class
class BacktestMagics(Magics):
    """The ``%backtest`` line magic."""

    @magic_arguments()
    @argument("strategy", help="a StrategyBase class or instance in the notebook, a registered name "
                               "(e.g. from %%strategy), or a path to a .py strategy file")
    @argument("--symbols", nargs="+", metavar="SYMBOL", help="tickers, e.g. --symbols AAPL MSFT or AAPL,MSFT "
                                                              "(default: the strategy's own)")
    @argument("--start", help="first session date, e.g. 2023-01-01 (default: a year before --end)")
    @argument("--end", help="end date, exclusive (default: today)")
    @argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's timeframe)")
    @argument("--cash", type=float, default=100_000.0, help="initial cash (default 100000)")
    @argument("--param", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
              help="override strategy parameters, e.g. --param fast_period=20 slow_period=50")
    @argument("--data", help="bar store folder (default: $RESEARCH_ENV_DATA or the checkout's data/)")
    @argument("--interactive", action="store_true",
              help="show sliders for the strategy's parameters and re-run on change (returns the explorer)")
    @argument("--quiet", action="store_true", help="return the result without displaying the report")
    @line_magic
    def backtest(self, line: str):
        """Backtest a strategy bar by bar on the local store (synthetic demo bars when it has none).

        Returns the ``BacktestResult`` (``res = %backtest ...``) and displays its
        report: metrics, equity with drawdown and the SPY benchmark, trades on
        the price, the trade list and every denied signal with its reason.
        Bad arguments raise ``UsageError``; an exception in the strategy shows
        the strategy, symbol, bar time and your own traceback lines.

        Example::

            res = %backtest dual_ma_crossover --symbols SPY --start 2023-01-01 --end 2024-01-01 --param fast_period=5
        """
        args = parse_argstring(self.backtest, line)
        strategy = resolve_strategy(args.strategy, self.shell.user_ns)
        kwargs = {"symbols": parse_symbols(args.symbols), "start": args.start, "end": args.end,
                  "timeframe": args.timeframe, "initial_cash": args.cash, "data": args.data}
        params = parse_pairs(args.param, "--param")
        if args.interactive:
            from .widgets import interact

            with input_errors():
                explorer = interact(strategy, params=params, **kwargs)
            return _show(explorer, args.quiet)
        result = run_backtest(strategy, params=params, **kwargs)
        return _show(result, args.quiet)


def run_backtest(strategy, *, params: dict | None = None, progress_label: str | None = None, **kwargs):
    """``research_env.backtest`` with a progress bar, warnings shown in the report only, and notebook errors."""
    from ..api import backtest
    from ..engine.loop import StrategyError
    from ._errors import NotebookStrategyError
    from .progress import Progress

    label = progress_label or f"backtest {getattr(strategy, '__name__', strategy)}"
    with warnings.catch_warnings(), input_errors(), Progress(label) as progress:
        warnings.simplefilter("ignore")  # backtest() keeps them in result.warnings, which the report shows
        try:
            result = backtest(strategy, params=params, progress=progress, **kwargs)
        except StrategyError as e:
            raise NotebookStrategyError.from_error(e) from e.__cause__
    return result


def _show(obj, quiet: bool):
    if not quiet:
        from IPython.display import display

        from .report import mark_displayed

        display(obj)
        mark_displayed(obj)
    return obj
