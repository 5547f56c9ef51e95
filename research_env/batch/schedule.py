"""Scheduled notebook runs on APScheduler: jobs persisted in SQLite, every run journaled, crashes recovered.

A ``Schedule`` is a folder:

- ``jobs.sqlite``: APScheduler's SQLAlchemy job store (each job's notebook,
  parameters, cron line, time zone, timeout and next run time);
- ``runs.jsonl``: the run journal, one line per step of a run, each written
  and flushed to disk before the step it announces: ``queued`` (before the job
  store moves the job's next run time on), ``started`` (before the notebook's
  process starts; with the output path), then one outcome: ``ok``, ``failed``,
  ``timed out``, ``missed`` (later than the misfire grace time), ``skipped``
  (the job's previous run was still going) or ``interrupted``;
- ``runs/<job>/<date>/``: the executed notebooks and their HTML, unless a job
  names its own output folder;
- ``serve.lock``: held by the one ``serve`` or ``run-due`` using the folder.

Each run executes ``run_notebook`` in a process of its own, at most
``max_jobs`` at a time (settings, ``[schedule]``); a run that takes longer
than its timeout (the job's, else ``job_timeout``) is killed with its kernel,
its partial notebook is marked (``mark_partial``) and the log names the cell
it stopped in, while the other runs go on. A failing job is logged and never
stops the others.

``serve`` and ``run_due`` begin by reading the journal: a run queued or
started with no outcome belonged to a scheduler that was killed. Each is
logged ``interrupted`` (a started one with the cell it was in, its partial
notebook marked and exported), then runs again under the misfire policy: a
run starts only if it is no later than ``misfire_grace_time`` (default: no
limit), else it is logged ``missed``; with ``coalesce`` (default) several
times of one job run once. Times missed while nothing was serving follow the
same policy.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ..errors import InputError
from ..settings import ScheduleSettings, load_settings, parse_timezone
from .html import export_html
from .runner import NotebookRunError, mark_partial, output_path

__all__ = [
    "DEFAULT_TIMEZONE",
    "OUTCOMES",
    "JobOutcome",
    "Schedule",
    "ScheduledJob",
    "cron_trigger",
    "default_schedule_dir",
    "run_job",
]

#: The time zone of the scheduler itself; a job's cron line is read in its own (``schedule.timezone`` by default).
DEFAULT_TIMEZONE = "America/New_York"
#: The statuses that end a run in the journal; ``queued`` and ``started`` are steps before one of them.
OUTCOMES = ("ok", "failed", "timed out", "missed", "skipped", "interrupted")
_JOB_FUNCTION = "research_env.batch.schedule:run_job"
_RESULT_MARK = "research-env-run-result: "
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
    """A persisted job: which notebook, with which parameters, when (``next_run`` in the job's time zone)."""

    name: str
    notebook: str
    cron: str
    timezone: str
    parameters: dict = field(default_factory=dict)
    output: str | None = None
    next_run: datetime | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class JobOutcome:
    """One line of ``runs.jsonl``: a step (``queued``, ``started``) or the outcome (``OUTCOMES``) of one run.

    ``run`` identifies the run across its lines, ``scheduled`` is the time it
    was due, ``cell`` the index (in the executed notebook) of the cell it
    failed or stopped in, ``rerun_of`` the interrupted run it repeats.
    """

    job: str
    status: str
    started: str | None = None
    finished: str | None = None
    output: str | None = None
    html: str | None = None
    error: str | None = None
    run: str | None = None
    scheduled: str | None = None
    cell: int | None = None
    rerun_of: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def done(self) -> bool:
        """True for an outcome, False for a step of a run still going (or cut short by a crash)."""
        return self.status in OUTCOMES


def run_job(name: str, notebook: str, parameters: dict, output: str | None, folder: str, **options) -> JobOutcome:
    """Run one job's notebook now, in its own process, and log it in ``folder``'s journal; never raises.

    (APScheduler's job store refers to jobs by this function.)
    """
    kwargs = {"notebook": notebook, "parameters": parameters, "output": output, **options}
    schedule = Schedule(folder)
    with schedule._runner() as runner:
        now = _now()
        return runner.queue(name, kwargs, [(now, None)], now=now, grace_applies=False)[0].result()


def _now() -> datetime:
    return datetime.now().astimezone()


def _iso(moment: datetime) -> str:
    """Journal times: ISO 8601 to the second, in this machine's time zone."""
    return moment.astimezone().isoformat(timespec="seconds")


class _RunLog:
    """``runs.jsonl``: appended one line at a time, each flushed and fsynced before the caller goes on."""

    _fields = frozenset(f.name for f in dataclasses.fields(JobOutcome))

    def __init__(self, path: Path):
        self.path = path

    def append(self, record: JobOutcome) -> JobOutcome:
        line = json.dumps({k: v for k, v in dataclasses.asdict(record).items() if v is not None})
        with _log_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
                log.flush()
                os.fsync(log.fileno())
        return record

    def records(self) -> list[JobOutcome]:
        """Every line, oldest first; a last line without its newline (being written, or cut off) is left out."""
        if not self.path.is_file():
            return []
        with _log_lock:
            text = self.path.read_text(encoding="utf-8")
        records = []
        for number, line in enumerate(text.split("\n")[:-1], 1):
            if not line.strip():
                continue
            try:
                values = json.loads(line)
                records.append(JobOutcome(**{k: v for k, v in values.items() if k in self._fields}))
            except (ValueError, TypeError):
                warnings.warn(f"{self.path}:{number} is not a run record; skipped it", stacklevel=3)
        return records

    def unfinished(self) -> list[JobOutcome]:
        """The latest step of every run that has no outcome, oldest first."""
        latest: dict[str, JobOutcome] = {}
        for record in self.records():
            if record.run is not None:
                latest[record.run] = record
        return [r for r in latest.values() if not r.done]


class Schedule:
    """The jobs and run journal in ``folder`` (default ``default_schedule_dir()``).

    ``settings``: the scheduler's settings (default: ``load_settings().schedule``).
    """

    def __init__(self, folder=None, settings: ScheduleSettings | None = None):
        self.folder = Path(folder) if folder is not None else default_schedule_dir()
        self.settings = settings if settings is not None else load_settings().schedule
        self._log = _RunLog(self.folder / "runs.jsonl")

    @property
    def log_path(self) -> Path:
        return self._log.path

    @property
    def store_path(self) -> Path:
        return self.folder / "jobs.sqlite"

    # --- jobs ----------------------------------------------------------
    def add(self, name: str, notebook, cron: str, parameters: dict | None = None, output=None, *,
            timezone: str | None = None, run_now: bool = False, timeout: float | None = None) -> ScheduledJob:
        """Persist a job running ``notebook`` on ``cron`` ("minute hour day month weekday").

        ``timezone``: the cron line's (default the ``schedule.timezone``
        setting); ``run_now`` makes the first run due at once (then the cron
        times); ``timeout``: seconds one run may take (default the
        ``schedule.job_timeout`` setting when it runs).
        """
        path = Path(notebook).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"notebook {path} does not exist")
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise InputError(f"job name {name!r} must be letters, digits, '-' or '_'")
        timezone = parse_timezone(timezone, "--timezone") if timezone is not None else self.settings.timezone
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                    or not 0 < timeout < float("inf")):
            raise InputError(f"--timeout must be a positive number of seconds, got {timeout!r}")
        try:
            trigger = cron_trigger(cron, timezone)
        except (ValueError, KeyError) as e:
            raise InputError(f"--cron {cron!r} is not a cron expression like '0 18 * * 1-5': {e}") from e
        kwargs = {"name": name, "notebook": str(path), "parameters": dict(parameters or {}),
                  "output": str(Path(output).resolve()) if output else None, "folder": str(self.folder.resolve()),
                  "cron": cron, "timezone": timezone, "timeout": float(timeout) if timeout is not None else None}
        with self._scheduler() as scheduler:
            if scheduler.get_job(name) is not None:
                raise InputError(f"a job named `{name}` exists; remove it first (research-env schedule remove {name})")
            extra = {"next_run_time": _now()} if run_now else {}
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
        """The outcome of every logged run, oldest first (one per run; steps of unfinished runs left out)."""
        return [r for r in self._log.records() if r.done]

    def unfinished(self) -> list[JobOutcome]:
        """Runs queued or started with no outcome: in progress, or cut short (the next start re-runs them)."""
        return self._log.unfinished()

    # --- running -------------------------------------------------------
    def run_due(self, now: datetime | None = None) -> list[JobOutcome]:
        """Recover interrupted runs, run every job whose time has come, and return the outcomes.

        Runs go ``max_jobs`` at a time; each job is then rescheduled to its
        next cron time. A job's times missed since its last run follow the
        misfire policy (by default: they run once).
        """
        now = now or _now()
        with self._exclusive(), self._scheduler() as scheduler, self._runner() as runner:
            futures = self._recover(scheduler, runner, now)
            for job in scheduler.get_jobs():
                times = _due_times(job, now)
                if not times:
                    continue
                futures += runner.queue(job.id, job.kwargs, [(t, None) for t in times], now=now)
                _move_on(scheduler, job, now)
            return [f.result() for f in futures]

    def serve(self, stop: threading.Event | None = None, poll_seconds: float = 30.0) -> None:
        """Run jobs when due until ``stop`` is set (or Ctrl-C); jobs added meanwhile are seen within ``poll_seconds``.

        First recovers the runs a killed scheduler left unfinished. On stop,
        running notebooks are stopped; they and the queued runs are re-run at
        the next start.
        """
        stop = stop or threading.Event()
        with self._exclusive(), self._runner() as runner:
            scheduler = self._new_scheduler(executor=_journal_executor(runner))
            self._start(scheduler, paused=True)
            try:
                self._recover(scheduler, runner, _now())
                scheduler.resume()
                _LOG.info("serving %d scheduled jobs from %s (%d at a time)", len(scheduler.get_jobs()),
                          self.folder, self.settings.max_jobs)
                next_poll = time.monotonic() + poll_seconds
                while not stop.wait(0.5):
                    if time.monotonic() >= next_poll:
                        scheduler.wakeup()
                        next_poll = time.monotonic() + poll_seconds
            except KeyboardInterrupt:
                pass
            finally:
                scheduler.shutdown(wait=False)
                left = len(self.unfinished())
                if left:
                    _LOG.info("stopped with %d runs unfinished; the next start runs them", left)

    # --- recovery ------------------------------------------------------
    def _recover(self, scheduler, runner: _Runner, now: datetime) -> list[concurrent.futures.Future]:
        """Log every unfinished run as interrupted, then queue it again (misfire policy applies)."""
        futures: list[concurrent.futures.Future] = []
        by_job: dict[str, list[JobOutcome]] = {}
        for run in self._log.unfinished():
            by_job.setdefault(run.job, []).append(run)
        for name, runs in by_job.items():
            job = scheduler.get_job(name)
            after = " It runs again now." if job is not None else " Its job was removed, so it does not run again."
            for run in runs:
                futures.append(_finished(self._log.append(_interrupted(run, after))))
            if job is None:
                continue
            interrupted = [(datetime.fromisoformat(r.scheduled), r.run) for r in runs if r.scheduled]
            # The job's own due times join them, so that coalescing runs the job once; a time the store still
            # holds because the scheduler died before moving it on is already among them and runs once.
            seen = {t for t, _ in interrupted}
            due = _due_times(job, now)
            if due:
                _move_on(scheduler, job, now)
            repeats = runs[-1].run if self.settings.coalesce else None
            times = sorted(interrupted + [(t, repeats) for t in due if t.replace(microsecond=0) not in seen],
                           key=lambda pair: pair[0])
            futures += runner.queue(name, job.kwargs, times, now=now)
        return futures

    # --- plumbing ------------------------------------------------------
    def _runner(self) -> _Runner:
        return _Runner(self.folder, self._log, self.settings)

    def _exclusive(self):
        """Hold ``serve.lock``: one ``serve`` or ``run-due`` per folder (the lock dies with its process)."""
        from filelock import FileLock, Timeout

        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.folder / "serve.lock", timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise InputError(f"another `research-env schedule serve` or `run-due` is using {self.folder}; "
                             "run one scheduler per folder (stop the other first)") from None
        return _Release(lock)

    def _new_scheduler(self, kind=None, executor=None):
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        self.folder.mkdir(parents=True, exist_ok=True)
        store = SQLAlchemyJobStore(url=f"sqlite:///{self.store_path.resolve()}")
        return (kind or BackgroundScheduler)(
            jobstores={"default": store},
            executors={"default": executor} if executor is not None else {},
            # Every due time reaches the journal; the misfire policy (settings) is applied there.
            job_defaults={"coalesce": False, "max_instances": 1, "misfire_grace_time": None},
            timezone=DEFAULT_TIMEZONE,
        )

    def _scheduler(self):
        return _StoreOnly(self, self._new_scheduler(_store_only_scheduler()))

    def _start(self, scheduler, **kwargs) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            scheduler.start(**kwargs)
        except SQLAlchemyError as e:
            raise self._store_error(e) from e

    def _store_error(self, error) -> InputError:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        store = self.store_path
        return InputError(
            f"the job store {store} cannot be read ({reason}): it is damaged or not a job store. To recover, "
            f"move it aside (`mv {store} {store}.damaged`) and add the jobs again with `research-env schedule "
            f"add`; the run log {self.log_path} and the outputs are kept")


