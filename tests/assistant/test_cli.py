"""``research-env ai ...``: the template for a starter file, bad input exits 2 with the fix, the lifecycle."""

from __future__ import annotations

import json

from research_env.cli import main
from tests.assistant.conftest import TEMPLATE


def test_guide_prints_the_guide_or_only_its_template(capsys):
    assert main(["ai", "guide"]) == 0
    assert "self.indicators_for(symbol)" in capsys.readouterr().out
    assert main(["ai", "guide", "--template"]) == 0
    assert capsys.readouterr().out == TEMPLATE


def test_bad_names_a_missing_file_and_an_unknown_id_exit_2_with_the_fix(ai_home, tmp_path, capsys):
    strategy = tmp_path / "mine.py"
    strategy.write_text(TEMPLATE)
    assert main(["ai", "create", str(strategy), "--user", "ann", "--name", "../mine"]) == 2
    assert "error: `name` '../mine' is not a strategy name: use 1 to 64 letters" in capsys.readouterr().err
    assert main(["ai", "create", str(tmp_path / "nowhere.py"), "--user", "ann", "--name", "mine"]) == 2
    assert "cannot read the strategy file" in capsys.readouterr().err
    assert main(["ai", "promote", "7"]) == 2
    assert "no AI strategy has `strategy_id` 7" in capsys.readouterr().err
    assert main(["ai", "list"]) == 0
    assert "no AI strategies yet" in capsys.readouterr().out


def test_create_backtest_promote_and_list_from_the_command_line(ai_home, tmp_path, capsys):
    strategy = tmp_path / "mine.py"
    strategy.write_text(TEMPLATE)
    assert main(["ai", "create", str(strategy), "--user", "ann", "--name", "mine", "--json"]) == 0
    strategy_id = json.loads(capsys.readouterr().out)["strategy_id"]

    assert main(["ai", "backtest", str(strategy_id), "--symbols", "SPY", "--start", "2022-01-03", "--end",
                 "2024-01-01", "--param", "fast_period=5"]) == 0
    out = capsys.readouterr().out
    assert f"strategy {strategy_id}: tested, result " in out and "data: SPY=local" in out and "SYNTHETIC" not in out
    assert main(["ai", "promote", str(strategy_id)]) == 0
    assert capsys.readouterr().out == (f"strategy {strategy_id} `mine`: promoted to "
                                       f"{ai_home.production / 'mine.py'}\n")
    assert main(["ai", "list", "--user", "ann"]) == 0
    assert f"{strategy_id:>4}  ann/mine  promoted" in capsys.readouterr().out

    strategy.write_text(TEMPLATE.replace("import math\n", "import math\nimport socket\n"))
    assert main(["ai", "create", str(strategy), "--user", "ann", "--name", "mine"]) == 2
    assert "refused: nothing saved" in capsys.readouterr().out
