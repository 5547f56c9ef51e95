"""Vectorized sweep vs vectorbt on the same moving-average crossover grid, in one run; and the parallel
bar-by-bar sweep against its serial run.

Work (issue 3): fast = 5..53 step 2 x slow = 20..210 step 10 (500 combinations) x 2 symbols x 20,000
synthetic 5-minute bars (fixed seed). Both sides: entry when SMA(fast) crosses above SMA(slow), exit when
it crosses below (vectorbt's ``ma_crossed_above/below``; ours the fused kernel's ``rule="strict"``), fill
at the next bar's open, no fees or slippage, 100 shares per entry, both symbols sharing one cash account
per combination (vectorbt: ``group_by`` + ``cash_sharing``), no risk limits. Each side runs in its own
subprocess, so peak memory (max RSS) is that side's alone. ``ours-fresh`` is a new process whose first sweep
loads the kernels from numba's on-disk cache.

Speed-ups come from paired rounds, as this machine's speed drifts (by up to 2x within minutes, when shared):
a vectorbt side timed a minute before or after ours would give a ratio that mostly measures the drift. So each
of our warm cases and its vectorbt peer run side by side, each in its own ``--serve`` process started one after
the other: the process builds its call once, makes a first call (imports, numba compiling; reported apart), then
times one call at a time on command. Each round times ours, vectorbt, ours, never two calls at once, and its
ratio is vectorbt's seconds over the mean of the two of ours, so every vectorbt call is set against ours just
before and just after it. The headline is the median round ratio, with the lowest and highest, and the best
warm time of vectorbt over the best of ours (warm times: the calls in the rounds) as a check.

Issue 17 adds two strategies written as the guide's section 7 shows, with no ``fused`` declaration, so
they take the generic path (``generate_signals`` per combination, the helpers memoised within the sweep):
``plain``, the same crossover as above in pandas (entry where fast > slow and fast < slow the bar before),
and ``sma-rsi``, the guide's example (enter while fast > slow and RSI(14) < ``rsi_threshold``, exit while
fast < slow; grid fast 5..53 step 2 x slow 20..210 step 20 x threshold 30, 40 = 500 combinations), against
vectorbt's MA runs plus TA-Lib's RSI (``IndicatorFactory.from_talib``) with the same signal arithmetic.
Peak memory of our sides is the process's own max RSS plus the most memory of their own (USS) its forked
workers held together, sampled during one more sweep after the timed ones.

    python benchmarks/sweep_vs_vectorbt.py [--rounds N]   # everything, prints a table; N paired rounds (5)
    python benchmarks/sweep_vs_vectorbt.py --side ours|ours-fresh|vbt|bar|plain|plain-fresh|sma-rsi|...
    python benchmarks/sweep_vs_vectorbt.py --profile plain|sma-rsi   # where a warm serial sweep spends its time
    python benchmarks/sweep_vs_vectorbt.py --shared-cores plain|sma-rsi   # one core's work alone vs both busy
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

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


def timed(call: Callable[[], object]) -> tuple[float, object]:
    """The seconds ``call()`` takes, and its result."""
    t0 = time.perf_counter()
    result = call()
    return time.perf_counter() - t0, result


def prepare(name: str) -> tuple[Callable[[], object], Callable[[object, Path], dict]]:
    """Side ``name``'s call, built once, as a function of no arguments; and ``finish(result, out)``, which saves
    the last call's ``[[total_return, final_value]]`` per combination to ``out`` and returns the peak memory."""
    if name in VBT_CALLS:
        return VBT_CALLS[name](), finish_vbt
    call = sweep_call(name)
    return call, lambda result, out: finish_ours(call, result, out)


def finish_ours(call: Callable[[], object], result, out: Path) -> dict:
    """Save our ``result``; peak memory: this process's, plus its workers' own during one more ``call()``."""
    np.save(out, np.array([[r["total_return"], r["final_equity"]] for r in result.rows]))
    workers_mb = children_peak_mb(call)
    return {"peak_mb": peak_mb() + workers_mb, "workers_mb": workers_mb, "kind": result.kind}


def finish_vbt(result: np.ndarray, out: Path) -> dict:
    """Save vectorbt's ``result``; peak memory: this process's."""
    np.save(out, result)
    return {"peak_mb": peak_mb()}


