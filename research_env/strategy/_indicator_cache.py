"""Memoised indicator helpers within a sweep: ``indicator_cache()`` and the cache it activates.

A sweep calls ``generate_signals`` once per combination, and most combinations
ask for indicators an earlier one already computed (``sma(prices, 20)`` for
every fast period). Inside ``with indicator_cache():`` the helpers of
``strategy.vectorized`` compute each distinct indicator once and hand out the
stored values afterwards.

An input can take part in a key only when its values cannot change: its memory
belongs to a numpy array that is read-only (the frames a sweep hands to
``generate_signals`` and the helpers' own cached results are). The key is that
array's identity plus the view's place in it (start address, shape, strides),
so a column taken with ``prices["SPY"]`` or a slice of ``prices`` finds the same
entry on every call. Anything else (a frame the strategy built itself) is
computed on every call, as outside a cache. The cache holds the arrays of its
keys, so an identity is never reused while its entry lives. Results are stored
read-only: an in-place edit raises instead of changing what later combinations
receive.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar

import numpy as np

__all__ = ["DEFAULT_CACHE_BYTES", "IndicatorCache", "active_cache", "indicator_cache", "input_mark"]

#: the default memory budget of one cache's stored results
DEFAULT_CACHE_BYTES = 256 * 2**20

_ACTIVE: ContextVar[IndicatorCache | None] = ContextVar("research_env_indicator_cache", default=None)


class IndicatorCache:
    """Indicator results by function, settings and inputs; past ``max_bytes`` the least recently used go.

    ``computed`` counts the results computed, ``reused`` those handed out again, ``compute_seconds`` is the time
    spent computing them.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES):
        self.max_bytes = int(max_bytes)
        self.nbytes = 0
        self.computed = 0
        self.reused = 0
        self.compute_seconds = 0.0
        self._entries: OrderedDict[tuple, tuple[list[np.ndarray], list[np.ndarray]]] = OrderedDict()
        # (function, settings, id(source)) -> (source, its read-only owner, the entry's key): see ``results``
        self._shortcuts: dict[tuple, tuple[np.ndarray, np.ndarray, tuple]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (f"IndicatorCache({len(self)} results, {self.nbytes / 2**20:.1f} of {self.max_bytes / 2**20:.0f} MiB, "
                f"computed {self.computed}, reused {self.reused})")

    def results(self, function, settings: dict, inputs: list[np.ndarray],
                compute: Callable[[], list[np.ndarray]], source: np.ndarray | None = None) -> list[np.ndarray]:
        """``compute()`` (``function`` with ``settings`` over ``inputs``), stored read-only, or the stored arrays of
        an earlier call with the same function, settings and unchanging inputs.

        ``source``: an array object the one input is always the same view of (a frame's block, whose transpose
        the input is); a repeated call with the same source then finds its entry without working out the
        input's place in memory (about 2 of a hit's 5 microseconds).
        """
        shortcut = (function, tuple(settings.items()), id(source)) if source is not None and len(inputs) == 1 \
            else None
        if shortcut is not None:
            known = self._shortcuts.get(shortcut)
            if known is not None and not known[1].flags.writeable:
                found = self._reuse(known[2])
                if found is not None:
                    return found
        marks = [input_mark(values) for values in inputs]
        if any(mark is None for mark in marks):
            return self._compute(compute)
        key = (function, tuple(sorted(settings.items())), tuple(place for place, _ in marks))
        if shortcut is not None:
            self._shortcuts[shortcut] = (source, marks[0][1], key)
        found = self._reuse(key)
        if found is not None:
            return found
        arrays = self._compute(compute)
        for values in arrays:
            values.flags.writeable = False
        self._store(key, arrays, [owner for _, owner in marks])
        return arrays

    def _compute(self, compute: Callable[[], list[np.ndarray]]) -> list[np.ndarray]:
        started = time.perf_counter()
        arrays = compute()
        self.compute_seconds += time.perf_counter() - started
        self.computed += 1
        return arrays

    def _reuse(self, key: tuple) -> list[np.ndarray] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            self.reused += 1
            return entry[0]

    def clear(self) -> None:
        """Drop every stored result."""
        with self._lock:
            self._entries.clear()
            self._shortcuts.clear()
            self.nbytes = 0

    def _store(self, key: tuple, arrays: list[np.ndarray], owners: list[np.ndarray]) -> None:
        size = sum(values.nbytes for values in arrays)
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (arrays, owners)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                evicted, _ = self._entries.popitem(last=False)[1]
                self.nbytes -= sum(values.nbytes for values in evicted)


def input_mark(values: np.ndarray) -> tuple[tuple, np.ndarray] | None:
    """``(place, owner)`` of an input whose memory belongs to a read-only numpy array ``owner``: ``place`` is the
    owner's identity plus the view's start, shape, strides and dtype. ``None`` when the values could change."""
    owner = values
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    if owner.base is not None or owner.flags.writeable:
        return None
    place = (id(owner), values.__array_interface__["data"][0], values.shape, values.strides, values.dtype.str)
    return place, owner


def active_cache() -> IndicatorCache | None:
    """The cache of the innermost ``indicator_cache()`` block of this thread, or ``None`` outside one."""
    return _ACTIVE.get()


@contextlib.contextmanager
def indicator_cache(max_bytes: int = DEFAULT_CACHE_BYTES) -> Iterator[IndicatorCache]:
    """Memoise the vectorized indicator helpers inside the block (sweeps enter one per run).

    Each distinct indicator of a read-only input (the frames a sweep hands to
    ``generate_signals``, or a helper's cached result) is computed once and
    handed out read-only; stored results stay under ``max_bytes`` (least
    recently used dropped first) and are released when the block ends. Inside
    a block that is already open, the open cache is used.
    """
    current = _ACTIVE.get()
    if current is not None:
        yield current
        return
    cache = IndicatorCache(max_bytes)
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)
        cache.clear()
