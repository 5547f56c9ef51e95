"""What the look-ahead check adds to a vectorized sweep that calls ``generate_signals``.

Work: the ``plain`` and ``sma-rsi`` cases of ``sweep_vs_vectorbt.py`` (500 combinations x 2 symbols x 20,000
5-minute bars, no ``fused`` declaration), timed as the public ``sweep(...)`` call with the check
(``lookahead=True``, the verdict forgotten before each run, as a first sweep of new code pays it) and
without it (``lookahead=False``), interleaved, best of ``--repeat``; and the check alone on the sweep's first
combination (the steadier figure on a shared machine, where two sweeps' times move by more than the check):

    python benchmarks/lookahead_cost.py --repeat 5
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from sweep_vs_vectorbt import strategies, sweep_call, synthetic_5m


def check_seconds(case: str, runs: int) -> float:
    """The check alone on the sweep's first combination (``sweep_verdict``, verdict forgotten each run)."""
    from research_env.api import resolve_bars
    from research_env.sweeps import _lookahead
    from research_env.sweeps._grid import expand_grid
    from research_env.sweeps._market import market_arrays

    cls, grid = strategies()[case]
    frames = synthetic_5m()
    first, last = frames["AAA"].index[0], frames["AAA"].index[-1]
    bars = resolve_bars(frames, ["AAA", "BBB"], first.normalize(), last.normalize() + pd.Timedelta(days=1), "5m")
    market = market_arrays(bars, ["AAA", "BBB"])
    params = expand_grid(grid)[0]
    times = []
    for _ in range(runs):
        _lookahead._VERDICTS.clear()
        t0 = time.perf_counter()
        _lookahead.sweep_verdict(cls(), market, params, case)
        times.append(time.perf_counter() - t0)
    return min(times)


def best(call, runs: int, **options) -> float:
    from research_env.sweeps import _lookahead

    times = []
    for _ in range(runs):
        _lookahead._VERDICTS.clear()
        t0 = time.perf_counter()
        call(**options)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for case in ("plain", "sma-rsi"):
        call = sweep_call(case)
        call(lookahead=False)  # warm: kernels loaded, workers' code imported
        off = on = float("inf")
        for _ in range(args.repeat):
            off = min(off, best(call, 1, lookahead=False))
            on = min(on, best(call, 1, lookahead=True))
        alone = check_seconds(case, args.repeat)
        print(f"{case:8s} without the check {off:.3f} s, with it {on:.3f} s: +{(on / off - 1) * 100:.1f}%; "
              f"the check alone {alone:.3f} s = {alone / off * 100:.1f}% of the sweep without it")


if __name__ == "__main__":
    main()
