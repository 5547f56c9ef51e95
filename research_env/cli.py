"""The ``research-env`` command: a thin door onto the same API as the notebook magics.

Each subcommand lives in ``research_env/commands/<name>.py`` with a
``register(subparsers)`` function that sets ``handler``.
"""

from __future__ import annotations

import argparse
import re
import sys

from .commands import ai, backtest, check_lookahead, data, db, replay, run, schedule, serve, sweep, validate

__all__ = ["main"]

_COMMANDS = (ai, backtest, check_lookahead, data, db, replay, run, schedule, serve, sweep, validate)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="research-env", description="Backtest trading strategies bar by bar.")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in _COMMANDS:
        command.register(commands)
    return parser


#: Python argument names in the API's messages, as this command's options spell them.
_FLAGS = (
    (re.compile(r"\b(max_years|max_combinations|timeout)=(\S+?)(?=[\s,;)]|$)"),
     lambda m: f"--{m.group(1).replace('_', '-')} {m.group(2)}"),
    (re.compile(r"`initial_cash`"), lambda m: "`--cash`"),
    (re.compile(r"`param_grid`"), lambda m: "`--grid`"),
    (re.compile(r"\bgit_repo=\.\.\."), lambda m: "--git-repo ..."),
    (re.compile(r"`(git_repo|git_branch|git_commit|strategy_path)`"),
     lambda m: {"git_repo": "`--git-repo`", "git_branch": "`--branch`", "git_commit": "`--commit`",
                "strategy_path": "`--strategy-path`"}[m.group(1)]),
    (re.compile(r"`(symbols|start|end|timeframe|timeout|max_years|max_combinations)`"),
     lambda m: f"`--{m.group(1).replace('_', '-')}`"),
)


def in_flags(message: str) -> str:
    """An error message of the API with its argument names written as the command's options."""
    for pattern, flag in _FLAGS:
        message = pattern.sub(flag, message)
    return message


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, 1 for a failing strategy)."""
    args = _parser().parse_args(argv)
    from .errors import InputError, StrategyError

    try:
        return args.handler(args)
    except StrategyError as e:
        if e.user_traceback:
            print("Traceback of the strategy (most recent call last):", file=sys.stderr)
            print("\n".join(e.user_traceback), file=sys.stderr)
        print(f"research-env: error: {e}", file=sys.stderr)
        return 1
    except (InputError, FileNotFoundError) as e:
        print(f"research-env: error: {in_flags(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("research-env: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
