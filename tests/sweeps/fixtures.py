"""Shared builders of the sweep tests: scripted vectorized strategies, the guide's strategy files, comparisons."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from research_env.strategy.loader import load_strategy, load_strategy_file
from research_env.strategy.vectorized import VectorizedStrategy
from tests.conftest import REPO_ROOT

STRATEGIES = REPO_ROOT / "strategies"


def guide_class(stem: str):
    """The class-based strategy of ``strategies/<stem>.py``."""
    return load_strategy_file(STRATEGIES / f"{stem}.py")


def guide_vectorized(stem: str):
    """The VectorizedStrategy class of ``strategies/<stem>.py``."""
    return load_strategy(STRATEGIES / f"{stem}.py").vectorized_class


class Scripted(VectorizedStrategy):
    """Entries and exits given as ``{(symbol, row): "in" | "out" | "both"}`` (rows of the aligned prices)."""

    name = "scripted"

    def __init__(self, script=None):
        self.script = script or {}

    def generate_signals(self, prices, volumes, **params):
        entries = pd.DataFrame(False, index=prices.index, columns=prices.columns)
        exits = pd.DataFrame(False, index=prices.index, columns=prices.columns)
        for (symbol, row), what in self.script.items():
            if row >= len(prices):  # a history cut short (the look-ahead check) has not reached this row
                continue
            if what in ("in", "both"):
                entries.iloc[row, prices.columns.get_loc(symbol)] = True
            if what in ("out", "both"):
                exits.iloc[row, prices.columns.get_loc(symbol)] = True
        return entries, exits


def assert_metrics_equal(ours: dict, theirs: dict, rel: float = 1e-9, where: str = "") -> None:
    """Every report metric equal to ``rel`` (``None`` only where the other is ``None``)."""
    for name, expected in theirs.items():
        if name == "benchmark_note":
            continue
        got = ours[name]
        if expected is None or got is None:
            assert got is None and expected is None, f"{where} {name}: {got} vs {expected}"
        elif isinstance(expected, int):
            assert got == expected, f"{where} {name}: {got} vs {expected}"
        else:
            assert math.isclose(got, expected, rel_tol=rel, abs_tol=1e-12), f"{where} {name}: {got} vs {expected}"


def fill_tuples(fills) -> list[tuple]:
    return [(f.order_id, f.symbol, str(f.side), f.quantity, f.price, f.commission, f.timestamp) for f in fills]


def trade_tuples(trades) -> list[tuple]:
    return [(t.symbol, t.quantity, t.entry_time, t.entry_price, t.exit_time, t.exit_price, t.pnl) for t in trades]


def approx_rows(rows: list[tuple], rel: float = 1e-9) -> list:
    return [tuple(pytest.approx(v, rel=rel) if isinstance(v, float) else v for v in row) for row in rows]
