"""The data layer: bar frames, the NYSE calendar, importers, the bar sources (PostgreSQL, S3 flat files, the
local store, demo bars) and their fallback chain.

A bar frame has float64 columns ``open, high, low, close, volume`` and a UTC
``DatetimeIndex`` named ``timestamp`` holding each bar's close time. See ``docs/data.md``.
"""

from ._calendar import session_dates, sessions
from ._demo import demo_bars
from ._errors import BarDataError, BarDataWarning, BarImportError, SourceUnavailableError
from ._frame import validate_bars
from ._gaps import SessionGap
from ._import import import_bars
from ._load import BarData, load_bars
from ._origin import DataOrigin
from ._read import read_bar_file
from ._resample import resample
from ._store import BarStore, MergeReport, RepairAction, default_data_dir
from ._symbols import normalize_symbol
from ._timeframes import TIMEFRAMES, check_timeframe, timeframe_delta
from .sources import PostgresBars, S3FlatFiles, clear_cache, data_sources

__all__ = [
    "TIMEFRAMES",
    "BarData",
    "BarDataError",
    "BarDataWarning",
    "BarImportError",
    "BarStore",
    "DataOrigin",
    "MergeReport",
    "PostgresBars",
    "RepairAction",
    "S3FlatFiles",
    "SessionGap",
    "SourceUnavailableError",
    "check_timeframe",
    "clear_cache",
    "data_sources",
    "default_data_dir",
    "demo_bars",
    "import_bars",
    "load_bars",
    "normalize_symbol",
    "read_bar_file",
    "resample",
    "session_dates",
    "sessions",
    "timeframe_delta",
    "validate_bars",
]
