"""Vectorized sweep vs vectorbt on the same moving-average crossover grid, in one run; and the parallel
bar-by-bar sweep against its serial run.

Work (issue 3): fast = 5..53 step 2 x slow = 20..210 step 10 (500 combinations) x 2 symbols x 20,000
synthetic 5-minute bars (fixed seed). Both sides: entry when SMA(fast) crosses above SMA(slow), exit when
it crosses below (vectorbt's ``ma_crossed_above/below``; ours the fused kernel's ``rule="strict"``), fill
at the next bar's open, no fees or slippage, 100 shares per entry, both symbols sharing one cash account
per combination (vectorbt: ``group_by`` + ``cash_sharing``), no risk limits. Each side runs in its own
subprocess, so peak memory (max RSS) is that side's alone; vectorbt is timed on its warm runs (second
and later), and both sides' warm time is the best of their warm runs (the machine may be shared).
``ours-fresh`` is a new process whose first sweep loads the kernels from numba's on-disk cache.

Issue 17 adds two strategies written as the guide's section 7 shows, with no ``fused`` declaration, so
they take the generic path (``generate_signals`` per combination, the helpers memoised within the sweep):
``plain``, the same crossover as above in pandas (entry where fast > slow and fast < slow the bar before),
and ``sma-rsi``, the guide's example (enter while fast > slow and RSI(14) < ``rsi_threshold``, exit while
fast < slow; grid fast 5..53 step 2 x slow 20..210 step 20 x threshold 30, 40 = 500 combinations), against
vectorbt's MA runs plus TA-Lib's RSI (``IndicatorFactory.from_talib``) with the same signal arithmetic.
Peak memory of our sides is the process's own max RSS plus the most memory of their own (USS) its forked
workers held together, sampled during one more sweep after the timed ones.

    python benchmarks/sweep_vs_vectorbt.py            # everything, prints a table
    python benchmarks/sweep_vs_vectorbt.py --side ours|ours-fresh|vbt|bar|plain|plain-fresh|sma-rsi|...
    python benchmarks/sweep_vs_vectorbt.py --profile plain|sma-rsi   # where a warm serial sweep spends its time
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
FAST = np.arange(5, 54, 2)
SLOW = np.arange(20, 211, 10)
BARS = 20_000
CASH = 1_000_000.0
SHARES = 100


def synthetic_5m(n: int = BARS, seed: int = 11) -> dict[str, pd.DataFrame]:
    """Two random-walk symbols on regular-session 5-minute bar close times (09:35-16:00 New York)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2022-01-03", periods=n // 78 + 2)
    minutes = pd.to_timedelta(np.arange(1, 79) * 5 + 9 * 60 + 30, unit="min")
    stamps = (days.values[:, None] + minutes.values[None, :]).ravel()[:n]
    index = pd.DatetimeIndex(stamps).tz_localize("America/New_York").tz_convert("UTC")
    frames = {}
    for symbol, start in (("AAA", 100.0), ("BBB", 250.0)):
        close = start * np.exp(np.cumsum(rng.normal(0, 0.0015, n)))
        open_ = np.concatenate(([start], close[:-1])) * np.exp(rng.normal(0, 0.0004, n))
        frame = pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.001,
                              "low": np.minimum(open_, close) * 0.999, "close": close,
                              "volume": rng.integers(1_000, 50_000, n).astype(float)}, index=index)
        frame.index.name = "timestamp"
        frames[symbol] = frame
    return frames


SMA_RSI_SLOW = np.arange(20, 211, 20)
THRESHOLDS = (30, 40)


def grid() -> dict[str, list[int]]:
    return {"fast_period": FAST.tolist(), "slow_period": SLOW.tolist()}


