"""The AI-strategy lifecycle through the Python tools, on the real SPY daily bars: create -> draft (a refused
source saves nothing) -> run_backtest (contained, stored, tested) -> promote_strategy (validated again, copied)."""

from __future__ import annotations

import pytest

from research_env.assistant import (
    AssistantError,
    create_strategy,
    get_strategy,
    get_strategy_guide,
    list_strategies,
    promote_strategy,
    run_backtest,
)
from research_env.errors import InputError
from tests.assistant.conftest import RUN, TEMPLATE

FORBIDDEN = TEMPLATE.replace("import math\n", "import math\nimport os\n")


def test_the_guide_documents_the_api_and_its_template_passes_the_validation():
    from research_env.strategy.untrusted import validate_strategy

    guide = get_strategy_guide()
    for name in ("StrategyBase", "indicators_for", "on_bar", "on_trade", "Signal", "OrderSide", "strategies.base",
                 "core.models", "core.enums", "sma", "ema", "rsi", "macd", "atr", "bbands", "obv", "volume_sma"):
        assert name in guide["guide"], name
    assert guide["template"] in guide["guide"]
    report = validate_strategy(guide["template"])
    assert report.ok, str(report)
    assert report.class_name == "SmaCrossRsiStrategy"


def test_create_saves_a_valid_strategy_as_a_draft_in_the_users_folder(ai_home):
    created = create_strategy("ann", "sma_cross", TEMPLATE)

    assert (created["ok"], created["status"], created["class_name"]) == (True, "draft", "SmaCrossRsiStrategy")
    path = ai_home.data / "ai_strategies" / "ann" / "sma_cross.py"
    assert created["path"] == str(path) and path.read_text() == TEMPLATE
    assert created["validation"]["ok"] is True
    (listed,) = list_strategies("ann")["strategies"]
    assert (listed["strategy_id"], listed["name"], listed["status"]) == (created["strategy_id"], "sma_cross", "draft")


def test_a_refused_source_comes_back_with_the_report_and_saves_nothing(ai_home):
    refused = create_strategy("ann", "sneaky", FORBIDDEN)

    assert (refused["ok"], refused["strategy_id"], refused["status"]) == (False, None, None)
    assert refused["validation"]["ok"] is False and "os" in refused["report"]
    assert not (ai_home.data / "ai_strategies" / "ann" / "sneaky.py").exists()
    assert list_strategies()["strategies"] == []


@pytest.mark.parametrize(("user_id", "name", "argument"), [
    ("ann", "../../evil", "name"), ("ann", "/tmp/evil", "name"), ("../..", "evil", "user_id"),
])
def test_a_name_or_user_that_would_leave_the_folder_is_refused(ai_home, user_id, name, argument):
    with pytest.raises(AssistantError, match=f"`{argument}` .* is not a") as caught:
        create_strategy(user_id, name, TEMPLATE)
    assert isinstance(caught.value, InputError)
    assert not (ai_home.data / "ai_strategies").exists()


def test_a_backtest_runs_contained_on_the_real_bars_stores_the_result_and_marks_the_strategy_tested(ai_home):
    from research_env.api import backtest

    strategy_id = create_strategy("ann", "sma_cross", TEMPLATE)["strategy_id"]

    ran = run_backtest(strategy_id, **RUN)

    trusted = backtest(str(ai_home.data / "ai_strategies" / "ann" / "sma_cross.py"), **RUN, allow_demo=False)
    assert (ran["status"], ran["data_sources"], ran["synthetic"]) == ("tested", {"SPY": "local"}, False)
    assert ran["metrics"] == trusted.metrics.to_dict()  # contained or not, the same run
    assert ran["trade_count"] == len(trusted.trades) > 0
    shown = get_strategy(strategy_id)
    (stored,) = shown["results"]
    assert (shown["status"], stored["result_id"], stored["metrics"]) == ("tested", ran["result_id"], ran["metrics"])
    assert stored["arguments"] == {**RUN, "initial_cash": None, "params": None, "allow_demo": None}


def test_parameters_reach_the_strategy_and_a_recreated_strategy_keeps_its_id_as_a_draft(ai_home):
    strategy_id = create_strategy("ann", "sma_cross", TEMPLATE)["strategy_id"]
    slow = run_backtest(strategy_id, **RUN, params={"fast_period": 5, "slow_period": 50})
    assert slow["metrics"] != run_backtest(strategy_id, **RUN)["metrics"]

    again = create_strategy("ann", "sma_cross", TEMPLATE.replace("rsi_ceiling=70.0", "rsi_ceiling=60.0"))

    assert (again["strategy_id"], again["status"]) == (strategy_id, "draft")
    assert len(get_strategy(strategy_id)["results"]) == 2  # the history stays


def test_promote_is_refused_for_a_draft_then_copies_the_tested_file_to_production(ai_home):
    from research_env.strategy.loader import load_strategy

    strategy_id = create_strategy("ann", "sma_cross", TEMPLATE)["strategy_id"]
    with pytest.raises(AssistantError, match="is a draft: backtest it first"):
        promote_strategy(strategy_id)
    assert not ai_home.production.exists()
    run_backtest(strategy_id, **RUN)

    promoted = promote_strategy(strategy_id)

    target = ai_home.production / "sma_cross.py"
    assert (promoted["status"], promoted["path"]) == ("promoted", str(target))
    assert target.read_text() == TEMPLATE
    assert load_strategy("sma_cross").strategy_class.__name__ == "SmaCrossRsiStrategy"  # loadable by name
    assert get_strategy(strategy_id)["status"] == "promoted"
    assert promote_strategy(strategy_id)["path"] == str(target)  # promoting again rewrites its own copy


def test_promote_never_overwrites_another_strategy_and_refuses_a_file_changed_since_validation(ai_home):
    ai_home.production.mkdir()
    (ai_home.production / "sma_cross.py").write_text("# someone else's strategy\n")
    created = create_strategy("ann", "sma_cross", TEMPLATE)
    run_backtest(created["strategy_id"], **RUN)
    with pytest.raises(AssistantError, match="sma_cross.py already holds another strategy: create_strategy this "
                                             "one under another `name`"):
        promote_strategy(created["strategy_id"])

    with open(created["path"], "a") as file:
        file.write("import os\n")
    with pytest.raises(AssistantError, match="changed since strategy .* was validated"):
        promote_strategy(created["strategy_id"])
    with pytest.raises(AssistantError, match="changed since strategy .* was validated"):
        run_backtest(created["strategy_id"], **RUN)
    assert (ai_home.production / "sma_cross.py").read_text() == "# someone else's strategy\n"
