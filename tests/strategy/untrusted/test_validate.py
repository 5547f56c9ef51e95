"""``validate_strategy``: the guide's five layers on the guide's own examples, with line numbers and names."""

from __future__ import annotations

import json
import textwrap

import pytest

from research_env.settings import Settings, UntrustedSettings
from research_env.strategy.untrusted import UntrustedCodeError, load_untrusted, validate_strategy
from tests.conftest import REPO_ROOT

#: The guide's Quick Start and Examples 1-4 as the project keeps them (Example 4 verbatim as a test fixture).
GUIDE = {
    "quick_start": REPO_ROOT / "strategies" / "rsi_mean_reversion.py",
    "example_1": REPO_ROOT / "strategies" / "dual_ma_crossover.py",
    "example_2": REPO_ROOT / "strategies" / "bollinger_mean_reversion.py",
    "example_3": REPO_ROOT / "strategies" / "regime_rotation.py",
    "example_4": REPO_ROOT / "tests" / "sweeps" / "guide_example_4.py",
    "function_style": REPO_ROOT / "strategies" / "function_rsi.py",
}


def _layers(report) -> dict[str, str]:
    return {layer.name: layer.status for layer in report.layers}


@pytest.mark.parametrize(("name", "class_name"), [("quick_start", "RsiMeanReversionStrategy"),
                                                  ("example_1", "DualMaCrossoverStrategy"),
                                                  ("example_3", "RegimeRotationStrategy")])
def test_the_guide_examples_pass_all_five_layers_in_the_sandbox(name, class_name):
    report = validate_strategy(GUIDE[name].read_text(), name=name)

    assert report.ok, str(report)
    assert report.class_name == class_name and report.isolation == "bwrap"
    assert _layers(report) == dict.fromkeys(
        ("imports", "builtins", "restricted_exec", "subclass", "instantiation"), "passed")


def test_a_function_style_strategy_is_a_complete_strategy():
    report = validate_strategy(GUIDE["function_style"].read_text(), name="function_rsi", contained=False)
    assert report.ok, str(report)


def test_example_2_is_refused_at_the_import_layer_naming_the_setting():
    report = validate_strategy(GUIDE["example_2"].read_text(), name="example_2")

    assert not report.ok
    assert _layers(report) == {"imports": "failed", "builtins": "passed", "restricted_exec": "skipped",
                               "subclass": "skipped", "instantiation": "skipped"}
    (problem,) = report.problems
    assert (problem.line, problem.name) == (3, "numpy")
    assert problem.message.endswith('An operator may allow it with `[untrusted] allowed_imports = ["numpy"]` in '
                                    "research-env.toml")
    assert "indicators come from self.indicators_for(symbol)" in problem.message


def test_example_4_is_refused_at_the_import_layer_and_with_its_imports_allowed_at_the_subclass_layer():
    source = GUIDE["example_4"].read_text()
    refused = validate_strategy(source, name="example_4", contained=False)
    assert [(p.line, p.name) for p in refused.problems] == [(3, "pandas"), (5, "strategies.vectorized")]

    widened = Settings(untrusted=UntrustedSettings(allowed_imports=("pandas", "strategies.vectorized")))
    report = validate_strategy(source, name="example_4", settings=widened, contained=False)
    assert _layers(report)["subclass"] == "failed" and _layers(report)["restricted_exec"] == "passed"
    assert "defines only a VectorizedStrategy" in report.problems[0].message


def test_the_report_reads_as_one_block_per_layer():
    source = "import os\nfrom core.models import Bar\n\nx = eval('1')\n"
    report = validate_strategy(source, contained=False)
    assert str(report).splitlines() == [
        "validation FAILED",
        "  AST import check: failed",
        "    line 1: import refused: `os` is a blocked module (os: files, processes, network or the interpreter); "
        "untrusted strategies can never import it",
        "  AST builtins check: failed",
        "    line 4: the builtin `eval` is blocked for untrusted strategies",
        "  restricted execution at module load: skipped",
        "  subclass check: skipped",
        '  instantiation with symbols=["TEST"]: skipped',
    ]
    assert report.to_dict()["layers"][0]["problems"] == [
        {"line": 1, "name": "os", "message": report.problems[0].message}]


STRATEGY = textwrap.dedent('''
    from core.models import Bar
    from strategies.base import StrategyBase
    {imports}

    class Probe(StrategyBase):
        def __init__(self, symbols=None):
            super().__init__(name="probe", symbols=symbols or ["SPY"])
            {init}

        def on_bar(self, bar: Bar):
            return []
    ''')


def _probe(imports: str = "", init: str = "pass") -> str:
    return STRATEGY.format(imports=imports, init=init)


