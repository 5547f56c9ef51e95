"""``RunSpec``: one order of precedence behind every door, conflicts named, plain data that round-trips."""

from __future__ import annotations

import json
import textwrap

import pytest

from research_env import backtest, sweep, walk_forward
from research_env.engine.config import BacktestConfig, RiskConfig
from research_env.errors import InputError
from research_env.run_spec import DataRef, RunSpec, StrategyRef, build_run, parse_symbols

# A function-style strategy with its own dates and capital: every door must honour both.
OWN_DEFAULTS = textwrap.dedent("""
    BACKTEST_CONFIG = {
        'start_date': '2019-01-01',
        'end_date': '2020-12-31',
        'initial_capital': 50000,
        'timeframe': '1d',
    }

    RSI_PERIOD = 14


    def on_bar_close(market, portfolio, memory, session):
        aapl = market['AAPL']
        rsi = aapl.rsi(RSI_PERIOD)
        held = portfolio.position('AAPL')
        if rsi < 45 and held == 0:
            return buy('AAPL', 40)
        if rsi > 55 and held > 0:
            return sell('AAPL', 40)
        return None
""")


@pytest.fixture()
def own_defaults(tmp_path):
    path = tmp_path / "own_defaults.py"
    path.write_text(OWN_DEFAULTS)
    return path


@pytest.fixture()
def reference(own_defaults, real_store):
    """``backtest()`` of the strategy with nothing but the data given."""
    return backtest(own_defaults, data=str(real_store))


def test_backtest_takes_dates_capital_and_timeframe_from_the_strategy(reference):
    spec = reference.spec
    assert (spec.start, spec.end, spec.timeframe, spec.initial_cash) == ("2019-01-01", "2021-01-01", "1d", 50_000.0)
    assert spec.symbols == ("AAPL",)
    assert reference.equity.iloc[0] <= 50_000.0 and reference.metrics.total_trades >= 2
    assert reference.equity.index[0].date().isoformat() == "2019-01-02"


def test_explicit_arguments_win_over_the_strategy_defaults(own_defaults, real_store, reference):
    result = backtest(own_defaults, data=str(real_store), start="2020-01-01", initial_cash=80_000)
    assert (result.spec.start, result.spec.end, result.spec.initial_cash) == ("2020-01-01", "2021-01-01", 80_000.0)
    assert result.metrics.final_equity != reference.metrics.final_equity


def test_sweep_and_walk_forward_resolve_like_backtest(own_defaults, real_store, reference):
    swept = sweep(own_defaults, param_grid={"RSI_PERIOD": [14]}, data=str(real_store), mode="bar", max_workers=1)
    assert (swept.start.date().isoformat(), swept.end.date().isoformat()) == ("2019-01-01", "2021-01-01")
    row = swept.rows[0]
    assert row["final_equity"] == reference.metrics.final_equity
    assert row["total_trades"] == reference.metrics.total_trades

    folds = walk_forward(own_defaults, param_grid={"RSI_PERIOD": [14]}, data=str(real_store), splits=2,
                         mode="bar", max_workers=1)
    assert folds.folds[0]["train_start"] == "2019-01-02" and folds.folds[-1]["test_end"] == "2020-12-31"
    same_cash = walk_forward(own_defaults, param_grid={"RSI_PERIOD": [14]}, data=str(real_store), splits=2,
                             mode="bar", max_workers=1, initial_cash=50_000)
    assert [f["out_of_sample"] for f in folds.folds] == [f["out_of_sample"] for f in same_cash.folds]


