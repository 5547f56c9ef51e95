"""``research-env ai guide|create|backtest|promote|list|show`` (AI strategies, guide section 15) and
``research-env mcp`` (the same tools for an AI assistant, over MCP on stdin/stdout)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ._run_options import add_demo_options

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``ai`` subcommand with its own subcommands, and ``mcp``."""
    ai = commands.add_parser("ai", help="validate, backtest and promote AI-written strategies")
    steps = ai.add_subparsers(dest="ai_command", required=True)

    guide = steps.add_parser("guide", help="print the strategy guide the assistant reads (markdown)")
    guide.add_argument("--template", action="store_true", help="print only the template strategy (Python)")
    guide.set_defaults(handler=_guide)

    create = steps.add_parser("create", help="validate a strategy file and save it as a draft")
    create.add_argument("file", help="the strategy's .py file")
    create.add_argument("--user", required=True, help="who owns it, e.g. ann")
    create.add_argument("--name", required=True, help="strategy name, snake_case (it becomes <name>.py)")
    _add_json(create)
    create.set_defaults(handler=_create)

    backtest = steps.add_parser("backtest", help="backtest a saved strategy in the sandbox and store the result")
    backtest.add_argument("strategy_id", type=int, help="the id `ai create` printed")
    backtest.add_argument("--symbols", help="comma-separated tickers, e.g. SPY,QQQ (default: the strategy's own)")
    backtest.add_argument("--start", help="first session date, e.g. 2023-01-01 (default: a year before --end)")
    backtest.add_argument("--end", help="end date, exclusive (default: today)")
    backtest.add_argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's own, else 1d)")
    backtest.add_argument("--cash", type=float, default=None, help="initial cash (default: 100000)")
    backtest.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                          help="override a strategy parameter; repeat for several")
    add_demo_options(backtest)
    _add_json(backtest)
    backtest.set_defaults(handler=_backtest)

    promote = steps.add_parser("promote", help="validate a tested strategy again and copy it to production")
    promote.add_argument("strategy_id", type=int, help="the id `ai create` printed")
    _add_json(promote)
    promote.set_defaults(handler=_promote)

    listing = steps.add_parser("list", help="list the saved AI strategies")
    listing.add_argument("--user", help="only this user's strategies")
    _add_json(listing)
    listing.set_defaults(handler=_list)

    show = steps.add_parser("show", help="show one strategy and its stored backtests")
    show.add_argument("strategy_id", type=int, help="the id `ai create` printed")
    _add_json(show)
    show.set_defaults(handler=_show)

    mcp = commands.add_parser("mcp", help="serve the AI-strategy tools to an AI assistant over MCP (stdio)")
    mcp.set_defaults(handler=_mcp)


def _add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the answer as JSON")


def _print_json(answer: dict) -> None:
    print(json.dumps(answer, indent=2, default=str))


def _guide(args) -> int:
    from ..assistant import get_strategy_guide

    guide = get_strategy_guide()
    print(guide["template"] if args.template else guide["guide"], end="")
    return 0


def _create(args) -> int:
    from ..assistant import AssistantError, create_strategy

    path = Path(args.file)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"cannot read the strategy file {path}: {getattr(e, 'strerror', None) or e}") from e
    answer = create_strategy(args.user, args.name, source)
    if args.json:
        _print_json(answer)
    elif answer["ok"]:
        print(f"strategy {answer['strategy_id']} `{answer['name']}` ({answer['class_name']}): {answer['status']}")
        print(f"saved: {answer['path']}")
    else:
        print(answer["report"])
        print("refused: nothing saved; fix the problems above and run `research-env ai create` again")
    return 0 if answer["ok"] else 2


def _backtest(args) -> int:
    from ..assistant import run_backtest
    from ..engine.result import format_metric
    from ..strategy.params import parse_pairs

    answer = run_backtest(args.strategy_id, args.symbols, args.start, args.end, args.timeframe, args.cash,
                          parse_pairs(args.param, "--param") or None, allow_demo=args.allow_demo)
    if args.json:
        _print_json(answer)
        return 0
    if answer["synthetic"]:
        print("!! SYNTHETIC DATA: demo bars, not market data !!")
    print(f"strategy {answer['strategy_id']}: {answer['status']}, result {answer['result_id']} stored")
    print(f"{', '.join(answer['symbols'])} {answer['timeframe']} from {answer['start'][:10]} to "
          f"{answer['end'][:10]}; data: {', '.join(f'{s}={src}' for s, src in answer['data_sources'].items())}")
    print(f"trades: {answer['trade_count']}")
    for key, value in answer["metrics"].items():
        if value is not None:
            print(f"  {key}: {format_metric(key, value)}")
    for warning in answer["warnings"]:
        print(f"warning: {warning}")
    return 0


def _promote(args) -> int:
    from ..assistant import promote_strategy

    answer = promote_strategy(args.strategy_id)
    if args.json:
        _print_json(answer)
    else:
        print(f"strategy {answer['strategy_id']} `{answer['name']}`: promoted to {answer['path']}")
    return 0


def _list(args) -> int:
    from ..assistant import list_strategies

    answer = list_strategies(args.user)
    if args.json:
        _print_json(answer)
    elif not answer["strategies"]:
        print("no AI strategies yet: `research-env ai create --user USER --name NAME FILE` saves one")
    else:
        for row in answer["strategies"]:
            print(f"{row['strategy_id']:>4}  {row['user_id']}/{row['name']}  {row['status']:<8}  "
                  f"updated {row['updated_at'][:19]}")
    return 0


def _show(args) -> int:
    from ..assistant import get_strategy
    from ..engine.result import format_metric

    answer = get_strategy(args.strategy_id)
    if args.json:
        _print_json(answer)
        return 0
    print(f"strategy {answer['strategy_id']} `{answer['user_id']}/{answer['name']}`: {answer['status']}")
    print(f"source: {answer['path']}")
    if answer["promoted_path"]:
        print(f"promoted to: {answer['promoted_path']}")
    for result in answer["results"]:
        metrics = result["metrics"] or {}
        print(f"  result {result['result_id']} ({result['created_at'][:19]}): trades {result['trade_count']}, "
              f"total return {format_metric('total_return', metrics.get('total_return'))}, "
              f"sharpe {format_metric('sharpe_ratio', metrics.get('sharpe_ratio'))}")
    return 0


def _mcp(args) -> int:
    from ..assistant.mcp_server import main

    main()
    return 0
