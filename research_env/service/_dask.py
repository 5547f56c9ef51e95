"""Tasks on a Dask cluster (``--dask-scheduler`` / ``[service] dask_scheduler``) instead of local processes.

Each task is one ``client.submit`` of the same ``execute`` a local worker runs; the cluster's workers resolve
settings, strategies and bars with their own environment. Progress is coarse: queued, running, done.
"""

from __future__ import annotations

from ..errors import InputError
from ._worker import error_record, execute

__all__ = ["DaskLauncher", "DaskRun"]


class DaskRun:
    """One task's future on the cluster."""

    def __init__(self, client, job: dict):
        self.future = client.submit(execute, job, pure=False)

    def waitables(self) -> list:
        """Nothing to wait on locally: the runner polls the future."""
        return []

    def poll(self) -> tuple[list[float], tuple | None]:
        """No progress; the outcome once the future is done (an error of the cluster fails the task)."""
        if not self.future.done():
            return [], None
        try:
            return [], self.future.result()
        except Exception as e:  # the worker died, the scheduler went away: the task fails with the reason
            return [], ("failed", error_record(e))

    def stop(self) -> None:
        """Cancel the future (a task already running on a worker finishes there, unread)."""
        self.future.cancel()


class DaskLauncher:
    """Submits tasks to the Dask scheduler at ``address``."""

    def __init__(self, address: str):
        from distributed import Client

        try:
            self.client = Client(address, timeout=30, set_as_default=False)
        except OSError as e:
            raise InputError(f"the Dask scheduler at {address} cannot be reached ({e}); start it, correct "
                             "`--dask-scheduler` (`[service] dask_scheduler`), or leave it out to run tasks in "
                             "local worker processes") from e

    def launch(self, job: dict) -> DaskRun:
        """Submit ``job`` to the cluster."""
        return DaskRun(self.client, job)

    def close(self) -> None:
        """Disconnect from the scheduler."""
        self.client.close()
