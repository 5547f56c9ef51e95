"""Code the store's concurrency tests run in other processes (spawned, so it imports only the data layer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def daily_frame(dates: list[str], values: list[float]) -> pd.DataFrame:
    """Daily bars stamped at the session close of ``dates``, every price of a bar equal to its value."""
    from research_env.data import sessions

    closes = sessions(dates[0], pd.Timestamp(dates[-1]) + pd.Timedelta(days=1))["close"]
    index = pd.DatetimeIndex(closes.loc[pd.DatetimeIndex(dates)].to_numpy()).as_unit("ns").rename("timestamp")
    v = np.asarray(values, float)
    return pd.DataFrame({"open": v, "high": v, "low": v, "close": v, "volume": v * 10}, index=index)


def import_rounds(root: str, files: list[str], which: int, rounds: int, barrier) -> None:
    """Import ``files[which]`` into the store ``<root>/round<r>`` for each round, all importers starting together."""
    from research_env.data import BarStore, import_bars

    for number in range(rounds):
        barrier.wait(timeout=60)
        import_bars(files[which], store=BarStore(Path(root) / f"round{number}"))


def write_alternately(root: str, frames: list[pd.DataFrame], times: int, started) -> None:
    """Write ``frames[0]``, ``frames[1]``, ``frames[0]`` ... as SPY 1d bars, ``times`` writes in all."""
    from research_env.data import BarStore

    store = BarStore(root)
    started.set()
    for number in range(times):
        store.write("SPY", "1d", frames[number % len(frames)], f"writer:{number % len(frames)}")


def write_forever(root: str, frames: list[pd.DataFrame], started) -> None:
    """Write the frames in turn until the process is killed."""
    from research_env.data import BarStore

    store = BarStore(root)
    number = 0
    while True:
        store.write("SPY", "5m", frames[number % len(frames)], f"writer:{number % len(frames)}")
        number += 1
        started.set()
