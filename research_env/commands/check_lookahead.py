"""``research-env check-lookahead``: does a strategy decide differently when later bars are taken away?"""

from __future__ import annotations

import argparse

from ._run_options import add_demo_options

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``check-lookahead`` subcommand."""
    check = commands.add_parser(
        "check-lookahead", help="check a strategy for look-ahead: its decisions on histories cut at several bars "
                                "against the full history (exit status 1 when a decision changed)")
    check.add_argument("strategy", help="path to a strategy .py file, or a strategy name (NAME_vectorized.py is "
                                        "checked when it exists)")
    check.add_argument("--symbols", help="comma-separated tickers, e.g. AAPL,MSFT (default: the strategy's own)")
    check.add_argument("--start", help="first session date, e.g. 2023-01-01 (default: the strategy's own)")
    check.add_argument("--end", help="end date, exclusive (default: the strategy's own, else today)")
    check.add_argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's timeframe)")
    check.add_argument("--param", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                       help="the parameters to check, e.g. --param fast_period=20 (default: the strategy's own)")
    check.add_argument("--cuts", type=int, help="cut points (default 8 for vectorized, 3 for bar-by-bar strategies)")
    check.add_argument("--data", help="bar store folder (default: $RESEARCH_ENV_DATA or the checkout's data/)")
    add_demo_options(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the verdict; exit status 1 when a decision changed."""
    import json

    from ..lookahead import check_lookahead
    from ..strategy.params import parse_pairs

    report = check_lookahead(args.strategy, args.symbols, args.start, args.end, args.timeframe,
                             parse_pairs(args.param, "--param") or None, data=args.data, cuts=args.cuts,
                             allow_demo=args.allow_demo)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.message())
    return 0 if report.ok else 1
