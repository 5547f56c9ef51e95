"""The ``research-env`` command: a thin door onto the same API as the notebook magics."""

from __future__ import annotations

import argparse
import sys
import warnings

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="research-env", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    bt = commands.add_parser("backtest", help="backtest a strategy file or name and print its report")
    bt.add_argument("strategy", help="path to a strategy .py file, or the name of a known strategy")
    bt.add_argument("--symbols", help="comma-separated tickers, e.g. AAPL,MSFT (default: the strategy's own)")
    bt.add_argument("--start", help="first session date, e.g. 2023-01-01 (default: a year before --end)")
    bt.add_argument("--end", help="end date, exclusive (default: today)")
    bt.add_argument("--timeframe", help="1m, 5m, 15m, 30m, 1h or 1d (default: the strategy's timeframe)")
    bt.add_argument("--cash", type=float, default=100_000.0, help="initial cash (default 100000)")
    bt.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="override a strategy parameter; repeat for several")
    bt.add_argument("--data", help="bar store folder (default: $RESEARCH_ENV_DATA or the checkout's data/)")
    bt.add_argument("--json", action="store_true", help="print the result as JSON instead of the text report")

    data = commands.add_parser("data", help="manage the local bar store")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    imp = data_commands.add_parser("import", help="import CSV/Parquet/Lean/Polygon files into the store")
    imp.add_argument("paths", nargs="+", help="files to import")
    imp.add_argument("--symbol", help="ticker, when the file name does not say it")
    imp.add_argument("--timeframe", help="bar length, when it cannot be inferred")
    imp.add_argument("--tz", help="time zone of naive timestamps (default America/New_York)")
    imp.add_argument("--convention", choices=["start", "end"], default="start",
                     help="whether timestamps label the bar start (default) or end")
    imp.add_argument("--format", dest="fmt", default="auto", choices=["auto", "csv", "parquet", "lean", "polygon"])
    imp.add_argument("--map", action="append", default=[], metavar="SOURCE=TARGET",
                     help="column mapping, e.g. --map Last=close; repeat for several")
    imp.add_argument("--extended-hours", action="store_true", help="keep pre- and post-market bars")
    imp.add_argument("--adjust", action="store_true", help="apply Lean factor files (splits and dividends)")
    imp.add_argument("--data", help="bar store folder")
    lst = data_commands.add_parser("list", help="show what the store holds")
    lst.add_argument("--data", help="bar store folder")
    demo = data_commands.add_parser("demo", help="write synthetic demo bars into the store (labelled 'demo')")
    demo.add_argument("symbols", help="comma-separated tickers")
    demo.add_argument("--timeframe", default="1d")
    demo.add_argument("--start", required=True)
    demo.add_argument("--end", required=True)
    demo.add_argument("--data", help="bar store folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    from .data import BarDataError
    from .engine.loop import StrategyError
    from .strategy.loader import StrategyLoadError
    from .strategy.params import ParameterError

    try:
        if args.command == "backtest":
            return _backtest(args)
        return _data(args)
    except (BarDataError, ParameterError, StrategyLoadError, ValueError) as e:
        print(f"research-env: error: {e}", file=sys.stderr)
        return 2
    except StrategyError as e:
        import traceback

        traceback.print_exception(e.__cause__, file=sys.stderr)
        print(f"research-env: error: {e}", file=sys.stderr)
        return 1


def _backtest(args) -> int:
    from .api import backtest

    params = dict(_pair(p, "--param") for p in args.param)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = backtest(args.strategy, symbols=args.symbols, start=args.start, end=args.end,
                          timeframe=args.timeframe, initial_cash=args.cash, params=params, data=args.data)
    result.warnings.extend(dict.fromkeys(str(w.message) for w in caught))
    print(result.to_json(indent=2) if args.json else result.report())
    return 0


def _data(args) -> int:
    from .data import BarStore, demo_bars, import_bars

    store = BarStore(args.data) if args.data else BarStore()
    if args.data_command == "import":
        columns = dict(_pair(m, "--map") for m in args.map) or None
        summary = import_bars(args.paths, store=store, symbol=args.symbol, timeframe=args.timeframe, tz=args.tz,
                              convention=args.convention, fmt=args.fmt, columns=columns,
                              regular_hours=not args.extended_hours, adjust=args.adjust)
        print(summary.to_string(index=False))
        print(f"stored in {store.root}")
    elif args.data_command == "list":
        coverage = store.coverage()
        print(coverage.to_string(index=False) if len(coverage) else f"the store at {store.root} is empty")
    else:
        for symbol in [s.strip().upper() for s in args.symbols.split(",") if s.strip()]:
            frame = demo_bars(symbol, args.timeframe, args.start, args.end)
            store.write(symbol, args.timeframe, frame, source="demo")
            print(f"{symbol}: {len(frame)} synthetic {args.timeframe} bars written to {store.root}")
    return 0


def _pair(text: str, option: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ValueError(f"{option} expects NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


if __name__ == "__main__":
    sys.exit(main())
