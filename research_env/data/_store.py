"""``BarStore``: a local Parquet store, ``<root>/bars/<timeframe>/<SYMBOL>/<year>.parquet``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._calendar import session_dates
from ._dates import date_bounds, to_ny_date
from ._errors import BarDataError
from ._frame import BAR_COLUMNS, check_bars, empty_bars, make_bars
from ._resample import infer_timeframe
from ._symbols import normalize_symbol
from ._timeframes import TIMEFRAMES, check_timeframe

__all__ = ["BarStore", "default_data_dir"]

_SOURCE = b"research_env.source"
_FIRST = b"research_env.first"
_LAST = b"research_env.last"
_JOIN = " + "


def default_data_dir() -> Path:
    """``$RESEARCH_ENV_DATA``, else the checkout's ``data/`` folder, else ``~/.research-env/data``."""
    configured = os.environ.get("RESEARCH_ENV_DATA")
    if configured:
        return Path(configured).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "data"
    return Path.home() / ".research-env" / "data"


def _join_labels(labels) -> str:
    parts: list[str] = []
    for label in labels:
        for part in label.split(_JOIN):
            if part not in parts:
                parts.append(part)
    return _JOIN.join(parts)


def _year_of(path: Path) -> int | None:
    return int(path.stem) if path.suffix == ".parquet" and path.stem.isdigit() else None