def profile_split(case: str) -> dict:
    """Seconds of one warm serial sweep (cProfile, so inflated) in the user's ``generate_signals``, in the
    rest of ``VectorizedRunner.signals`` (checks and conversion), in the numba kernel, and elsewhere: one
    process (``max_workers=1``) and the kernel on this thread too, where cProfile sees it (as on one core)."""
    import cProfile
    import pstats

    from research_env.sweeps import _vectorized

    def one_thread(runner, combos, size, out, lo, hi, threads, progress, first):
        """The batches after the first built and simulated one after the other on this thread (cProfile sees
        only the thread it runs on, and the sweep would simulate them on a thread of their own)."""
        for a in range(size, len(combos), size):
            b = min(a + size, len(combos))
            runner._fill(first, combos, a, b)
            runner._kernel(first, out, a, b, lo, hi)
        return out

    _vectorized.VectorizedRunner._run_on_threads = one_thread
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


def shared_cores(case: str, repeats: int = 3) -> dict:
    """Microseconds of CPU per combination of ``case``'s per-combination work (``generate_signals``, the checks
    and the kernel, over the first half of the grid, the helpers' cache filled afresh each time) in this process
    alone, then in two forked processes at once: what one core's work costs while the other core does the same
    (they share the memory bandwidth and the last-level cache). Best of ``repeats`` each."""
    from research_env.strategy.vectorized import indicator_cache
    from research_env.sweeps import _vectorized

    runners = []
    run_signals = _vectorized.VectorizedRunner._run_signals

    def keep(runner, combos, *args):
        runners.append((runner, combos))
        return run_signals(runner, combos, *args)

    _vectorized.VectorizedRunner._run_signals = keep
    sweep_call(case)(max_workers=1)
    runner, combos = runners[0]
    half = combos[:len(combos) // 2]

    def cpu_per_combination() -> float:
        started = time.process_time()
        with indicator_cache():
            for params in half:
                runner._simulate(0, runner.signals(params), _vectorized._outputs(1), 0, runner.market.n_bars)
        return (time.process_time() - started) / len(half) * 1e6

    alone, together = [], []
    for _ in range(repeats):
        alone.append(cpu_per_combination())
        readable, writable = os.pipe()
        children = []
        for _ in range(2):
            pid = os.fork()
            if pid == 0:
                os.write(writable, f"{cpu_per_combination()}\n".encode())
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        os.close(writable)
        with os.fdopen(readable) as lines:
            together.append(max(float(line) for line in lines))
    return {"alone_us": round(min(alone)), "two_at_once_us": round(min(together)),
            "slower": round(min(together) / min(alone), 2)}


def vbt_inputs() -> tuple:
    """vectorbt, imported with its warnings off; the two symbols' closes and next bars' opens (the fill price)."""
    warnings.simplefilter("ignore")
    import vectorbt as vbt

    frames = synthetic_5m()
    close = pd.DataFrame({s: f["close"] for s, f in frames.items()})
    next_open = pd.DataFrame({s: f["open"] for s, f in frames.items()}).shift(-1)
    return vbt, close, next_open


def vbt_result(close: pd.DataFrame, next_open: pd.DataFrame, entries: pd.DataFrame,
               exits: pd.DataFrame) -> np.ndarray:
    """vectorbt's portfolio of ``entries`` and ``exits`` (a column per combination and symbol, a combination's
    symbols side by side, sharing one cash account), filled at the next bar's open: total return and final
    value per combination."""
    import vectorbt as vbt

    combos, symbols = entries.shape[1] // close.shape[1], close.shape[1]

    def tiled(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(np.tile(frame.to_numpy(), (1, combos)), index=close.index, columns=entries.columns)

    portfolio = vbt.Portfolio.from_signals(
        tiled(close), entries, exits, price=tiled(next_open), size=SHARES, size_type="amount", fees=0.0,
        init_cash=CASH, group_by=np.repeat(np.arange(combos), symbols), cash_sharing=True, freq="5min")
    return np.column_stack([portfolio.total_return().to_numpy(), portfolio.final_value().to_numpy()])


def vbt_sma_rsi_call() -> Callable[[], np.ndarray]:
    """The guide's sma + rsi rule on vectorbt: MA runs, TA-Lib's RSI once, the same signal arithmetic."""
    vbt, close, next_open = vbt_inputs()
    fast = np.repeat(FAST, len(SMA_RSI_SLOW) * len(THRESHOLDS))
    slow = np.tile(np.repeat(SMA_RSI_SLOW, len(THRESHOLDS)), len(FAST))
    threshold = np.tile(THRESHOLDS, len(FAST) * len(SMA_RSI_SLOW))
    combos = len(fast)
    rsi_indicator = vbt.IndicatorFactory.from_talib("RSI")

    def call() -> np.ndarray:
        fast_ma = vbt.MA.run(close, window=list(fast), short_name="fast")
        slow_ma = vbt.MA.run(close, window=list(slow), short_name="slow")
        rsi = rsi_indicator.run(close, timeperiod=14).real.to_numpy()
        fast_values, slow_values = fast_ma.ma.to_numpy(), slow_ma.ma.to_numpy()
        below = np.tile(rsi, (1, combos)) < np.repeat(threshold, close.shape[1])
        columns = pd.RangeIndex(combos * close.shape[1])
        entries = pd.DataFrame((fast_values > slow_values) & below, index=close.index, columns=columns)
        exits = pd.DataFrame(fast_values < slow_values, index=close.index, columns=columns)
        return vbt_result(close, next_open, entries, exits)

    return call


def vbt_call() -> Callable[[], np.ndarray]:
    """The crossover on vectorbt: MA runs and their ``ma_crossed_above/below``."""
    vbt, close, next_open = vbt_inputs()
    fast = np.repeat(FAST, len(SLOW))
    slow = np.tile(SLOW, len(FAST))

    def call() -> np.ndarray:
        fast_ma = vbt.MA.run(close, window=list(fast), short_name="fast")
        slow_ma = vbt.MA.run(close, window=list(slow), short_name="slow")
        return vbt_result(close, next_open, fast_ma.ma_crossed_above(slow_ma), fast_ma.ma_crossed_below(slow_ma))

    return call


VBT_CALLS = {"vbt": vbt_call, "vbt-sma-rsi": vbt_sma_rsi_call}


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
PEERS = {"ours": "vbt", "plain": "vbt", "sma-rsi": "vbt-sma-rsi"}
TARGETS = {"ours": 50, "plain": 25, "sma-rsi": 25}
SERVED = (*PEERS, *VBT_CALLS)


def run_side(name: str, out: Path, runs: int) -> dict:
    """``runs`` calls of side ``name`` in a row: their seconds, and ``finish``'s figures."""
    call, finish = prepare(name)
    times = []
    for _ in range(runs):
        seconds, result = timed(call)
        times.append(seconds)
    return {"times": times, **finish(result, out)}


def side(name: str, out: Path) -> dict:
    """``--side``: side ``name`` run in a row in this process (a ``-fresh`` side: one call)."""
    if name == "bar":
        return run_bar(out, runs=3)
    if name.endswith("-fresh"):
        return run_side(name.removesuffix("-fresh"), out, runs=1)
    return run_side(name, out, runs=6 if name in PEERS else 4)


def serve(name: str, out: Path) -> None:
    """``--serve``: make side ``name``'s first call, then answer stdin's lines, ``time`` (one timed call) and
    ``stop`` (save the result, report peak memory, exit), each with one JSON line."""
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # whatever else writes to stdout (a library, a forked worker) goes to stderr

    def reply(message: dict) -> None:
        print(json.dumps(message), file=replies, flush=True)

    call, finish = prepare(name)
    seconds, result = timed(call)
    reply({"first": seconds})
    for command in (line.strip() for line in sys.stdin):
        if command == "time":
            seconds, result = timed(call)
            reply({"seconds": seconds})
        elif command == "stop":
            reply(finish(result, out))
            return
        else:
            raise ValueError(f"unknown command {command!r}")


def child(mode: str, name: str, out: Path) -> dict:
    """Popen's arguments for this script run with ``mode`` (``--side`` or ``--serve``) ``name``."""
    return {"args": [sys.executable, __file__, mode, name, "--out", str(out)], "text": True,
            "env": {**os.environ, "PYTHONWARNINGS": "ignore"}}


def subprocess_side(name: str, folder: Path) -> tuple[dict, np.ndarray | None]:
    """Side ``name`` run by ``--side`` in a process of its own: its figures and its saved result, if any."""
    out = folder / f"{name}.npy"
    done = subprocess.run(**child("--side", name, out), capture_output=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1]), (np.load(out) if out.exists() else None)


class Server:
    """Our end of a ``--serve`` process: its first call's seconds, then its timed calls on demand."""

    def __init__(self, name: str, process: subprocess.Popen, errors: IO[str], out: Path):
        self.name, self.process, self.errors, self.out = name, process, errors, out
        self.first = self.reply()["first"]
        self.warm: list[float] = []

    def time(self) -> float:
        """One timed call's seconds."""
        seconds = self.ask("time")["seconds"]
        self.warm.append(seconds)
        return seconds

    def stop(self) -> dict:
        """Stop the process: first and warm seconds, its final figures and its saved ``returns``."""
        final = self.ask("stop")
        self.process.wait()
        return {"first": self.first, "warm": self.warm, **final, "returns": np.load(self.out)}

    def ask(self, command: str) -> dict:
        """Send ``command``; the process's reply."""
        with contextlib.suppress(BrokenPipeError):  # the process has died: reply() says why
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        return self.reply()

    def reply(self) -> dict:
        """The process's next line; if it has died, a RuntimeError with its stderr."""
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            self.errors.seek(0)
            raise RuntimeError(f"--serve {self.name} exited with code {code}:\n{self.errors.read()}")
        return json.loads(line)


@contextlib.contextmanager
def served(name: str, folder: Path) -> Iterator[Server]:
    """A ``--serve name`` process, its first call made; killed on the way out if it is still running."""
    out = folder / f"{name}.npy"
    with (folder / f"{name}.err").open("w+") as errors:
        process = subprocess.Popen(**child("--serve", name, out), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=errors)
        try:
            yield Server(name, process, errors, out)
        finally:
            if process.poll() is None:
                process.kill()
            process.communicate()  # closes the pipes, waits


def paired(case: str, folder: Path, rounds: int) -> dict:
    """``case`` and its vectorbt peer in ``rounds`` rounds of ours, vectorbt, ours: the sides' figures, and each
    round's ratio, vectorbt's seconds over the mean of the two of ours."""
    with served(case, folder) as ours, served(PEERS[case], folder) as peer:
        calls = [(ours.time(), peer.time(), ours.time()) for _ in range(rounds)]
        return {"ours": ours.stop(), "peer": peer.stop(), "ratios": [v / ((a + b) / 2) for a, v, b in calls]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--serve", choices=SERVED, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--profile", choices=["plain", "sma-rsi"])
    parser.add_argument("--shared-cores", choices=["plain", "sma-rsi"])
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds per case (default 5)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.side:
        print(json.dumps(side(args.side, args.out)))
        return
    if args.serve:
        serve(args.serve, args.out)
        return
    if args.profile:
        print(json.dumps(profile_split(args.profile)))
        return
    if args.shared_cores:
        print(json.dumps(shared_cores(args.shared_cores)))
        return
    load = os.getloadavg()
    pairs, fresh = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for case in PEERS:  # numba's on-disk cache filled first, so no measured process compiles (peak memory)
            subprocess_side(f"{case}-fresh", folder)
        for case in PEERS:
            pairs[case] = paired(case, folder, args.rounds)
            fresh[case] = subprocess_side(f"{case}-fresh", folder)[0]
        bar, _ = subprocess_side("bar", folder)
    print(f"work: 500 combinations x 2 symbols x {BARS} 5-minute bars; cores: {os.cpu_count()}; load average "
          f"before/after: {load[0]:.2f} / {os.getloadavg()[0]:.2f}; {args.rounds} paired rounds per case (ours, "
          "vectorbt, ours); warm times are the best of a side's calls in the rounds")
    print_ours(pairs["ours"], fresh["ours"])
    vbt_sma_rsi = pairs["sma-rsi"]["peer"]
    print(f"vectorbt, sma + rsi  first {vbt_sma_rsi['first']:8.3f} s  warm {min(vbt_sma_rsi['warm']):8.3f} s"
          f"  peak {vbt_sma_rsi['peak_mb']:8.0f} MB")
    for case in ("plain", "sma-rsi"):
        print_generic(case, pairs[case], fresh[case])
    plain, fused = pairs["plain"]["ours"]["returns"], pairs["ours"]["ours"]["returns"]
    print(f"plain crossover vs the fused kernel: {int(np.sum(plain == fused))} of {fused.size} values bit-identical")
    print(f"bar-by-bar sweep, {bar['combos']} combinations x 2 symbols x {bar['bars']} bars: serial "
          f"{bar['serial']:.2f} s, 2 processes {bar['two_processes']:.2f} s, speed-up {bar['speedup']:.2f}x "
          "(target >= 1.7x)")


def speed_ups(case: str, pair: dict) -> str:
    """A pair's median round ratio against its target, its lowest and highest, and best warm over best warm."""
    ratios = pair["ratios"]
    best = min(pair["peer"]["warm"]) / min(pair["ours"]["warm"])
    return (f"median of rounds {np.median(ratios):.1f}x (target >= {TARGETS[case]}x; rounds {min(ratios):.1f}x to "
            f"{max(ratios):.1f}x), best warm / best warm {best:.1f}x")


def print_ours(pair: dict, fresh: dict) -> None:
    """The fused crossover's lines against vectorbt."""
    ours, vbt = pair["ours"], pair["peer"]
    ours_returns, vbt_returns = ours["returns"], vbt["returns"]
    equal = int(np.sum(ours_returns[:, 0] == vbt_returns[:, 0]))
    worst = float(np.max(np.abs(ours_returns[:, 0] - vbt_returns[:, 0])))
    same_equity = int(np.sum(ours_returns[:, 1] == vbt_returns[:, 1]))
    worst_equity = float(np.max(np.abs(ours_returns[:, 1] - vbt_returns[:, 1]) / vbt_returns[:, 1]))
    vbt_warm = min(vbt["warm"])
    print(f"vectorbt        first {vbt['first']:8.3f} s  warm {vbt_warm:8.3f} s  peak {vbt['peak_mb']:8.0f} MB")
    print(f"research-env    first {ours['first']:8.3f} s  warm {min(ours['warm']):8.3f} s  peak "
          f"{ours['peak_mb']:8.0f} MB  ({ours['kind']})")
    print(f"research-env, fresh process with numba cache on disk: first sweep {fresh['times'][0]:.3f} s")
    print(f"speed-up vs vectorbt warm: {speed_ups('ours', pair)}, fresh-process first "
          f"{vbt_warm / fresh['times'][0]:.1f}x (target >= 5x)")
    print(f"peak memory ratio vectorbt / ours: {vbt['peak_mb'] / ours['peak_mb']:.1f} (target >= 8)")
    print(f"final equity: {same_equity} of {len(vbt_returns)} bit-identical (largest relative difference "
          f"{worst_equity:.1e}); total return: {equal} bit-identical, largest absolute difference {worst:.1e} "
          "(vectorbt sums trade P&L, we take final equity - initial cash)")


def print_generic(case: str, pair: dict, fresh: dict) -> None:
    """One guide-form strategy's lines against its vectorbt pipeline."""
    ours, peer = pair["ours"], pair["peer"]
    returns, peer_returns = ours["returns"], peer["returns"]
    peer_warm = min(peer["warm"])
    same = int(np.sum(returns[:, 1] == peer_returns[:, 1]))
    worst = float(np.max(np.abs(returns[:, 1] - peer_returns[:, 1]) / peer_returns[:, 1]))
    print(f"{case:8} (no fused)  first {ours['first']:8.3f} s  warm {min(ours['warm']):8.3f} s  peak "
          f"{ours['peak_mb']:8.0f} MB (workers' own {ours['workers_mb']:.0f} MB)  ({ours['kind']}); fresh-process "
          f"first sweep {fresh['times'][0]:.3f} s")
    print(f"         vs vectorbt (best warm {peer_warm:.3f} s): {speed_ups(case, pair)}, "
          f"fresh {peer_warm / fresh['times'][0]:.1f}x (target >= 5x), peak memory ratio "
          f"{peer['peak_mb'] / ours['peak_mb']:.1f} (target >= 8); final equity "
          f"{same} of {len(returns)} bit-identical (largest relative difference {worst:.1e})")


if __name__ == "__main__":
    main()
