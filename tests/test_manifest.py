"""Run manifests: bar fingerprints checked against hashlib by hand, and what results carry."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from research_env import BacktestResult, backtest
from research_env.manifest import bars_change, bars_fingerprint, closes_change, closes_fingerprint, environment
from research_env.notebook.report import backtest_html
from research_env.sweeps import sweep

STRATEGIES = "strategies"


def _bars(closes, times) -> pd.DataFrame:
    index = pd.DatetimeIndex(times).tz_localize("America/New_York").tz_convert("UTC").as_unit("ns")
    c = np.asarray(closes, dtype=float)
    return pd.DataFrame({"open": c, "high": c + 1, "low": c - 1, "close": c, "volume": np.full(len(c), 100.0)},
                        index=index)


TIMES = ["2024-03-04 10:00", "2024-03-04 16:00", "2024-03-05 16:00", "2024-03-06 12:00", "2024-03-06 16:00"]


def test_fingerprint_is_sha256_of_the_column_buffers_and_one_digest_per_session():
    frame = _bars([10, 11, 12, 13, 14], TIMES)
    fp = bars_fingerprint(frame)
    expected = hashlib.sha256(b'["open", "high", "low", "close", "volume"]')
    expected.update(frame.index.asi8.astype("<i8").tobytes())
    for column in ("open", "high", "low", "close", "volume"):
        expected.update(frame[column].to_numpy().astype("<f8").tobytes())
    assert fp["digest"] == expected.hexdigest()
    assert (fp["rows"], fp["sessions"], fp["first_session"]) == (5, 3, "2024-03-04")
    assert fp["first"] == "2024-03-04T15:00:00+00:00" and fp["last"] == "2024-03-06T21:00:00+00:00"
    assert len(fp["days"]) == 3 * 8 and int(fp["days"], 16) > 0


def test_session_digests_see_a_swap_inside_a_session_and_only_there():
    frame = _bars([10, 11, 12, 13, 14], TIMES)
    recorded = bars_fingerprint(frame)["days"]
    swapped = frame.copy()
    swapped.iloc[[3, 4], :] = swapped.iloc[[4, 3], :].to_numpy()  # 2024-03-06's two bars trade their values
    now = bars_fingerprint(swapped)["days"]
    assert (now[:16], now[16:] != recorded[16:]) == (recorded[:16], True)


def test_a_changed_bar_changes_only_its_session_and_is_named_by_date():
    frame = _bars([10, 11, 12, 13, 14], TIMES)
    recorded = bars_fingerprint(frame)
    changed = frame.copy()
    changed.iloc[3, changed.columns.get_loc("close")] = 13.01
    now = bars_fingerprint(changed)
    assert now["digest"] != recorded["digest"]
    assert [now["days"][i:i + 8] == recorded["days"][i:i + 8] for i in (0, 8, 16)] == [True, True, False]
    assert bars_change(recorded, changed) == "the bars of session 2024-03-06 differ"
    assert bars_change(recorded, frame) is None


def test_added_and_missing_sessions_are_named():
    frame = _bars([10, 11, 12, 13, 14], TIMES)
    recorded = bars_fingerprint(frame)
    assert bars_change(recorded, frame.iloc[:3]) == "1 session after 2024-03-05 is missing (2 now, 3 recorded)"
    longer = pd.concat([frame, _bars([15], ["2024-03-07 16:00"])])
    assert bars_change(recorded, longer) == "the sessions differ from 2024-03-07 on (4 sessions now, 3 recorded)"
    later = "the sessions differ from 2024-03-05 on (2 sessions now, 3 recorded)"
    assert bars_change(recorded, frame.iloc[2:]) == later
    assert bars_change(recorded, frame[["open", "close", "high", "low", "volume"]]).startswith("the columns changed")


def test_benchmark_closes_fingerprint():
    closes = pd.Series([400.0, 401.5], index=pd.DatetimeIndex(["2024-03-04", "2024-03-05"]))
    recorded = closes_fingerprint(closes)
    assert recorded["sessions"] == 2 and recorded["columns"] == ["close"]
    assert closes_change(recorded, closes) is None
    assert closes_change(recorded, closes * 1.01) == "the bars of session 2024-03-04 differ"
    assert closes_change(None, None) is None
    assert closes_change(recorded, None) == "there are no benchmark closes now"


def test_environment_names_versions_calendar_and_time_zone_database():
    env = environment()
    assert env["versions"]["research-env"] == "0.1.0"
    assert set(env["versions"]) >= {"python", "numpy", "pandas", "numba", "exchange-calendars"}
    assert env["calendar"] == "XNYS" and env["time_zone"] == "America/New_York"
    assert env["tz_database"] is not None and env["tz_database"].split()[0] in ("system", "tzdata")


@pytest.fixture(scope="module")
def daily_result(real_store) -> BacktestResult:
    return backtest(f"{STRATEGIES}/dual_ma_crossover.py", symbols=["AAPL", "MSFT"], start="2021-01-01",
                    end="2022-01-01", data=str(real_store))


def test_a_backtest_carries_its_manifest(daily_result, real_store):
    m = daily_result.manifest
    assert m["entry"] == "backtest" and m["manifest_version"] == 1 and m["options"] == {}
    assert m["strategy"]["class"] == "DualMaCrossoverStrategy"
    assert m["strategy"]["source_hash"] == daily_result.spec.strategy.digest
    assert m["spec"] == daily_result.spec.to_dict()
    assert m["spec"]["data"] == {"kind": "store", "path": str(real_store), "symbols": []}
    assert set(m["data"]) == {"AAPL", "MSFT"}
    for symbol in ("AAPL", "MSFT"):
        assert m["data"][symbol]["source"] == "local"
        assert m["data"][symbol]["bars"] == bars_fingerprint(daily_result.bars[symbol])
        assert m["data"][symbol]["bars"]["sessions"] == 252
    assert m["benchmark"]["symbol"] == "SPY" and m["benchmark"]["closes"]["sessions"] == 252
    assert m["outcome"] == {"metrics": json.loads(json.dumps(daily_result.metrics.to_dict()))}
    assert json.loads(json.dumps(m)) == m
    assert daily_result.to_dict()["manifest"] == m


def test_the_manifest_survives_the_json_payload_and_shows_in_the_html_report(daily_result):
    again = BacktestResult.from_dict(json.loads(json.dumps(daily_result.to_payload())))
    assert again.manifest == daily_result.manifest
    html = backtest_html(daily_result)
    assert "Run manifest: replay with" in html and "&lt;252 session digests&gt;" in html
    assert daily_result.manifest["data"]["AAPL"]["bars"]["digest"] in html


def test_a_sweep_carries_its_manifest(real_store):
    result = sweep("dual_ma_crossover", ["AAPL"], "2021-01-01", "2022-01-01",
                   param_grid={"fast_period": [5, 10], "slow_period": [20, 30]}, data=str(real_store))
    m = result.manifest
    assert m["entry"] == "sweep" and m["options"] == {"metric": "sharpe_ratio", "quantity": None, "fused": True}
    assert m["strategy"]["class"] == "DualMaCrossoverVectorized"
    assert m["spec"]["grid"] == {"fast_period": [5, 10], "slow_period": [20, 30]}
    assert m["outcome"]["combinations"] == 4 and len(m["outcome"]["rows_digest"]) == 64
    assert m["data"]["AAPL"]["bars"]["sessions"] == 252
    assert result.to_dict()["manifest"] == m
