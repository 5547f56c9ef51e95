"""Numba-friendly codes shared by the sweep kernels (``nb.py``) and their Python wrappers.

Kernels return numbers only: metric columns, rule codes, status bits and
record arrays. ``describe_status`` turns status bits into readable text.
"""

from __future__ import annotations

from collections import namedtuple
from typing import NamedTuple

import numpy as np

from ..engine.events import RiskRule
from ..engine.risk import RISK_RULES

__all__ = [
    "CFG_FIELDS",
    "CFG_SIZE",
    "FILL_DT",
    "N_FUSED_COLS",
    "N_FUSED_LEVELS",
    "METRIC_FIELDS",
    "N_METRICS",
    "N_RULES",
    "RULES",
    "STATE_DT",
    "STATUS_DUPLICATE_UNVERIFIED",
    "SYMBOL_DT",
    "CfgField",
    "Metric",
    "Rule",
    "Side",
    "SignalSource",
    "DENIAL_DT",
    "DUPLICATE_SLOTS",
    "FusedCol",
    "FusedLevel",
    "MarketArrays",
    "TradeF",
    "Outputs",
    "SignalInputs",
    "describe_status",
]


class _SideT(NamedTuple):
    """Order sides in records."""

    BUY: int = 1
    SELL: int = -1


Side = _SideT()


class _SignalSourceT(NamedTuple):
    """Where a kernel takes entries and exits from."""

    ARRAYS: int = 0  # precomputed boolean (bars, combos x symbols) matrices
    CROSS_GUIDE: int = 1  # fused moving-average cross, the guide's DualMaCrossoverStrategy rule
    CROSS_STRICT: int = 2  # fused moving-average cross, strict crossover (vectorbt's ma_crossed_above/below)
    LEVELS_STRICT: int = 3  # fused levels: enter while value < lower, exit while value > upper (RsiThreshold)
    LEVELS_INCLUSIVE: int = 4  # fused levels: enter while value <= lower, exit while >= upper (BollingerReversion)


SignalSource = _SignalSourceT()


#: Denial rule codes, one per row of the engine's risk table (``engine/risk.py``): ``Rule.MAX_ORDER_VALUE`` is
#: that rule's position in ``RISK_RULES``; ``RULES[code]`` is the engine's ``RiskRule``.
Rule = namedtuple("Rule", [spec.rule.name for spec in RISK_RULES])(*range(len(RISK_RULES)))
RULES: tuple[RiskRule, ...] = tuple(spec.rule for spec in RISK_RULES)
N_RULES = len(RULES)


class _CfgFieldT(NamedTuple):
    """Positions in the float64 config vector a kernel takes (NaN switches a limit off)."""

    INITIAL_CASH: int = 0
    SLIPPAGE: int = 1  # a fraction: 2 bps = 0.0002
    COMMISSION: int = 2  # dollars per share
    SIZE_RATIO: int = 3  # auto-size: fraction of equity per entry
    FIXED_QUANTITY: int = 4  # shares per entry instead of auto-size (NaN: auto-size)
    MAX_ORDER_VALUE: int = 5
    MAX_SYMBOL_WEIGHT: int = 6
    MAX_TOTAL_WEIGHT: int = 7
    MIN_CASH_RATIO: int = 8
    ALLOW_MARGIN: int = 9  # 1.0 allowed, 0.0 not
    MAX_DAILY_LOSS: int = 10
    MAX_DRAWDOWN: int = 11
    MAX_PRICE_DEVIATION: int = 12
    DUPLICATE_WINDOW: int = 13  # seconds
    TRADING_HOURS: int = 14  # 1.0 on


CfgField = _CfgFieldT()
CFG_FIELDS = tuple(name.lower() for name in CfgField._fields)
CFG_SIZE = len(CFG_FIELDS)


class _MetricT(NamedTuple):
    """Columns of the metrics matrix a kernel fills (NaN where ``Metrics`` has ``None``)."""

    TOTAL_RETURN: int = 0
    ANNUALIZED_RETURN: int = 1
    MAX_DRAWDOWN: int = 2
    SHARPE_RATIO: int = 3
    WIN_RATE: int = 4
    PROFIT_LOSS_RATIO: int = 5
    TOTAL_TRADES: int = 6
    AVG_HOLDING_DAYS: int = 7
    MAX_DAILY_LOSS: int = 8
    ALPHA: int = 9
    BETA: int = 10
    FINAL_EQUITY: int = 11
    TRADING_DAYS: int = 12
    TOTAL_COMMISSION: int = 13


Metric = _MetricT()
METRIC_FIELDS = tuple(name.lower() for name in Metric._fields)
N_METRICS = len(METRIC_FIELDS)

#: accepted orders the kernel keeps per symbol and side for the duplicate-order rule
DUPLICATE_SLOTS = 8

#: status bit: the duplicate-order window held more accepted orders than the kernel keeps per
#: symbol and side, so an older identical order might have been missed.
STATUS_DUPLICATE_UNVERIFIED = 1

