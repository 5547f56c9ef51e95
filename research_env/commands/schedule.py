"""``research-env schedule add|list|remove|serve|run-due``: notebooks run on a cron schedule."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``schedule`` subcommand and its own subcommands."""
    schedule = commands.add_parser("schedule", help="run notebooks on a cron schedule")
    schedule.add_argument("--folder", help="where jobs and the run log live (default: $RESEARCH_ENV_SCHEDULE "
                                           "or the checkout's schedule/)")
    sub = schedule.add_subparsers(dest="schedule_command", required=True)
    add = sub.add_parser("add", help="schedule a notebook")
    add.add_argument("name", help="job name (letters, digits, - and _)")
    add.add_argument("notebook", help="the .ipynb to run")
    add.add_argument("--cron", required=True, help='when, as "minute hour day month weekday", e.g. "0 18 * * 1-5"')
    add.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="a notebook parameter; repeat for several")
    add.add_argument("-o", "--output", help="output folder (default: <folder>/runs/<name>)")
    add.add_argument("--timezone", help="IANA time zone of the cron line (default: the `schedule.timezone` "
                                        "setting, America/New_York)")
    add.add_argument("--timeout", type=float, help="seconds one run may take (default: the `schedule.job_timeout` "
                                                   "setting, 3600)")
    add.add_argument("--now", action="store_true", help="also make the first run due at once")
    add.set_defaults(handler=_add)
    lst = sub.add_parser("list", help="show the jobs and their next run")
    lst.set_defaults(handler=_list)
    rm = sub.add_parser("remove", help="delete a job (its outputs and log stay)")
    rm.add_argument("name")
    rm.set_defaults(handler=_remove)
    serve = sub.add_parser("serve", help="keep running and start each job when due (Ctrl-C stops)")
    serve.add_argument("--poll", type=float, default=30.0, help="seconds between looks for new jobs (default 30)")
    serve.set_defaults(handler=_serve)
    due = sub.add_parser("run-due", help="run the jobs that are due now, once, and exit (for cron)")
    due.set_defaults(handler=_run_due)


def _schedule(args):
    from ..batch.schedule import Schedule

    return Schedule(args.folder)


def _add(args) -> int:
    from ..batch.runner import parse_value

    parameters = {name: parse_value(value) for name, value in args.parameter}
    job = _schedule(args).add(args.name, args.notebook, args.cron, parameters, args.output,
                              timezone=args.timezone, run_now=args.now, timeout=args.timeout)
    print(f"scheduled `{job.name}`: {job.notebook} at '{job.cron}' ({job.timezone}); next run {_time(job.next_run)}")
    return 0


def _time(moment) -> str:
    """A job time as shown everywhere: ISO 8601 to the second, in the job's own time zone."""
    return moment.isoformat(timespec="seconds") if moment is not None else "none (the job has no more runs)"


def _list(args) -> int:
    schedule = _schedule(args)
    jobs = schedule.jobs()
    if not jobs:
        print(f"no scheduled jobs in {schedule.folder}")
        return 0
    for job in jobs:
        params = " ".join(f"-p {k} {v}" for k, v in job.parameters.items())
        print(f"{job.name}\t'{job.cron}' {job.timezone}\tnext {_time(job.next_run)}\t{job.notebook} {params}".rstrip())
    unfinished = schedule.unfinished()
    if unfinished:
        print(f"{len(unfinished)} runs unfinished (running now, or cut short; the next `serve` or `run-due` "
              f"re-runs those cut short): {', '.join(r.run for r in unfinished)}")
    return 0


def _remove(args) -> int:
    _schedule(args).remove(args.name)
    print(f"removed `{args.name}`")
    return 0


def _serve(args) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    schedule = _schedule(args)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())  # `kill`, systemd: stop as Ctrl-C does
    print(f"serving the jobs in {schedule.folder} (log: {schedule.log_path}); Ctrl-C stops", flush=True)
    schedule.serve(stop=stop, poll_seconds=args.poll)
    return 0


def _run_due(args) -> int:
    outcomes = _schedule(args).run_due()
    for outcome in outcomes:
        where = outcome.html if outcome.ok else outcome.error
        print(f"{outcome.job}: {outcome.status}: {where}")
    if not outcomes:
        print("no job is due")
    return 1 if any(o.status in ("failed", "timed out") for o in outcomes) else 0
