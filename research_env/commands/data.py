"""``research-env data import|list|demo|delete|repair|sources|cache clear``: manage the bar store and sources."""

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
    imp.add_argument("--dry-run", action="store_true",
                     help="read and check the files and say how many stored bars they would replace; write nothing")
    imp.add_argument("--data", help="bar store folder")
    imp.add_argument("--to", choices=["local", "postgres"], default="local",
                     help="where to write: the local store (default) or the PostgreSQL server (one transaction per "
                          "file)")
    imp.add_argument("--dsn", help="PostgreSQL server for --to postgres (default: RESEARCH_ENV_PG_DSN or [pg] dsn)")
    imp.set_defaults(handler=_import)
    lst = data_commands.add_parser("list", help="show what the store holds, its gaps and damaged files")
    lst.add_argument("--data", help="bar store folder")
    lst.set_defaults(handler=_list)
    demo = data_commands.add_parser("demo", help="write synthetic demo bars into the store (labelled 'demo')")
    demo.add_argument("symbols", help="comma-separated tickers")
    demo.add_argument("--timeframe", default="1d")
    demo.add_argument("--start", required=True)
    demo.add_argument("--end", required=True)
    demo.add_argument("--data", help="bar store folder")
    demo.set_defaults(handler=_demo)
    delete = data_commands.add_parser("delete", help="delete stored bars of a symbol (one timeframe, one year)")
    delete.add_argument("symbol", help="the ticker")
    delete.add_argument("--timeframe", help="only this timeframe (default: all)")
    delete.add_argument("--year", type=int, help="only this year's file (default: all years)")
    delete.add_argument("--data", help="bar store folder")
    delete.set_defaults(handler=_delete)
    repair = data_commands.add_parser(
        "repair", help="remove unfinished writes, label old files, move damaged or misplaced files aside")
    repair.add_argument("--data", help="bar store folder")
    repair.set_defaults(handler=_repair)
    sources = data_commands.add_parser(
        "sources", help="show the bar-source chain in order, which sources are reachable and what each holds")
    sources.add_argument("--symbol", help="say what each source holds of this ticker")
    sources.add_argument("--data", help="bar store folder")
    sources.set_defaults(handler=_sources)
    cache = data_commands.add_parser("cache", help="the local cache of bars fetched from S3 flat files")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True)
    clear = cache_commands.add_parser("clear", help="delete cached S3 bars (imported bars are never touched)")
    clear.add_argument("--symbol", help="only this ticker's cached bars")
    clear.add_argument("--data", help="bar store folder")
    clear.set_defaults(handler=_cache_clear)


def _store(args, *, must_exist: bool = False):
    """The store of ``--data`` (default: ``BarStore()``); reading commands need it to exist, writing ones
    create it, but never over a file."""
    from pathlib import Path

    from ..data import BarStore

    if not args.data:
        return BarStore()
    if must_exist or (Path(args.data).expanduser().exists() and not Path(args.data).expanduser().is_dir()):
        return BarStore.existing(args.data)
    return BarStore(args.data)


def _target(args):
    """The store ``import`` writes to: the local one, or the PostgreSQL server of ``--dsn`` or the settings."""
    from ..data import PostgresBars
    from ..errors import InputError

    if args.dsn and args.to != "postgres":
        raise InputError("`--dsn` names a PostgreSQL server for `--to postgres`; add `--to postgres` or drop --dsn")
    if args.to == "local":
        return _store(args)
    table = PostgresBars(args.dsn) if args.dsn else PostgresBars.from_settings()
    if table is None:
        raise InputError("`--to postgres` needs a server: pass `--dsn postgresql://USER@HOST:PORT/DB`, or set "
                         "RESEARCH_ENV_PG_DSN (or `[pg] dsn` in research-env.toml)")
    table.check()
    return table


def _import(args) -> int:
    from ..data import BarImportError, import_bars
    from ..strategy.params import parse_pairs

    store = _target(args)
    try:
        summary = import_bars(args.paths, store=store, symbol=args.symbol, timeframe=args.timeframe, tz=args.tz,
                              convention=args.convention, fmt=args.fmt,
                              columns=parse_pairs(args.map, "--map") or None,
                              regular_hours=not args.extended_hours, adjust=args.adjust, dry_run=args.dry_run)
    except BarImportError as e:
        if len(e.stored):
            _print_summary(e.stored, store, args.dry_run)
        raise
    _print_summary(summary, store, args.dry_run)
    return 0


def _print_summary(summary, store, dry_run: bool) -> None:
    print(summary.to_string(index=False))
    verb = "would replace" if dry_run else "replaced"
    for row in summary[summary["replaced"] > 0].itertuples():
        print(f"{row.symbol} {row.timeframe}: {row.file} {verb} {row.replaced} stored bars "
              f"({row.changed} with other values)")
    where = getattr(store, "root", store)
    print(f"dry run: nothing written to {where}" if dry_run else f"stored in {where}")


def _list(args) -> int:
    store = _store(args, must_exist=True)
    coverage = store.coverage(gaps=True)
    if not len(coverage):
        print(f"the store at {store.root} is empty")
        return 0
    print(coverage.drop(columns=["problems", "gaps"]).to_string(index=False))
    gaps = coverage[coverage["missing"] > 0]
    if len(gaps):
        print("\ngaps (NYSE sessions without bars between the first and the last bar):")
        for row in gaps.itertuples():
            print(f"  {row.symbol} {row.timeframe}: {row.gaps}")
    damaged = coverage[coverage["problems"].map(len) > 0]
    if len(damaged):
        print("\nproblems (left out of the rows above; only reads that need these files fail):")
        for row in damaged.itertuples():
            for problem in row.problems:
                print(f"  {row.symbol} {row.timeframe}: {problem}")
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


def _delete(args) -> int:
    store = _store(args, must_exist=True)
    for path in store.delete(args.symbol, args.timeframe, args.year):
        print(f"deleted {path}")
    return 0


def _repair(args) -> int:
    store = _store(args, must_exist=True)
    actions = store.repair()
    for action in actions:
        print(action)
    if not actions:
        print(f"nothing to repair: every file in {store.root} is readable and checked")
    return 0


def _sources(args) -> int:
    from ..data import data_sources

    table = data_sources(args.symbol, store=_store(args))
    table["reachable"] = table["reachable"].map({True: "yes", False: "NO", None: "-"})
    print(table.to_string(index=False))
    return 0


def _cache_clear(args) -> int:
    from ..data import clear_cache

    deleted = clear_cache(args.symbol, store=_store(args))
    for path in deleted:
        print(f"deleted {path}")
    what = f"{args.symbol} bars" if args.symbol else "bars"
    print(f"cleared {len(deleted)} cached file(s) of S3 {what}" if deleted else f"no cached S3 {what} to clear")
    return 0
