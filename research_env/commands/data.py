"""``research-env data import|list|demo``: manage the local bar store."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``data`` subcommand and its own subcommands."""
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
    imp.set_defaults(handler=_import)
    lst = data_commands.add_parser("list", help="show what the store holds")
    lst.add_argument("--data", help="bar store folder")
    lst.set_defaults(handler=_list)
    demo = data_commands.add_parser("demo", help="write synthetic demo bars into the store (labelled 'demo')")
    demo.add_argument("symbols", help="comma-separated tickers")
    demo.add_argument("--timeframe", default="1d")
    demo.add_argument("--start", required=True)
    demo.add_argument("--end", required=True)
    demo.add_argument("--data", help="bar store folder")
    demo.set_defaults(handler=_demo)


def _store(args):
    from ..data import BarStore

    return BarStore(args.data) if args.data else BarStore()


def _import(args) -> int:
    from ..data import import_bars
    from ..strategy.params import parse_pairs

    store = _store(args)
    summary = import_bars(args.paths, store=store, symbol=args.symbol, timeframe=args.timeframe, tz=args.tz,
                          convention=args.convention, fmt=args.fmt, columns=parse_pairs(args.map, "--map") or None,
                          regular_hours=not args.extended_hours, adjust=args.adjust)
    print(summary.to_string(index=False))
    print(f"stored in {store.root}")
    return 0


def _list(args) -> int:
    store = _store(args)
    coverage = store.coverage()
    print(coverage.to_string(index=False) if len(coverage) else f"the store at {store.root} is empty")
    return 0


def _demo(args) -> int:
    from ..data import demo_bars
    from ..run_spec import parse_symbols

    store = _store(args)
    for symbol in parse_symbols(args.symbols):
        frame = demo_bars(symbol, args.timeframe, args.start, args.end)
        store.write(symbol, args.timeframe, frame, source="demo")
        print(f"{symbol}: {len(frame)} synthetic {args.timeframe} bars written to {store.root}")
    return 0
