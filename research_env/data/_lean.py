"""QuantConnect Lean equity files: header-less zipped CSVs, prices in 1/10000 dollar."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._dates import NEW_YORK
from ._errors import BarDataError

__all__ = [
    "LeanBars",
    "apply_factors",
    "find_factor_file",
    "looks_like_lean",
    "open_lean_zip",
    "read_factor_file",
    "read_lean",
]

_SCALE = 10_000.0
_DATE_TIME = re.compile(r"\d{8} \d\d:\d\d")
_FILE_DATE = re.compile(r"(\d{8})_")
_COLUMNS = ("time", "open", "high", "low", "close", "volume")


class LeanBars(NamedTuple):
    """A Lean file read into arrays: stamps (ns; dates when ``dates_only``), values, line numbers."""

    ns: np.ndarray
    dates_only: bool
    convention: str
    values: dict
    lines: np.ndarray
    bar_dates: np.ndarray
    texts: np.ndarray


def looks_like_lean(first_line: str) -> bool:
    """Whether a first line is a Lean trade row (``YYYYMMDD HH:MM,...`` or ``ms,...``)."""
    fields = first_line.strip().split(",")
    return len(fields) >= 6 and (bool(_DATE_TIME.fullmatch(fields[0])) or fields[0].isdigit())


def _file_date(path: Path, member: str | None) -> np.datetime64 | None:
    for name in (Path(member).name if member else "", path.name):
        match = _FILE_DATE.match(name)
        if match:
            return np.datetime64(f"{match[1][:4]}-{match[1][4:6]}-{match[1][6:]}", "D")
    return None


def read_lean(handle, path: Path, member: str | None, origin: str) -> LeanBars:
    """Read one Lean trade-bar CSV (daily/hour ``YYYYMMDD HH:MM`` rows or minute ms rows)."""
    table = pd.read_csv(handle, header=None, dtype=str, keep_default_na=False)
    if table.shape[1] != len(_COLUMNS):
        raise BarDataError(
            f"`{origin}` has {table.shape[1]} columns; Lean trade bars have 6 "
            "(time, open, high, low, close, volume); quote and option files are not supported"
        )
    table.columns = list(_COLUMNS)
    lines = np.arange(1, len(table) + 1)
    texts = table["time"].to_numpy(dtype=object)
    values = {}
    for name in _COLUMNS[1:]:
        numbers = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype="float64")
        if np.isnan(numbers).any():
            i = int(np.flatnonzero(np.isnan(numbers))[0])
            raise BarDataError(
                f"`{origin}`: {name}={table[name].iloc[i]!r} at line {lines[i]} is not a number"
            )
        values[name] = numbers / _SCALE if name != "volume" else numbers
    first = table["time"].iloc[0] if len(table) else ""
    if _DATE_TIME.fullmatch(first):
        wall = pd.to_datetime(table["time"], format="%Y%m%d %H:%M", errors="coerce")
        if wall.isna().any():
            i = int(np.flatnonzero(wall.isna().to_numpy())[0])
            raise BarDataError(
                f"`{origin}`: time {table['time'].iloc[i]!r} at line {lines[i]} is not YYYYMMDD HH:MM"
            )
        wall = pd.DatetimeIndex(wall).as_unit("ns")
        bar_dates = wall.values.astype("datetime64[D]")
        if (wall == wall.normalize()).all():
            return LeanBars(wall.asi8, True, "end", values, lines, bar_dates, texts)
        # Hour bars are stamped at their start on clock hours; the 09:00 bar covers 09:30-10:00.
        ends = (wall + pd.Timedelta(hours=1)).tz_localize(NEW_YORK).tz_convert("UTC").asi8
        return LeanBars(ends, False, "end", values, lines, bar_dates, texts)
    day = _file_date(path, member)
    if day is None:
        raise BarDataError(
            f"`{origin}` holds Lean minute rows (milliseconds since midnight) but its name carries no "
            "date; keep Lean's name, e.g. 20131011_trade.zip"
        )
    millis = pd.to_numeric(table["time"], errors="coerce")
    if millis.isna().any():
        i = int(np.flatnonzero(millis.isna().to_numpy())[0])
        raise BarDataError(
            f"`{origin}`: time {table['time'].iloc[i]!r} at line {lines[i]} is not milliseconds"
        )
    wall = pd.DatetimeIndex(np.full(len(table), day).astype("datetime64[ns]")) + pd.to_timedelta(
        millis.to_numpy(dtype="int64"), unit="ms"
    )
    starts = wall.tz_localize(NEW_YORK).tz_convert("UTC").as_unit("ns").asi8
    return LeanBars(starts, False, "start", values, lines, np.full(len(table), day), texts)


def find_factor_file(path: Path, symbol: str) -> Path:
    """``factor_files/<symbol>.csv`` in a folder above ``path`` (Lean's ``Data/equity/usa``)."""
    looked = []
    for folder in list(path.resolve().parents)[:4]:
        candidate = folder / "factor_files" / f"{symbol.lower()}.csv"
        if candidate.is_file():
            return candidate
        looked.append(str(candidate.parent))
    raise BarDataError(
        f"`adjust=True` needs the Lean factor file {symbol.lower()}.csv in a factor_files folder "
        f"beside the data tree of `{path}`; looked in {looked}. Pass adjust=False for raw prices"
    )


def read_factor_file(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows of a Lean factor file: (dates datetime64[D], price_factor, split_factor)."""
    table = pd.read_csv(path, header=None, dtype=str, usecols=[0, 1, 2], names=["date", "price", "split"])
    dates = pd.to_datetime(table["date"], format="%Y%m%d", errors="coerce")
    price = pd.to_numeric(table["price"], errors="coerce").to_numpy(dtype="float64")
    split = pd.to_numeric(table["split"], errors="coerce").to_numpy(dtype="float64")
    bad = dates.isna().to_numpy() | np.isnan(price) | np.isnan(split)
    if bad.any():
        raise BarDataError(f"`{path}`: unreadable factor row at line {int(np.flatnonzero(bad)[0]) + 1}")
    days = dates.to_numpy().astype("datetime64[D]")
    if (np.diff(days.astype("int64")) < 0).any():
        raise BarDataError(f"`{path}`: factor rows are not sorted by date")
    return days, price, split


def apply_factors(bars: LeanBars, factor_path: Path) -> LeanBars:
    """Lean's adjustment: the row whose date is the first >= the bar date; price x price_factor x
    split_factor, volume / split_factor (bars after the last row are left as they are)."""
    days, price, split = read_factor_file(factor_path)
    row = np.searchsorted(days, bars.bar_dates, side="left")
    covered = row < len(days)
    row = np.minimum(row, len(days) - 1)
    price_factor = np.where(covered, price[row], 1.0)
    split_factor = np.where(covered, split[row], 1.0)
    values = {
        name: bars.values[name] * price_factor * split_factor for name in ("open", "high", "low", "close")
    }
    values["volume"] = bars.values["volume"] / split_factor
    return bars._replace(values=values)


def open_lean_zip(path: Path, origin: str) -> tuple[zipfile.ZipFile, str]:
    """The zip and the name of its single CSV member."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise BarDataError(f"`{origin}` is not a readable zip file") from e
    members = [name for name in archive.namelist() if not name.endswith("/")]
    if len(members) != 1:
        archive.close()
        raise BarDataError(
            f"`{origin}` holds {len(members)} files {members[:5]}; bar zips must hold exactly one CSV"
        )
    return archive, members[0]
