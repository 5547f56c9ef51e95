"""Scheduled notebook runs on APScheduler: jobs persisted in SQLite, every outcome logged, failures isolated.

A ``Schedule`` is a folder: ``jobs.sqlite`` (APScheduler's SQLAlchemy job
store: a job's notebook, parameters, cron trigger and next run time),
``runs.jsonl`` (one line per run: job, times, ok/failed, output paths, error)
and ``runs/<job>/<date>/`` (the executed notebooks and HTML reports, unless a
job names its own output folder). ``serve`` keeps a scheduler running;
``run_due`` runs what is due once and returns, for users who prefer cron.
A job that fails is logged and never stops the others.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import InputError

__all__ = [
    "DEFAULT_TIMEZONE",
    "JobOutcome",
    "Schedule",
    "ScheduledJob",
    "cron_trigger",
    "default_schedule_dir",
    "run_job",
]

#: Cron expressions are read in market time unless a job says otherwise.
DEFAULT_TIMEZONE = "America/New_York"
_JOB_FUNCTION = "research_env.batch.schedule:run_job"
_LOG = logging.getLogger(__name__)
_log_lock = threading.Lock()


def default_schedule_dir() -> Path:
    """``$RESEARCH_ENV_SCHEDULE``, else the checkout's ``schedule/`` folder, else ``~/.research-env/schedule``."""
    configured = os.environ.get("RESEARCH_ENV_SCHEDULE")
    if configured:
        return Path(configured).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "schedule"
    return Path.home() / ".research-env" / "schedule"


@dataclass(frozen=True)
class ScheduledJob:
    """A persisted job: which notebook, with which parameters, when."""

    name: str
    notebook: str
    cron: str
    timezone: str
    parameters: dict = field(default_factory=dict)
    output: str | None = None
    next_run: datetime | None = None


@dataclass(frozen=True)
class JobOutcome:
    """One run of a job, as logged in ``runs.jsonl``."""

    job: str
    status: str
    started: str
    finished: str
    output: str | None = None
    html: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def run_job(name: str, notebook: str, parameters: dict, output: str | None, folder: str, **_ignored) -> JobOutcome:
    """Run one job's notebook and log the outcome; never raises, so one failing job cannot stop the others."""
    from .runner import run_notebook

    started = datetime.now().astimezone()
    target = output or str(Path(folder) / "runs" / name)
    try:
        run = run_notebook(notebook, parameters, target)
        outcome = JobOutcome(job=name, status="ok", started=started.isoformat(), finished=_now(),
                             output=str(run.output), html=str(run.html))
        _LOG.info("job %s ran %s: %s", name, notebook, run.output)
    except Exception as e:  # noqa: BLE001 - a failing job is logged, whatever it raised
        failed = getattr(e, "output", None)
        outcome = JobOutcome(job=name, status="failed", started=started.isoformat(), finished=_now(),
                             output=str(failed) if failed else None,
                             html=str(e.html) if getattr(e, "html", None) else None,
                             error=f"{type(e).__name__}: {e}")
        _LOG.error("job %s failed: %s", name, outcome.error)
    _append_log(Path(folder), outcome)
    return outcome


def _now() -> str:
    return datetime.now().astimezone().isoformat()


