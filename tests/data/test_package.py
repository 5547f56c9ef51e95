"""The public surface of research_env.data and its import cost."""

import subprocess
import sys

import research_env.data as data

PUBLIC = {
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
}


def test_all_lists_the_public_api():
    assert set(data.__all__) == PUBLIC
    assert all(hasattr(data, name) for name in data.__all__)


def test_bar_data_error_is_a_value_error():
    assert issubclass(data.BarDataError, ValueError)


def test_importing_the_package_loads_neither_calendars_nor_parquet_nor_database_or_s3_clients():
    code = (
        "import sys, research_env.data; print(sorted(m for m in ('exchange_calendars', 'pyarrow.parquet', "
        "'sqlalchemy', 'alembic', 'psycopg', 'boto3', 'botocore') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
