"""``research-env replay``: run a recorded backtest or sweep again and check it gives the same numbers."""

from __future__ import annotations

import argparse
import sys
import warnings

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``replay`` subcommand."""
    rp = commands.add_parser(
        "replay", help="run a recorded result again (the JSON of backtest --json or sweep --json, or a manifest) "
                       "and check code, bars and numbers are the same (exit status 1 when not)")
    rp.add_argument("result", help="the JSON file a run wrote, e.g. research-env backtest ... --json > run.json")
    rp.add_argument("--strategy", help="the strategy file to run (default: where the recorded run took it from)")
    rp.add_argument("--data", help="bar store folder (default: the recorded run's own sources)")
    rp.add_argument("--json", action="store_true", help="print the new result as JSON instead of the report")
    rp.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Replay and print the new report; exit status 1 with the reason when code, bars or numbers differ."""
    from ..replays import ReplayError, replay

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the result keeps them in result.warnings, which the report prints
            result = replay(args.result, strategy=args.strategy, data=args.data)
    except ReplayError as e:
        print(f"research-env: replay differs: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(result.to_json(indent=2))
    else:
        print(f"Replayed {args.result}: same code, same bars, same numbers.\n")
        print(result.report())
    return 0
