"""Scheduled runs: persisted jobs, due jobs run and logged, failures isolated, restarts lose nothing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from research_env.batch import Schedule
from tests.batch.builders import failing_notebook, greeting_notebook, read_outputs

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
    assert [(r.job, r.status) for r in schedule.runs()] == [("first", "ok"), ("broken", "failed"), ("third", "ok")]

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
    due = _cli("schedule", "--folder", folder, "run-due")
    assert due.returncode == 0, due.stderr
    assert due.stdout.startswith("desk: ok: ") and due.stdout.strip().endswith(".html")
    assert _cli("schedule", "--folder", folder, "run-due").stdout.strip() == "no job is due"
    assert _cli("schedule", "--folder", folder, "remove", "desk").returncode == 0
    assert "no scheduled jobs" in _cli("schedule", "--folder", folder, "list").stdout
    bad = _cli("schedule", "--folder", folder, "remove", "desk")
    assert bad.returncode == 2 and "no scheduled job named `desk`" in bad.stderr
