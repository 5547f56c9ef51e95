"""``read_bar_file``: one bar file (CSV, Parquet, Lean zip, Polygon flat file) to bar frames."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ._calendar import ny_dates
from ._dates import NEW_YORK
from ._errors import BarDataError
from ._frame import BAR_COLUMNS, check_arrays
from ._lean import looks_like_lean, open_lean_zip
from ._raw import Raw, raw_from_lean, raw_from_table
from ._resample import timeframe_of_spacing
from ._stamps import close_stamps
from ._symbols import infer_symbol, normalize_symbol
from ._tables import first_line, header_names, read_csv_table, read_parquet_table
from ._timeframes import check_timeframe
from ._warn import warn

__all__ = ["read_bar_file", "read_bars"]

FORMATS = ("auto", "csv", "parquet", "lean", "polygon")
_POLYGON = ("ticker", "volume", "open", "close", "high", "low", "window_start")


def _check_options(path, symbol, timeframe, columns, tz, convention, fmt) -> tuple:
    path = Path(path)
    if not path.is_file():
        raise BarDataError(f"`{path}` does not exist or is not a file")
    if convention not in ("start", "end"):
        raise BarDataError(f"`convention`={convention!r}; use 'start' (stamps are bar starts) or 'end'")
    if fmt not in FORMATS:
        raise BarDataError(f"`fmt`={fmt!r}; use one of {', '.join(FORMATS)}")
    if columns is not None and not isinstance(columns, Mapping):
        raise BarDataError("`columns` must be a dict mapping source column names to bar fields")
    tz = NEW_YORK if tz is None else tz
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except (KeyError, ValueError, TypeError) as e:
        raise BarDataError(f"`tz`={tz!r} is not a time zone; use e.g. 'America/New_York' or 'UTC'") from e
    symbol = None if symbol is None else normalize_symbol(symbol)
    timeframe = None if timeframe is None else check_timeframe(timeframe)
    return path, symbol, timeframe, tz


def _not_lean(adjust: bool) -> None:
    if adjust:
        raise BarDataError("`adjust=True` applies only to QuantConnect Lean files (their factor_files)")


def _load(path: Path, fmt: str, columns, tz: str, convention: str, adjust: bool, symbol) -> Raw:
    origin = str(path)
    folder = path.parent.name.lower()
    if fmt == "auto" and folder in ("factor_files", "map_files"):
        raise BarDataError(
            f"`{origin}` is a Lean {folder[:-1].replace('_', ' ')}, not bars; factor files are applied "
            "by reading the data zip with `adjust=True`"
        )
    lower = path.name.lower()
    if fmt == "parquet" or (fmt == "auto" and lower.endswith((".parquet", ".pq"))):
        _not_lean(adjust)
        return raw_from_table(read_parquet_table(path, columns, origin), tz, convention, origin)
    archive = None
    try:
        if lower.endswith(".zip"):
            archive, member = open_lean_zip(path, origin)
            with archive.open(member) as handle:
                header = handle.readline().decode("utf-8-sig", errors="replace")
            open_source = partial(archive.open, member)
        else:
            member, header = None, first_line(path)
            open_source = partial(Path, path)
        if fmt == "lean" or (fmt == "auto" and looks_like_lean(header)):
            if columns:
                raise BarDataError("`columns=` does not apply to Lean files: their layout is fixed")
            return raw_from_lean(open_source(), path, member, origin, adjust, symbol)
        _not_lean(adjust)
        if fmt == "polygon":
            names = {name.strip().lower() for name in header_names(header)}
            missing = [name for name in _POLYGON if name not in names]
            if missing:
                raise BarDataError(f"`{origin}` is not a Polygon flat file: it lacks {missing}")
        return raw_from_table(read_csv_table(open_source, header, columns, origin), tz, convention, origin)
    except zipfile.BadZipFile as e:
        raise BarDataError(f"`{origin}` is not a readable zip file") from e
    finally:
        if archive is not None:
            archive.close()


def _text(raw: Raw, i: int) -> str:
    return f"'{str(raw.texts[i]).strip()}'"


def _in_order(raw: Raw, rows: np.ndarray, symbol: str, origin: str) -> np.ndarray:
    """``rows`` in time order: ascending as is, strictly descending reversed (with a warning)."""
    steps = np.diff(raw.stamps.ns[rows])
    if (steps > 0).all():
        return rows
    if (steps < 0).all():
        warn(f"`{origin}` ({symbol}) is sorted newest first; reversed it")
        return rows[::-1]
    word = raw.row_word
    if (steps == 0).any():
        i = int(np.flatnonzero(steps == 0)[0]) + 1
        a, b = rows[i - 1], rows[i]
        raise BarDataError(
            f"`{origin}` ({symbol}): duplicate timestamp {_text(raw, b)} at {word} {raw.lines[a]} and "
            f"{word} {raw.lines[b]}; keep one row per bar"
        )
    i = int(np.flatnonzero(steps < 0)[0]) + 1
    a, b = rows[i - 1], rows[i]
    raise BarDataError(
        f"`{origin}` ({symbol}): {word} {raw.lines[b]} ({_text(raw, b)}) is earlier than {word} "
        f"{raw.lines[a]} ({_text(raw, a)}) above it; sort the file by time"
    )


def _infer_timeframe(raw: Raw, groups: dict, origin: str) -> str:
    if raw.stamps.dates_only:
        return "1d"
    all_dates = ny_dates(raw.stamps.ns)
    steps = []
    for rows in groups.values():
        stamps, dates = raw.stamps.ns[rows], all_dates[rows]
        steps.append(np.diff(stamps)[dates[1:] == dates[:-1]])
    steps = np.concatenate(steps) if steps else np.empty(0, "int64")
    if len(steps):
        try:
            return timeframe_of_spacing(steps, "timeframe")
        except BarDataError as e:
            raise BarDataError(f"`{origin}`: {e}") from None
    if sum(len(rows) for rows in groups.values()) >= 2:
        return "1d"
    raise BarDataError(f"`{origin}` has a single bar, too few to infer its timeframe; pass `timeframe=`")


def _check_given_timeframe(raw: Raw, groups: dict, origin: str, timeframe: str) -> None:
    """Refuse a ``timeframe`` the stamps contradict (daily vs intraday); warn on other mismatches."""
    if raw.stamps.dates_only and timeframe != "1d":
        raise BarDataError(f"`{origin}` holds dates without times (daily bars) but `timeframe`={timeframe!r}")
    try:
        spacing = _infer_timeframe(raw, groups, origin)
    except BarDataError:
        return
    if spacing == timeframe:
        return
    message = (
        f"`{origin}`: `timeframe`={timeframe!r} but its bars are mostly {spacing} apart; `timeframe` "
        "states the file's bar length (use resample() to change it)"
    )
    if timeframe == "1d":
        raise BarDataError(message)
    warn(message)


def _groups(raw: Raw, symbol: str | None, path: Path, origin: str) -> dict[str, np.ndarray]:
    rows = np.arange(len(raw.lines))
    if raw.symbols is None:
        name = symbol or infer_symbol(path)
        if name is None:
            raise BarDataError(f"cannot tell the symbol of `{origin}` from its name; pass `symbol=`")
        return {name: rows}
    if symbol is not None:
        chosen = rows[raw.symbols == symbol]
        if not len(chosen):
            have = sorted(set(raw.symbols.tolist()))
            raise BarDataError(f"`{origin}` has no rows for {symbol}; it has {have[:10]}")
        return {symbol: chosen}
    codes, names = pd.factorize(raw.symbols)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
    return {normalize_symbol(name): order[bounds[k] : bounds[k + 1]] for k, name in enumerate(names)}


def read_bars(
    path,
    *,
    symbol=None,
    timeframe=None,
    columns=None,
    tz=None,
    convention="start",
    fmt="auto",
    regular_hours=True,
    adjust=False,
) -> tuple[dict[str, pd.DataFrame], str]:
    """``read_bar_file`` that also returns the timeframe of the bars."""
    path, symbol, timeframe, tz = _check_options(path, symbol, timeframe, columns, tz, convention, fmt)
    origin = str(path)
    if adjust and symbol is None:
        symbol = infer_symbol(path)
    raw = _load(path, fmt, columns, tz, convention, adjust, symbol)
    groups = {
        name: _in_order(raw, rows, name, origin) for name, rows in _groups(raw, symbol, path, origin).items()
    }
    if timeframe is None:
        timeframe = _infer_timeframe(raw, groups, origin)
    else:
        _check_given_timeframe(raw, groups, origin, timeframe)
    closes, on_session_day, in_session = close_stamps(raw.stamps, timeframe, raw.convention)
    daily = timeframe == "1d"
    keep = in_session if (regular_hours or daily) else np.ones(len(closes), bool)
    if not keep.all():
        dropped = np.flatnonzero(~keep)
        if daily:
            warn(
                f"`{origin}`: dropped {len(dropped)} daily bar(s) on days without an NYSE session, "
                f"first at {raw.row_word} {raw.lines[dropped[0]]} ({_text(raw, dropped[0])})"
            )
        else:
            warn(
                f"`{origin}`: dropped {len(dropped)} bar(s) outside regular sessions (09:30-16:00 New York, "
                "13:00 on early-close days); pass regular_hours=False to keep them"
            )
    frames = {}
    for name, rows in groups.items():
        rows = rows[keep[rows]]
        if not len(rows):
            continue
        values = (raw.values[field][rows] for field in BAR_COLUMNS)
        frame = check_arrays(
            closes[rows], *values, symbol=name, origin=origin, rows=raw.lines[rows], row_word=raw.row_word
        )
        frame.attrs.update(symbol=name, timeframe=timeframe)
        frames[name] = frame
    if not frames:
        raise BarDataError(f"`{origin}` has no bars left in regular sessions; pass regular_hours=False")
    return frames, timeframe


def read_bar_file(
    path,
    *,
    symbol: str | None = None,
    timeframe: str | None = None,
    columns: Mapping[str, str | None] | None = None,
    tz: str | None = None,
    convention: str = "start",
    fmt: str = "auto",
    regular_hours: bool = True,
    adjust: bool = False,
) -> dict[str, pd.DataFrame]:
    """Read a bar file into ``{symbol: bar frame}`` (see ``docs/data.md`` for every option).

    Formats: CSV (any column order, case-insensitive names), Parquet, QuantConnect Lean zips
    and Polygon flat files (one frame per ticker). Naive stamps are read in ``tz`` (New York
    by default); ``convention`` says whether stamps are bar starts or ends; date-only stamps
    are daily bars. ``regular_hours`` drops pre/post-market bars; ``adjust`` applies Lean
    factor files. The timeframe is inferred from the spacing when not given.
    """
    frames, _ = read_bars(
        path,
        symbol=symbol,
        timeframe=timeframe,
        columns=columns,
        tz=tz,
        convention=convention,
        fmt=fmt,
        regular_hours=regular_hours,
        adjust=adjust,
    )
    return frames