class _Release:
    def __init__(self, lock):
        self.lock = lock

    def __enter__(self):
        return self.lock

    def __exit__(self, *exc):
        self.lock.release()


def _interrupted(run: JobOutcome, after: str) -> JobOutcome:
    """The outcome of a run that a killed scheduler left queued or started; marks its partial notebook."""
    if run.status != "started" or not run.output:
        return dataclasses.replace(run, status="interrupted", finished=_iso(_now()),
                                   error=f"the scheduler stopped before this run started.{after}")
    reason = "the scheduler running it stopped (killed, or the machine went down)"
    cell = mark_partial(run.output, "interrupted", reason)
    html = None
    if Path(run.output).is_file():
        html = str(export_html(run.output, Path(run.output).with_suffix(".html")))
    where = f"in cell {cell}" if cell is not None else "before its first cell"
    return dataclasses.replace(
        run, status="interrupted", finished=_iso(_now()), html=html, cell=cell.index if cell else None,
        error=f"stopped {where}: {reason}; the partial notebook {run.output} is marked as such.{after}")


def _finished(outcome: JobOutcome) -> concurrent.futures.Future:
    future: concurrent.futures.Future = concurrent.futures.Future()
    future.set_result(outcome)
    return future


def _due_times(job, now: datetime) -> list[datetime]:
    """Every time of ``job`` from its next run time up to ``now``."""
    times, moment = [], job.next_run_time
    while moment is not None and moment <= now:
        times.append(moment)
        moment = job.trigger.get_next_fire_time(moment, now)
    return times


