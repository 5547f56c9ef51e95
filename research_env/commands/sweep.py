"""``research-env sweep``: run a parameter grid and print the best combinations (or JSON)."""

from __future__ import annotations

import argparse
import warnings

from ._run_options import add_demo_options, add_git_options, git_arguments

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    sw = commands.add_parser(
        "sweep", help="sweep a strategy's parameter grid (vectorized on numba kernels, or bar by bar in parallel)")
    sw.add_argument("strategy", nargs="?", help="path to a strategy .py file, or a strategy name "
                                                "(NAME_vectorized.py is preferred when it exists; leave out with "
                                                "--git-repo)")
    sw.add_argument("--grid", action="append", default=[], metavar="NAME=VALUES",
                    help="one parameter's values: 10,15,20 or start:stop:step (stop included); repeat per parameter")
    sw.add_argument("--symbols", help="comma-separated tickers, e.g. AAPL,MSFT (default: the strategy's own)")
    sw.add_argument("--start", help="first session date, e.g. 2023-01-01 (default: the strategy's own, else a "
                    "year before --end)")
    sw.add_argument("--end", help="end date, exclusive (default: the strategy's own, else today)")
    sw.add_argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's timeframe or 1d)")
    sw.add_argument("--cash", type=float, help="initial cash (default: the strategy's own, else 100000)")
    sw.add_argument("--data", help="bar store folder (default: $RESEARCH_ENV_DATA or the checkout's data/)")
    sw.add_argument("--metric", default="sharpe_ratio", help="metric that ranks combinations (default sharpe_ratio)")
    sw.add_argument("--mode", choices=["auto", "vectorized", "bar"], default="auto",
                    help="vectorized kernels or bar-by-bar backtests (default: vectorized when available)")
    sw.add_argument("--workers", type=int, help="processes for a bar-by-bar sweep (default: one per CPU)")
    sw.add_argument("--max-combinations", type=int, help="raise the limit on combinations (default 500)")
    sw.add_argument("--max-years", type=float, help="raise the limit on the date range in years (default 3)")
    add_demo_options(sw)
    sw.add_argument("--timeout", type=float, metavar="SECONDS", help="stop a sweep that takes longer")
    sw.add_argument("--top", type=int, default=10, help="rows shown in the text report (default 10)")
    sw.add_argument("--json", action="store_true", help="print the guide's Sweep Response JSON instead of a table")
    add_git_options(sw)
    sw.add_argument("--untrusted", action="store_true",
                    help="code you did not write: validate it and sweep it bar by bar in the sandbox")
    sw.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Sweep and print the report (or JSON)."""
    from ..sweeps import parse_grid, sweep

    limits = {name: value for name, value in (("max_combinations", args.max_combinations),
                                              ("max_years", args.max_years)) if value is not None}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sweep(args.strategy, symbols=args.symbols, start=args.start, end=args.end, timeframe=args.timeframe,
                       param_grid=parse_grid(args.grid), initial_cash=args.cash, data=args.data, metric=args.metric,
                       mode=args.mode, max_workers=args.workers, allow_demo=args.allow_demo,
                       timeout=args.timeout, untrusted=args.untrusted, **limits, **git_arguments(args))
    result.warnings.extend(w for w in dict.fromkeys(str(w.message) for w in caught) if w not in result.warnings)
    print(result.to_json(indent=2) if args.json else result.report(top=args.top))
    return 0