def sma_rsi_grid() -> dict[str, list[int]]:
    return {"fast_period": FAST.tolist(), "slow_period": SMA_RSI_SLOW.tolist(), "rsi_threshold": list(THRESHOLDS)}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb(call) -> float:
    """The most memory of its own (USS: pages no other process maps) the forked workers of ``call()`` held
    together, sampled every 2 ms during one more call; their pages shared with this process are in its RSS."""
    import threading

    import psutil

    me, peak, running = psutil.Process(), [0], threading.Event()

    def sample():
        while running.is_set():
            total = 0
            for child in me.children():
                with contextlib.suppress(psutil.Error):
                    total += child.memory_full_info().uss
            peak[0] = max(peak[0], total)
            time.sleep(0.002)

    running.set()
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        call()
    finally:
        running.clear()
        sampler.join()
    return peak[0] / 2**20


def strategies() -> dict:
    """The three vectorized strategies: the fused declaration, and two guide-form ones without it."""
    from research_env.strategy.vectorized import MovingAverageCross, VectorizedStrategy, rsi, sma

    class Crossover(VectorizedStrategy):
        name = "ma_crossover"
        fused = MovingAverageCross(fast="fast_period", slow="slow_period", average="sma", rule="strict")

    class PlainCrossover(VectorizedStrategy):
        name = "ma_crossover"

        def generate_signals(self, prices, volumes, **params):
            fast = sma(prices, params["fast_period"])
            slow = sma(prices, params["slow_period"])
            above, below = fast > slow, fast < slow
            return above & below.shift(1, fill_value=False), below & above.shift(1, fill_value=False)

    class SmaRsi(VectorizedStrategy):
        name = "sma_rsi"

        def generate_signals(self, prices, volumes, **params):
            fast = sma(prices, params["fast_period"])
            slow = sma(prices, params["slow_period"])
            r = rsi(prices, 14)
            entries = (fast > slow) & (r < params["rsi_threshold"])
            exits = fast < slow
            return entries.fillna(False), exits.fillna(False)

    return {"ours": (Crossover, grid()), "plain": (PlainCrossover, grid()), "sma-rsi": (SmaRsi, sma_rsi_grid())}


def sweep_call(case: str):
    """The public call a user makes for ``case``, as a function of no arguments."""
    from research_env import BacktestConfig, RiskConfig
    from research_env.sweeps import sweep

    cls, param_grid = strategies()[case]
    frames = synthetic_5m()
    config = BacktestConfig(initial_cash=CASH, slippage_bps=0.0, commission_per_share=0.0,
                            risk=RiskConfig.permissive(), benchmark=None)
    start = frames["AAA"].index[0].tz_convert("America/New_York").strftime("%Y-%m-%d")
    end = (frames["AAA"].index[-1].tz_convert("America/New_York") + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    return lambda **options: sweep(cls(), ["AAA", "BBB"], start, end, "5m", param_grid, data=frames,
                                   config=config, quantity=SHARES, **options)


def run_ours(out: Path, runs: int, case: str = "ours") -> dict:
    call = sweep_call(case)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - t0)
    np.save(out, np.array([[r["total_return"], r["final_equity"]] for r in result.rows]))
    workers_mb = children_peak_mb(call)
    return {"times": times, "peak_mb": peak_mb() + workers_mb, "workers_mb": workers_mb, "kind": result.kind}


def profile_split(case: str) -> dict:
    """Seconds of one warm serial sweep (cProfile, so inflated) in the user's ``generate_signals``, in the
    rest of ``VectorizedRunner.signals`` (checks and conversion), in the numba kernel, and elsewhere: one
    process (``max_workers=1``) and the kernel on this thread too, where cProfile sees it (as on one core)."""
    import cProfile
    import pstats

    from research_env.sweeps import _vectorized

    _vectorized.local_workers = lambda max_workers: 1
    call = sweep_call(case)
    call(max_workers=1)
    profiler = cProfile.Profile()
    profiler.runcall(call, max_workers=1)
    stats = pstats.Stats(profiler).stats

    def cumulative(name: str, path_part: str = "") -> float:
        return sum(row[3] for (path, _, function), row in stats.items() if function == name and path_part in path)

    total = cumulative("sweep", "_api.py")
    user = cumulative("generate_signals", "sweep_vs_vectorbt")
    handling = cumulative("signals", "_vectorized.py") - user
    kernels = cumulative("sweep_signals_nb") + cumulative("sweep_fused_nb")
    return {"total": total, "user code": user, "signal checks and conversion": handling, "kernels": kernels,
            "everything else": total - user - handling - kernels}