def _move_on(scheduler, job, after: datetime) -> None:
    """Set ``job``'s next run time to its first cron time after ``after`` (remove it when there is none)."""
    following = job.trigger.get_next_fire_time(None, after + timedelta(seconds=1))
    if following is None:
        scheduler.remove_job(job.id)
    else:
        scheduler.modify_job(job.id, next_run_time=following)


class _Runner:
    """Runs jobs' notebooks in processes of their own, ``max_jobs`` at a time, journaling every step."""

    def __init__(self, folder: Path, log: _RunLog, settings: ScheduleSettings):
        self.folder, self.log, self.settings = folder, log, settings
        self._pool = concurrent.futures.ThreadPoolExecutor(settings.max_jobs, thread_name_prefix="research-env-run")
        self._stopping = threading.Event()
        self._processes: set[subprocess.Popen] = set()
        self._claimed: set[Path] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop running notebooks and drop queued runs; both stay unfinished in the journal for the next start."""
        self._stopping.set()
        with self._lock:
            for process in self._processes:
                process.kill()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def queue(self, job: str, kwargs: dict, times: list[tuple[datetime, str | None]], *, now: datetime,
              grace_applies: bool = True) -> list[concurrent.futures.Future]:
        """Apply the misfire policy to ``times`` ((due time, run it repeats)), journal each run, and start it.

        Returns one future per run, each giving the run's last journal line.
        """
        grace = self.settings.misfire_grace_time
        late = [(t, r) for t, r in times if grace_applies and grace is not None and (now - t).total_seconds() > grace]
        due = [(t, r) for t, r in times if (t, r) not in late]
        futures = []
        if late:
            first, last = late[0][0], late[-1][0]
            span = f"{_iso(first)}" if first == last else f"{len(late)} times from {_iso(first)} to {_iso(last)}"
            futures.append(_finished(self.log.append(JobOutcome(
                job=job, status="missed", run=_run_id(job, last), scheduled=_iso(last), finished=_iso(_now()),
                rerun_of=late[-1][1], error=f"due at {span}, later than the misfire grace time of {grace:g}s; "
                                            "the job runs again at its next time"))))
        if self.settings.coalesce and len(due) > 1:
            due = due[-1:]
        for moment, repeats in due:
            run = self.log.append(JobOutcome(job=job, status="queued", run=_run_id(job, moment),
                                             scheduled=_iso(moment), rerun_of=repeats))
            try:
                futures.append(self._pool.submit(self._execute, run, kwargs))
            except RuntimeError:  # stopping: the run stays queued for the next start
                futures.append(_finished(run))
        return futures

    def skip(self, job: str, times: list[datetime], reason: str) -> None:
        for moment in times:
            self.log.append(JobOutcome(job=job, status="skipped", run=_run_id(job, moment), scheduled=_iso(moment),
                                       finished=_iso(_now()), error=reason))

    def _execute(self, run: JobOutcome, kwargs: dict) -> JobOutcome:
        if self._stopping.is_set():
            return run
        notebook = Path(kwargs["notebook"])
        out = self._claim(notebook, kwargs.get("output") or self.folder / "runs" / run.job)
        started = self.log.append(dataclasses.replace(run, status="started", started=_iso(_now()), output=str(out)))
        timeout = kwargs.get("timeout") or self.settings.job_timeout
        try:
            outcome = self._run_process(started, kwargs, out, timeout)
        finally:
            with self._lock:
                self._claimed.discard(out)
        if outcome is None:  # stopped with the scheduler: it stays started, and the next start re-runs it
            return started
        _LOG.log(logging.INFO if outcome.ok else logging.ERROR, "job %s %s: %s", run.job, outcome.status,
                 outcome.html if outcome.ok else outcome.error)
        return self.log.append(outcome)

    def _claim(self, notebook: Path, target) -> Path:
        with self._lock:
            moment = datetime.now()
            out = output_path(notebook, target, moment)
            while out in self._claimed:
                moment += timedelta(seconds=1)
                out = output_path(notebook, target, moment)
            self._claimed.add(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        return out

    def _run_process(self, run: JobOutcome, kwargs: dict, out: Path, timeout: float | None) -> JobOutcome | None:
        spec = {"notebook": kwargs["notebook"], "parameters": kwargs.get("parameters") or {}, "output": str(out),
                "parent": os.getpid()}
        command = [sys.executable, "-c", "from research_env.batch.schedule import _run_in_process; _run_in_process()",
                   json.dumps(spec)]
        # A session of its own: Ctrl-C in the terminal reaches the scheduler, which stops the runs itself.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        with self._lock:
            self._processes.add(process)
        if self._stopping.is_set():
            process.kill()
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return self._timed_out(run, out, timeout)
        finally:
            with self._lock:
                self._processes.discard(process)
        if self._stopping.is_set() and process.returncode < 0:
            return None
        finished = _iso(_now())
        result = next((json.loads(line[len(_RESULT_MARK):]) for line in reversed(stdout.splitlines())
                       if line.startswith(_RESULT_MARK)), None)
        if result is None:
            last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "no message")
            reason = f"the run's process ended with exit status {process.returncode}: {last}"
            cell = mark_partial(out, "failed", reason)
            return dataclasses.replace(run, status="failed", finished=finished, cell=cell.index if cell else None,
                                       html=self._export(out), error=reason)
        return dataclasses.replace(run, finished=finished, **result)

    def _timed_out(self, run: JobOutcome, out: Path, timeout: float) -> JobOutcome:
        reason = f"the run took longer than its timeout of {timeout:g}s"
        cell = mark_partial(out, "timed out", reason)
        where = f"in cell {cell}" if cell is not None else "before its first cell"
        return dataclasses.replace(
            run, status="timed out", finished=_iso(_now()), cell=cell.index if cell else None, html=self._export(out),
            error=f"ran past its timeout of {timeout:g}s {where}; its process and kernel were stopped, and the "
                  f"partial notebook {out} is marked as such")

    @staticmethod
    def _export(out: Path) -> str | None:
        return str(export_html(out, out.with_suffix(".html"))) if out.is_file() else None


def _run_id(job: str, moment: datetime) -> str:
    return f"{job}@{moment.astimezone():%Y%m%dT%H%M%S%z}-{secrets.token_hex(3)}"


def _run_in_process() -> None:
    """The body of a run's process: ``run_notebook`` with the spec in ``sys.argv[1]``, one result line on stdout."""
    from .runner import run_notebook

    spec = json.loads(sys.argv[1])
    _exit_with_parent(spec["parent"])
    try:
        run = run_notebook(spec["notebook"], spec["parameters"], spec["output"])
        result = {"status": "ok", "output": str(run.output), "html": str(run.html)}
    except NotebookRunError as e:
        result = {"status": "failed", "output": str(e.output), "html": str(e.html) if e.html else None,
                  "cell": e.cell_index, "error": f"{type(e).__name__}: {e}"}
    except Exception as e:  # noqa: BLE001 - whatever a run raised is its outcome
        result = {"status": "failed", "error": f"{type(e).__name__}: {e}"}
    print(_RESULT_MARK + json.dumps(result), flush=True)


