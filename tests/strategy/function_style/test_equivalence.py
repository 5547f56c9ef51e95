"""The same strategy both ways: RSI 30/70 on AAPL daily, 100 shares, class-based vs function-based, real bars."""

import pandas as pd

from research_env import backtest
from tests.conftest import REPO_ROOT

RUN = dict(symbols=["AAPL"], start="2005-10-10", end="2025-10-09", timeframe="1d", initial_cash=100_000)


def test_class_and_function_style_give_identical_trades_and_metrics(real_store):
    by_class = backtest(str(REPO_ROOT / "strategies" / "class_rsi.py"), data=real_store, **RUN)
    by_function = backtest(str(REPO_ROOT / "strategies" / "function_rsi.py"), data=real_store, **RUN)
    assert (by_class.strategy_class, by_function.strategy_class) == ("ClassRsiStrategy", "FunctionStrategy")
    assert not by_class.is_synthetic and len(by_class.equity) == 5031

    def fills(result):
        return [(f.symbol, f.side, f.quantity, f.price, f.commission, f.timestamp) for f in result.fills]

    def denials(result):
        return [(d.timestamp, d.symbol, d.side, d.quantity, d.rule, d.reason) for d in result.denials]

    assert len(by_class.fills) == 28 and by_class.denial_counts() == {"max_price_deviation": 14, "max_order_value": 2}
    assert fills(by_function) == fills(by_class)
    assert denials(by_function) == denials(by_class)
    pd.testing.assert_frame_equal(by_function.trades_frame(), by_class.trades_frame(), check_exact=True)
    pd.testing.assert_series_equal(by_function.equity, by_class.equity, check_exact=True)
    assert by_function.metrics.to_dict() == by_class.metrics.to_dict()