#: the running values of one simulation, one record the step kernels change in place
STATE_DT = np.dtype([
    ("cash", np.float64), ("equity", np.float64), ("peak", np.float64),
    ("low", np.float64),  # lowest equity since ``peak`` was set
    ("worst_dd", np.float64), ("halt_below", np.float64), ("day_start", np.float64), ("total_comm", np.float64),
    ("halted", np.bool_),  # the drawdown halt: opening orders are denied for good
    ("filled", np.bool_),  # an order filled at this bar
    ("n_held", np.int64), ("n_pending", np.int64), ("n_book", np.int64), ("n_opened", np.int64),
    ("order_no", np.int64), ("n_fills", np.int64), ("n_denials", np.int64), ("status", np.int64)])

#: one symbol during a simulation: position and last price, the order waiting for the next open, the open round
#: trip (cash flow so far, entry time, number in opening order), the accepted orders the duplicate rule keeps per
#: side (times, quantities, count), the next of its signal events, and the next one that can act (an entry while
#: flat, an exit while holding: ``act_want`` 1 or 2, 0 before the first look) at or after it
SYMBOL_DT = np.dtype([
    ("pos", np.float64), ("last", np.float64), ("in_book", np.bool_),
    ("pend_side", np.int64), ("pend_qty", np.float64), ("pend_ref", np.float64), ("pend_no", np.int64),
    ("trade_cash", np.float64), ("trade_entry", np.int64), ("trade_seq", np.int64),
    ("dup_t", np.int64, (2, DUPLICATE_SLOTS)), ("dup_q", np.float64, (2, DUPLICATE_SLOTS)),
    ("dup_n", np.int64, (2,)), ("next_event", np.int64), ("act_event", np.int64), ("act_want", np.int64)])

#: one fill: order number (the engine's ``O000042`` is 42), bar row, symbol column, side, quantity, price, commission.
FILL_DT = np.dtype([("order", np.int64), ("row", np.int64), ("col", np.int64), ("side", np.int64),
                    ("quantity", np.float64), ("price", np.float64), ("commission", np.float64)])

#: one denied signal or order: order number, bar row, symbol column, side, quantity, rule code, and the measured
#: ``value`` and ``other`` value ``engine.risk.denial_message`` words it with (e.g. an order's cost and the free cash).
DENIAL_DT = np.dtype([("order", np.int64), ("row", np.int64), ("col", np.int64), ("side", np.int64),
                      ("quantity", np.float64), ("rule", np.int64), ("value", np.float64), ("other", np.float64)])

class _TradeFT(NamedTuple):
    """Rows of the round-trip table the trade metrics read (``trades[row, trade number]``)."""

    PNL: int = 0  # NaN while the trade is open
    HOLD_DAYS: int = 1


TradeF = _TradeFT()


class MarketArrays(NamedTuple):
    """The market as the kernels read it (see ``nb.py`` for the layout)."""

    open: np.ndarray
    close: np.ndarray
    has_bar: np.ndarray
    times: np.ndarray
    day: np.ndarray
    session_end: np.ndarray
    tod: np.ndarray
    bench_close: np.ndarray


class _FusedColT(NamedTuple):
    """Positions in a fused rule's ``cols``: the ``series`` columns it reads (-1: a constant of ``levels``)."""

    FAST: int = 0  # cross rules: the fast and slow averages
    SLOW: int = 1
    VALUE: int = 0  # level rules: the value compared (RSI, close), its lower and upper bounds, and the filter
    LOWER: int = 1
    UPPER: int = 2
    FILTER: int = 3  # -1: no filter; else entries need it below ``levels[FILTER_BELOW]`` and no signal while NaN


FusedCol = _FusedColT()
N_FUSED_COLS = 4


class _FusedLevelT(NamedTuple):
    """Positions in a level rule's ``levels``: its constant bounds."""

    LOWER: int = 0
    UPPER: int = 1
    FILTER_BELOW: int = 2


FusedLevel = _FusedLevelT()
N_FUSED_LEVELS = 3


class SignalInputs(NamedTuple):
    """Where one combination's entries and exits come from: a ``SignalSource`` and its arrays.

    ``ARRAYS``: column ``combo`` of ``entries``/``exits``. Fused rules: the indicator ``series`` (bars, series x
    symbols), the columns the rule reads (``cols``, by ``FusedCol``), its constant bounds (``levels``, by
    ``FusedLevel``) and ``warmup`` (bars the symbol needs before a signal, bars its history keeps).
    """

    source: int
    entries: np.ndarray
    exits: np.ndarray
    combo: int
    series: np.ndarray
    cols: np.ndarray
    levels: np.ndarray
    warmup: np.ndarray


class Outputs(NamedTuple):
    """Where a simulation writes: metrics and denial counts always; with ``record``, equity per row, fill and
    denial records and their counts; the daily returns (float32) when ``returns`` is not empty."""

    record: bool
    equity: np.ndarray
    fills: np.ndarray
    denials: np.ndarray
    counts: np.ndarray
    metrics: np.ndarray
    rule_counts: np.ndarray
    returns: np.ndarray


def describe_status(status: int, duplicate_slots: int = DUPLICATE_SLOTS) -> list[str]:
    """Readable notes for the status bits of one combination."""
    notes = []
    if status & STATUS_DUPLICATE_UNVERIFIED:
        notes.append(
            f"duplicate_order: more than {duplicate_slots} orders of one symbol and side fell inside the "
            "duplicate window, so an older identical order may have been missed; the bar-by-bar sweep is exact"
        )
    return notes
