"""Scheduled runs: persisted jobs, due jobs run and logged, failures isolated, restarts lose nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import psutil
import pytest
from filelock import FileLock

from research_env.batch import Schedule
from research_env.settings import ScheduleSettings
from tests.batch.builders import (
    blocking_notebook,
    failing_notebook,
    greeting_notebook,
    hello_notebook,
    journal,
    read_outputs,
    sleeping_notebook,
)

CRON = "0 18 * * 1-5"


@pytest.fixture()
def notebooks(tmp_path):
    return greeting_notebook(tmp_path / "greet.ipynb"), failing_notebook(tmp_path / "fail.ipynb")


def test_jobs_are_persisted_listed_and_removed(tmp_path, notebooks):
    greet, _ = notebooks
    schedule = Schedule(tmp_path / "sched")
    job = schedule.add("nightly", greet, CRON, {"who": "desk"})
    assert job.next_run is not None and job.next_run.hour == 18 and job.next_run.weekday() < 5
    assert job.next_run > datetime.now().astimezone()
    assert job.next_run.tzinfo.key == "America/New_York" and job.next_run.microsecond == 0
    again = Schedule(tmp_path / "sched").jobs()
    assert [(j.name, j.cron, j.parameters, j.notebook) for j in again] == [("nightly", CRON, {"who": "desk"},
                                                                              str(greet.resolve()))]
    Schedule(tmp_path / "sched").remove("nightly")
    assert Schedule(tmp_path / "sched").jobs() == []


@pytest.mark.parametrize(("cron", "days"), [
    ("0 18 * * 1-5", "mon,tue,wed,thu,fri"),
    ("0 18 * * 0,6", "sun,sat"),
    ("0 18 * * 7", "sun"),
    ("0 18 * * */2", "sun,tue,thu,sat"),
    ("0 18 * * mon-fri", "mon,tue,wed,thu,fri"),
    ("0 18 * * *", "*"),
])
def test_cron_weekdays_are_numbered_as_crontab_numbers_them(cron, days):
    from research_env.batch.schedule import cron_trigger

    trigger = cron_trigger(cron)
    assert str(next(f for f in trigger.fields if f.name == "day_of_week")) == days
    saturday = datetime(2026, 11, 21, 12, tzinfo=trigger.timezone)
    fire = trigger.get_next_fire_time(None, saturday)
    expected = {"mon,tue,wed,thu,fri": 0, "sun,sat": 5, "sun": 6, "sun,tue,thu,sat": 5, "*": 5}[days]
    assert fire.weekday() == expected


@pytest.mark.parametrize(("name", "cron", "message"), [
    ("bad name!", CRON, "must be letters, digits"),
    ("ok", "every day", "is not a cron expression"),
    ("ok", "61 * * * *", "is not a cron expression"),
    ("ok", "0 18 * * 5-1", "is not a cron expression"),
])
def test_bad_jobs_are_refused_with_the_reason(tmp_path, notebooks, name, cron, message):
    with pytest.raises(ValueError, match=message):
        Schedule(tmp_path).add(name, notebooks[0], cron)


def test_duplicate_names_and_unknown_jobs_are_named(tmp_path, notebooks):
    schedule = Schedule(tmp_path)
    schedule.add("a", notebooks[0], CRON)
    with pytest.raises(ValueError, match="a job named `a` exists"):
        schedule.add("a", notebooks[0], CRON)
    with pytest.raises(ValueError, match=r"no scheduled job named `b` \(jobs: a\)"):
        schedule.remove("b")
    with pytest.raises(FileNotFoundError):
        schedule.add("c", tmp_path / "missing.ipynb", CRON)


def test_due_jobs_run_a_failing_one_is_logged_and_the_next_still_runs(tmp_path, notebooks):
    greet, fail = notebooks
    schedule = Schedule(tmp_path / "sched")
    schedule.add("first", greet, CRON, {"who": "one"}, run_now=True)
    schedule.add("broken", fail, CRON, run_now=True)
    schedule.add("third", greet, CRON, {"who": "three"}, run_now=True)
    schedule.add("later", greet, CRON)  # not due
    outcomes = schedule.run_due(datetime.now().astimezone() + timedelta(seconds=1))

    assert [(o.job, o.status) for o in outcomes] == [("first", "ok"), ("broken", "failed"), ("third", "ok")]
    for outcome, who in ((outcomes[0], "one"), (outcomes[2], "three")):
        assert Path(outcome.output).is_file() and Path(outcome.html).is_file()
        assert f"hello {who} x1" in read_outputs(Path(outcome.output))
        assert Path(outcome.output).is_relative_to(tmp_path / "sched" / "runs" / outcome.job)
    assert "ValueError: bad input on purpose" in outcomes[1].error
    assert Path(outcomes[1].output).is_file()  # the failed notebook is kept
    # two at a time (the default `schedule.max_jobs`): the log is in order of finishing
    assert sorted((r.job, r.status) for r in schedule.runs()) == [("broken", "failed"), ("first", "ok"),
                                                                  ("third", "ok")]

    restarted = Schedule(tmp_path / "sched")
    assert sorted(j.name for j in restarted.jobs()) == ["broken", "first", "later", "third"]
    assert all(j.next_run > datetime.now().astimezone() for j in restarted.jobs())
    assert restarted.run_due() == []


def test_serve_runs_a_job_that_is_due_and_jobs_survive_a_restart(tmp_path, notebooks):
    greet, _ = notebooks
    schedule = Schedule(tmp_path / "sched")
    schedule.add("soon", greet, CRON, {"who": "served"}, run_now=True)
    stop = threading.Event()
    server = threading.Thread(target=schedule.serve, kwargs={"stop": stop, "poll_seconds": 1}, daemon=True)
    server.start()
    deadline = time.monotonic() + 60
    while not schedule.runs() and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    server.join(timeout=30)
    assert not server.is_alive()
    runs = schedule.runs()
    assert [(r.job, r.status) for r in runs] == [("soon", "ok")]
    assert "hello served x1" in read_outputs(Path(runs[0].output)) and Path(runs[0].html).is_file()

    restarted = Schedule(tmp_path / "sched").jobs()
    assert [j.name for j in restarted] == ["soon"]
    assert restarted[0].next_run > datetime.now().astimezone()


def _cli(*args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "research-env"
    return subprocess.run([str(script), *args], capture_output=True, text=True)


def test_cli_add_list_run_due_remove(tmp_path, notebooks):
    greet, _ = notebooks
    folder = str(tmp_path / "sched")
    added = _cli("schedule", "--folder", folder, "add", "desk", str(greet), "--cron", CRON, "-p", "who", "cli",
                 "--now")
    assert added.returncode == 0, added.stderr
    assert "scheduled `desk`" in added.stdout
    listed = _cli("schedule", "--folder", folder, "list")
    assert listed.stdout.startswith("desk\t'0 18 * * 1-5' America/New_York") and "-p who cli" in listed.stdout
    assert re.search(r"\tnext \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00\t", listed.stdout), listed.stdout
    due = _cli("schedule", "--folder", folder, "run-due")
    assert due.returncode == 0, due.stderr
    assert due.stdout.startswith("desk: ok: ") and due.stdout.strip().endswith(".html")
    assert _cli("schedule", "--folder", folder, "run-due").stdout.strip() == "no job is due"
    assert _cli("schedule", "--folder", folder, "remove", "desk").returncode == 0
    assert "no scheduled jobs" in _cli("schedule", "--folder", folder, "list").stdout
    bad = _cli("schedule", "--folder", folder, "remove", "desk")
    assert bad.returncode == 2 and "no scheduled job named `desk`" in bad.stderr


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds}s for {what}")


def _running_cell(folder: Path, job: str) -> Path | None:
    """The output notebook of ``job``'s started run once papermill has saved it with its second cell running."""
    if not (folder / "runs.jsonl").is_file():
        return None
    started = [line for line in journal(folder) if line["job"] == job and line["status"] == "started"]
    if not started or not Path(started[0]["output"]).is_file():
        return None
    try:
        book = nbformat.read(started[0]["output"], as_version=4)
    except Exception:  # noqa: BLE001 - caught mid-write: look again
        return None
    running = book.cells[1].metadata.get("papermill", {}).get("status") == "running"
    return Path(started[0]["output"]) if running else None


