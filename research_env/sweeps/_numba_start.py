"""Numba's compiler machinery, loaded ahead of a process's first kernel call."""

from __future__ import annotations

__all__ = ["load_numba"]


def load_numba() -> None:
    """Load numba's CPU target and the numpy support it registers now, so that this process's first kernel call
    (and that of every process forked from it) does not pay for it: about 0.5 s, a third of it SciPy, which numba
    imports for its BLAS check. Loading a cached kernel waits for this otherwise. Safe from any thread, any number
    of times (numba's compiler lock; a second call finds everything loaded)."""
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.registry import cpu_target

    with global_compiler_lock:
        cpu_target.target_context.refresh()
