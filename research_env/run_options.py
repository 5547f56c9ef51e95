"""How the doors (the command line, the magics) spell ``build_run``'s arguments as options, once for all of them.

Each entry is ``(flag, add_argument keyword arguments)`` with ``dest`` the
argument's name in ``research_env.run_spec.build_run``. Plain data and no
imports: ``%load_ext research_env`` reads it while registering the magics.
"""

__all__ = ["DEMO_OPTIONS", "GIT_ARGUMENTS", "GIT_OPTIONS"]

#: The Git source: repository, branch or tag, commit, file, offline.
GIT_OPTIONS = (
    ("--git-repo", dict(dest="git_repo", metavar="URL", help="take the strategy from this Git repository "
                        "(https://, ssh://, git@host:owner/repo.git, file:// or a local path)")),
    ("--branch", dict(dest="git_branch", metavar="NAME", help="branch or tag (default: the default branch)")),
    ("--commit", dict(dest="git_commit", metavar="SHA", help="commit to run (default: the branch's tip)")),
    ("--strategy-path", dict(dest="strategy_path", metavar="FILE",
                             help="strategy file in the repository, e.g. strategies/rsi_mean_reversion.py "
                                  "(default: the one strategy found in strategies/, else the root)")),
    ("--offline", dict(dest="offline", action="store_true", help="use the commits fetched before; do not fetch")),
)
#: ``build_run``'s arguments that name a Git source.
GIT_ARGUMENTS = tuple(options["dest"] for _, options in GIT_OPTIONS)
#: How the doors spell ``allow_demo``: two flags, at most one of them given.
DEMO_OPTIONS = (
    ("--demo", dict(dest="allow_demo", action="store_true", default=None,
                    help="allow synthetic demo bars for symbols the store lacks")),
    ("--no-demo", dict(dest="allow_demo", action="store_false", default=None,
                       help="never use synthetic demo bars (default: only when the store holds no real bars)")),
)
