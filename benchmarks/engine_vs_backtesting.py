"""Bar-by-bar engine vs backtesting.py on the same work, in one run.

The guide's ``DualMaCrossoverStrategy`` (10/30, auto-size 2% of equity) against
an equivalent backtesting.py ``Strategy`` on the same 20,000 synthetic daily
bars of one symbol. Both fill market orders at the next bar's open with no
slippage or commission and size entries to floor(2% of equity / signal close),
so the trade lists must be identical; the script checks that, then reports
bars/second for both and the ratio.

    python benchmarks/engine_vs_backtesting.py [--bars 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import talib

import research_env
from research_env import BacktestConfig, RiskConfig

REPO = Path(__file__).resolve().parents[1]



def synthetic_daily_bars(n: int, seed: int = 42) -> pd.DataFrame:
    """A fixed-seed random walk of ``n`` weekday bars, stamped at 16:00 New York (UTC index)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0.0002, 0.012, n)))
    open_ = close * np.exp(rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    days = pd.bdate_range("1950-01-02", periods=n)
    index = (days + pd.Timedelta(hours=21)).tz_localize("UTC")
    frame = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                          "volume": rng.integers(1e5, 1e6, n).astype(float)}, index=index)
    frame.index.name = "timestamp"
    return frame.round(4)


def run_ours(frame: pd.DataFrame):
    config = BacktestConfig(slippage_bps=0.0, commission_per_share=0.0, risk=RiskConfig.permissive(),
                            benchmark=None)
    start, end = frame.index[0].strftime("%Y-%m-%d"), (frame.index[-1] + pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    return research_env.backtest(str(REPO / "strategies" / "dual_ma_crossover.py"), symbols=["SYN"], start=start,
                                 end=end, timeframe="1d", data={"SYN": frame}, config=config)


def backtesting_strategy():
    """The backtesting.py twin, imported here so its progress bar can be switched off first."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    from backtesting import Strategy

    class SmaCross(Strategy):
        """backtesting.py twin of the guide's DualMaCrossoverStrategy."""

        fast_period = 10
        slow_period = 30

        def init(self):
            self.fast = self.I(talib.SMA, self.data.Close.astype(float), self.fast_period)
            self.slow = self.I(talib.SMA, self.data.Close.astype(float), self.slow_period)
            self.prev = None

        def next(self):
            fast, slow = self.fast[-1], self.slow[-1]
            if np.isnan(slow):
                return
            above = fast > slow
            prev, self.prev = self.prev, above
            if prev is None:
                return
            if above and not prev and not self.position:
                size = math.floor(self.equity * 0.02 / self.data.Close[-1])
                if size >= 1:  # research-env denies a zero-share auto-size (rule position_size)
                    self.buy(size=size)
            elif not above and prev and self.position:
                self.position.close()

    return SmaCross


def run_theirs(frame: pd.DataFrame, strategy):
    from backtesting import Backtest

    df = frame.rename(columns=str.capitalize).tz_convert(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Backtest(df, strategy, cash=100_000, commission=0.0, finalize_trades=False).run()


def best_time(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    frame = synthetic_daily_bars(args.bars)

    ours_s, ours = best_time(lambda: run_ours(frame), args.repeat)
    twin = backtesting_strategy()
    theirs_s, theirs = best_time(lambda: run_theirs(frame, twin), args.repeat)

    a = ours.trades_frame()
    a = a[a["exit_time"].notna()]
    b = theirs["_trades"]
    same = (
        len(a) == len(b)
        and np.array_equal(a["quantity"].to_numpy(), b["Size"].abs().to_numpy().astype(float))
        and np.allclose(a["entry_price"].to_numpy(), b["EntryPrice"].to_numpy(), rtol=1e-12)
        and np.allclose(a["exit_price"].to_numpy(), b["ExitPrice"].to_numpy(), rtol=1e-12)
        and np.array_equal(pd.to_datetime(a["entry_time"]).dt.tz_convert(None).to_numpy(),
                           b["EntryTime"].to_numpy())
    )
    ours_bps, theirs_bps = args.bars / ours_s, args.bars / theirs_s
    print(f"bars: {args.bars}, best of {args.repeat} runs each")
    print(f"research-env : {ours_s:8.3f} s  {ours_bps:12,.0f} bars/s  closed trades {len(a)}")
    print(f"backtesting.py: {theirs_s:8.3f} s  {theirs_bps:12,.0f} bars/s  closed trades {len(b)}")
    print(f"ratio (ours / backtesting.py bars per second): {ours_bps / theirs_bps:.2f}x")
    print(f"same trades: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
