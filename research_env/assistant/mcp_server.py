"""The AI-strategy tools over the Model Context Protocol, stdio transport: ``research-env mcp``.

Four tools, as the guide's "How It Works" lists them: ``get_strategy_guide``, ``create_strategy``,
``run_backtest``, ``promote_strategy``. The SDK checks each call's arguments against the tool's pydantic model;
an error the caller can fix (research-env's ``InputError``, or a ``StrategyError`` of the strategy's own code)
comes back as a tool error carrying the message, so the model can correct itself and the server carries on.
Importing this module loads the MCP SDK; ``build_server`` creates the server, ``main`` serves it.
"""

import contextlib
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from ..data import TIMEFRAMES
from ..errors import ResearchEnvError
from . import tools
from ._names import NAME_PATTERN, USER_ID_PATTERN

__all__ = ["build_server", "main"]

INSTRUCTIONS = """\
Write, validate, backtest and promote trading strategies for research-env.
1. Call get_strategy_guide to load the template and the StrategyBase and indicator API reference.
2. Write one StrategyBase subclass and call create_strategy: it is validated and saved as a draft
   (or refused with the problems, line by line, and nothing saved).
3. Call run_backtest with the strategy_id it returned; read the metrics, trade count and data sources.
4. Iterate: change params, or the code (create_strategy again with the same name keeps the id).
5. When the user is satisfied, call promote_strategy: it re-validates and copies the strategy to production.
"""

StrategyId = Annotated[int, Field(ge=1, description="the strategy_id create_strategy returned")]


@contextlib.contextmanager
def _tool_errors() -> Iterator[None]:
    """research-env's errors become tool errors with their message (anything else is the SDK's generic crash)."""
    try:
        yield
    except ResearchEnvError as e:
        raise ToolError(str(e)) from e


def get_strategy_guide() -> dict[str, Any]:
    """Load the strategy guide: the lifecycle, the validation rules, the StrategyBase API (hooks, Bar, Signal,
    OrderSide, OrderType), the indicator reference (self.indicators_for(symbol): sma, ema, rsi, macd, atr, bbands,
    obv, volume_sma), the risk rules and a complete template strategy. Call it before writing a strategy."""
    with _tool_errors():
        return tools.get_strategy_guide()


def create_strategy(
    user_id: Annotated[str, Field(pattern=USER_ID_PATTERN, description="who owns the strategy, e.g. 'ann'")],
    name: Annotated[str, Field(pattern=NAME_PATTERN,
                               description="snake_case strategy name; it becomes the file <name>.py")],
    source: Annotated[str, Field(min_length=1, max_length=tools.MAX_SOURCE_CHARS,
                                 description="the Python source: one StrategyBase subclass, guide imports only")],
) -> dict[str, Any]:
    """Validate a strategy's source (imports, forbidden calls, restricted execution, StrategyBase subclass,
    instantiation with symbols=["TEST"]) and save it as a draft. Returns ok, strategy_id and status, or, when
    refused, ok=false with the validation report (each problem with its line) and nothing saved. The same
    user_id and name again replaces the source, keeps the id and makes it a draft again."""
    with _tool_errors():
        return tools.create_strategy(user_id, name, source)


def run_backtest(
    strategy_id: StrategyId,
    symbols: Annotated[list[Annotated[str, Field(min_length=1, max_length=20)]] | None,
                       Field(min_length=1, description="tickers, e.g. [\"SPY\"] (default: the strategy's own)")] = None,
    start: Annotated[date | None, Field(description="first session, YYYY-MM-DD (default: a year before end)")] = None,
    end: Annotated[date | None, Field(description="end date, exclusive, YYYY-MM-DD (default: today)")] = None,
    timeframe: Annotated[Literal[TIMEFRAMES] | None,
                         Field(description="bar size (default: the strategy's own, else 1d)")] = None,
    initial_cash: Annotated[float | None, Field(gt=0, description="starting cash (default: the strategy's own, "
                                                                  "else 100000)")] = None,
    params: Annotated[dict[str, Any] | None,
                      Field(description="strategy parameters to override, e.g. {\"fast_period\": 5}")] = None,
    allow_demo: Annotated[bool | None, Field(description="true: synthetic demo bars allowed, false: never; "
                                             "default: only while no real bars are stored")] = None,
) -> dict[str, Any]:
    """Backtest a saved strategy in a sandbox on stored market bars and store the result (the 10 newest are
    kept); a draft becomes tested. Returns the metrics (total_return, sharpe_ratio, max_drawdown, win_rate,
    total_trades, ...), trade_count, data_sources (synthetic=true means demo bars, not market data),
    denial_counts of the risk rules, warnings and result_id."""
    with _tool_errors():
        return tools.run_backtest(strategy_id, symbols, start, end, timeframe, initial_cash, params,
                                  allow_demo=allow_demo)


def promote_strategy(strategy_id: StrategyId) -> dict[str, Any]:
    """Promote a tested strategy to production: its saved file is validated again and copied to the production
    strategies folder, where backtests load it by name; status promoted. Refused for a draft (backtest it
    first). Returns the path it was copied to."""
    with _tool_errors():
        return tools.promote_strategy(strategy_id)


def build_server() -> MCPServer:
    """The MCP server of the four AI-strategy tools."""
    server = MCPServer("research-env", instructions=INSTRUCTIONS)
    server.add_tool(get_strategy_guide, annotations=ToolAnnotations(read_only_hint=True))
    server.add_tool(create_strategy, annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True,
                                                                 idempotent_hint=True, open_world_hint=False))
    server.add_tool(run_backtest, annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                                              open_world_hint=False))
    server.add_tool(promote_strategy, annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True,
                                                                  idempotent_hint=True, open_world_hint=False))
    return server


def main() -> None:
    """Serve the tools over stdin/stdout until the client closes them (stray prints go to stderr)."""
    build_server().run("stdio")
