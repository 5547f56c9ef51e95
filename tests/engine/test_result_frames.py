"""``BacktestResult``'s tables give every time in New York, with the zone in the dtype."""

from __future__ import annotations

import warnings

import pandas as pd

from tests.notebook.builders import scripted_result


def test_trades_fills_denials_and_logs_are_in_new_york_time(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # synthetic demo bars, on purpose
        result = scripted_result(tmp_path)
    trades, fills, denials = result.trades_frame(), result.fills_frame(), result.denials_frame()
    for frame, column in ((trades, "entry_time"), (trades, "exit_time"), (fills, "time"), (denials, "timestamp")):
        assert str(frame[column].dt.tz) == "America/New_York", column
    assert trades["entry_time"].iloc[0] == pd.Timestamp("2023-01-11 16:00", tz="America/New_York")
    assert fills["time"].tolist() == [pd.Timestamp("2023-01-11 16:00", tz="America/New_York"),
                                      pd.Timestamp("2023-01-19 16:00", tz="America/New_York")]
    assert denials["timestamp"].iloc[0] == pd.Timestamp("2023-01-05 16:00", tz="America/New_York")
    assert str(result.logs_frame()["time"].dtype).endswith("America/New_York]")
    assert result.to_dict()["trades"][0]["entry_time"] == "2023-01-11T21:00:00.000Z"  # JSON stays UTC
