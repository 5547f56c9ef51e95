"""Batch runs of notebooks: papermill on the research-env kernel, HTML reports, schedules.

``run_notebook`` executes one notebook with parameters into a dated folder and
exports its HTML; ``Schedule`` keeps cron jobs of such runs (APScheduler,
persisted on disk) and logs every outcome. papermill and APScheduler load on
first use.
"""

from __future__ import annotations

from .html import export_html
from .runner import KERNEL_NAME, NotebookRun, NotebookRunError, default_runs_dir, run_notebook
from .schedule import JobOutcome, Schedule, ScheduledJob, default_schedule_dir

__all__ = [
    "KERNEL_NAME",
    "JobOutcome",
    "NotebookRun",
    "NotebookRunError",
    "Schedule",
    "ScheduledJob",
    "default_runs_dir",
    "default_schedule_dir",
    "export_html",
    "run_notebook",
]
