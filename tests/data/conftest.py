"""Fixtures of the data-layer tests: where the raw files live."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def raw(shared_data: Path) -> Path:
    """``shared/data/raw``."""
    return shared_data / "raw"


@pytest.fixture(scope="session")
def lean(raw: Path) -> Path:
    """The Lean equity tree ``quantconnect-lean/Data/equity/usa``."""
    return raw / "quantconnect-lean" / "Data" / "equity" / "usa"