def _append_log(folder: Path, outcome: JobOutcome) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with _log_lock, (folder / "runs.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps(outcome.__dict__) + "\n")


class Schedule:
    """The jobs and run log in ``folder`` (default ``default_schedule_dir()``)."""

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder is not None else default_schedule_dir()

    @property
    def log_path(self) -> Path:
        return self.folder / "runs.jsonl"

    # --- jobs ----------------------------------------------------------
    def add(self, name: str, notebook, cron: str, parameters: dict | None = None, output=None, *,
            timezone: str = DEFAULT_TIMEZONE, run_now: bool = False) -> ScheduledJob:
        """Persist a job running ``notebook`` on ``cron`` ("minute hour day month weekday").

        ``run_now`` makes the first run due at once (then the cron times).
        """
        path = Path(notebook).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"notebook {path} does not exist")
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise InputError(f"job name {name!r} must be letters, digits, '-' or '_'")
        try:
            trigger = cron_trigger(cron, timezone)
        except (ValueError, KeyError) as e:
            raise InputError(f"--cron {cron!r} is not a cron expression like '0 18 * * 1-5': {e}") from e
        kwargs = {"name": name, "notebook": str(path), "parameters": dict(parameters or {}),
                  "output": str(Path(output).resolve()) if output else None, "folder": str(self.folder.resolve()),
                  "cron": cron, "timezone": timezone}
        with self._scheduler() as scheduler:
            if scheduler.get_job(name) is not None:
                raise InputError(f"a job named `{name}` exists; remove it first (research-env schedule remove {name})")
            extra = {"next_run_time": datetime.now().astimezone()} if run_now else {}
            job = scheduler.add_job(_JOB_FUNCTION, trigger=trigger, id=name, name=name, kwargs=kwargs, **extra)
            return _describe(job)

    def remove(self, name: str) -> None:
        """Delete a job; its logged runs and outputs stay."""
        from apscheduler.jobstores.base import JobLookupError

        with self._scheduler() as scheduler:
            try:
                scheduler.remove_job(name)
            except JobLookupError:
                known = ", ".join(j.id for j in scheduler.get_jobs()) or "none"
                raise InputError(f"no scheduled job named `{name}` (jobs: {known})") from None

    def jobs(self) -> list[ScheduledJob]:
        """Every persisted job, soonest first."""
        with self._scheduler() as scheduler:
            return [_describe(job) for job in scheduler.get_jobs()]

    def runs(self) -> list[JobOutcome]:
        """Every logged run, oldest first."""
        if not self.log_path.is_file():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [JobOutcome(**json.loads(line)) for line in lines if line.strip()]

    # --- running -------------------------------------------------------
    def run_due(self, now: datetime | None = None) -> list[JobOutcome]:
        """Run every job whose next run time has come (once, however many were missed), then reschedule it."""
        now = now or datetime.now().astimezone()
        outcomes = []
        with self._scheduler() as scheduler:
            for job in scheduler.get_jobs():
                if job.next_run_time is None or job.next_run_time > now:
                    continue
                outcomes.append(run_job(**job.kwargs))
                following = job.trigger.get_next_fire_time(None, now + timedelta(seconds=1))
                if following is None:
                    scheduler.remove_job(job.id)
                else:
                    scheduler.modify_job(job.id, next_run_time=following)
        return outcomes

    def serve(self, stop: threading.Event | None = None, poll_seconds: float = 30.0) -> None:
        """Run jobs when due until ``stop`` is set (or Ctrl-C); jobs added meanwhile are seen within ``poll_seconds``.

        Runs one notebook at a time; a job missed while no scheduler ran runs
        once when the scheduler starts again.
        """
        from apscheduler.jobstores.memory import MemoryJobStore

        stop = stop or threading.Event()
        scheduler = self._new_scheduler()
        scheduler.add_jobstore(MemoryJobStore(), "internal")
        scheduler.start()
        scheduler.add_job(scheduler.wakeup, "interval", seconds=poll_seconds, id="poll-job-store",
                          jobstore="internal")
        _LOG.info("serving %d scheduled jobs from %s", len(scheduler.get_jobs(jobstore="default")), self.folder)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            scheduler.shutdown(wait=True)

    # --- plumbing ------------------------------------------------------
    def _new_scheduler(self, kind=None):
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.folder.mkdir(parents=True, exist_ok=True)
        store = SQLAlchemyJobStore(url=f"sqlite:///{(self.folder / 'jobs.sqlite').resolve()}")
        return (kind or BackgroundScheduler)(
            jobstores={"default": store},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=DEFAULT_TIMEZONE,
        )

    def _scheduler(self):
        return _StoreOnly(self._new_scheduler(_store_only_scheduler()))


def cron_trigger(cron: str, timezone: str = DEFAULT_TIMEZONE):
    """An APScheduler ``CronTrigger`` for a standard crontab line, weekdays numbered as cron does (0 = Sunday).

    APScheduler 3 reads weekday numbers with 0 = Monday; the weekday field is
    rewritten as day names so that ``1-5`` means Monday to Friday, as in crontab.
    """
    from apscheduler.triggers.cron import CronTrigger

    fields = cron.split()
    if len(fields) != 5:
        raise InputError(f"a cron line has 5 fields (minute hour day month weekday), got {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=_weekday_names(weekday),
                       timezone=timezone)


_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _weekday_names(field: str) -> str:
    if field in ("*", "?"):
        return "*"
    names = []
    for part in field.split(","):
        base, _, step = part.partition("/")
        every = int(step) if step else 1
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            first, last = (_day_number(x) for x in base.split("-", 1))
        else:
            first = _day_number(base)
            last = 6 if step else first
        if last < first or every < 1:
            raise InputError(f"weekday field {field!r}: ranges go from the earlier day to the later one")
        names += [_DAYS[d % 7] for d in range(first, last + 1, every)]
    return ",".join(dict.fromkeys(names))


def _day_number(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token[:3] in _DAYS:
        return _DAYS.index(token[:3])
    raise InputError(f"{token!r} is not a weekday (0-7 or sun..sat)")


def _store_only_scheduler():
    """A scheduler class with no run loop: it reads and changes the job store and never starts a job."""
    from apscheduler.schedulers.base import BaseScheduler

    class StoreOnlyScheduler(BaseScheduler):
        def wakeup(self):
            """Nothing to wake: this scheduler has no loop."""

        def shutdown(self, wait=True):
            super().shutdown(wait)

    return StoreOnlyScheduler


class _StoreOnly:
    """Open the job store through a loop-less scheduler for the duration of a ``with`` block."""

    def __init__(self, scheduler):
        self.scheduler = scheduler

    def __enter__(self):
        self.scheduler.start(paused=True)
        return self.scheduler

    def __exit__(self, *exc):
        self.scheduler.shutdown(wait=False)


def _describe(job) -> ScheduledJob:
    kw = job.kwargs
    return ScheduledJob(name=job.id, notebook=kw["notebook"], cron=kw["cron"], timezone=kw["timezone"],
                        parameters=kw["parameters"], output=kw["output"], next_run=job.next_run_time)
