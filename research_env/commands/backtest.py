"""``research-env backtest``: run one strategy and print its report."""

from __future__ import annotations

import argparse
import warnings

from ._run_options import add_demo_options, add_git_options, git_arguments

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``backtest`` subcommand."""
    bt = commands.add_parser("backtest", help="backtest a strategy file or name and print its report")
    bt.add_argument("strategy", nargs="?", help="path to a strategy .py file, or the name of a known strategy "
                                                "(leave out with --git-repo, or name the file in the repository)")
    bt.add_argument("--symbols", help="comma-separated tickers, e.g. AAPL,MSFT (default: the strategy's own)")
    bt.add_argument("--start", help="first session date, e.g. 2023-01-01 (default: the strategy's "
                    "BACKTEST_CONFIG start_date, else a year before --end)")
    bt.add_argument("--end", help="end date, exclusive (default: the day after BACKTEST_CONFIG's end_date, "
                    "else today)")
    bt.add_argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's timeframe)")
    bt.add_argument("--cash", type=float, default=None,
                    help="initial cash (default: the strategy's BACKTEST_CONFIG initial_capital, else 100000)")
    bt.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="override a strategy parameter; repeat for several")
    bt.add_argument("--data", help="bar store folder (default: $RESEARCH_ENV_DATA or the checkout's data/)")
    add_demo_options(bt)
    bt.add_argument("--timeout", type=float, metavar="SECONDS", help="stop a run that takes longer")
    bt.add_argument("--json", action="store_true", help="print the result as JSON instead of the text report")
    bt.add_argument("--untrusted", action="store_true",
                    help="code you did not write: validate it (the guide's five layers) and run it in the sandbox")
    add_git_options(bt)
    bt.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Backtest and print the report (or JSON)."""
    from ..api import backtest
    from ..strategy.params import parse_pairs

    params = parse_pairs(args.param, "--param")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # backtest() keeps them in result.warnings, which the report prints
        result = backtest(args.strategy, symbols=args.symbols, start=args.start, end=args.end,
                          timeframe=args.timeframe, initial_cash=args.cash, params=params, data=args.data,
                          allow_demo=args.allow_demo, timeout=args.timeout, untrusted=args.untrusted,
                          **git_arguments(args))
    print(result.to_json(indent=2) if args.json else result.report())
    return 0
