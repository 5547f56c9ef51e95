"""What the run manifest adds to a sweep: the fingerprint of every symbol's bars and the digest of the rows.

Work: the ``ours`` case (the fused declaration) of ``sweep_vs_vectorbt.py``: 500 combinations x 2 symbols x
20,000 5-minute bars, the fastest sweep there is, so the manifest's largest share. Timed as the public
``sweep(...)`` call, best of ``--repeat``; and the manifest alone (``sweep_manifest``) on the same bars and rows:

    python benchmarks/manifest_cost.py --repeat 7
"""

from __future__ import annotations

import argparse
import time

from sweep_vs_vectorbt import sweep_call, synthetic_5m


def main() -> None:
    from research_env.api import resolve_bars
    from research_env.manifest import sweep_manifest
    from research_env.run_spec import RunSpec

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    call = sweep_call("ours")  # the fused declaration
    result = call()  # warm: kernels loaded
    whole = alone = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = call()
        whole = min(whole, time.perf_counter() - t0)
    spec = RunSpec.from_dict(result.manifest["spec"])
    bars = resolve_bars(synthetic_5m(), list(spec.symbols), spec.start_date, spec.end_date, spec.timeframe)
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        sweep_manifest(spec, bars.frames, bars.sources, bars.origins, strategy_class="Crossover", benchmark=None,
                       rows=result.rows, options={})
        alone = min(alone, time.perf_counter() - t0)
    print(f"fused sweep {whole:.3f} s (manifest included); the manifest alone {alone * 1000:.1f} ms = "
          f"{alone / whole * 100:.1f}% of the call")


if __name__ == "__main__":
    main()
