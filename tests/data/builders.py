"""Builders shared by the data-layer tests: independent readers of raw files, tiny frames."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

NEW_YORK = "America/New_York"


def csv_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV with a header, read with the csv module (independent of the code under test)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def lean_rows(path: Path) -> list[list[str]]:
    """Rows of the single CSV inside a Lean zip, read with zipfile + csv."""
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        text = archive.read(name).decode()
    return [row for row in csv.reader(io.StringIO(text)) if row]


def factor_rows(path: Path) -> list[list[str]]:
    """Rows of a header-less Lean factor file, read with the csv module."""
    with path.open(newline="") as handle:
        return [row for row in csv.reader(handle) if row]


def ny(text: str) -> pd.Timestamp:
    """A New York wall time as a UTC Timestamp."""
    return pd.Timestamp(text).tz_localize(NEW_YORK).tz_convert("UTC")


def bars(stamps: list[str], open_, high, low, close, volume=None) -> pd.DataFrame:
    """A bar frame from UTC stamps (naive strings read as UTC) and value lists."""
    index = pd.DatetimeIndex(pd.to_datetime(stamps, utc=True), name="timestamp").as_unit("ns")
    values = volume if volume is not None else [100.0] * len(stamps)
    columns = {"open": open_, "high": high, "low": low, "close": close, "volume": values}
    return pd.DataFrame({name: np.asarray(v, float) for name, v in columns.items()}, index=index)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """Write a small text file under ``tmp_path`` and return its path."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
