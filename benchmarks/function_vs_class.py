"""Function-style adapter vs class-style strategy on the same bars, in one run.

The same RSI 30/70 strategy with fixed 100-share orders written both ways,
``strategies/function_rsi.py`` (``on_bar_close`` run by the adapter) and
``strategies/class_rsi.py`` (a ``StrategyBase`` subclass), backtested on the
same synthetic 1-minute bars (a fixed-seed random walk over real NYSE
sessions, 390 bars each). The script checks that both produce identical
fills, then reports bars/second for both and the adapter's cost: how much
longer the function-style run takes (target: at most 30%).

    python benchmarks/function_vs_class.py [--sessions 60] [--repeat 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import research_env
from research_env import BacktestConfig
from research_env.data import sessions

REPO = Path(__file__).resolve().parents[1]
STRATEGIES = {"class": REPO / "strategies" / "class_rsi.py", "function": REPO / "strategies" / "function_rsi.py"}


def synthetic_minute_bars(n_sessions: int, seed: int = 7) -> pd.DataFrame:
    """390 one-minute bars per NYSE session from 2024-01-02 on, stamped at their close (UTC index)."""
    calendar = sessions("2024-01-02", "2026-01-01").iloc[:n_sessions]
    stamps = [pd.date_range(o + pd.Timedelta(minutes=1), c, freq="1min") for o, c in zip(calendar["open"],
                                                                                       calendar["close"],
                                                                                       strict=True)]
    index = stamps[0].append(stamps[1:])
    n = len(index)
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.0008, n)))
    open_ = np.concatenate(([100.0], close[:-1]))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.0005, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.0005, n))
    frame = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                          "volume": rng.integers(1_000, 50_000, n).astype(float)}, index=index)
    frame.index.name = "timestamp"
    return frame.round(4)


def run(style: str, frame: pd.DataFrame):
    first, last = frame.index[0].tz_convert("America/New_York"), frame.index[-1].tz_convert("America/New_York")
    return research_env.backtest(str(STRATEGIES[style]), symbols=["AAPL"], start=f"{first:%Y-%m-%d}",
                                 end=f"{last + pd.Timedelta(days=1):%Y-%m-%d}", timeframe="1m",
                                 data={"AAPL": frame}, config=BacktestConfig(benchmark=None))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=60, help="NYSE sessions of 390 minute bars (default 60)")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each style, interleaved; the best counts")
    args = parser.parse_args(argv)
    frame = synthetic_minute_bars(args.sessions)
    times: dict[str, list[float]] = {"class": [], "function": []}
    results = {}
    for style in ("class", "function"):  # warm-up: imports, calendar, TA-Lib
        results[style] = run(style, frame)
    for _ in range(args.repeat):
        for style in ("class", "function"):
            t0 = time.perf_counter()
            results[style] = run(style, frame)
            times[style].append(time.perf_counter() - t0)

    def fills(result):
        return [(f.side, f.quantity, f.price, f.timestamp) for f in result.fills]

    same = fills(results["class"]) == fills(results["function"]) and len(results["class"].fills) > 0
    bars = len(frame)
    best = {style: min(t) for style, t in times.items()}
    print(f"bars: {bars} (1m, {args.sessions} sessions), best of {args.repeat} interleaved runs each")
    for style in ("class", "function"):
        print(f"{style:>8}-style: {best[style]:8.3f} s  {bars / best[style]:12,.0f} bars/s")
    overhead = best["function"] / best["class"] - 1
    print(f"adapter cost: {overhead:+.1%} time over the class style (target: at most +30%)")
    print(f"fills: {len(results['class'].fills)}, same fills: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
