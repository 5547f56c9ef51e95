"""What the service's forkserver loads before it forks a process for each task (``set_forkserver_preload``).

Importing this module is its purpose, and it is imported nowhere else: the task code and the API, numba's
compiler machinery loaded (``load_numba``) and the NYSE session table built (``session_table``), so a task's
process starts with them instead of spending about 0.5 s on each (numba before a sweep's first kernel runs,
the exchange calendar before bars from the store are checked against it).
"""

from __future__ import annotations

import research_env.api  # noqa: F401 - preloaded for the task processes
import research_env.service._worker  # noqa: F401
import research_env.sweeps  # noqa: F401
from research_env.data._calendar import session_table
from research_env.sweeps._numba_start import load_numba

__all__: list[str] = []

load_numba()
session_table()