class BarStore:
    """Bars per symbol and timeframe in yearly Parquet files (years of New York session dates).

    Each file carries its data source label in the Parquet key-value metadata.
    """

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_data_dir()

    def __repr__(self) -> str:
        return f"BarStore({str(self.root)!r})"

    def _folder(self, symbol: str, timeframe: str) -> Path:
        return self.root / "bars" / timeframe / symbol

    def _files(self, symbol: str, timeframe: str) -> list[tuple[int, Path]]:
        folder = self._folder(symbol, timeframe)
        if not folder.is_dir():
            return []
        found = ((_year_of(path), path) for path in folder.iterdir())
        return sorted((year, path) for year, path in found if year is not None)

    @staticmethod
    def _read_file(path: Path) -> tuple[pd.DataFrame, dict]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as e:
            raise BarDataError(
                f"store file `{path}` cannot be read ({e}); delete it and import that year again"
            ) from e
        frame = table.to_pandas()
        if not isinstance(frame.index, pd.DatetimeIndex) or any(name not in frame for name in BAR_COLUMNS):
            raise BarDataError(f"`{path}` was not written by BarStore; move it out of the store")
        stamps = frame.index.tz_convert("UTC").as_unit("ns").asi8
        return make_bars(stamps, *(frame[name].to_numpy() for name in BAR_COLUMNS)), dict(
            table.schema.metadata
        )

    @staticmethod
    def _write_file(path: Path, frame: pd.DataFrame, label: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=True)
        metadata = dict(table.schema.metadata or {})
        metadata.update(
            {
                _SOURCE: label.encode(),
                _FIRST: frame.index[0].isoformat().encode(),
                _LAST: frame.index[-1].isoformat().encode(),
            }
        )
        temporary = path.with_name(path.name + ".tmp")
        pq.write_table(table.replace_schema_metadata(metadata), temporary)
        os.replace(temporary, path)

    def write(self, symbol: str, timeframe: str, frame: pd.DataFrame, source: str) -> int:
        """Validate ``frame`` and merge it into the store (its rows win on equal timestamps).

        ``source`` labels where the bars came from (e.g. ``"file:SPY.csv"``); returns the rows given.
        """
        symbol, timeframe = normalize_symbol(symbol), check_timeframe(timeframe)
        if not isinstance(source, str) or not source.strip():
            raise BarDataError(f"`source`={source!r} must be a label such as 'file:SPY.csv'")
        bars = check_bars(frame, symbol=symbol, origin=f"BarStore.write({symbol!r}, {timeframe!r})")
        if bars.empty:
            return 0
        try:
            looks_like = infer_timeframe(bars.index.asi8)
        except BarDataError:
            looks_like = None
        if looks_like not in (None, timeframe):
            raise BarDataError(
                f"BarStore.write({symbol!r}, {timeframe!r}): the frame's bars are {looks_like} apart; "
                f"write it as {looks_like!r} or resample it first"
            )
        years = session_dates(bars.index).astype("datetime64[Y]").astype("int64") + 1970
        folder = self._folder(symbol, timeframe)
        folder.mkdir(parents=True, exist_ok=True)
        for year in np.unique(years):
            part = bars[years == year]
            path = folder / f"{year}.parquet"
            label = source
            if path.exists():
                old, metadata = self._read_file(path)
                kept = old[~old.index.isin(part.index)]
                if len(kept):
                    label = _join_labels([metadata.get(_SOURCE, b"unknown").decode(), source])
                part = pd.concat([kept, part]).sort_index()
            self._write_file(path, part, label)
        return len(bars)

    def read(self, symbol: str, timeframe: str, start: object = None, end: object = None) -> pd.DataFrame:
        """Bars whose New York session date is in ``[start, end)`` (open-ended when ``None``).

        Opens only the year files that overlap the range; missing data gives an empty frame.
        """
        symbol, timeframe = normalize_symbol(symbol), check_timeframe(timeframe)
        if start is not None and end is not None:
            first, stop = date_bounds(start, end)
        else:
            first = to_ny_date(start, "start") if start is not None else None
            stop = to_ny_date(end, "end") if end is not None else None
        low = -1 if first is None else first.astype("datetime64[Y]").astype(int) + 1970
        high = 10**6 if stop is None else (stop - 1).astype("datetime64[Y]").astype(int) + 1970
        parts = [
            self._read_file(path)[0] for year, path in self._files(symbol, timeframe) if low <= year <= high
        ]
        if not parts:
            return empty_bars()
        bars = pd.concat(parts) if len(parts) > 1 else parts[0]
        dates = session_dates(bars.index)
        keep = np.ones(len(bars), bool)
        if first is not None:
            keep &= dates >= first
        if stop is not None:
            keep &= dates < stop
        return check_bars(bars[keep], symbol=symbol, origin=str(self._folder(symbol, timeframe)))

    def source(self, symbol: str, timeframe: str) -> str | None:
        """The source label of the stored bars (labels of several sources joined by ``' + '``)."""
        files = self._files(normalize_symbol(symbol), check_timeframe(timeframe))
        labels = [self._footer(path)[1][_SOURCE].decode() for _, path in files]
        return _join_labels(labels) if labels else None

    @staticmethod
    def _footer(path: Path) -> tuple[int, dict]:
        """Row count and key-value metadata of a store file, read from its footer only."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            footer = pq.read_metadata(path)
        except (pa.ArrowException, OSError) as e:
            raise BarDataError(
                f"store file `{path}` cannot be read ({e}); delete it and import that year again"
            ) from e
        metadata = footer.metadata or {}
        if not all(key in metadata for key in (_SOURCE, _FIRST, _LAST)):
            raise BarDataError(f"`{path}` was not written by BarStore; move it out of the store")
        return footer.num_rows, metadata

    def coverage(self) -> pd.DataFrame:
        """One row per stored (timeframe, symbol): rows, first and last bar close, source."""
        rows = []
        for timeframe in TIMEFRAMES:
            folder = self.root / "bars" / timeframe
            symbols = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
            for symbol in symbols:
                footers = [self._footer(path) for _, path in self._files(symbol, timeframe)]
                if not footers:
                    continue
                rows.append(
                    {
                        "timeframe": timeframe,
                        "symbol": symbol,
                        "rows": sum(count for count, _ in footers),
                        "first": pd.Timestamp(footers[0][1][_FIRST].decode()),
                        "last": pd.Timestamp(footers[-1][1][_LAST].decode()),
                        "source": _join_labels(metadata[_SOURCE].decode() for _, metadata in footers),
                    }
                )
        return pd.DataFrame(rows, columns=["timeframe", "symbol", "rows", "first", "last", "source"])

    def timeframes(self, symbol: str) -> list[str]:
        """The timeframes stored for ``symbol``, finest first."""
        symbol = normalize_symbol(symbol)
        return [timeframe for timeframe in TIMEFRAMES if self._files(symbol, timeframe)]
