"""``replay(manifest)``: the same code on the same bars gives bit-identical numbers; any change is named."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest

from research_env import InputError, ReplayError, backtest, load_bars, replay
from research_env.cli import main
from research_env.sweeps import sweep, vectorized_backtest
from tests.conftest import REPO_ROOT

STRATEGIES = REPO_ROOT / "strategies"
RUN = dict(start="2021-01-01", end="2022-01-01")


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


def test_class_style_backtest_replays_bit_identical(real_store):
    result = backtest(STRATEGIES / "dual_ma_crossover.py", symbols=["AAPL", "MSFT"], data=str(real_store), **RUN)
    again = replay(result)
    assert again.metrics.to_dict() == result.metrics.to_dict()
    assert [(f.timestamp, f.price, f.quantity) for f in again.fills] == [
        (f.timestamp, f.price, f.quantity) for f in result.fills]
    assert again.manifest["data"] == result.manifest["data"]


def test_function_style_backtest_replays_from_its_json(real_store, tmp_path):
    result = _quiet(backtest, STRATEGIES / "function_rsi.py", symbols=["AAPL"], data=str(real_store),
                    start="2018-01-01", end="2020-01-01")
    assert result.metrics.total_trades > 0
    saved = tmp_path / "run.json"
    saved.write_text(result.to_json())
    again = _quiet(replay, saved)
    assert again.metrics.to_dict() == result.metrics.to_dict()


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "generate_signals"])
def test_vectorized_sweep_replays_every_combination(real_store, fused):
    grid = {"fast_period": [5, 10, 20], "slow_period": [30, 50]}
    result = sweep("dual_ma_crossover", ["AAPL", "MSFT"], param_grid=grid, data=str(real_store), fused=fused, **RUN)
    assert result.kind == ("vectorized-fused" if fused else "vectorized")
    again = replay(json.loads(result.to_json()))
    assert again.kind == result.kind and again.rows == result.rows


def test_bar_by_bar_sweep_and_vectorized_backtest_replay(real_store):
    grid = {"fast_period": [5, 10], "slow_period": [30]}
    bar = sweep(STRATEGIES / "dual_ma_crossover.py", ["AAPL"], param_grid=grid, data=str(real_store), max_workers=1,
                **RUN)
    assert bar.kind == "bar-by-bar"
    assert replay(bar, ).rows == bar.rows
    one = vectorized_backtest("dual_ma_crossover", ["AAPL"], params={"fast_period": 10, "slow_period": 30},
                              data=str(real_store), **RUN)
    assert one.manifest["entry"] == "vectorized_backtest"
    assert replay(one).metrics.to_dict() == one.metrics.to_dict()


def test_one_changed_bar_fails_the_replay_naming_symbol_and_date(real_store):
    frames = {s: load_bars([s], "2021-01-01", "2022-01-01", "1d", store=str(real_store)).frames[s]
              for s in ("AAPL", "MSFT")}
    result = backtest(STRATEGIES / "dual_ma_crossover.py", symbols=["AAPL", "MSFT"], data=frames, **RUN)
    with pytest.raises(InputError, match=r"ran on bars passed in memory \(AAPL, MSFT\); pass the same bars"):
        replay(result)
    assert replay(result, data=frames).metrics.to_dict() == result.metrics.to_dict()
    edited = dict(frames, MSFT=frames["MSFT"].copy())
    edited["MSFT"].loc["2021-06-15 20:00:00+00:00", "close"] += 0.01
    with pytest.raises(ReplayError, match=r"the bars of MSFT changed since the run \(user then, user now\): the "
                                          r"bars of session 2021-06-15 differ") as caught:
        replay(result, data=edited)
    assert (caught.value.what, caught.value.symbol) == ("bars", "MSFT")


def test_changed_code_fails_the_replay(real_store, tmp_path):
    path = tmp_path / "my_cross.py"
    shutil.copy(STRATEGIES / "dual_ma_crossover.py", path)
    result = backtest(path, symbols=["AAPL"], data=str(real_store), **RUN)
    path.write_text(path.read_text() + "\n# tuned\n")
    with pytest.raises(ReplayError, match=r"the strategy's code changed since the run \(.*my_cross.py: source "
                                          r"hash \w{12} now, \w{12} recorded\)") as caught:
        replay(result)
    assert caught.value.what == "code"
    path.unlink()
    with pytest.raises(InputError, match=r"the strategy file .*my_cross.py of the recorded run is gone"):
        replay(result)


def test_different_numbers_are_named_by_metric(real_store):
    result = backtest(STRATEGIES / "dual_ma_crossover.py", symbols=["AAPL"], data=str(real_store), **RUN)
    manifest = json.loads(json.dumps(result.manifest))
    manifest["outcome"]["metrics"]["total_trades"] += 1
    with pytest.raises(ReplayError, match=r"same code and bars, different numbers: total_trades: "
                                          rf"{result.metrics.total_trades} now, {result.metrics.total_trades + 1} "
                                          r"recorded; no library version changed"):
        replay(manifest)


def test_what_cannot_be_replayed_says_why(tmp_path):
    with pytest.raises(InputError, match="no file"):
        replay(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="is not JSON"):
        replay(tmp_path / "bad.json")
    with pytest.raises(InputError, match="has no run manifest"):
        replay({"strategy": "x"})
    with pytest.raises(InputError, match="manifest version 99"):
        replay({"manifest_version": 99})


def test_cli_replays_a_saved_run_and_exits_1_when_the_code_changed(real_store, tmp_path, capsys):
    path = tmp_path / "my_cross.py"
    shutil.copy(STRATEGIES / "dual_ma_crossover.py", path)
    args = ["--symbols", "AAPL", "--start", RUN["start"], "--end", RUN["end"], "--data", str(real_store)]
    assert main(["backtest", str(path), *args, "--json"]) == 0
    saved = tmp_path / "run.json"
    saved.write_text(capsys.readouterr().out)
    assert main(["replay", str(saved)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Replayed {saved}: same code, same bars, same numbers.")
    assert "Backtest of dual_ma_crossover (DualMaCrossoverStrategy) on AAPL" in out
    path.write_text(path.read_text() + "\n# tuned\n")
    assert main(["replay", str(saved)]) == 1
    assert "research-env: replay differs: replay of my_cross: the strategy's code changed" in capsys.readouterr().err


def test_one_bar_changed_in_the_store_fails_the_replay(shared_data, tmp_path):
    from research_env import BarStore, import_bars

    store = BarStore(tmp_path / "store")
    import_bars([shared_data / "bars" / "1d" / f"{s}.csv" for s in ("AAPL", "MSFT", "SPY")], store=store,
                timeframe="1d")
    result = backtest(STRATEGIES / "dual_ma_crossover.py", symbols=["AAPL", "MSFT"], data=str(tmp_path / "store"),
                      **RUN)
    assert replay(result).metrics.to_dict() == result.metrics.to_dict()
    lines = (shared_data / "bars" / "1d" / "MSFT.csv").read_text().splitlines()
    row = next(n for n, line in enumerate(lines) if line.startswith("2021-06-15,"))
    fields = lines[row].split(",")
    fields[4] = f"{float(fields[4]) + 0.01:.4f}"  # the close, one cent up
    corrected = tmp_path / "MSFT.csv"
    corrected.write_text("\n".join([lines[0], ",".join(fields)]) + "\n")
    assert import_bars([corrected], store=store, timeframe="1d")["changed"].tolist() == [1]
    with pytest.raises(ReplayError, match=r"the bars of MSFT changed since the run \(local then, local now\): "
                                          r"the bars of session 2021-06-15 differ"):
        replay(result)
