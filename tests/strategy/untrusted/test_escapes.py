"""The escape corpus (``escapes.py``): every case is refused by the validation, at the layer named, or contained
when it runs in the sandbox, with the error named. The sandbox's own walls (files, network, processes) are
tested with full Python in ``test_sandbox.py``."""

from __future__ import annotations

import re

import pytest

import research_env
from research_env.strategy.untrusted import validate_strategy
from tests.strategy.untrusted.escapes import CONTAINED, REFUSED, escape_source


def test_the_corpus_has_at_least_forty_cases():
    assert len(REFUSED) + len(CONTAINED) >= 40


@pytest.mark.parametrize("case", REFUSED, ids=[case.case for case in REFUSED])
def test_refused_by_the_validation(case):
    report = validate_strategy(escape_source(case.module, case.body), name="escape", contained=False)

    assert not report.ok
    failed = [layer.name for layer in report.layers if layer.status == "failed"]
    assert failed[0] == case.layer
    assert case.name in [problem.name for problem in report.problems]
    assert all(layer.status == "skipped" for layer in report.layers[2:])  # nothing of it ran


@pytest.fixture()
def tight_limits(monkeypatch):
    """Small sandbox limits so the bombs stop fast."""
    for key, value in {"CPU_SECONDS": "4", "MEMORY_MB": "1536", "TIMEOUT": "60", "MAX_OUTPUT_MB": "5"}.items():
        monkeypatch.setenv(f"RESEARCH_ENV_UNTRUSTED_{key}", value)


@pytest.mark.parametrize("case", CONTAINED, ids=[case.case for case in CONTAINED])
def test_contained_when_it_runs(case, tmp_path, real_store, tight_limits):
    source = escape_source(case.module, case.body)
    assert validate_strategy(source, name="escape", contained=False).layers[1].passed  # the static layers let it by
    path = tmp_path / "escape.py"
    path.write_text(source)

    with pytest.raises(research_env.ResearchEnvError) as caught:
        research_env.backtest(str(path), symbols=["SPY"], start="2023-01-01", end="2024-01-01", timeframe="1d",
                              data=real_store, untrusted=True)
    assert re.match(case.error, f"{type(caught.value).__name__}: {caught.value}")
