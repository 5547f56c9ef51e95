"""Cross-check against ``vectorbt.Portfolio.from_signals`` set to the same fill price and sizing.

Random entries and exits on random-walk bars; both fill at the next bar's open with 2 bps slippage, buy a
fixed 10 shares per entry (so sizing cannot differ), pay $0.005 a share (vectorbt: ``fixed_fees`` per
order) and close the whole position on an exit. vectorbt ignores a bar with both signals, so the random
signals never set both; risk rules are off (vectorbt has none).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_env import BacktestConfig, RiskConfig
from research_env.sweeps import sweep
from tests.sweeps.fixtures import Scripted


def random_bars(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = close * np.exp(rng.normal(0, 0.003, n))
    index = pd.date_range("2021-01-04 15:00", periods=n, freq="D", tz="UTC")
    frame = pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.01,
                          "low": np.minimum(open_, close) * 0.99, "close": close, "volume": 1e6}, index=index)
    frame.index.name = "timestamp"
    return frame


@pytest.mark.filterwarnings("ignore:The inplace keyword")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_signals_match_vectorbt_from_signals(seed):
    vbt = pytest.importorskip("vectorbt")
    n = 400
    frame = random_bars(n, seed)
    rng = np.random.default_rng(100 + seed)
    entries = rng.random(n) < 0.08
    exits = (rng.random(n) < 0.08) & ~entries
    entries[-1] = exits[-1] = False  # no next open to fill at
    script = {("SYN", i): "in" for i in np.flatnonzero(entries)}
    script.update({("SYN", i): "out" for i in np.flatnonzero(exits)})

    config = BacktestConfig(benchmark=None, risk=RiskConfig.permissive())
    ours = sweep(Scripted(script), ["SYN"], "2021-01-01", "2022-06-01", "1d", {"unused": [0]}, data={"SYN": frame},
                 config=config, quantity=10).rows[0]

    price = frame["open"].shift(-1)
    pf = vbt.Portfolio.from_signals(frame["close"], pd.Series(entries, index=frame.index),
                                    pd.Series(exits, index=frame.index), price=price, size=10, size_type="amount",
                                    fees=0.0, fixed_fees=10 * 0.005, slippage=0.0002, init_cash=100_000, freq="1D")
    trades = pf.trades.records_readable
    closed = trades[trades["Status"] == "Closed"]
    assert ours["total_return"] == pytest.approx(pf.total_return(), rel=1e-9)
    assert ours["final_equity"] == pytest.approx(pf.final_value(), rel=1e-12)
    assert ours["total_trades"] == len(closed)
    assert ours["win_rate"] == pytest.approx((closed["PnL"] > 0).mean(), rel=1e-12)
    assert ours["total_commission"] == pytest.approx(pf.orders.records_readable["Fees"].sum(), rel=1e-9)
