"""``research-env mcp`` driven by the MCP SDK's own stdio client: ``python -m research_env mcp`` runs as a
subprocess on a temporary data folder, lists the four tools, answers bad input with tool errors (and keeps
serving), and takes a strategy from create to promote."""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from tests.assistant.conftest import RUN, TEMPLATE
from tests.conftest import REPO_ROOT

TOOLS = {"get_strategy_guide", "create_strategy", "run_backtest", "promote_strategy"}


def _with_server(log: Path, talk: Callable[[Any], Awaitable[Any]]) -> Any:
    """Start the server with this process's environment (the fixtures' data and production folders), run
    ``talk(session)`` on an initialized session and stop the server; its stderr goes to ``log``."""
    from mcp import ClientSession, StdioServerParameters, stdio_client

    server = StdioServerParameters(command=sys.executable, args=["-m", "research_env", "mcp"],
                                   env=dict(os.environ), cwd=REPO_ROOT)

    async def run() -> Any:
        with log.open("w") as errlog:
            async with stdio_client(server, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await talk(session)

    return anyio.run(run)


def _text(result) -> str:
    return "\n".join(block.text for block in result.content)


def test_the_server_lists_the_four_tools_and_answers_bad_input_with_tool_errors(ai_home, tmp_path):
    async def talk(session):
        listed = (await session.list_tools()).tools
        bad_name = await session.call_tool("create_strategy", {"user_id": "ann", "name": "../x", "source": "x"})
        unknown = await session.call_tool("promote_strategy", {"strategy_id": 42})
        guide = await session.call_tool("get_strategy_guide", {})
        return listed, bad_name, unknown, guide

    listed, bad_name, unknown, guide = _with_server(tmp_path / "server.log", talk)

    assert {tool.name for tool in listed} == TOOLS
    assert all(tool.description for tool in listed)
    create = next(tool for tool in listed if tool.name == "create_strategy")
    assert create.input_schema["required"] == ["user_id", "name", "source"]
    assert bad_name.is_error and "name" in _text(bad_name) and "pattern" in _text(bad_name)
    assert unknown.is_error and "no AI strategy has `strategy_id` 42" in _text(unknown)
    assert not guide.is_error and guide.structured_content["template"] == TEMPLATE  # still serving
    assert not (ai_home.data / "ai_strategies").exists()


def test_a_strategy_goes_from_create_to_backtest_to_promote_over_stdio(ai_home, tmp_path):
    async def talk(session):
        created = await session.call_tool("create_strategy", {"user_id": "ann", "name": "sma_cross",
                                                              "source": TEMPLATE})
        strategy_id = created.structured_content["strategy_id"]
        early = await session.call_tool("promote_strategy", {"strategy_id": strategy_id})
        ran = await session.call_tool("run_backtest", {"strategy_id": strategy_id, **RUN})
        promoted = await session.call_tool("promote_strategy", {"strategy_id": strategy_id})
        return created, early, ran, promoted

    created, early, ran, promoted = _with_server(tmp_path / "server.log", talk)

    log = (tmp_path / "server.log").read_text()
    assert not created.is_error and created.structured_content["status"] == "draft", log
    assert early.is_error and "is a draft: backtest it first" in _text(early)
    assert not ran.is_error, _text(ran) + log
    assert (ran.structured_content["status"], ran.structured_content["data_sources"]) == ("tested", {"SPY": "local"})
    assert ran.structured_content["metrics"]["total_trades"] > 0
    target = ai_home.production / "sma_cross.py"
    assert not promoted.is_error, _text(promoted) + log
    assert promoted.structured_content == {**promoted.structured_content, "status": "promoted", "path": str(target)}
    assert target.read_text() == TEMPLATE