def run_vbt_sma_rsi(out: Path, runs: int) -> dict:
    """The guide's sma + rsi rule on vectorbt: MA runs, TA-Lib's RSI once, the same signal arithmetic."""
    warnings.simplefilter("ignore")
    import vectorbt as vbt

    frames = synthetic_5m()
    close = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    next_open = pd.DataFrame({s: f["open"] for s, f in frames.items()}).shift(-1)
    fast = np.repeat(FAST, len(SMA_RSI_SLOW) * len(THRESHOLDS))
    slow = np.tile(np.repeat(SMA_RSI_SLOW, len(THRESHOLDS)), len(FAST))
    threshold = np.tile(THRESHOLDS, len(FAST) * len(SMA_RSI_SLOW))
    combos = len(fast)
    rsi_indicator = vbt.IndicatorFactory.from_talib("RSI")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fast_ma = vbt.MA.run(close, window=list(fast), short_name="fast")
        slow_ma = vbt.MA.run(close, window=list(slow), short_name="slow")
        rsi = rsi_indicator.run(close, timeperiod=14).real.to_numpy()
        fast_values, slow_values = fast_ma.ma.to_numpy(), slow_ma.ma.to_numpy()
        below = np.tile(rsi, (1, combos)) < np.repeat(threshold, close.shape[1])
        columns = pd.RangeIndex(combos * close.shape[1])
        entries = pd.DataFrame((fast_values > slow_values) & below, index=close.index, columns=columns)
        exits = pd.DataFrame(fast_values < slow_values, index=close.index, columns=columns)
        price = pd.DataFrame(np.tile(next_open.to_numpy(), (1, combos)), index=close.index, columns=columns)
        portfolio = vbt.Portfolio.from_signals(
            pd.DataFrame(np.tile(close.to_numpy(), (1, combos)), index=close.index, columns=columns),
            entries, exits, price=price, size=SHARES, size_type="amount", fees=0.0, init_cash=CASH,
            group_by=np.repeat(np.arange(combos), 2), cash_sharing=True, freq="5min")
        total = portfolio.total_return().to_numpy()
        times.append(time.perf_counter() - t0)
    np.save(out, np.column_stack([total, portfolio.final_value().to_numpy()]))
    return {"times": times, "peak_mb": peak_mb()}


def run_vbt(out: Path, runs: int) -> dict:
    warnings.simplefilter("ignore")
    import vectorbt as vbt

    frames = synthetic_5m()
    close = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    next_open = pd.DataFrame({s: f["open"] for s, f in frames.items()}).shift(-1)
    fast = np.repeat(FAST, len(SLOW))
    slow = np.tile(SLOW, len(FAST))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fast_ma = vbt.MA.run(close, window=list(fast), short_name="fast")
        slow_ma = vbt.MA.run(close, window=list(slow), short_name="slow")
        entries = fast_ma.ma_crossed_above(slow_ma)
        exits = fast_ma.ma_crossed_below(slow_ma)
        price = pd.DataFrame(np.tile(next_open.to_numpy(), (1, len(fast))), index=close.index,
                             columns=entries.columns)
        portfolio = vbt.Portfolio.from_signals(
            pd.DataFrame(np.tile(close.to_numpy(), (1, len(fast))), index=close.index, columns=entries.columns),
            entries, exits, price=price, size=SHARES, size_type="amount", fees=0.0, init_cash=CASH,
            group_by=np.repeat(np.arange(len(fast)), 2), cash_sharing=True, freq="5min")
        total = portfolio.total_return().to_numpy()
        times.append(time.perf_counter() - t0)
    np.save(out, np.column_stack([total, portfolio.final_value().to_numpy()]))
    return {"times": times, "peak_mb": peak_mb()}


