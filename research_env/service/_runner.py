"""The task runner: queued tasks start in order, at most ``workers`` at a time; progress and outcomes land in
the database.

One thread runs the loop: start what fits, wait on the running tasks' pipes and process ends, record
progress and outcomes. Starting, cancelling and stopping hold one lock, so a task cancelled while it starts
never runs on. The API stops a run past ``[service] task_timeout`` itself; a worker that still runs after a
grace period (its code deaf to the API's alarm, stuck in a C call) is stopped from outside.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from multiprocessing.connection import wait

from ..settings import ServiceSettings
from ._store import TaskStore
from ._submit import job_for
from ._worker import error_record

__all__ = ["TaskRunner"]

_LOG = logging.getLogger(__name__)
#: Seconds between looks at the queue and at tasks with nothing to wait on locally (Dask futures).
_TICK = 0.1
#: Seconds past ``task_timeout`` (at most ``task_timeout`` itself) before a task's worker is stopped from outside.
_GRACE = 30.0


class TaskRunner:
    """Runs the tasks of ``store`` with ``launcher`` (local processes or a Dask cluster)."""

    def __init__(self, store: TaskStore, settings: ServiceSettings, launcher):
        self.store, self.settings, self.launcher = store, settings, launcher
        self.workers = settings.workers
        self._queue: deque[str] = deque()
        self._running: dict = {}
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, queued: list[str]) -> None:
        """Start the loop with the tasks already ``queued`` (oldest first)."""
        self._queue.extend(queued)
        self._thread = threading.Thread(target=self._loop, name="research-env task runner", daemon=True)
        self._thread.start()

    def submit(self, task_id: str) -> None:
        """Queue a task the store holds as ``queued``."""
        with self._lock:
            self._queue.append(task_id)

    def cancel(self, task_id: str) -> bool:
        """Cancel a queued task (it never runs) or a running one (its worker is stopped); False when there is
        no such task or it has finished."""
        with self._lock:
            cancelled = self.store.cancel(task_id)
            run = self._running.pop(task_id, None) if cancelled else None
            self._started.pop(task_id, None)
        if run is not None:
            run.stop()
        return cancelled

    def stop(self) -> None:
        """Stop the loop; tasks still running are stopped and queued again for the next start."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            running, self._running = self._running, {}
        for task_id, run in running.items():
            run.stop()
            self.store.requeue(task_id)
        self.launcher.close()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._start_queued()
                self._wait()
                self._collect()
            except Exception:  # the database went away for a moment: log it, keep serving
                _LOG.exception("the task runner hit an error; retrying")
                self._stopping.wait(1.0)

    def _start_queued(self) -> None:
        with self._lock:
            while self._queue and len(self._running) < self.workers:
                task_id = self._queue.popleft()
                task = self.store.get(task_id, report=False)
                if task is None or not self.store.start(task_id):
                    continue  # cancelled (or dropped) while it waited
                try:
                    self._running[task_id] = self.launcher.launch(job_for(task["kind"], task["request"],
                                                                          self.settings))
                except Exception as e:  # the cluster cannot take it: the task fails with the reason
                    self.store.finish(task_id, "failed", error=error_record(e))
                    continue
                self._started[task_id] = time.monotonic()

    def _wait(self) -> None:
        with self._lock:
            waitables = [w for run in self._running.values() for w in run.waitables()]
        if waitables:
            wait(waitables, timeout=_TICK)
        else:
            self._stopping.wait(_TICK)

    def _collect(self) -> None:
        with self._lock:
            running = list(self._running.items())
        for task_id, run in running:
            progress, outcome = run.poll()
            if progress:
                self.store.progress(task_id, max(progress))
            if outcome is None and self._overdue(task_id):
                outcome = ("failed", self._timed_out())
            if outcome is not None:
                self._finish(task_id, run, outcome)

    def _finish(self, task_id: str, run, outcome: tuple) -> None:
        with self._lock:
            self._running.pop(task_id, None)
            self._started.pop(task_id, None)
        run.stop()
        status, value = outcome
        if status == "done":
            self.store.finish(task_id, "done", report=value)
        else:
            self.store.finish(task_id, "failed", error=value)
        self.store.prune(self.settings.keep_results, self.settings.keep_days)

    def _overdue(self, task_id: str) -> bool:
        limit = self.settings.task_timeout
        started = self._started.get(task_id)
        return limit is not None and started is not None and time.monotonic() - started > limit + min(limit, _GRACE)

    def _timed_out(self) -> dict:
        return {"type": "RunTimeoutError", "symbol": None, "bar": None, "traceback": [],
                "message": f"the task ran past the server's limit of {self.settings.task_timeout:g} s and its worker "
                           "was stopped; shorten the date range or ask the operator to raise `[service] task_timeout`"}
