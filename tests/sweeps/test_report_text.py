"""The sweep's text report (what ``research-env sweep`` prints) writes metrics as the other reports do."""

from __future__ import annotations

from datetime import datetime

from research_env.sweeps.result import METRIC_NAMES, SweepResult, metric_row


def test_text_table_prints_returns_in_percent_and_counts_as_integers():
    values = {"total_return": 0.0523, "sharpe_ratio": 1.23456, "max_drawdown": -0.0412, "win_rate": 0.5,
              "total_trades": 12}
    rows = [metric_row({"fast": 5}, {m: values.get(m) for m in METRIC_NAMES}, {}),
            metric_row({"fast": 10}, {m: None for m in METRIC_NAMES}, {})]
    sweep = SweepResult(strategy="x", kind="vectorized", symbols=["SPY"], timeframe="1d", start=datetime(2023, 1, 1),
                        end=datetime(2024, 1, 1), grid={"fast": [5, 10]}, rows=rows, elapsed_seconds=0.5)
    lines = sweep.report().splitlines()
    assert lines[1:5] == [
        "Top 2 by sharpe_ratio:",
        " fast total_return sharpe_ratio max_drawdown win_rate total_trades  denied",
        "    5        5.23%       1.2346       -4.12%   50.00%           12       0",
        "   10          n/a          n/a          n/a      n/a          n/a       0",
    ]
    assert lines[5] == "Best: {'fast': 5} (sharpe_ratio = 1.2346)"
