"""The Git-source options ``backtest`` and ``sweep`` share: where to take the strategy from."""

from __future__ import annotations

import argparse

__all__ = ["add_git_options", "git_arguments"]


def add_git_options(parser: argparse.ArgumentParser) -> None:
    """``--git-repo URL [--branch B] [--commit SHA] [--strategy-path FILE] [--offline]``."""
    group = parser.add_argument_group("strategy from a Git repository (instead of STRATEGY)")
    group.add_argument("--git-repo", dest="git_repo", metavar="URL",
                       help="repository URL (https://, ssh://, git@host:owner/repo.git, file://) or local path")
    group.add_argument("--branch", dest="git_branch", metavar="NAME",
                       help="branch or tag (default: the default branch)")
    group.add_argument("--commit", dest="git_commit", metavar="SHA", help="commit to run (default: the branch's tip)")
    group.add_argument("--strategy-path", dest="strategy_path", metavar="FILE",
                       help="strategy file in the repository, e.g. strategies/rsi_mean_reversion.py (default: the "
                            "one StrategyBase subclass found in strategies/, else the root)")
    group.add_argument("--offline", action="store_true", help="use the commits fetched before; do not fetch")


def git_arguments(args: argparse.Namespace) -> dict:
    """The Git source the options give, as ``backtest``/``sweep`` keyword arguments."""
    from ..run_spec import GIT_ARGUMENTS

    return {name: getattr(args, name) for name in GIT_ARGUMENTS}
