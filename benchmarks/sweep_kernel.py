"""The vectorized sweep's simulation alone: ``VectorizedRunner.run`` on the fused moving-average cross.

Work: the grid, bars and settings of ``sweep_vs_vectorbt.py`` (500 combinations x 2 symbols x 20,000
synthetic 5-minute bars, 100 shares, no fees, no risk limits), prepared once; each run times computing the
distinct averages and the numba kernel (``nb.sweep_fused_nb``), best of ``--repeat``. This isolates the
kernels from the public call's data preparation, so two trees can be compared on the simulation alone:

    PYTHONPATH=<tree> python benchmarks/sweep_kernel.py --repeat 7
    NUMBA_NUM_THREADS=1 PYTHONPATH=<tree> python benchmarks/sweep_kernel.py --repeat 7   # one core

Prints the best time and writes the metrics matrix to ``--out`` (to check two trees agree bit for bit).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from sweep_vs_vectorbt import CASH, SHARES, grid, synthetic_5m


def main() -> None:
    from research_env import BacktestConfig, RiskConfig
    from research_env.api import resolve_bars
    from research_env.strategy.vectorized import MovingAverageCross, VectorizedStrategy
    from research_env.sweeps._grid import expand_grid
    from research_env.sweeps._market import config_vector, market_arrays
    from research_env.sweeps._vectorized import VectorizedRunner

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    class Crossover(VectorizedStrategy):
        name = "ma_crossover"
        fused = MovingAverageCross(fast="fast_period", slow="slow_period", average="sma", rule="strict")

    frames = synthetic_5m()
    first, last = frames["AAA"].index[0], frames["AAA"].index[-1]
    bars = resolve_bars(frames, ["AAA", "BBB"], first.normalize(), last.normalize() + np.timedelta64(1, "D"), "5m")
    config = BacktestConfig(initial_cash=CASH, slippage_bps=0.0, commission_per_share=0.0,
                            risk=RiskConfig.permissive(), benchmark=None)
    runner = VectorizedRunner(Crossover(), market_arrays(bars, ["AAA", "BBB"]), config_vector(config, SHARES))
    combos = expand_grid(grid())
    metrics = runner.run(combos).metrics  # compiles or loads the kernels
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        metrics = runner.run(combos).metrics
        times.append(time.perf_counter() - t0)
    if args.out:
        np.save(args.out, metrics)
    print(f"VectorizedRunner.run, {len(combos)} combinations: best {min(times):.4f} s of {args.repeat}")


if __name__ == "__main__":
    main()
