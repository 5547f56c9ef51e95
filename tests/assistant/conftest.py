"""Shared builders of the assistant tests: a data folder holding the real SPY daily bars, a production
strategies folder, the guide's template strategy."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from research_env.assistant import get_strategy_guide

#: The guide's template: a moving-average crossover that passes the validation.
TEMPLATE = get_strategy_guide()["template"]
#: Two years of SPY daily bars: the template trades a few times in them.
RUN = {"symbols": ["SPY"], "start": "2022-01-03", "end": "2024-01-01", "timeframe": "1d"}


class AiHome(NamedTuple):
    """Where one test's AI strategies live: the data folder (``$RESEARCH_ENV_DATA``) and the production folder
    (``$RESEARCH_ENV_STRATEGIES``)."""

    data: Path
    production: Path


@pytest.fixture(scope="session")
def spy_store(shared_data, tmp_path_factory) -> Path:
    """A bar store with the real SPY daily bars of ``../shared/data``, built once."""
    from research_env.data import BarStore, import_bars

    root = tmp_path_factory.mktemp("spy_store")
    import_bars(shared_data / "bars" / "1d" / "SPY.csv", store=BarStore(root))
    return root


@pytest.fixture()
def ai_home(spy_store, data_dir, tmp_path, monkeypatch) -> AiHome:
    """A copy of ``spy_store`` as the data folder (its SQLite file is the project database) and an empty
    production folder."""
    monkeypatch.delenv("RESEARCH_ENV_PG_DSN", raising=False)
    shutil.copytree(spy_store, data_dir, dirs_exist_ok=True)
    production = tmp_path / "production"
    monkeypatch.setenv("RESEARCH_ENV_STRATEGIES", str(production))
    return AiHome(data_dir, production)
