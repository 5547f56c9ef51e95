"""One task, run where a worker runs it (a process of this machine, or a Dask worker).

``execute`` calls the same API as every door, ``research_env.backtest`` or ``research_env.sweep``, and
answers ``("done", report JSON)`` or ``("failed", error record)``; ``run_in_process`` is the target of a
worker process: it first takes the server's environment and folder, then sends progress and the answer back
over its pipe as plain data.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

from ._terms import in_service_terms

__all__ = ["error_record", "execute", "run_in_process"]

#: At most this many progress messages a second.
_PER_SECOND = 4


def run_in_process(job: dict, connection) -> None:
    """Run ``job`` in this worker process and send ``("progress", percent)`` messages, then the outcome."""
    os.environ.clear()
    os.environ.update(job["environ"])
    os.chdir(job["cwd"])
    with contextlib.suppress(BrokenPipeError):  # the server went away (a progress message found out): no one to tell
        connection.send(execute(job, _Reporter(connection)))
    connection.close()


class _Reporter:
    """``progress(done, total)`` that sends the percentage, at most ``_PER_SECOND`` times a second."""

    def __init__(self, connection):
        self.connection = connection
        self.sent = 0.0
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        percent = round(100.0 * done / total, 1) if total else 0.0
        now = time.monotonic()
        if percent > self.sent and (now - self.last >= 1 / _PER_SECOND or percent >= 100):
            self.connection.send(("progress", percent))  # a server gone away ends the run (BrokenPipeError)
            self.sent, self.last = percent, now


def execute(job: dict, progress: Callable[[int, int], None] | None = None) -> tuple[str, Any]:
    """``("done", report JSON text)`` or ``("failed", error record)`` of ``job``: its ``kind``, the API's keyword
    ``arguments``, the server's ``timeout``, ``max_combinations`` and ``max_years``, and whether the code is
    ``untrusted``."""
    try:
        report = _run(job, progress)
    except Exception as e:  # the family, or a research-env bug (with its whole traceback): the task fails
        return "failed", error_record(e)
    return "done", _json(report)


def _run(job: dict, progress) -> dict:
    from ..api import backtest
    from ..sweeps import sweep

    arguments = {**job["arguments"], "progress": progress, "timeout": job["timeout"], "untrusted": job["untrusted"]}
    if job["kind"] == "backtest":
        return backtest(**arguments).to_payload()
    mode = "vectorized" if job["kind"] == "sweep" else "bar"
    result = sweep(**arguments, mode=mode, max_combinations=job["max_combinations"], max_years=job["max_years"])
    return {**result.to_dict(), "grid": result.grid, "maximize": result.maximize}


def error_record(error: BaseException) -> dict:
    """The API's ``error`` object: ``type``, ``message``, ``symbol`` and ``bar`` (a strategy's error), and the
    ``traceback`` lines (the strategy's own frames; all frames for an unexpected error)."""
    from ..errors import InputError, StrategyError

    record = {"type": type(error).__name__, "message": in_service_terms(str(error)), "symbol": None, "bar": None,
              "traceback": []}
    if isinstance(error, StrategyError):
        bar = error.timestamp.isoformat() if error.timestamp is not None else None
        frames = [line for frame in error.user_traceback for line in frame.splitlines()]
        return {**record, "symbol": error.symbol, "bar": bar, "traceback": frames}
    if not isinstance(error, InputError):
        record["traceback"] = "".join(traceback.format_exception(error)).splitlines()
    return record


def _json(report: dict) -> str:
    """``report`` as JSON text; a value JSON has no number for (NaN, infinity: a strategy's variable) is null."""
    try:
        return json.dumps(report, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(report), allow_nan=False)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
