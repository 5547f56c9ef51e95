"""Fixtures of the notebook tests: a real IPython shell with the extension, a demo-only bar store."""

from __future__ import annotations

import itertools

import pytest
from IPython.core.interactiveshell import InteractiveShell

_names = itertools.count(1)


@pytest.fixture(scope="session")
def shell() -> InteractiveShell:
    """The process's ``InteractiveShell`` with ``%load_ext research_env`` done."""
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "research_env")
    ip.run_line_magic("colors", "nocolor")
    return ip


@pytest.fixture()
def ip(shell, data_dir):
    """The shell, on an empty bar store (so every backtest runs on synthetic demo bars)."""
    yield shell


@pytest.fixture()
def unique():
    """A fresh suffix for strategy names, so tests never see each other's registrations."""
    return f"t{next(_names)}"