def _serve(folder: Path, max_jobs: int) -> subprocess.Popen:
    script = Path(sys.executable).parent / "research-env"
    env = {**os.environ, "RESEARCH_ENV_SCHEDULE_MAX_JOBS": str(max_jobs)}
    return subprocess.Popen([str(script), "schedule", "--folder", str(folder), "serve", "--poll", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_serve_killed_mid_run_logs_the_run_and_those_queued_behind_it_as_interrupted_and_reruns_them(tmp_path):
    flag = tmp_path / "hold"
    flag.touch()
    slow = blocking_notebook(tmp_path / "slow.ipynb", flag)
    greet = hello_notebook(tmp_path / "hello.ipynb")
    folder = tmp_path / "sched"
    schedule = Schedule(folder)
    schedule.add("slow", slow, CRON, run_now=True)
    schedule.add("quick1", greet, CRON, {"who": "one"}, run_now=True)
    schedule.add("quick2", greet, CRON, {"who": "two"}, run_now=True)

    server = _serve(folder, max_jobs=1)  # one at a time: the quick runs wait behind the slow one
    try:
        partial = _wait_for(lambda: _running_cell(folder, "slow"), 90, "the slow run's second cell")
        workers = psutil.Process(server.pid).children(recursive=True)  # the run's process and its kernel
        assert len(workers) == 2
        server.send_signal(signal.SIGKILL)
        assert server.wait(10) == -signal.SIGKILL
    finally:
        server.kill()
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert alive == []  # the run's process and its kernel end with the scheduler
    steps = {}
    for line in journal(folder):
        steps.setdefault(line["job"], []).append(line["status"])
    assert steps == {"slow": ["queued", "started"], "quick1": ["queued"], "quick2": ["queued"]}
    assert Schedule(folder).runs() == []
    assert [r.job for r in Schedule(folder).unfinished()] == ["slow", "quick1", "quick2"]

    flag.unlink()
    server = _serve(folder, max_jobs=3)  # the three re-runs at once
    try:
        _wait_for(lambda: len(Schedule(folder).runs()) == 6, 120, "three interrupted runs and three re-runs")
        server.send_signal(signal.SIGTERM)
        assert server.wait(30) == 0
    finally:
        server.kill()

    runs = Schedule(folder).runs()
    interrupted = {r.job: r for r in runs if r.status == "interrupted"}
    assert sorted(interrupted) == ["quick1", "quick2", "slow"]
    assert interrupted["slow"].output == str(partial) and interrupted["slow"].cell == 2
    assert interrupted["slow"].error == (
        "stopped in cell #2 ('import os, time'): the scheduler running it stopped (killed, or the machine went "
        f"down); the partial notebook {partial} is marked as such. It runs again now.")
    for name in ("quick1", "quick2"):
        assert interrupted[name].output is None
        assert interrupted[name].error == "the scheduler stopped before this run started. It runs again now."
    reruns = {r.rerun_of: r for r in runs if r.status == "ok"}
    assert {run: rerun.job for run, rerun in reruns.items()} == {r.run: job for job, r in interrupted.items()}
    assert reruns[interrupted["slow"].run].output != str(partial)
    assert "hello two" in read_outputs(Path(reruns[interrupted["quick2"].run].output))
    assert Schedule(folder).unfinished() == []

    book = nbformat.read(str(partial), as_version=4)
    assert book.metadata.research_env == {"partial": True, "status": "interrupted", "cell_index": 2,
                                          "reason": "the scheduler running it stopped (killed, or the machine "
                                                    "went down)"}
    assert book.cells[0].metadata.tags == ["research-env-partial"]
    assert Path(interrupted["slow"].html).is_file() and interrupted["slow"].html == str(partial.with_suffix(".html"))
    assert all(job.next_run > datetime.now().astimezone() for job in Schedule(folder).jobs())


def test_runs_go_max_jobs_at_a_time_and_a_hung_one_times_out_in_its_cell_without_blocking_the_others(tmp_path):
    hung = sleeping_notebook(tmp_path / "hung.ipynb", 300)
    greet = hello_notebook(tmp_path / "hello.ipynb")
    schedule = Schedule(tmp_path / "sched", ScheduleSettings(max_jobs=2))
    schedule.add("hung", hung, CRON, run_now=True, timeout=10)
    schedule.add("quick1", greet, CRON, {"who": "one"}, run_now=True)
    schedule.add("quick2", greet, CRON, {"who": "two"}, run_now=True)

    outcomes = schedule.run_due(datetime.now().astimezone() + timedelta(seconds=1))

    assert [(o.job, o.status) for o in outcomes] == [("hung", "timed out"), ("quick1", "ok"), ("quick2", "ok")]
    timed_out = outcomes[0]
    assert timed_out.cell == 2
    assert timed_out.error == (f"ran past its timeout of 10s in cell #2 ('import time'); its process and kernel were "
                               f"stopped, and the partial notebook {timed_out.output} is marked as such")
    book = nbformat.read(timed_out.output, as_version=4)
    assert book.metadata.research_env["status"] == "timed out" and book.metadata.research_env["cell_index"] == 2
    assert Path(timed_out.html).is_file()
    running, most, order = 0, 0, []
    for line in journal(tmp_path / "sched"):
        running += {"started": 1, "queued": 0}.get(line["status"], -1)
        most = max(most, running)
        order.append((line["job"], line["status"]))
    assert most == 2  # never more than `max_jobs`, and the hung run never held up the others
    assert order.index(("quick1", "ok")) < order.index(("hung", "timed out"))
    assert order.index(("quick2", "started")) > order.index(("quick1", "ok"))


def test_unfinished_runs_later_than_the_misfire_grace_time_are_logged_interrupted_and_missed_not_run(tmp_path):
    greet = greeting_notebook(tmp_path / "greet.ipynb")
    folder = tmp_path / "sched"
    schedule = Schedule(folder, ScheduleSettings(misfire_grace_time=3600))
    schedule.add("daily", greet, CRON)
    hours_ago = [(datetime.now().astimezone() - timedelta(hours=h)).isoformat(timespec="seconds") for h in (3, 2)]
    lines = [
        {"job": "daily", "status": "queued", "run": "daily@1", "scheduled": hours_ago[0]},
        {"job": "daily", "status": "started", "run": "daily@1", "scheduled": hours_ago[0],
         "output": str(folder / "runs" / "daily" / "never_written.ipynb")},
        {"job": "daily", "status": "queued", "run": "daily@2", "scheduled": hours_ago[1]},
        {"job": "removed", "status": "queued", "run": "removed@1", "scheduled": hours_ago[1]},
    ]
    (folder / "runs.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    next_run = schedule.jobs()[0].next_run

    outcomes = schedule.run_due()

    assert [(o.run, o.status) for o in outcomes] == [("daily@1", "interrupted"), ("daily@2", "interrupted"),
                                                     (outcomes[2].run, "missed"), ("removed@1", "interrupted")]
    assert outcomes[0].error == ("stopped before its first cell: the scheduler running it stopped (killed, or the "
                                 f"machine went down); the partial notebook {lines[1]['output']} is marked as such. "
                                 "It runs again now.")
    assert outcomes[2].error == (f"due at 2 times from {hours_ago[0]} to {hours_ago[1]}, later than the misfire grace "
                                 "time of 3600s; the job runs again at its next time")
    assert outcomes[2].rerun_of == "daily@2" and outcomes[2].scheduled == hours_ago[1]
    assert outcomes[3].error == "the scheduler stopped before this run started. Its job was removed, so it does " \
                                "not run again."
    assert schedule.runs() == outcomes and schedule.unfinished() == []
    assert not (folder / "runs" / "daily").exists()
    assert schedule.jobs()[0].next_run == next_run
    assert schedule.run_due() == []


def test_a_corrupt_job_store_is_an_error_with_the_recovery_step(tmp_path, notebooks):
    folder = tmp_path / "sched"
    folder.mkdir()
    store = folder / "jobs.sqlite"
    store.write_bytes(b"this is not an SQLite database, it was overwritten" * 100)
    message = (f"the job store {store} cannot be read (file is not a database): it is damaged or not a job store. "
               f"To recover, move it aside (`mv {store} {store}.damaged`) and add the jobs again with "
               f"`research-env schedule add`; the run log {folder / 'runs.jsonl'} and the outputs are kept")
    for call in (lambda s: s.jobs(), lambda s: s.add("a", notebooks[0], CRON), lambda s: s.run_due()):
        with pytest.raises(ValueError) as caught:
            call(Schedule(folder))
        assert str(caught.value) == message
    listed = _cli("schedule", "--folder", str(folder), "list")
    assert listed.returncode == 2 and listed.stderr.splitlines() == [f"research-env: error: {message}"]


@pytest.mark.parametrize(("zone", "message"), [
    ("Mars/Olympus_Mons", "--timezone 'Mars/Olympus_Mons' is not a time zone: use an IANA name (e.g. "
                          "America/New_York, Europe/London, UTC)"),
    ("America/NewYork", "--timezone 'America/NewYork' is not a time zone: use an IANA name; did you mean "
                        "`America/New_York`?"),
    ("", "--timezone '' is not a time zone"),
])
def test_a_bad_time_zone_is_reported_as_a_time_zone_not_as_a_cron_line(tmp_path, notebooks, zone, message):
    with pytest.raises(ValueError) as caught:
        Schedule(tmp_path).add("a", notebooks[0], CRON, timezone=zone)
    assert str(caught.value).startswith(message) and "cron" not in str(caught.value)


def test_cli_bad_time_zone_is_one_line_and_a_job_keeps_its_own_zone(tmp_path, notebooks):
    folder = str(tmp_path / "sched")
    bad = _cli("schedule", "--folder", folder, "add", "a", str(notebooks[0]), "--cron", CRON, "--timezone", "Mars/X")
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == ["research-env: error: --timezone 'Mars/X' is not a time zone: use an IANA "
                                       "name (e.g. America/New_York, Europe/London, UTC)"]
    job = Schedule(folder).add("london", notebooks[0], "30 8 * * *", timezone="Europe/London")
    assert job.next_run.tzinfo.key == "Europe/London" and (job.next_run.hour, job.next_run.minute) == (8, 30)


def test_one_scheduler_per_folder(tmp_path):
    folder = tmp_path / "sched"
    folder.mkdir()
    with FileLock(folder / "serve.lock"), pytest.raises(ValueError, match="another `research-env schedule serve` "
                                                                            "or `run-due` is using"):
        Schedule(folder).run_due()
    assert Schedule(folder).run_due() == []


def test_a_due_time_the_store_kept_because_the_scheduler_died_before_moving_on_counts_once(tmp_path):
    folder = tmp_path / "sched"
    schedule = Schedule(folder, ScheduleSettings(misfire_grace_time=60, coalesce=False))
    due = schedule.add("daily", greeting_notebook(tmp_path / "greet.ipynb"), CRON, run_now=True).next_run
    # journaled as queued, then killed before the job store moved the job on
    (folder / "runs.jsonl").write_text(json.dumps({"job": "daily", "status": "queued", "run": "daily@1",
                                                   "scheduled": due.isoformat()}) + "\n")
    later = datetime.now().astimezone() + timedelta(hours=1)

    outcomes = schedule.run_due(later)

    assert [(o.run, o.status) for o in outcomes] == [("daily@1", "interrupted"), (outcomes[1].run, "missed")]
    assert outcomes[1].error == (f"due at {due.astimezone().isoformat(timespec='seconds')}, later than the misfire "
                                 "grace time of 60s; the job runs again at its next time")
    assert schedule.jobs()[0].next_run > later
    assert schedule.run_due(later) == []
