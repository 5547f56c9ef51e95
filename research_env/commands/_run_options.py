"""Options ``backtest`` and ``sweep`` share, spelled once for every door in ``research_env.run_options``."""

from __future__ import annotations

import argparse

from ..run_options import DEMO_OPTIONS, GIT_ARGUMENTS, GIT_OPTIONS

__all__ = ["add_demo_options", "add_git_options", "git_arguments"]


def add_demo_options(parser: argparse.ArgumentParser) -> None:
    """``--demo`` / ``--no-demo`` (at most one)."""
    group = parser.add_mutually_exclusive_group()
    for flag, options in DEMO_OPTIONS:
        group.add_argument(flag, **options)


def add_git_options(parser: argparse.ArgumentParser) -> None:
    """``--git-repo URL [--branch B] [--commit SHA] [--strategy-path FILE] [--offline]``."""
    group = parser.add_argument_group("strategy from a Git repository (instead of STRATEGY)")
    for flag, options in GIT_OPTIONS:
        group.add_argument(flag, **options)


def git_arguments(args: argparse.Namespace) -> dict:
    """The Git source the options give, as ``backtest``/``sweep`` keyword arguments."""
    return {name: getattr(args, name) for name in GIT_ARGUMENTS}
