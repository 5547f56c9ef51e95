"""Combinations of the generic vectorized path run on forked processes, their metrics in shared memory.

Each child runs the strategy's ``generate_signals``, the checks and the
kernel ``sweep_signals_nb`` on one combination at a time for the parts of the
grid it is sent, and writes the metrics rows into arrays it shares with the
parent. The children never use numba's thread pool (that kernel is not
parallel): a pool started in the parent does not survive a fork, and OpenMP,
numba's layer here, hangs a child that uses it. Children are forked after the
first combination (or batch) ran in the parent, so they inherit the strategy,
its read-only frames, the indicators computed so far and the loaded kernel,
and receive only row numbers.
Parts go out in order, one to each idle child, so a slow part does not hold
up the others.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import mmap
import multiprocessing
import multiprocessing.connection
from collections.abc import Callable

import numpy as np

from ._errors import SweepError

__all__ = ["ForkedWorkers", "can_fork", "parts", "shared_array"]

#: ``work(first, stop)`` runs combinations ``[first, stop)``; it returns ``None``, or ``(k, message)`` for the first
#: combination that failed
Work = Callable[[int, int], tuple[int, str] | None]


def can_fork() -> bool:
    """Whether this process may fork workers (a fork start method, and not itself a daemon process)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def shared_array(shape: tuple[int, ...], dtype) -> np.ndarray:
    """A zeroed array in memory that forked children share with this process."""
    dtype = np.dtype(dtype)
    size = max(int(np.prod(shape)) * dtype.itemsize, 1)
    return np.ndarray(shape, dtype=dtype, buffer=mmap.mmap(-1, size))


def parts(first: int, stop: int, processes: int) -> list[tuple[int, int]]:
    """``[first, stop)`` in contiguous parts, about four per process (balance against the cost of a message)."""
    count = max(min(stop - first, 4 * processes), 1)
    bounds = np.linspace(first, stop, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


class ForkedWorkers:
    """``processes`` forked children, each running ``work`` on the parts it is sent."""

    def __init__(self, work: Work, processes: int):
        context = multiprocessing.get_context("fork")
        self._links: list[tuple] = []
        # Frozen objects are left out of the children's garbage collections, which would otherwise touch (and
        # so copy) every page of the parent's memory.
        gc.freeze()
        try:
            for _ in range(processes):
                here, there = context.Pipe()
                process = context.Process(target=_serve, args=(there, work), name="research-env sweep worker",
                                          daemon=True)
                process.start()
                there.close()
                self._links.append((process, here))
        except BaseException:
            self.close(stop=True)
            raise
        finally:
            gc.unfreeze()

    def __enter__(self) -> ForkedWorkers:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.close(stop=error is not None)

    def run(self, ranges: list[tuple[int, int]], finished: Callable[[int], None]) -> tuple[int, str] | None:
        """Run ``ranges`` (in ascending order) on the children, calling ``finished(count)`` as each completes.

        Returns ``None``, or the lowest failed combination and its message: after a failure no further range
        goes out, and every range below it has already gone out, so it is the one a serial run would meet.
        """
        waiting = collections.deque(ranges)
        idle = list(self._links)
        busy: dict = {}
        failures = []
        while busy or (waiting and not failures):
            while idle and waiting and not failures:
                process, link = idle.pop()
                first, stop = waiting.popleft()
                link.send((first, stop))
                busy[link] = (process, stop - first)
            for link in multiprocessing.connection.wait(list(busy)):
                process, count = busy.pop(link)
                failure = _answer(process, link)
                if failure is None:
                    finished(count)
                else:
                    failures.append(failure)
                idle.append((process, link))
        return min(failures) if failures else None

    def close(self, stop: bool = False) -> None:
        """Let the children end without waiting for them (their results are in already; multiprocessing reaps
        them at its next process start, ``active_children()`` or exit), or with ``stop`` end and reap them now.

        A child's end takes the system a few milliseconds (its copied pages are freed), which the caller need
        not wait for."""
        for process, link in self._links:
            if stop:
                process.kill()
            else:
                with contextlib.suppress(OSError):
                    link.send(None)
            link.close()
        if stop:
            for process, _ in self._links:
                process.join()
        self._links = []


def _answer(process, link) -> tuple[int, str] | None:
    try:
        return link.recv()
    except EOFError:
        process.join()
        raise SweepError(f"a sweep worker process ended while running combinations (exit code {process.exitcode}); "
                         "a crash in the strategy or a library it called, or the system ran out of memory") from None


def _serve(link, work: Work) -> None:
    """A child's loop: run each range it is sent until told to stop."""
    while True:
        try:
            task = link.recv()
        except EOFError:
            return
        if task is None:
            return
        link.send(work(*task))