def test_modules_are_seen_through_public_views_so_their_imports_lead_nowhere():
    report = validate_strategy(_probe("import dataclasses\nleak = dataclasses.sys"), contained=False)
    assert _layers(report)["restricted_exec"] == "failed"
    assert report.problems[0].message == "AttributeError: module 'dataclasses' has no attribute 'sys'"
    assert report.problems[0].line == 5

    private = validate_strategy(_probe("import collections\nleak = collections._sys"), contained=False)
    assert private.problems[0].message == "AttributeError: module 'collections' has no attribute '_sys'"


def test_a_broken_constructor_fails_the_instantiation_layer_with_its_line():
    report = validate_strategy(_probe(init="self.period = 1 / 0"), contained=False)
    assert _layers(report) == {"imports": "passed", "builtins": "passed", "restricted_exec": "passed",
                               "subclass": "passed", "instantiation": "failed"}
    assert (report.problems[0].line, report.problems[0].message) == (9, "ZeroDivisionError: division by zero")


def test_code_without_a_strategy_fails_the_subclass_layer():
    report = validate_strategy("import math\nanswer = math.sqrt(2)\n", contained=False)
    assert _layers(report)["subclass"] == "failed"
    assert "defines no StrategyBase subclass" in report.problems[0].message


def test_load_untrusted_refuses_what_the_static_layers_refuse():
    with pytest.raises(UntrustedCodeError, match=r"strategy `probe` was refused by the untrusted-code validation:\n"
                                                 r"validation FAILED\n  AST import check: failed\n    line 4"):
        load_untrusted(_probe("import socket"), "probe")
    loaded = load_untrusted(_probe("import math"), "probe")
    assert loaded.bar_class().__name__ == "Probe"


def test_the_validate_command_prints_the_layers_and_exits_2_when_refused(tmp_path, capsys):
    from research_env.cli import main

    good = GUIDE["example_1"]
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{good}: validation passed: DualMaCrossoverStrategy"
    bad = tmp_path / "bad.py"
    bad.write_text(_probe("import socket"))
    assert main(["validate", str(bad), "--json"]) == 2
    assert '"name": "socket"' in capsys.readouterr().out


def test_an_untrusted_backtest_from_the_command_line_runs_in_the_sandbox(real_store, capsys, tmp_path,
                                                                         monkeypatch):
    from research_env.cli import main

    args = [str(GUIDE["example_1"]), "--symbols", "SPY", "--start", "2019-01-01", "--end", "2020-01-01",
            "--data", str(real_store), "--json"]
    assert main(["backtest", *args, "--untrusted"]) == 0
    contained = json.loads(capsys.readouterr().out)
    assert main(["backtest", *args]) == 0
    trusted = json.loads(capsys.readouterr().out)
    # its manifest says to replay it contained too; otherwise the same run, the same report: spec, origin,
    # bars, metrics, trades
    assert contained["manifest"].pop("options") == {"untrusted": True}
    assert trusted["manifest"].pop("options") == {}
    assert contained == trusted
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({**contained, "manifest": {**contained["manifest"], "options": {"untrusted": True}}}))
    import research_env.strategy.loader as loader

    def never(*args, **kwargs):
        raise AssertionError(f"replay imported untrusted code in-process: load_strategy{args}")

    monkeypatch.setattr(loader, "load_strategy", never)  # the replay runs it in the sandbox only
    assert main(["replay", str(saved)]) == 0
    assert "same code, same bars, same numbers" in capsys.readouterr().out


def test_an_untrusted_sweep_runs_bar_by_bar_in_the_sandbox_with_the_same_numbers(real_store):
    import research_env

    args = dict(symbols=["SPY"], start="2018-01-01", end="2020-01-01", timeframe="1d", data=real_store,
                param_grid={"fast_period": [5, 10], "slow_period": [20, 30]})
    contained = research_env.sweep(str(GUIDE["example_1"]), untrusted=True, **args)
    trusted = research_env.sweep(str(GUIDE["example_1"]), mode="bar", max_workers=1, **args)

    assert contained.kind == "bar-by-bar" and contained.total_combinations == 4
    assert contained.rows == trusted.to_dict()["results"]  # every metric of every combination
    assert contained.best["params"] == trusted.best["params"] == {"fast_period": 5, "slow_period": 20}
    assert contained.origin == trusted.origin
    assert contained.manifest["options"] == {"metric": "sharpe_ratio", "untrusted": True}
    assert contained.manifest["data"] == trusted.manifest["data"]
    assert research_env.replay(contained).rows == contained.rows  # replayed in the sandbox again