def test_the_cli_gives_the_same_numbers(own_defaults, real_store, reference, capsys):
    from research_env.cli import main

    assert main(["backtest", str(own_defaults), "--data", str(real_store), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["initial_cash"] == 50_000.0 and payload["start"].startswith("2019-01-01")
    assert payload["metrics"]["final_equity"] == reference.metrics.final_equity


def test_the_magic_and_the_sliders_give_the_same_numbers(own_defaults, real_store, reference):
    from IPython.core.interactiveshell import InteractiveShell

    from research_env.notebook.widgets import interact

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "research_env")
    ip.run_cell(f"res = %backtest {own_defaults} --data {real_store} --quiet", store_history=True)
    magic = ip.user_ns["res"]
    assert magic.config.initial_cash == 50_000.0
    assert magic.metrics.final_equity == reference.metrics.final_equity

    explorer = interact(own_defaults, data=str(real_store))
    assert explorer.result.config.initial_cash == 50_000.0
    assert explorer.result.metrics.final_equity == reference.metrics.final_equity


def test_the_batch_runner_honours_the_strategy_defaults(own_defaults, real_store, reference, tmp_path, monkeypatch):
    from research_env.batch import run_notebook
    from tests.conftest import REPO_ROOT

    monkeypatch.setenv("RESEARCH_ENV_DATA", str(real_store))
    done = run_notebook(REPO_ROOT / "notebooks" / "strategy_report.ipynb", {"strategy": str(own_defaults)},
                        tmp_path / "out")
    text = done.output.read_text()
    assert "initial cash 50,000.00" in text
    assert f"{reference.metrics.final_equity:,.2f}" in text


# --- conflicts and precedence ---------------------------------------------------------------------------------


def test_cash_given_twice_differently_is_an_error_naming_both(own_defaults):
    with pytest.raises(InputError, match=r"`initial_cash`=50,000.00 conflicts with `config.initial_cash`=60,000.00"):
        build_run(own_defaults, initial_cash=50_000, config=BacktestConfig(initial_cash=60_000))


def test_cash_given_twice_the_same_is_fine_and_a_config_without_cash_keeps_the_argument(own_defaults):
    assert build_run(own_defaults, initial_cash=70_000, config=BacktestConfig(initial_cash=70_000)).spec.initial_cash \
        == 70_000.0
    run = build_run(own_defaults, initial_cash=70_000, config=BacktestConfig(slippage_bps=1))
    assert run.spec.initial_cash == 70_000.0 and run.spec.config.slippage_bps == 1


def test_config_cash_wins_over_the_strategy_and_the_library_default_comes_last(own_defaults):
    assert build_run(own_defaults, config=BacktestConfig(initial_cash=60_000)).spec.initial_cash == 60_000.0
    assert build_run("dual_ma_crossover").spec.initial_cash == 100_000.0


def test_risk_given_twice_differently_is_an_error(own_defaults):
    with pytest.raises(InputError, match="`risk` and `config.risk` are both given and differ"):
        build_run(own_defaults, risk=RiskConfig.permissive(), config=BacktestConfig(risk=RiskConfig()))
    run = build_run(own_defaults, risk=RiskConfig.permissive(), config=BacktestConfig(slippage_bps=0))
    assert run.spec.config.risk == RiskConfig.permissive()


def test_symbols_are_normalised_in_one_place():
    assert parse_symbols("aapl, MSFT,,aapl") == ["AAPL", "MSFT"]
    assert parse_symbols(["AAPL,MSFT", "spy"]) == ["AAPL", "MSFT", "SPY"]
    assert parse_symbols(None) == []
    with pytest.raises(InputError, match="`symbols`='AA PL' is not a ticker"):
        parse_symbols(["AA PL"])


def test_bad_dates_and_timeouts_are_named(own_defaults):
    with pytest.raises(InputError, match=r"`end` \(2019-01-01\) must be after `start` \(2020-01-01\)"):
        build_run(own_defaults, start="2020-01-01", end="2019-01-01")
    with pytest.raises(InputError, match="`timeout` must be a positive number"):
        build_run(own_defaults, timeout=0)


def test_a_run_past_its_timeout_stops_with_how_far_it_got(own_defaults, real_store):
    from research_env.api import RunTimeoutError

    with pytest.raises(RunTimeoutError, match=r"^own_defaults ran past its timeout of 1e-09s.*; shorten the date "
                                              r"range or raise `timeout`$"):
        backtest(own_defaults, data=str(real_store), timeout=1e-9)


def test_the_progress_check_says_how_far_the_run_got():
    from research_env.api import RunTimeoutError, with_deadline

    tick = with_deadline(None, 1e-9, "a run")
    with pytest.raises(RunTimeoutError, match=r"^a run ran past its timeout of 1e-09s \(3 of 505 steps done\)"):
        tick(3, 505)


# --- plain data ------------------------------------------------------------------------------------------------


def test_spec_round_trips_through_json(own_defaults, real_store):
    run = build_run(own_defaults, data=str(real_store), params={"RSI_PERIOD": 10}, grid={"RSI_PERIOD": [10, 14]},
                    risk=RiskConfig(max_drawdown=None), timeout=30, allow_demo=False)
    text = run.spec.to_json()
    again = RunSpec.from_json(text)
    assert again == run.spec
    data = json.loads(text)
    assert data["strategy"]["kind"] == "file" and data["strategy"]["path"] == str(own_defaults.resolve())
    assert len(data["strategy"]["digest"]) == 64
    assert data["data"] == {"kind": "store", "path": str(real_store.resolve()), "symbols": []}
    assert data["config"]["risk"]["max_drawdown"] is None and data["config"]["initial_cash"] == 50_000.0


def test_a_spec_replays_to_the_same_result(own_defaults, real_store, reference):
    spec = RunSpec.from_json(reference.spec.to_json())
    again = backtest(spec.strategy.path, symbols=spec.symbols, start=spec.start, end=spec.end,
                     timeframe=spec.timeframe, params=spec.params, data=spec.data.path, config=spec.config)
    assert again.metrics.final_equity == reference.metrics.final_equity


def test_supplied_frames_are_referenced_not_stored(own_defaults, real_store):
    from research_env.data import BarStore

    frame = BarStore(real_store).read("AAPL", "1d")
    spec = build_run(own_defaults, data={"AAPL": frame}).spec
    assert spec.data == DataRef("supplied", symbols=("AAPL",))
    assert "open" not in spec.to_json()


def test_from_dict_of_something_else_is_an_input_error():
    with pytest.raises(InputError, match="not a run specification"):
        RunSpec.from_dict({"strategy": {"kind": "file"}})
    assert StrategyRef("file", "x").path is None


def test_allow_demo_is_none_unless_given_and_round_trips(own_defaults):
    assert build_run(own_defaults).spec.allow_demo is None
    for given in (True, False, None):
        spec = build_run(own_defaults, allow_demo=given).spec
        assert spec.allow_demo is given
        assert RunSpec.from_json(spec.to_json()).allow_demo is given
        assert json.loads(spec.to_json())["allow_demo"] is given
    with pytest.raises(InputError, match=r"`allow_demo` must be True, False or None \(demo bars only on a fresh "
                                         r"install\), got 'no'"):
        build_run(own_defaults, allow_demo="no")
