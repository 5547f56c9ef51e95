"""The processes tasks run in: forked from a server that has already loaded what every task needs."""

from __future__ import annotations

import subprocess
import sys

from research_env.service._processes import ProcessLauncher


def _loaded_before_the_task(connection) -> None:
    """A task process's report: whether numba's numpy support (loaded only with numba's CPU target) is there
    before the process does anything, whether the API is imported, and whether the session table is built."""
    from research_env.data._calendar import session_table

    connection.send(("numba.np.arraymath" in sys.modules, "research_env.api" in sys.modules,
                     session_table.cache_info().currsize))
    connection.close()


def test_task_processes_start_with_the_api_numbas_machinery_and_the_session_table_loaded(tmp_path):
    launcher = ProcessLauncher(tmp_path)
    here, there = launcher.context.Pipe(duplex=False)
    process = launcher.context.Process(target=_loaded_before_the_task, args=(there,))
    process.start()
    there.close()
    assert here.recv() == (True, True, 1)
    process.join(timeout=30)
    assert process.exitcode == 0


def test_importing_the_sweeps_leaves_numba_unloaded_and_the_preload_loads_it():
    script = (
        "import sys\n"
        "import research_env.sweeps\n"
        "before = 'numba.np.arraymath' in sys.modules\n"
        "import research_env.service._preload\n"
        "print(before, 'numba.np.arraymath' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
