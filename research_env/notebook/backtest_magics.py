"""``%backtest``: run a strategy from the notebook, show its report, return the ``BacktestResult``."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import check_demo, demo_options, git_options, git_source, input_errors, resolve_strategy
from .running import run_backtest

__all__ = ["BacktestMagics"]


@magics_class
class BacktestMagics(Magics):
    """The ``%backtest`` line magic."""

    @magic_arguments()
    @argument("strategy", nargs="?", help="a StrategyBase class or instance in the notebook, a registered name "
                               "(e.g. from %%strategy), or a path to a .py strategy file")
    @argument("--symbols", nargs="+", metavar="SYMBOL", help="tickers, e.g. --symbols AAPL MSFT or AAPL,MSFT "
                                                              "(default: the strategy's own)")
    @argument("--start", help="first session date, e.g. 2023-01-01 (default: the strategy's own, else a year "
                               "before --end)")
    @argument("--end", help="end date, exclusive (default: the strategy's own, else today)")
    @argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's timeframe)")
    @argument("--cash", type=float, help="initial cash (default: the strategy's own, else 100000)")
    @argument("--param", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
              help="override strategy parameters, e.g. --param fast_period=20 slow_period=50")
    @argument("--data", help="bar store folder (default: $RESEARCH_ENV_DATA or the checkout's data/)")
    @demo_options
    @argument("--timeout", type=float, metavar="SECONDS",
              help="stop a run that takes longer, even inside an endless loop of the strategy (default: no limit)")
    @git_options
    @argument("--interactive", action="store_true",
              help="show sliders for the strategy's parameters and re-run on change (returns the explorer)")
    @argument("--quiet", action="store_true", help="return the result without displaying the report")
    @argument("--untrusted", action="store_true",
              help="a strategy file you did not write: validate it and run it in the sandbox")
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
        from ..strategy.params import parse_pairs

        args = parse_argstring(self.backtest, line)
        check_demo(line)
        strategy = resolve_strategy(args.strategy, self.shell.user_ns)
        kwargs = {"symbols": args.symbols, "start": args.start, "end": args.end, "timeframe": args.timeframe,
                  "initial_cash": args.cash, "data": args.data, "allow_demo": args.allow_demo,
                  "timeout": args.timeout}
        with input_errors():
            params = parse_pairs(args.param, "--param")
        if args.interactive and args.untrusted:
            raise UsageError("--interactive re-runs the strategy in this kernel; untrusted code runs only in the "
                             "sandbox: drop one of --interactive and --untrusted")
        if args.interactive:
            from .widgets import interact

            with input_errors():
                if args.git_repo is not None:  # the sliders re-run the checked-out file of that commit
                    strategy = _checked_out(args, strategy)
                explorer = interact(strategy, params=params, **kwargs)
            return _show(explorer, args.quiet)
        result = run_backtest(strategy, params=params, untrusted=args.untrusted, **kwargs, **git_source(args))
        return _show(result, args.quiet)


def _checked_out(args, strategy) -> str:
    from ..strategy.git_source import checkout_strategy

    hint = args.strategy_path or (f"{strategy}.py" if isinstance(strategy, str) else None)
    return str(checkout_strategy(args.git_repo, branch=args.git_branch, commit=args.git_commit, strategy_path=hint,
                                 offline=args.offline).file)


def _show(obj, quiet: bool):
    if not quiet:
        from IPython.display import display

        from .report import mark_displayed

        display(obj)
        mark_displayed(obj)
    return obj