def run_bar(out: Path, runs: int) -> dict:
    """The guide's class-based DualMaCrossoverStrategy, 16 combinations, bar by bar: serial vs 2 processes."""
    from research_env import BacktestConfig
    from research_env.sweeps import sweep

    frames = synthetic_5m()
    config = BacktestConfig(benchmark=None)
    start = frames["AAA"].index[0].tz_convert("America/New_York").strftime("%Y-%m-%d")
    end = (frames["AAA"].index[-1].tz_convert("America/New_York") + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    small = {"fast_period": [5, 10, 15, 20], "slow_period": [40, 60, 80, 100]}
    timings = {1: [], 2: []}
    results = {}
    for _ in range(runs):
        for workers in (1, 2):
            t0 = time.perf_counter()
            result = sweep(REPO / "strategies" / "dual_ma_crossover.py", ["AAA", "BBB"], start, end, "5m", small,
                           data=frames, config=config, mode="bar", max_workers=workers)
            timings[workers].append(time.perf_counter() - t0)
            results[workers] = [r["total_return"] for r in result.rows]
    timings = {k: min(v) for k, v in timings.items()}
    assert results[1] == results[2]
    return {"serial": timings[1], "two_processes": timings[2], "speedup": timings[1] / timings[2],
            "combos": len(results[1]), "bars": len(frames["AAA"])}


SIDES = ("ours", "ours-fresh", "plain", "plain-fresh", "sma-rsi", "sma-rsi-fresh", "vbt", "vbt-sma-rsi", "bar")


def side(name: str, out: Path) -> dict:
    if name in ("ours", "plain", "sma-rsi"):
        return run_ours(out, runs=6, case=name)
    if name.endswith("-fresh"):
        return run_ours(out, runs=1, case=name.removesuffix("-fresh"))
    if name == "vbt":
        return run_vbt(out, runs=4)
    if name == "vbt-sma-rsi":
        return run_vbt_sma_rsi(out, runs=4)
    return run_bar(out, runs=3)


def subprocess_side(name: str, folder: Path) -> tuple[dict, np.ndarray | None]:
    out = folder / f"{name}.npy"
    done = subprocess.run([sys.executable, __file__, "--side", name, "--out", str(out)], capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return json.loads(done.stdout.strip().splitlines()[-1]), (np.load(out) if out.exists() else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", choices=["plain", "sma-rsi"])
    args = parser.parse_args()
    if args.side:
        print(json.dumps(side(args.side, args.out)))
        return
    if args.profile:
        print(json.dumps(profile_split(args.profile)))
        return
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours, ours_returns = subprocess_side("ours", folder)  # also warms numba's on-disk cache
        fresh, _ = subprocess_side("ours-fresh", folder)
        generic = {case: subprocess_side(case, folder) for case in ("plain", "sma-rsi")}
        generic_fresh = {case: subprocess_side(f"{case}-fresh", folder)[0] for case in ("plain", "sma-rsi")}
        vbt, vbt_returns = subprocess_side("vbt", folder)
        vbt_sma_rsi, vbt_sma_rsi_returns = subprocess_side("vbt-sma-rsi", folder)
        bar, _ = subprocess_side("bar", folder)
    equal = int(np.sum(ours_returns[:, 0] == vbt_returns[:, 0]))
    worst = float(np.max(np.abs(ours_returns[:, 0] - vbt_returns[:, 0])))
    same_equity = int(np.sum(ours_returns[:, 1] == vbt_returns[:, 1]))
    worst_equity = float(np.max(np.abs(ours_returns[:, 1] - vbt_returns[:, 1]) / vbt_returns[:, 1]))
    ours_warm, vbt_warm = min(ours["times"][1:]), min(vbt["times"][1:])
    print(f"work: 500 combinations x 2 symbols x {BARS} 5-minute bars; cores: {os.cpu_count()}; load average "
          f"before/after: {load[0]:.2f} / {os.getloadavg()[0]:.2f}; warm times are the best of the warm runs")
    print(f"vectorbt        first {vbt['times'][0]:8.3f} s  warm {vbt_warm:8.3f} s  peak {vbt['peak_mb']:8.0f} MB")
    print(f"research-env    first {ours['times'][0]:8.3f} s  warm {ours_warm:8.3f} s  peak {ours['peak_mb']:8.0f} MB"
          f"  ({ours['kind']})")
    print(f"research-env, fresh process with numba cache on disk: first sweep {fresh['times'][0]:.3f} s")
    print(f"speed-up vs vectorbt warm: warm {vbt_warm / ours_warm:.1f}x (target >= 50x), "
          f"fresh-process first {vbt_warm / fresh['times'][0]:.1f}x (target >= 5x)")
    print(f"peak memory ratio vectorbt / ours: {vbt['peak_mb'] / ours['peak_mb']:.1f} (target >= 8)")
    print(f"final equity: {same_equity} of {len(vbt_returns)} bit-identical (largest relative difference "
          f"{worst_equity:.1e}); total return: {equal} bit-identical, largest absolute difference {worst:.1e} "
          "(vectorbt sums trade P&L, we take final equity - initial cash)")
    peers = {"plain": (vbt, vbt_returns), "sma-rsi": (vbt_sma_rsi, vbt_sma_rsi_returns)}
    print(f"vectorbt, sma + rsi  first {vbt_sma_rsi['times'][0]:8.3f} s  warm {min(vbt_sma_rsi['times'][1:]):8.3f} s"
          f"  peak {vbt_sma_rsi['peak_mb']:8.0f} MB")
    for case, (timing, returns) in generic.items():
        peer, peer_returns = peers[case]
        print_generic(case, timing, returns, generic_fresh[case], peer, peer_returns)
    print(f"plain crossover vs the fused kernel: {int(np.sum(generic['plain'][1] == ours_returns))} of "
          f"{ours_returns.size} values bit-identical")
    print(f"bar-by-bar sweep, {bar['combos']} combinations x 2 symbols x {bar['bars']} bars: serial "
          f"{bar['serial']:.2f} s, 2 processes {bar['two_processes']:.2f} s, speed-up {bar['speedup']:.2f}x "
          "(target >= 1.7x)")


def print_generic(case: str, ours: dict, returns: np.ndarray, fresh: dict, peer: dict,
                  peer_returns: np.ndarray) -> None:
    """One guide-form strategy's line against its vectorbt pipeline."""
    warm, peer_warm = min(ours["times"][1:]), min(peer["times"][1:])
    same = int(np.sum(returns[:, 1] == peer_returns[:, 1]))
    worst = float(np.max(np.abs(returns[:, 1] - peer_returns[:, 1]) / peer_returns[:, 1]))
    print(f"{case:8} (no fused)  first {ours['times'][0]:8.3f} s  warm {warm:8.3f} s  peak {ours['peak_mb']:8.0f} MB"
          f" (workers' own {ours['workers_mb']:.0f} MB)  ({ours['kind']}); fresh-process first sweep "
          f"{fresh['times'][0]:.3f} s")
    print(f"         vs vectorbt warm: warm {peer_warm / warm:.1f}x (target >= 25x), "
          f"fresh {peer_warm / fresh['times'][0]:.1f}x (target >= 5x), peak memory ratio "
          f"{peer['peak_mb'] / ours['peak_mb']:.1f} (target >= 8); final equity "
          f"{same} of {len(returns)} bit-identical (largest relative difference {worst:.1e})")


if __name__ == "__main__":
    main()
