"""What the service's forkserver loads before it forks a process for each task (``set_forkserver_preload``).

Importing this module is its purpose, and it is imported nowhere else: the task code and the API, and numba's
compiler machinery loaded (``load_numba``), so a sweep task's process starts with it instead of spending about
0.5 s on it before its first kernel runs.
"""

from __future__ import annotations

import research_env.api  # noqa: F401 - preloaded for the task processes
import research_env.service._worker  # noqa: F401
import research_env.sweeps  # noqa: F401
from research_env.sweeps._numba_start import load_numba

__all__: list[str] = []

load_numba()
