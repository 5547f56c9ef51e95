"""What a sweep task of the service costs from its process's start to its answer: task processes forked from a
server that has numba and the exchange calendar loaded, against one that has only the API imported.

Work: the guide's section 9 vectorized sweep as the service runs it (``bollinger_mean_reversion`` on SPY and QQQ,
5-minute bars of 2025-06-02 to 2025-08-01 from ``../shared/data/bars/5m``, 24 combinations), launched through the
service's own ``ProcessLauncher`` one task after another, each timed from the launch to its answer over the pipe.
Each variant runs in a process of its own (a fork server keeps the modules it preloads for its life): ``loaded``
is the service as it is (``research_env.service._preload``: numba's machinery and the NYSE session table loaded),
``api`` the fork server preloading only the task code, the API and the sweeps (as before). The first task of
each variant also starts the fork server and is reported apart; the figure is the median of the others, and
their ratio.

    python benchmarks/service_task_start.py [--tasks 8]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import SHARED_DATA  # noqa: E402

REQUEST = {"strategy": "bollinger_mean_reversion", "symbols": ["SPY", "QQQ"], "start": "2025-06-02",
           "end": "2025-08-01", "timeframe": "5m",
           "param_grid": {"bb_period": [10, 15, 20, 30], "bb_std": [1.5, 2.0, 2.5], "rsi_filter": [True, False]}}
PRELOADS = {"loaded": None, "api": ["research_env.service._worker", "research_env.api", "research_env.sweeps"]}


def task_seconds(preload: str, store: Path, tasks: int) -> list[float]:
    """Seconds from launch to answer of ``tasks`` sweep tasks in a row, the fork server preloading ``preload``."""
    import warnings

    from research_env.service import _processes
    from research_env.service._submit import job_for
    from research_env.settings import ServiceSettings

    warnings.simplefilter("ignore")
    if PRELOADS[preload] is not None:
        _processes._PRELOAD = PRELOADS[preload]
    launcher = _processes.ProcessLauncher(store)
    job = job_for("sweep", REQUEST, ServiceSettings(token="t" * 32))
    seconds = []
    for _ in range(tasks):
        started = time.perf_counter()
        run = launcher.launch(job)
        answer = run.connection.recv()
        while answer[0] == "progress":
            answer = run.connection.recv()
        seconds.append(time.perf_counter() - started)
        if answer[0] != "done":
            raise RuntimeError(f"the sweep task failed: {answer[1]}")
        run.process.join()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=8, help="tasks per variant (default 8)")
    parser.add_argument("--variant", choices=PRELOADS, help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tasks < 2:
        parser.error("--tasks must be at least 2 (the first also starts the fork server)")
    if args.variant:
        print(json.dumps(task_seconds(args.variant, args.store, args.tasks)))
        return
    from research_env.data import BarStore, import_bars

    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder)
        files = [SHARED_DATA / "bars" / "5m" / f"{symbol}.csv" for symbol in REQUEST["symbols"]]
        import_bars(files, store=BarStore(store), timeframe="5m")
        figures = {}
        for variant in ("api", "loaded", "api", "loaded"):  # twice each, alternating
            done = subprocess.run([sys.executable, __file__, "--variant", variant, "--store", str(store),
                                   "--tasks", str(args.tasks)], capture_output=True, text=True, check=True, cwd=folder)
            figures.setdefault(variant, []).append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{len(REQUEST['symbols'])} symbols, 24 combinations, {args.tasks} tasks a run, two runs per variant")
    medians = {}
    for variant, runs in figures.items():
        later = [s for run in runs for s in run[1:]]
        medians[variant] = statistics.median(later)
        firsts = ", ".join(f"{run[0]:.2f}" for run in runs)
        print(f"{variant:7s} first task (fork server start included) {firsts} s; the others: median "
              f"{medians[variant]:.3f} s, {min(later):.3f}-{max(later):.3f} s")
    print(f"numba and the calendar loaded in the fork server: a sweep task answers "
          f"{medians['api'] / medians['loaded']:.2f}x sooner")


if __name__ == "__main__":
    main()
