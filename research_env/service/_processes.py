"""Tasks in worker processes of this machine: one process per task, started by a fork server.

A strategy that crashes, calls ``sys.exit`` or takes its process down with a segfault ends that process only:
the task fails with the reason and the server goes on. The fork server has the API imported already, so a
task starts in milliseconds; each worker first takes the server's current environment and folder, so it
resolves settings, strategies and the data folder as the server does.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from pathlib import Path

from ._worker import run_in_process

__all__ = ["ProcessLauncher", "ProcessRun"]

#: what the fork server every task process is forked from loads first (the task code, the API, numba's
#: machinery, the session table)
_PRELOAD = ["research_env.service._preload"]


class ProcessRun:
    """One task's worker process and the pipe its progress and outcome come back through."""

    def __init__(self, context, job: dict):
        self.connection, sending = context.Pipe(duplex=False)
        self.process = context.Process(target=run_in_process, args=(job, sending), name="research-env task")
        self.process.start()
        sending.close()

    def waitables(self) -> list:
        """What ``multiprocessing.connection.wait`` watches: the pipe, and the process's end."""
        return [self.connection, self.process.sentinel]

    def poll(self) -> tuple[list[float], tuple | None]:
        """The progress percentages received since the last call, and the outcome once there is one (a process
        that ended without sending one is a failed task)."""
        ended = not self.process.is_alive()  # checked first: everything a dead process sent is in the pipe
        progress, outcome = [], None
        with contextlib.suppress(EOFError, OSError):
            while outcome is None and self.connection.poll():
                message = self.connection.recv()
                if message[0] == "progress":
                    progress.append(message[1])
                else:
                    outcome = message
        if outcome is None and ended:
            self.process.join()
            outcome = ("failed", _crash(self.process.exitcode))
        return progress, outcome

    def stop(self) -> None:
        """Stop the process and everything it started (a pool of bar-by-bar workers, the sandbox), and reap it."""
        if self.process.is_alive():
            import psutil

            try:
                started = psutil.Process(self.process.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                started = []
            self.process.kill()
            for child in started:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        self.process.join()
        self.connection.close()


class ProcessLauncher:
    """Starts ``ProcessRun`` s with the server's environment, its folder and ``data_folder`` as the data folder."""

    def __init__(self, data_folder: Path):
        self.data_folder = data_folder
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(_PRELOAD)

    def launch(self, job: dict) -> ProcessRun:
        """Start ``job`` in a new worker process."""
        environ = {**os.environ, "RESEARCH_ENV_DATA": str(self.data_folder)}
        return ProcessRun(self.context, {**job, "environ": environ, "cwd": os.getcwd()})

    def close(self) -> None:
        """Nothing to release: each process is reaped when its task ends."""


def _crash(exitcode: int | None) -> dict:
    """The error of a worker process that ended without an answer."""
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else str(-exitcode)
        message = (f"the worker process running this task was killed by signal {name} (a crash in the strategy or "
                   "a library it called, or the system ran out of memory); the server is unaffected")
    else:
        message = (f"the worker process running this task exited with status {exitcode} before it finished (did "
                   "the strategy call sys.exit() or os._exit()?); the server is unaffected")
    return {"type": "WorkerCrashed", "message": message, "symbol": None, "bar": None, "traceback": []}
