"""``Service``: what the routes share, and the service's start and stop.

At start the project database is migrated, tasks a stopped server left ``running`` fail as interrupted by
restart, old finished tasks are dropped and the ``queued`` ones resume; at shutdown running tasks are
stopped and queued again for the next start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from ..errors import InputError, StrategyError
from ..settings import ServiceSettings
from ._auth import token_matches
from ._errors import ServiceError, field_of
from ._runner import TaskRunner
from ._store import TaskStore
from ._submit import check_request
from ._terms import in_service_terms

__all__ = ["Service"]


@dataclass
class Service:
    """What the routes share: the ``[service]`` settings, the data folder, the token, the tasks and their
    runner (started by the app's lifespan)."""

    settings: ServiceSettings
    data_folder: Path
    token: str = field(repr=False)
    store: TaskStore
    runner: TaskRunner | None = None

    def accepts(self, presented: str | None) -> bool:
        """Whether ``presented`` is the service's token."""
        return token_matches(presented, self.token)

    def submit(self, kind: str, body: BaseModel) -> str:
        """Check a request, store it as a queued task (committed) and queue it; returns the task's id."""
        request = body.model_dump(exclude_unset=True)
        try:
            check_request(kind, request, self.settings)
        except (InputError, StrategyError) as e:
            message = in_service_terms(str(e))
            raise ServiceError(422, message, field_of(message, e, request)) from e
        task_id = self.store.add(kind, request)
        self.runner.submit(task_id)
        return task_id

    def open(self) -> None:
        """Migrate the database, settle what a previous server left, and start running tasks."""
        self.store.migrate()
        queued = self.store.recover()
        self.store.prune(self.settings.keep_results, self.settings.keep_days)
        self.runner = TaskRunner(self.store, self.settings, self._launcher())
        self.runner.start(queued)

    def close(self) -> None:
        """Stop running tasks (queued again for the next start)."""
        if self.runner is not None:
            self.runner.stop()

    def _launcher(self):
        if self.settings.dask_scheduler is not None:
            from ._dask import DaskLauncher

            return DaskLauncher(self.settings.dask_scheduler)
        from ._processes import ProcessLauncher

        return ProcessLauncher(self.data_folder)