def _exit_with_parent(parent: int) -> None:
    """End this process when the scheduler that started it is gone (its kernel then ends too)."""

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="research-env-parent-watch").start()


def _journal_executor(runner: _Runner):
    """An APScheduler executor that hands due times to ``runner``: each is journaled before the store moves on.

    APScheduler calls ``submit_job`` before it writes the job's next run time,
    so a run is in the journal before the store forgets it.
    """
    from apscheduler.executors.base import BaseExecutor, MaxInstancesReachedError

    class JournalExecutor(BaseExecutor):
        def submit_job(self, job, run_times):
            with self._lock:
                if self._instances[job.id] >= job.max_instances:
                    runner.skip(job.id, run_times, "the job's previous run was still going")
                    raise MaxInstancesReachedError(job)
                self._instances[job.id] += 1
            futures = runner.queue(job.id, job.kwargs, [(t, None) for t in run_times], now=_now())
            pending = [len(futures)]

            def one_done(_future):
                with self._lock:
                    pending[0] -= 1
                    last = pending[0] == 0
                if last:
                    self._run_job_success(job.id, [])

            for future in futures:
                future.add_done_callback(one_done)

        def _do_submit_job(self, job, run_times):
            raise NotImplementedError("submit_job queues runs itself")

    return JournalExecutor()


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
                       timezone=parse_timezone(timezone, "--timezone"))


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
    """Open the job store through a loop-less scheduler for the duration of a ``with`` block.

    A store SQLite cannot read is an ``InputError`` with the recovery step.
    """

    def __init__(self, schedule: Schedule, scheduler):
        self.schedule, self.scheduler = schedule, scheduler

    def __enter__(self):
        self.schedule._start(self.scheduler, paused=True)
        return self.scheduler

    def __exit__(self, kind, error, traceback):
        from sqlalchemy.exc import SQLAlchemyError

        self.scheduler.shutdown(wait=False)
        if isinstance(error, SQLAlchemyError):
            raise self.schedule._store_error(error) from error


def _describe(job) -> ScheduledJob:
    kw = job.kwargs
    next_run = job.next_run_time
    if next_run is not None:
        next_run = next_run.astimezone(ZoneInfo(kw["timezone"])).replace(microsecond=0)
    return ScheduledJob(name=job.id, notebook=kw["notebook"], cron=kw["cron"], timezone=kw["timezone"],
                        parameters=kw["parameters"], output=kw["output"], next_run=next_run,
                        timeout=kw.get("timeout"))
