"""Golden test: the guide's dual MA crossover on real SPY daily bars 2010-2020, fixed 100-share orders.

The trade list is recomputed independently with pandas rolling means and a
plain loop over the crossings, and the first trades are pinned as literals.
"""

from decimal import Decimal

import pandas as pd
import pytest

from research_env import BacktestConfig, BarStore, RiskConfig, backtest, import_bars
from research_env.strategy.loader import load_strategy_file
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def spy_result(shared_data, tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    import_bars([shared_data / "bars" / "1d" / "SPY.csv"], store=BarStore(store))
    guide = load_strategy_file(REPO_ROOT / "strategies" / "dual_ma_crossover.py")

    class HundredShares(guide):
        def on_bar(self, bar):
            signals = super().on_bar(bar)
            for s in signals:
                s.quantity = Decimal(100)
            return signals

    config = BacktestConfig(risk=RiskConfig.permissive())
    result = backtest(HundredShares, symbols=["SPY"], start="2010-01-01", end="2021-01-01", timeframe="1d",
                      data=store, config=config)
    return result, pd.read_csv(shared_data / "bars" / "1d" / "SPY.csv", parse_dates=["timestamp"])


def independent_trades(bars: pd.DataFrame) -> list[dict]:
    bars = bars[(bars.timestamp >= "2010-01-01") & (bars.timestamp < "2021-01-01")].reset_index(drop=True)
    fast = bars.close.rolling(10).mean()
    slow = bars.close.rolling(30).mean()
    trades, holding, entry = [], False, None
    for i in range(30, len(bars) - 1):
        above, before = fast[i] > slow[i], fast[i - 1] > slow[i - 1]
        nxt = bars.iloc[i + 1]
        if above and not before and not holding:
            holding, entry = True, (nxt.timestamp, nxt.open * (1 + 0.0002))
        elif not above and before and holding:
            exit_price = nxt.open * (1 - 0.0002)
            trades.append({"entry": entry[0], "entry_price": entry[1], "exit": nxt.timestamp,
                           "exit_price": exit_price, "pnl": 100 * (exit_price - entry[1]) - 2 * 100 * 0.005})
            holding = False
    return trades


def ny_date(stamp):
    return pd.Timestamp(stamp).tz_convert("America/New_York").date()


def test_dual_ma_trades_match_an_independent_pandas_computation(spy_result):
    result, bars = spy_result
    expected = independent_trades(bars)
    closed = [t for t in result.trades if not t.is_open]
    assert len(closed) == len(expected)
    for ours, theirs in zip(closed, expected, strict=True):
        assert ours.quantity == 100
        assert ny_date(ours.entry_time) == theirs["entry"].date()
        assert ny_date(ours.exit_time) == theirs["exit"].date()
        assert ours.entry_price == pytest.approx(theirs["entry_price"], rel=1e-15)
        assert ours.exit_price == pytest.approx(theirs["exit_price"], rel=1e-15)
        assert ours.pnl == pytest.approx(theirs["pnl"], rel=1e-12)


def test_dual_ma_golden_first_trades_and_totals(spy_result):
    result, _ = spy_result
    frame = result.trades_frame().dropna(subset=["exit_time"])
    first = frame.head(3)
    rows = [(str(ny_date(r.entry_time)), round(r.entry_price, 6), str(ny_date(r.exit_time)),
             round(r.exit_price, 6)) for r in first.itertuples()]
    assert rows == GOLDEN_FIRST_TRADES
    assert len(frame) == GOLDEN_TRADE_COUNT
    assert round(frame.pnl.sum(), 6) == GOLDEN_TOTAL_PNL
    assert result.denials == []


# Checked by hand against ../shared/data/bars/1d/SPY.csv: the 2010-02-25 close is the first golden cross;
# the fill is the 2010-02-26 open 83.3528 x 1.0002 = 83.369471; the exit the 2010-05-07 open 85.1090 x 0.9998.
GOLDEN_FIRST_TRADES = [
    ("2010-02-26", 83.369471, "2010-05-07", 85.091978),
    ("2010-06-23", 83.253047, "2010-07-02", 78.263344),
    ("2010-07-21", 82.797456, "2010-08-20", 81.640969),
]
GOLDEN_TRADE_COUNT = 43
GOLDEN_TOTAL_PNL = 9237.762456
