"""The assistant door: AI-written strategies from validation to production (guide section 15).

``tools`` holds the lifecycle as plain functions (``get_strategy_guide``, ``create_strategy``,
``run_backtest``, ``promote_strategy``, ``list_strategies``, ``get_strategy``); ``mcp_server`` serves the first
four over the Model Context Protocol (``research-env mcp``) and loads the MCP SDK only when imported.
"""

from ._errors import AssistantError
from ._store import MAX_RESULTS
from .tools import (
    create_strategy,
    get_strategy,
    get_strategy_guide,
    list_strategies,
    promote_strategy,
    run_backtest,
)

__all__ = [
    "MAX_RESULTS",
    "AssistantError",
    "create_strategy",
    "get_strategy",
    "get_strategy_guide",
    "list_strategies",
    "promote_strategy",
    "run_backtest",
]
