"""Shared fixtures: where the real market data of ``../shared/data`` lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Real servers for the data sources, started once per session by the tests that need them.
pytest_plugins = ["tests.fixtures_postgres", "tests.fixtures_s3"]

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RESEARCH_ENV_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder; tests that need it skip with the reason when it is absent."""
    if not (SHARED_DATA / "bars").is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA} (set RESEARCH_ENV_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture()
def data_dir(tmp_path, monkeypatch) -> Path:
    """An empty bar store for one test, also set as ``$RESEARCH_ENV_DATA``."""
    root = tmp_path / "store"
    root.mkdir()
    monkeypatch.setenv("RESEARCH_ENV_DATA", str(root))
    return root


@pytest.fixture(scope="session")
def real_store(shared_data, tmp_path_factory) -> Path:
    """A bar store holding every clean real bar file of ``../shared/data/bars`` (1d, 5m, 1m)."""
    from research_env.data import BarStore, import_bars

    root = tmp_path_factory.mktemp("real_store")
    files = sorted((shared_data / "bars").glob("*/*.csv"))
    for timeframe in ("1d", "5m", "1m"):
        import_bars([f for f in files if f.parent.name == timeframe], store=BarStore(root), timeframe=timeframe)
    return root
