"""``research-env run NOTEBOOK -p NAME VALUE ... [-o OUT]``: execute a notebook with papermill, export HTML."""

from __future__ import annotations

import argparse
import logging
import sys

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    run = commands.add_parser("run", help="execute a notebook on the research-env kernel and export its HTML report")
    run.add_argument("notebook", help="the .ipynb to run (its `parameters`-tagged cell takes the -p values)")
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="set a parameter (numbers, True/False/None and JSON lists are typed); repeat for several")
    run.add_argument("-o", "--output", help="output folder (a dated sub-folder is made in it; default: "
                                            "$RESEARCH_ENV_RUNS or the checkout's runs/) or an .ipynb path")
    run.add_argument("--timeout", type=float, help="seconds one cell may run (default: no limit); past it the run "
                                                   "stops, keeping the partial notebook and its HTML")
    run.add_argument("--self-contained", action="store_true",
                     help="inline plotly.js in the HTML report (about 4.8 MB more) instead of loading it from the "
                          "plotly-<version>.min.js written once beside the reports")
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from ..batch.runner import NotebookRunError, parse_value, run_notebook

    # The outcome is shown as the lines below; papermill's own log (e.g. "Timeout waiting for execute reply") is not.
    logging.getLogger("papermill").addHandler(logging.NullHandler())
    parameters = {name: parse_value(value) for name, value in args.parameter}
    try:
        done = run_notebook(args.notebook, parameters, args.output, timeout=args.timeout)
    except NotebookRunError as e:
        if args.self_contained and e.html is not None:
            _embed_plotlyjs(e.output, e.html)
        print(f"research-env: error: {e}", file=sys.stderr)
        return 1
    if args.self_contained:
        _embed_plotlyjs(done.output, done.html)
    print(f"executed notebook: {done.output}")
    print(f"HTML report:       {done.html}")
    return 0


def _embed_plotlyjs(notebook, html) -> None:
    """Write ``html`` again from ``notebook`` with plotly.js inlined (``--self-contained``). The shared
    plotly.js the first export wrote beside it stays: other reports of that folder may load it."""
    from ..batch.html import export_html

    export_html(notebook, html, self_contained=True)
