"""``%sweep``: sweep a strategy's parameters over a grid, show the heatmap and table, return the result."""

from __future__ import annotations

import ast
import inspect

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import check_demo, demo_options, git_options, git_source, input_errors, resolve_strategy

__all__ = ["SweepMagics", "sweep_function"]



@magics_class
class SweepMagics(Magics):
    """The ``%sweep`` line magic."""

    @magic_arguments()
    @argument("strategy", nargs="?", help="a strategy class or instance in the notebook, a registered name, or a .py "
                                          "path (leave out with --git-repo)")
    @argument("--grid", nargs="+", action="extend", default=[], metavar="NAME=VALUES",
              help="values of one parameter: NAME=5,10,20 or NAME=1.5:3.0:0.5 (start:stop:step, stop included); "
                   "repeat or list several")
    @argument("--symbols", nargs="+", metavar="SYMBOL", help="tickers (default: the strategy's own)")
    @argument("--start", help="first session date, e.g. 2023-01-01 (default: the strategy's own, else a year "
                               "before --end)")
    @argument("--end", help="end date, exclusive (default: the strategy's own, else today)")
    @argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d")
    @argument("--cash", type=float, help="initial cash (default: the strategy's own, else 100000)")
    @argument("--metric", default="sharpe_ratio", help="metric that ranks the combinations and that the heatmap "
                                                       "shows first (default sharpe_ratio)")
    @git_options
    @argument("--walk-forward", type=int, metavar="SPLITS",
              help="also evaluate the grid walk-forward over SPLITS out-of-sample folds and show them")
    @argument("--anchored", action="store_true", help="walk-forward training windows all start at the first day")
    @demo_options
    @argument("--option", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
              help="any other keyword argument of research_env.sweep, e.g. --option mode='bar' max_workers=2")
    @argument("--quiet", action="store_true", help="return the result without displaying it")
    @line_magic
    def sweep(self, line: str):
        """Sweep a strategy over a parameter grid with ``research_env.sweep`` (vectorized or bar by bar).

        Displays a heatmap of two parameters (a dropdown picks the metric, a
        slider the values of the others), the best combination, a sortable
        table of every combination and, with ``--walk-forward``, the
        out-of-sample folds. Returns the ``SweepResult`` (``sw = %sweep ...``).

        Example::

            sw = %sweep dual_ma_crossover --symbols SPY --grid fast_period=5,10,20 slow_period=30:90:30
        """
        from ..strategy.params import parse_pairs
        from ..sweeps import parse_grid

        args = parse_argstring(self.sweep, line)
        check_demo(line)
        run = sweep_function()
        with input_errors():
            kwargs = {"symbols": args.symbols, "start": args.start, "end": args.end, "timeframe": args.timeframe,
                      "param_grid": parse_grid(args.grid), "metric": args.metric, "initial_cash": args.cash,
                      "allow_demo": args.allow_demo, **git_source(args)}
            kwargs.update({k: _value(v) for k, v in parse_pairs(args.option, "--option").items()})
        strategy = resolve_strategy(args.strategy, self.shell.user_ns)
        result = call_sweep(run, strategy, kwargs, "sweep")
        folds = None
        if args.walk_forward is not None:
            from ..sweeps import walk_forward

            options = {k: v for k, v in kwargs.items() if k in inspect.signature(walk_forward).parameters}
            folds = call_sweep(walk_forward, strategy, {**options, "splits": args.walk_forward,
                                                        "anchored": args.anchored}, "walk-forward")
        if not args.quiet:
            from IPython.display import display

            from .report import mark_displayed, sweep_outputs

            for bundle in sweep_outputs(result, args.metric, walk_forward=folds):
                display(bundle, raw=True)
            mark_displayed(result)
        return result


def sweep_function():
    """``research_env.sweep``, the function ``%sweep`` calls."""
    from ..sweeps import sweep

    return sweep


def call_sweep(run, strategy, kwargs: dict, label: str):
    """Call a sweep function with a progress bar, turning bad input (``InputError``) into ``UsageError``."""
    from ..errors import StrategyError
    from ._errors import NotebookStrategyError
    from .progress import Progress

    name = getattr(strategy, "__name__", strategy)
    with Progress(f"{label} {name}", unit="combination") as progress, input_errors():
        try:
            return run(strategy, **kwargs, progress=progress)
        except StrategyError as e:
            raise NotebookStrategyError.from_error(e) from e.__cause__


def _value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
