"""Numba kernels of the vectorized sweep: pure functions over arrays, no pandas.

Arrays are 2-D ``(bars, columns)`` and Fortran-ordered (each column is
contiguous, so a combination streams down its own columns), with at least two
columns: numba types a one-column array as C-ordered, which would compile a
second copy of every kernel, so callers pad one symbol with an empty column.
Market columns are symbols; signal columns are ``combo * n_symbols + symbol``;
a fused rule's series columns are ``series * n_symbols + symbol``. A bar a symbol does
not have is ``has_bar[row, col] == False``.

``simulate_nb`` reproduces the bar-by-bar engine (``research_env.engine``) for
long-only entry/exit signals. One combination's state is a ``Simulation``: a
``STATE_DT`` record (cash, equity, drawdown, counters) and one ``SYMBOL_DT``
record per symbol (position, waiting order, open round trip), which small step
kernels change in place, at every bar and in the engine's order:
``start_session_nb``; ``match_pending_nb`` (each waiting order fills at the
open through ``book_fill_nb``, unless ``price_deviation_nb`` denies an opening
one); ``mark_to_close_nb`` (equity, ``track_drawdown_nb``); and
``submit_signals_nb``, where each signal becomes an order through
``size_order_nb`` and ``check_risk_nb``, whose kernels (``trading_hours_nb``,
``daily_loss_nb``, ``duplicate_order_nb``, ``exposure_rules_nb`` ...) are the
rows of the engine's risk table (``engine/risk.py``), in its order, with its
one comparison (``breaches``, compiled here as ``breaches_nb``) and its rule
codes. Float operations follow the engine's order so the numbers agree to the
last bit where the engine is deterministic. The signals come from
``signal_events_nb`` (``cross_events_nb`` or ``level_events_nb``, or the signal arrays read in
place through ``next_signal_row_nb``); the metrics
of ``engine/metrics.py`` are computed by ``return_metrics_nb``,
``benchmark_metrics_nb`` and ``trade_metrics_nb``; sums use numpy's pairwise
summation.

The step kernels are inlined into one bar loop, ``run_bars_nb``, compiled
without reference counting: numba counts references to every array a called
kernel receives, and at a few calls per bar those atomic counts cost more
than the simulation itself. The loop allocates nothing; ``simulate_nb``
allocates and keeps the arrays alive around it. The simulation takes every
step of a bar only while an order waits or a signal can act: while the
portfolio is flat it jumps straight to the next entry signal (equity is the
cash), and while it holds with nothing waiting ``hold_nb`` only starts
sessions and marks the book up to the next signal that can act
(``next_action_row_nb``: an entry of a flat symbol or an exit of a held one).

All kernels live in this one file on purpose: numba's on-disk cache checks
only the source file of the function it compiled, so a step kernel in another
module could change without its callers being recompiled.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from ..engine.risk import BOUNDARIES, breaches
from .enums import (
    DENIAL_DT,
    DUPLICATE_SLOTS,
    FILL_DT,
    N_FUSED_COLS,
    N_FUSED_LEVELS,
    N_METRICS,
    N_RULES,
    STATE_DT,
    STATUS_DUPLICATE_UNVERIFIED,
    SYMBOL_DT,
    CfgField,
    FusedCol,
    FusedLevel,
    Metric,
    Outputs,
    Rule,
    SignalInputs,
    SignalSource,
    TradeF,
)

__all__ = [
    "benchmark_metrics_nb",
    "count_signals_nb",
    "cross_events_nb",
    "level_events_nb",
    "metrics_nb",
    "next_signal_row_nb",
    "pairwise_sum_nb",
    "return_metrics_nb",
    "signal_events_nb",
    "simulate_nb",
    "sweep_fused_nb",
    "sweep_signals_nb",
    "trade_metrics_nb",
]

_YEAR = 252.0
_DUP_SLOTS = DUPLICATE_SLOTS
#: the risk table's one comparison, compiled for the kernels
breaches_nb = njit(cache=True, inline="always")(breaches)

@njit(cache=True)
def _block_sum(a, lo, n):
    """numpy's sum of at most 128 values: eight interleaved accumulators, then the rest in order."""
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def pairwise_sum_nb(a, lo, n):
    """Sum of ``a[lo:lo + n]`` in numpy's pairwise order (the same bits as ``np.sum``).

    Above 128 values numpy splits at half the length (rounded down to a
    multiple of 8) and adds the two halves' sums; this walks that tree with an
    explicit stack (numba cannot cache recursive functions safely).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    frame_lo = np.empty(128, dtype=np.int64)
    frame_n = np.empty(128, dtype=np.int64)
    frame_join = np.empty(128, dtype=np.bool_)
    values = np.empty(128)
    top = 0
    n_values = 0
    frame_lo[0], frame_n[0], frame_join[0] = lo, n, False
    top = 1
    while top > 0:
        top -= 1
        f_lo, f_n, join = frame_lo[top], frame_n[top], frame_join[top]
        if join:
            right = values[n_values - 1]
            left = values[n_values - 2]
            values[n_values - 2] = left + right
            n_values -= 1
        elif f_n <= 128:
            values[n_values] = _block_sum(a, f_lo, f_n)
            n_values += 1
        else:
            half = f_n // 2
            half -= half % 8
            frame_lo[top], frame_n[top], frame_join[top] = f_lo, f_n, True
            frame_lo[top + 1], frame_n[top + 1], frame_join[top + 1] = f_lo + half, f_n - half, False
            frame_lo[top + 2], frame_n[top + 2], frame_join[top + 2] = f_lo, half, False
            top += 3
    return values[0]


@njit(cache=True)
def _mean(a, n):
    return pairwise_sum_nb(a, 0, n) / n


@njit(cache=True)
def _var(a, n, ddof):
    """``np.var(a[:n], ddof=ddof)``, in numpy's order of operations."""
    mean = pairwise_sum_nb(a, 0, n) / n
    sq = np.empty(n)
    for i in range(n):
        x = a[i] - mean
        sq[i] = x * x
    return pairwise_sum_nb(sq, 0, n) / (n - ddof)


@njit(cache=True)
def _all_equal(a, n):
    """True when ``a[:n]`` holds one value (rounding then makes its variance tiny, not zero)."""
    for i in range(1, n):  # noqa: SIM110 - a plain loop compiles in numba, all(<generator>) does not
        if a[i] != a[0]:
            return False
    return True


@njit(cache=True)
def _finite_or_nan(x):
    return x if math.isfinite(x) else np.nan


# --- events: each symbol's signal bars ------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _cross_state(fast, slow):
    """1 when fast > slow, -1 when below, 0 when equal, 2 when either is NaN."""
    if math.isnan(fast) or math.isnan(slow):
        return 2
    if fast > slow:
        return 1
    if fast < slow:
        return -1
    return 0


@njit(cache=True, inline="always")
def next_signal_row_nb(values, present, r, hi):
    """The first row from ``r`` below ``hi`` where both ``values`` and ``present`` (boolean columns) are true, or
    ``hi``. Most bars signal nothing: the column is read eight bars at a time, and closer where a word is not
    zero."""
    words = (hi - r) // 8 if hi > r else 0
    if words > 0:
        packed = values[r:r + 8 * words].view(np.uint64)
        for w in range(words):
            if packed[w] != 0:
                for q in range(r + 8 * w, r + 8 * w + 8):
                    if values[q] and present[q]:
                        return q
        r += 8 * words
    for q in range(r, hi):
        if values[q] and present[q]:
            return q
    return max(hi, r)


_BYTE_ONES = np.uint64(0x0101010101010101)


@njit(cache=True)
def count_signals_nb(values, present, lo, hi):
    """How many rows of ``[lo, hi)`` have both ``values`` and ``present`` (boolean columns) true: eight rows at a
    time, each byte 0 or 1, their sum the top byte of the word times ``0x0101...01``."""
    words = (hi - lo) // 8 if hi > lo else 0
    n = 0
    if words > 0:
        signal_words = values[lo:lo + 8 * words].view(np.uint64)
        present_words = present[lo:lo + 8 * words].view(np.uint64)
        for w in range(words):
            n += np.int64(((signal_words[w] & present_words[w]) * _BYTE_ONES) >> np.uint64(56))
    for t in range(lo + 8 * words, hi):
        if values[t] and present[t]:
            n += 1
    return n


@njit(cache=True)
def cross_events_nb(has_bar, lo, hi, ma, fast, slow, warmup, guide, s, rows, flags):
    """Moving-average cross signals of symbol ``s`` in ``[lo, hi)`` (columns ``fast`` and ``slow`` of ``ma``),
    following every bar from row 0 (the state before ``lo`` carries in); returns their count.

    The guide rule counts the symbol's bars (capped at ``warmup[1]``) and waits for ``warmup[0]``, then compares
    fast > slow with the previous bar; the strict rule needs fast strictly below (above) slow since both
    averages exist, and no bar above (below) in between.
    """
    n = seen = 0
    prev = 2
    below = above_seen = False
    fast_ma, slow_ma, present = ma[:, fast], ma[:, slow], has_bar[:, s]
    warm = False
    t = -1
    while t + 1 < hi:
        t = _same_state_until(fast_ma, slow_ma, t + 1, hi, prev, guide, warm)
        if t >= hi:
            break
        if not present[t]:
            continue
        state = _cross_state(fast_ma[t], slow_ma[t])
        flag = 0
        if guide:
            seen += 1
            if min(seen, warmup[1]) < warmup[0]:
                continue
            warm = True
            above = 1 if state == 1 else 0
            if prev != 2:
                if above == 1 and prev == 0:
                    flag = 1
                elif above == 0 and prev == 1:
                    flag = 2
            prev = above
        else:
            if state == 2:
                below = above_seen = False
            elif state == 1:
                if below and (prev == -1 or prev == 0):
                    flag = 1
                above_seen = True
            elif state == -1:
                if above_seen and (prev == 1 or prev == 0):
                    flag = 2
                below = True
            prev = state
        if flag and t >= lo:
            rows[n] = t
            flags[n] = flag
            n += 1
    return n


@njit(cache=True, inline="always")
def _same_state_until(fast_ma, slow_ma, t, hi, prev, guide, warm):
    """The first row from ``t`` where the comparison may differ from ``prev`` (or ``hi``): until then every bar
    repeats the previous one's comparison, which changes nothing (rows without a bar are skipped anyway). The
    strict rule repeats while above (below) stays above (below); the guide rule, once warmed up, while
    ``fast > slow`` keeps its truth value. Other states go bar by bar."""
    if guide:
        if warm and prev == 1:
            while t < hi and fast_ma[t] > slow_ma[t]:
                t += 1
        elif warm and prev == 0:
            while t < hi and not fast_ma[t] > slow_ma[t]:
                t += 1
    elif prev == 1:
        while t < hi and fast_ma[t] > slow_ma[t]:
            t += 1
    elif prev == -1:
        while t < hi and fast_ma[t] < slow_ma[t]:
            t += 1
    return t


class SignalEvents(NamedTuple):
    """Each symbol's signal bars: ``rows[s, :count[s]]`` and their ``flags`` (1 entry, 2 exit, 3 both); or, with
    ``direct``, the signal columns ``entries``/``exits[:, col0 + s]`` themselves (read where the simulation
    looks, so a combination's tens of thousands of signal bars are never listed). ``max_trades``: one more
    than the entry signals, the most round trips the combination can open."""

    rows: np.ndarray
    flags: np.ndarray
    count: np.ndarray
    direct: bool
    entries: np.ndarray
    exits: np.ndarray
    col0: int
    max_trades: int


@njit(cache=True)
def level_events_nb(has_bar, lo, hi, series, cols, levels, warmup, inclusive, s, rows, flags):
    """Level signals of symbol ``s`` in ``[lo, hi)``: enter while the value is below its lower bound, exit while
    it is above its upper bound (``inclusive``: or equal), once the symbol has ``warmup[0]`` bars (of the
    ``warmup[1]`` its history keeps). With a filter, entries also need the filter below its bound, and no signal
    is given while the filter is NaN. Returns their count."""
    n_sym = has_bar.shape[1]
    value_col = cols[FusedCol.VALUE] * n_sym + s
    n = seen = 0
    for t in range(hi):
        if not has_bar[t, s]:
            continue
        seen += 1
        if t < lo or min(seen, warmup[1]) < warmup[0]:
            continue
        value = series[t, value_col]
        lower = _level(series, cols, levels, FusedCol.LOWER, FusedLevel.LOWER, t, n_sym, s)
        upper = _level(series, cols, levels, FusedCol.UPPER, FusedLevel.UPPER, t, n_sym, s)
        may_enter = True
        if cols[FusedCol.FILTER] >= 0:
            gate = series[t, cols[FusedCol.FILTER] * n_sym + s]
            if math.isnan(gate):
                continue
            may_enter = gate < levels[FusedLevel.FILTER_BELOW]
        enter = (value <= lower) if inclusive else (value < lower)
        leave = (value >= upper) if inclusive else (value > upper)
        flag = (1 if enter and may_enter else 0) + (2 if leave else 0)
        if flag:
            rows[n] = t
            flags[n] = flag
            n += 1
    return n


@njit(cache=True, inline="always")
def _level(series, cols, levels, col, level, t, n_sym, s):
    """A level rule's bound at row ``t``: its series column, or its constant when the column is -1."""
    return levels[level] if cols[col] < 0 else series[t, cols[col] * n_sym + s]


@njit(cache=True)
def signal_events_nb(has_bar, lo, hi, sig):
    """Each symbol's signal bars in ``[lo, hi)`` (``SignalEvents``): listed for a fused rule, read in place from
    signal arrays."""
    n_sym = has_bar.shape[1]
    direct = sig.source == SignalSource.ARRAYS
    size = 1 if direct else max(hi - lo, 1)
    rows = np.empty((n_sym, size), dtype=np.int64)
    flags = np.empty((n_sym, size), dtype=np.int8)
    count = np.zeros(n_sym, dtype=np.int64)
    source, series, cols, warmup = sig.source, sig.series, sig.cols, sig.warmup
    max_trades = 1
    for s in range(n_sym):
        if direct:
            max_trades += count_signals_nb(sig.entries[:, sig.combo * n_sym + s], has_bar[:, s], lo, hi)
            continue
        if source == SignalSource.CROSS_GUIDE or source == SignalSource.CROSS_STRICT:
            count[s] = cross_events_nb(has_bar, lo, hi, series, cols[FusedCol.FAST] * n_sym + s,
                                       cols[FusedCol.SLOW] * n_sym + s, warmup, source == SignalSource.CROSS_GUIDE,
                                       s, rows[s], flags[s])
        else:
            count[s] = level_events_nb(has_bar, lo, hi, series, cols, sig.levels, warmup,
                                       source == SignalSource.LEVELS_INCLUSIVE, s, rows[s], flags[s])
        for k in range(count[s]):
            max_trades += flags[s, k] & 1
    return SignalEvents(rows, flags, count, direct, sig.entries, sig.exits, sig.combo * n_sym, max_trades)


# --- one combination: the state the steps share ---------------------------------------------------------------


class Simulation(NamedTuple):
    """What the step kernels of one combination read and change in place."""

    state: np.ndarray  # one ``STATE_DT`` record: cash, equity, drawdown, counters
    symbols: np.ndarray  # one ``SYMBOL_DT`` record per market column: position, waiting order, open round trip
    book: np.ndarray  # symbols in the order of their first fill (the engine's dict order)
    trades: np.ndarray  # (``TradeF``, round trips in opening order): PnL (NaN while open) and holding days
    daily: np.ndarray  # equity at each session's last bar
    day0: int  # session number of the first simulated bar


@njit(cache=True)
def new_simulation_nb(mk, cfg, lo, hi, ev):
    """A flat portfolio holding the initial cash, before row ``lo``, with room for a round trip per entry signal
    of ``ev`` (each opening fill comes from one)."""
    n_sym = mk.close.shape[1]
    init_cash = cfg[CfgField.INITIAL_CASH]
    max_dd = cfg[CfgField.MAX_DRAWDOWN]
    state = np.zeros(1, dtype=STATE_DT)
    st = state[0]
    st.cash = init_cash
    st.equity = init_cash
    st.peak = init_cash
    st.low = init_cash  # lowest equity since ``peak`` was set
    st.day_start = init_cash
    st.halt_below = init_cash * (1.0 - max_dd) if not math.isnan(max_dd) else -np.inf
    symbols = np.zeros(n_sym, dtype=SYMBOL_DT)
    for s in range(n_sym):
        symbols[s].last = np.nan
        symbols[s].next_event = lo if ev.direct else 0  # a row of the signal columns, or an index into the list
    day0 = mk.day[lo] if hi > lo else 0
    n_days = mk.day[hi - 1] - day0 + 1 if hi > lo else 0
    return Simulation(state, symbols, np.empty(n_sym, dtype=np.int64), np.full((len(TradeF), ev.max_trades), np.nan),
                      np.empty(n_days), day0)


# --- one combination: the steps of a bar, in the engine's order ------------------------------------------------


@njit(cache=True, inline="always")
def next_action_row_nb(mk, sim, ev, hi):
    """With nothing waiting and no fill possible: the row of the next signal that can act (an entry of a flat
    symbol, an exit of a held one), or ``hi``. Every signal before it acts on nothing (``submit_signals_nb``
    would only pass it), so each symbol's ``next_event`` moves past them; ``act_event`` keeps each symbol's
    search, so no signal is looked at twice while its position stays. With ``ev.direct`` both count rows of
    the signal columns instead of listed events."""
    n_sym = sim.symbols.shape[0]
    target = hi
    for s in range(n_sym):
        rec = sim.symbols[s]
        want = 2 if rec.pos != 0.0 else 1
        if rec.act_want == want and rec.act_event >= rec.next_event:
            k = rec.act_event
        elif ev.direct:
            signals = ev.exits if want == 2 else ev.entries
            k = next_signal_row_nb(signals[:, ev.col0 + s], mk.has_bar[:, s], rec.next_event, hi)
        else:
            k = rec.next_event
            while k < ev.count[s] and not ev.flags[s, k] & want:
                k += 1
        rec.act_event = k
        rec.act_want = want
        row = k if ev.direct else (ev.rows[s, k] if k < ev.count[s] else hi)
        if row < target:
            target = row
    for s in range(n_sym):
        rec = sim.symbols[s]
        if ev.direct:
            rec.next_event = max(rec.next_event, target)
            continue
        k = rec.next_event
        while k < ev.count[s] and ev.rows[s, k] < target:
            k += 1
        rec.next_event = k
    return target


@njit(cache=True, inline="always")
def skip_flat_nb(mk, sim, ev, out, lo, hi, t):
    """Flat with nothing waiting, equity stays the cash until the next entry signal: jump to it (or to ``hi``),
    filling the sessions and equity rows passed over. Returns the new row."""
    st = sim.state[0]
    day = mk.day
    target = next_action_row_nb(mk, sim, ev, hi)
    if target <= t:
        return t
    new_day = t > lo and day[t] != day[t - 1]
    if new_day:
        sim.daily[day[t - 1] - sim.day0] = st.equity
    if new_day or day[target - 1] != day[t]:
        st.day_start = st.equity
    for d in range(day[t] - sim.day0, day[target - 1] - sim.day0 + 1):
        sim.daily[d] = st.equity
    if out.record:
        for r in range(t, target):
            out.equity[r] = st.equity
    return target


@njit(cache=True, inline="always")
def hold_nb(mk, cfg, sim, ev, out, lo, hi, t):
    """Holding with nothing waiting, no order can fill or be sent until the next signal: the bars up to it
    only start sessions and mark the book to its closes (``start_session_nb`` and ``mark_to_close_nb`` with
    the drawdown record kept in locals, the same arithmetic in the same order). Returns the next signal's row
    (or ``hi``)."""
    st = sim.state[0]
    target = next_action_row_nb(mk, sim, ev, hi)
    if target <= t:
        return t
    day, close, has_bar, book, symbols = mk.day, mk.close, mk.has_bar, sim.book, sim.symbols
    max_dd = cfg[CfgField.MAX_DRAWDOWN]
    n_book = st.n_book
    cash, equity, day_start = st.cash, st.equity, st.day_start
    peak, low, worst, halt_below, halted = st.peak, st.low, st.worst_dd, st.halt_below, st.halted
    # a book of one or two symbols (most sweeps) keeps their positions and last prices in locals
    few = n_book <= 2
    s0, s1 = book[0] if n_book > 0 else 0, book[1] if n_book > 1 else 0
    pos0, pos1 = symbols[s0].pos if n_book > 0 else 0.0, symbols[s1].pos if n_book > 1 else 0.0
    last0, last1 = symbols[s0].last, symbols[s1].last
    r = t
    while r < target:
        if r == lo:
            day_start = cfg[CfgField.INITIAL_CASH]
        elif day[r] != day[r - 1]:
            sim.daily[day[r - 1] - sim.day0] = equity
            day_start = equity
        # the rest of this session's bars start nothing: no session number is read for them
        stop = min(target, mk.session_end[day[r]])
        for q in range(r, stop):
            if few:
                equity, last0, last1 = _mark_two_nb(close, has_bar, q, cash, s0, pos0, last0, s1, pos1, last1)
            else:
                equity = _mark_book_nb(close, has_bar, book, symbols, n_book, q, cash)
            peak, low, worst, halt_below, halted = drawdown_step_nb(equity, peak, low, worst, halt_below, halted,
                                                                    max_dd)
            if out.record:
                out.equity[q] = equity
        r = stop
    if few and n_book > 0:
        symbols[s0].last = last0
        if n_book > 1:
            symbols[s1].last = last1
    st.equity, st.day_start, st.filled = equity, day_start, False
    st.peak, st.low, st.worst_dd, st.halt_below, st.halted = peak, low, worst, halt_below, halted
    return target


@njit(cache=True, inline="always")
def _mark_two_nb(close, has_bar, r, cash, s0, pos0, last0, s1, pos1, last1):
    """Equity at row ``r`` of a book of up to two symbols held in locals (a zero position adds nothing);
    returns it with the two last prices."""
    equity = cash
    if pos0 != 0.0:
        if has_bar[r, s0]:
            last0 = close[r, s0]
        equity += pos0 * last0
    if pos1 != 0.0:
        if has_bar[r, s1]:
            last1 = close[r, s1]
        equity += pos1 * last1
    return equity, last0, last1


@njit(cache=True, inline="always")
def _mark_book_nb(close, has_bar, book, symbols, n_book, r, cash):
    """Equity at row ``r``: the cash plus each held position at its last price, in book order."""
    equity = cash
    for k in range(n_book):
        s = book[k]
        rec = symbols[s]
        if rec.pos != 0.0:
            if has_bar[r, s]:
                rec.last = close[r, s]
            equity += rec.pos * rec.last
    return equity


@njit(cache=True, inline="always")
def start_session_nb(mk, cfg, sim, lo, t):
    """A new session starts from the last equity of the previous one (``equity`` is still that bar's)."""
    st = sim.state[0]
    if t == lo:
        st.day_start = cfg[CfgField.INITIAL_CASH]
    elif mk.day[t] != mk.day[t - 1]:
        sim.daily[mk.day[t - 1] - sim.day0] = st.equity
        st.day_start = st.equity


@njit(cache=True, inline="always")
def match_pending_nb(mk, cfg, sim, out, t):
    """Matching: each waiting order fills at this bar's open of its symbol (a symbol without a bar keeps its
    order waiting), unless the price-deviation rule denies an opening order."""
    st = sim.state[0]
    st.filled = False
    if st.n_pending == 0:
        return
    max_dev = cfg[CfgField.MAX_PRICE_DEVIATION]
    for s in range(sim.symbols.shape[0]):
        rec = sim.symbols[s]
        side = rec.pend_side
        if side == 0 or not mk.has_bar[t, s]:
            continue
        rec.pend_side = 0
        st.n_pending -= 1
        open_price = mk.open[t, s]
        if side > 0:  # exits only close a position, and price deviation never stops a closing order
            moved = price_deviation_nb(open_price, rec.pend_ref, max_dev)
            if not math.isnan(moved):
                record_denial_nb(sim, out, rec.pend_no, t, s, side, rec.pend_qty, Rule.MAX_PRICE_DEVIATION, moved,
                                 rec.pend_ref)
                continue
        book_fill_nb(mk, cfg, sim, out, s, t, side, open_price)


@njit(cache=True, inline="always")
def book_fill_nb(mk, cfg, sim, out, s, t, side, open_price):
    """Fill symbol ``s``'s waiting order at ``open_price`` (slippage and commission applied): cash, position,
    the round trip it opens or closes, and the fill record."""
    st = sim.state[0]
    rec = sim.symbols[s]
    q = rec.pend_qty
    slip = cfg[CfgField.SLIPPAGE]
    price = open_price * (1.0 + slip) if side > 0 else open_price * (1.0 - slip)
    commission = q * cfg[CfgField.COMMISSION]
    signed = q if side > 0 else -q
    flow = signed * price + commission
    st.filled = True
    st.cash -= flow
    st.total_comm += commission
    if not rec.in_book:
        rec.in_book = True
        sim.book[st.n_book] = s
        st.n_book += 1
    old = rec.pos
    new = old + signed
    if side > 0:
        if old == 0.0:
            st.n_held += 1
            rec.trade_cash = 0.0
            rec.trade_entry = mk.times[t]
            rec.trade_seq = st.n_opened
            st.n_opened += 1
        rec.pos = new
        rec.last = mk.close[t, s]
        rec.trade_cash -= flow
    else:
        rec.pos = 0.0 if abs(new) < 1e-12 else new
        rec.trade_cash -= flow
        if rec.pos == 0.0:
            st.n_held -= 1
            sim.trades[TradeF.PNL, rec.trade_seq] = rec.trade_cash
            sim.trades[TradeF.HOLD_DAYS, rec.trade_seq] = ((mk.times[t] - rec.trade_entry) // 1000) / 1e6 / 86400.0
    if out.record:
        f = out.fills[st.n_fills]
        f["order"], f["row"], f["col"], f["side"] = rec.pend_no, t, s, side
        f["quantity"], f["price"], f["commission"] = q, price, commission
    st.n_fills += 1


@njit(cache=True, inline="always")
def mark_to_close_nb(mk, cfg, sim, out, t):
    """Equity at this bar's closes, then the drawdown record and halt. Flat with no fill, equity is the
    unchanged cash, so peak, halt and drawdown cannot change either."""
    st = sim.state[0]
    if st.n_held > 0 or st.filled:
        equity = _mark_book_nb(mk.close, mk.has_bar, sim.book, sim.symbols, st.n_book, t, st.cash)
        st.equity = equity
        track_drawdown_nb(st, equity, cfg[CfgField.MAX_DRAWDOWN])
    if out.record:
        out.equity[t] = st.equity


@njit(cache=True, inline="always")
def track_drawdown_nb(st, equity, max_dd):
    """Peak, lowest equity since the peak, worst drawdown so far, and rule MAX_DRAWDOWN's halt."""
    st.peak, st.low, st.worst_dd, st.halt_below, st.halted = drawdown_step_nb(
        equity, st.peak, st.low, st.worst_dd, st.halt_below, st.halted, max_dd)


@njit(cache=True, inline="always")
def drawdown_step_nb(equity, peak, low, worst, halt_below, halted, max_dd):
    """``track_drawdown_nb`` on values: returns the new ``(peak, low, worst, halt_below, halted)``."""
    if equity > peak:
        # the bars since the last peak are settled: their deepest drawdown is the lowest equity's
        dd = low / peak - 1.0
        if dd < worst:
            worst = dd
        peak = equity
        low = equity
        if not math.isnan(max_dd):
            halt_below = equity * (1.0 - max_dd)
    elif breaches_nb(equity, halt_below, BOUNDARIES[Rule.MAX_DRAWDOWN]):
        halted = True
    if equity < low:
        low = equity
    return peak, low, worst, halt_below, halted


@njit(cache=True, inline="always")
def submit_signals_nb(mk, cfg, sim, ev, out, t):
    """Each symbol's signal at this bar becomes an order: an entry when flat, an exit when holding."""
    for s in range(sim.symbols.shape[0]):
        if not mk.has_bar[t, s]:
            continue
        rec = sim.symbols[s]
        k = rec.next_event
        if ev.direct:
            flag = (1 if ev.entries[t, ev.col0 + s] else 0) + (2 if ev.exits[t, ev.col0 + s] else 0)
            if flag == 0:
                continue
            rec.next_event = t + 1
        else:
            if k >= ev.count[s] or ev.rows[s, k] != t:
                continue
            flag = ev.flags[s, k]
            rec.next_event = k + 1
        if rec.pos != 0.0:
            if flag & 2:
                submit_order_nb(mk, cfg, sim, out, s, t, -1)
        elif flag & 1:
            submit_order_nb(mk, cfg, sim, out, s, t, 1)


@njit(cache=True, inline="always")
def submit_order_nb(mk, cfg, sim, out, s, t, side):
    """Size a market order at this bar's close, run the risk rules, and keep it waiting or record its denial."""
    st = sim.state[0]
    no = st.order_no
    st.order_no += 1
    px = mk.close[t, s]
    if side > 0:
        q, rule, value = size_order_nb(cfg, st.equity, px)
    else:
        q, rule, value = sim.symbols[s].pos, -1, np.nan
    other = np.nan
    if rule < 0:
        rule, value, other = check_risk_nb(mk, cfg, sim, s, t, side, q, px)
    if rule >= 0:
        record_denial_nb(sim, out, no, t, s, side, q, rule, value, other)
    else:
        accept_order_nb(mk, cfg, sim, s, t, side, q, px, no)


@njit(cache=True, inline="always")
def size_order_nb(cfg, equity, px):
    """Entry quantity: the fixed quantity, or whole shares of ``position_size_ratio`` of equity. Returns
    ``(quantity, rule, value)``; rule POSITION_SIZE when the budget buys no whole share."""
    fixed = cfg[CfgField.FIXED_QUANTITY]
    if not math.isnan(fixed):
        return fixed, -1, np.nan
    budget = equity * cfg[CfgField.SIZE_RATIO]
    q = float(math.floor(budget / px))
    if q < 1:
        return q, Rule.POSITION_SIZE, budget
    return q, -1, np.nan


@njit(cache=True, inline="always")
def accept_order_nb(mk, cfg, sim, s, t, side, q, px, no):
    """Keep the order waiting for the next bar's open, and remember it for the duplicate-order rule."""
    rec = sim.symbols[s]
    if not math.isnan(cfg[CfgField.DUPLICATE_WINDOW]):
        ks = 0 if side > 0 else 1
        slot = rec.dup_n[ks] % _DUP_SLOTS
        rec.dup_t[ks, slot] = mk.times[t]
        rec.dup_q[ks, slot] = q
        rec.dup_n[ks] += 1
    rec.pend_side = side
    rec.pend_qty = q
    rec.pend_ref = px
    rec.pend_no = no
    sim.state[0].n_pending += 1


@njit(cache=True, inline="always")
def record_denial_nb(sim, out, no, t, s, side, q, rule, value, other):
    """Count a denial under its rule code and, when recording, keep its record."""
    st = sim.state[0]
    out.rule_counts[rule] += 1
    if out.record:
        d = out.denials[st.n_denials]
        d["order"], d["row"], d["col"], d["side"] = no, t, s, side
        d["quantity"], d["rule"], d["value"], d["other"] = q, rule, value, other
    st.n_denials += 1


@njit(cache=True)
def finish_nb(mk, cfg, sim, out, lo, hi):
    """Close the last session and the drawdown record, then compute the metrics (and keep the daily returns
    when ``out.returns`` has room for them)."""
    st = sim.state[0]
    if hi > lo:
        sim.daily[mk.day[hi - 1] - sim.day0] = st.equity
    dd = st.low / st.peak - 1.0
    if dd < st.worst_dd:
        st.worst_dd = dd
    returns = metrics_nb(out.metrics, sim.daily, sim.trades, st.n_opened, st.equity, cfg[CfgField.INITIAL_CASH],
                         st.worst_dd, st.total_comm, mk.bench_close, sim.day0)
    if out.returns.shape[0] == returns.shape[0]:
        for j in range(returns.shape[0]):
            out.returns[j] = returns[j]
    if out.record:
        out.counts[0] = st.n_fills
        out.counts[1] = st.n_denials


# --- one combination: the risk rules, one kernel per row of the engine's table ---------------------------------


@njit(cache=True, inline="always")
def check_risk_nb(mk, cfg, sim, s, t, side, q, px):
    """The order-time rules in the table's order; returns ``(rule, value, other)`` of the first that denies
    (rule -1: accepted). Rules marked opening-only look at the part of the order that opens a position."""
    st = sim.state[0]
    opening = q if side > 0 else 0.0
    clock = trading_hours_nb(mk, cfg, t)
    if not math.isnan(clock):
        return Rule.TRADING_HOURS, clock, np.nan
    if opening > 0 and st.halted:
        return Rule.MAX_DRAWDOWN, st.equity / st.peak - 1.0, np.nan
    if opening > 0:
        day_return = daily_loss_nb(cfg, st)
        if not math.isnan(day_return):
            return Rule.MAX_DAILY_LOSS, day_return, np.nan
    age = duplicate_order_nb(mk, cfg, sim, s, t, side, q)
    if not math.isnan(age):
        return Rule.DUPLICATE_ORDER, age, np.nan
    if opening > 0:
        return exposure_rules_nb(cfg, sim, s, px, opening)
    return -1, np.nan, np.nan


@njit(cache=True, inline="always")
def price_deviation_nb(open_price, signal_price, max_dev):
    """Rule MAX_PRICE_DEVIATION: the fill price's move from the signal price when it breaches, else NaN."""
    if math.isnan(max_dev):
        return np.nan
    moved = abs(open_price - signal_price) / signal_price
    return moved if breaches_nb(moved, max_dev, BOUNDARIES[Rule.MAX_PRICE_DEVIATION]) else np.nan


@njit(cache=True, inline="always")
def trading_hours_nb(mk, cfg, t):
    """Rule TRADING_HOURS: the New York clock (seconds) of a bar outside the session, else NaN."""
    if cfg[CfgField.TRADING_HOURS] == 0.0:
        return np.nan
    clock = mk.tod[t] / 1e6
    return clock if breaches_nb(clock, np.nan, BOUNDARIES[Rule.TRADING_HOURS]) else np.nan


@njit(cache=True, inline="always")
def daily_loss_nb(cfg, st):
    """Rule MAX_DAILY_LOSS: the session's return when it reached the limit, else NaN."""
    limit = cfg[CfgField.MAX_DAILY_LOSS]
    if math.isnan(limit):
        return np.nan
    day_return = st.equity / st.day_start - 1.0
    return day_return if breaches_nb(day_return, -limit, BOUNDARIES[Rule.MAX_DAILY_LOSS]) else np.nan


@njit(cache=True, inline="always")
def duplicate_order_nb(mk, cfg, sim, s, t, side, q):
    """Rule DUPLICATE_ORDER: the age in seconds of an accepted order of the same symbol, side and quantity
    inside the window, else NaN. Sets STATUS_DUPLICATE_UNVERIFIED when the kept orders do not reach back
    to the window's start."""
    window = cfg[CfgField.DUPLICATE_WINDOW]
    if math.isnan(window):
        return np.nan
    rec = sim.symbols[s]
    ks = 0 if side > 0 else 1
    n_dup = rec.dup_n[ks]
    checked = 0
    for j in range(min(n_dup, _DUP_SLOTS)):
        slot = (n_dup - 1 - j) % _DUP_SLOTS
        age = ((mk.times[t] - rec.dup_t[ks, slot]) // 1000) / 1e6
        if not breaches_nb(age, window, BOUNDARIES[Rule.DUPLICATE_ORDER]):
            break
        checked += 1
        if rec.dup_q[ks, slot] == q:
            return age
    if checked == _DUP_SLOTS and n_dup > _DUP_SLOTS:
        sim.state[0].status |= STATUS_DUPLICATE_UNVERIFIED
    return np.nan


@njit(cache=True, inline="always")
def exposure_rules_nb(cfg, sim, s, px, opening):
    """Rules MAX_ORDER_VALUE, ALLOW_MARGIN, MIN_CASH_RATIO, MAX_SYMBOL_WEIGHT and MAX_TOTAL_WEIGHT for the
    ``opening`` shares at ``px``, counting the orders still waiting; returns ``(rule, value, other)``."""
    st = sim.state[0]
    value_open = opening * px
    max_order_value = cfg[CfgField.MAX_ORDER_VALUE]
    if not math.isnan(max_order_value) and breaches_nb(value_open, max_order_value,
                                                       BOUNDARIES[Rule.MAX_ORDER_VALUE]):
        return Rule.MAX_ORDER_VALUE, value_open, opening
    buy_unit = 1.0 + cfg[CfgField.SLIPPAGE]
    comm = cfg[CfgField.COMMISSION]
    pending_cost, pending_value = pending_buys_nb(sim, buy_unit, comm)
    free_cash = st.cash - pending_cost
    cost = opening * (px * buy_unit + comm)
    if cfg[CfgField.ALLOW_MARGIN] == 0.0 and breaches_nb(cost, free_cash, BOUNDARIES[Rule.ALLOW_MARGIN]):
        return Rule.ALLOW_MARGIN, cost, free_cash
    min_cash_ratio = cfg[CfgField.MIN_CASH_RATIO]
    if not math.isnan(min_cash_ratio):
        cash_ratio = (free_cash - cost) / st.equity
        if breaches_nb(cash_ratio, min_cash_ratio, BOUNDARIES[Rule.MIN_CASH_RATIO]):
            return Rule.MIN_CASH_RATIO, cash_ratio, np.nan
    max_symbol_weight = cfg[CfgField.MAX_SYMBOL_WEIGHT]
    if not math.isnan(max_symbol_weight):
        weight = (abs(sim.symbols[s].pos) * px + value_open) / st.equity
        if breaches_nb(weight, max_symbol_weight, BOUNDARIES[Rule.MAX_SYMBOL_WEIGHT]):
            return Rule.MAX_SYMBOL_WEIGHT, weight, np.nan
    max_total_weight = cfg[CfgField.MAX_TOTAL_WEIGHT]
    if not math.isnan(max_total_weight):
        weight = (held_value_nb(sim) + pending_value + value_open) / st.equity
        if breaches_nb(weight, max_total_weight, BOUNDARIES[Rule.MAX_TOTAL_WEIGHT]):
            return Rule.MAX_TOTAL_WEIGHT, weight, np.nan
    return -1, np.nan, np.nan


@njit(cache=True, inline="always")
def pending_buys_nb(sim, buy_unit, comm):
    """Cash the waiting buy orders will need at their signal prices, and their value."""
    cost = value = 0.0
    if sim.state[0].n_pending == 0:
        return cost, value
    for s in range(sim.symbols.shape[0]):
        rec = sim.symbols[s]
        if rec.pend_side > 0:
            cost += rec.pend_qty * (rec.pend_ref * buy_unit + comm)
            value += rec.pend_qty * rec.pend_ref
    return cost, value


@njit(cache=True, inline="always")
def held_value_nb(sim):
    """Gross value of the positions at their last prices, in book order."""
    exposure = 0.0
    for k in range(sim.state[0].n_book):
        rec = sim.symbols[sim.book[k]]
        if rec.pos != 0.0:
            exposure += abs(rec.pos) * rec.last
    return exposure


# --- one combination -----------------------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def run_bars_nb(mk, cfg, sim, ev, out, lo, hi):
    """The bar loop: the steps of each bar of ``[lo, hi)`` in the engine's order.

    Compiled without reference counting (``_nrt=False``; it allocates nothing, and ``simulate_nb`` keeps every
    array alive), so the step kernels inlined here cost what one hand-written loop costs.
    """
    t = lo
    while t < hi:
        st = sim.state[0]
        if st.n_pending == 0:
            t = skip_flat_nb(mk, sim, ev, out, lo, hi, t) if st.n_held == 0 else hold_nb(mk, cfg, sim, ev, out, lo,
                                                                                          hi, t)
            if t >= hi:
                break
        start_session_nb(mk, cfg, sim, lo, t)
        match_pending_nb(mk, cfg, sim, out, t)
        mark_to_close_nb(mk, cfg, sim, out, t)
        submit_signals_nb(mk, cfg, sim, ev, out, t)
        t += 1


@njit(cache=True)
def simulate_nb(mk, cfg, sig, lo, hi, out):
    """Simulate one parameter combination over rows ``[lo, hi)``; return its status bits.

    ``mk`` is the market (``MarketArrays``): ``open``/``close``/``has_bar`` (bars, symbols); ``times`` bar close
    times (int64 ns UTC); ``day`` the dense session number of each bar and ``session_end`` the row after each
    session's last bar; ``tod`` New York time of day in
    microseconds (read only when the trading-hours rule is on); ``bench_close`` the benchmark close per session
    number (empty: no benchmark). ``cfg`` is the float vector of ``CfgField``. ``sig`` (``SignalInputs``) says
    where entries and exits come from (``signal_events_nb``). ``out`` (``Outputs``) takes the metrics (NaN for
    undefined) and the denials per rule code; with ``out.record``, also equity per row, fill and denial records
    and their counts.
    """
    for k in range(N_RULES):
        out.rule_counts[k] = 0
    ev = signal_events_nb(mk.has_bar, lo, hi, sig)
    sim = new_simulation_nb(mk, cfg, lo, hi, ev)
    run_bars_nb(mk, cfg, sim, ev, out, lo, hi)
    finish_nb(mk, cfg, sim, out, lo, hi)
    return sim.state[0].status


# --- metrics -------------------------------------------------------------------------------------------------


@njit(cache=True)
def metrics_nb(out, daily, trades, n_opened, final, init_cash, worst_dd, total_comm, bench_close, day0):
    """The report metrics of ``engine/metrics.py`` from one combination's streamed state; returns the daily
    returns."""
    for k in range(N_METRICS):
        out[k] = np.nan
    out[Metric.FINAL_EQUITY] = final
    out[Metric.TRADING_DAYS] = daily.shape[0]
    out[Metric.TOTAL_COMMISSION] = total_comm
    out[Metric.MAX_DRAWDOWN] = min(worst_dd, 0.0)
    returns = return_metrics_nb(out, daily, final, init_cash)
    benchmark_metrics_nb(out, returns, bench_close, day0)
    trade_metrics_nb(out, trades, n_opened)
    return returns


@njit(cache=True)
def return_metrics_nb(out, daily, final, init_cash):
    """Total and annualized return, worst day and Sharpe ratio; returns the daily returns."""
    n_days = daily.shape[0]
    total = (final - init_cash) / init_cash
    out[Metric.TOTAL_RETURN] = total
    if n_days > 0 and total >= -1.0:
        out[Metric.ANNUALIZED_RETURN] = _finite_or_nan((1.0 + total) ** (_YEAR / n_days) - 1.0)
    returns = np.empty(n_days)
    previous = init_cash
    for j in range(n_days):
        returns[j] = daily[j] / previous - 1.0
        previous = daily[j]
    if n_days > 0:
        worst = returns[0]
        for j in range(1, n_days):
            if returns[j] < worst or math.isnan(returns[j]):
                worst = returns[j]
        out[Metric.MAX_DAILY_LOSS] = _finite_or_nan(worst)
    if n_days >= 2 and not _all_equal(returns, n_days):
        std = math.sqrt(_var(returns, n_days, 1))
        if std != 0.0:
            out[Metric.SHARPE_RATIO] = _finite_or_nan(_mean(returns, n_days) / std * math.sqrt(_YEAR))
    return returns


@njit(cache=True)
def benchmark_metrics_nb(out, returns, bench_close, day0):
    """Alpha and beta against the benchmark's daily returns (sessions where both are finite)."""
    n_days = returns.shape[0]
    if bench_close.size == 0 or n_days == 0:
        return
    r_p = np.empty(n_days)
    r_b = np.empty(n_days)
    n = 0
    for j in range(1, n_days):
        b = bench_close[day0 + j] / bench_close[day0 + j - 1] - 1.0
        if math.isfinite(returns[j]) and math.isfinite(b):
            r_p[n] = returns[j]
            r_b[n] = b
            n += 1
    if n < 2:
        return
    var_b = _var(r_b, n, 1)
    if _all_equal(r_b, n) or var_b == 0.0:
        return
    mean_p = _mean(r_p, n)
    mean_b = _mean(r_b, n)
    prod = np.empty(n)
    for j in range(n):
        prod[j] = (r_p[j] - mean_p) * (r_b[j] - mean_b)
    cov = pairwise_sum_nb(prod, 0, n) * (1.0 / (n - 1))
    beta = cov / var_b
    out[Metric.BETA] = _finite_or_nan(beta)
    out[Metric.ALPHA] = _finite_or_nan((mean_p - beta * mean_b) * _YEAR)


@njit(cache=True)
def trade_metrics_nb(out, trades, n_opened):
    """Closed round trips: count, win rate, average holding days, profit/loss ratio."""
    closed = n_win = n_loss = 0
    wins = np.empty(n_opened)
    losses = np.empty(n_opened)
    holds = np.empty(n_opened)
    for k in range(n_opened):
        pnl = trades[TradeF.PNL, k]
        if math.isnan(pnl):  # still open
            continue
        holds[closed] = trades[TradeF.HOLD_DAYS, k]
        closed += 1
        if pnl > 0:
            wins[n_win] = pnl
            n_win += 1
        elif pnl < 0:
            losses[n_loss] = pnl
            n_loss += 1
    out[Metric.TOTAL_TRADES] = closed
    if closed > 0:
        out[Metric.WIN_RATE] = n_win / closed
        out[Metric.AVG_HOLDING_DAYS] = _mean(holds, closed)
    if n_win > 0 and n_loss > 0:
        out[Metric.PROFIT_LOSS_RATIO] = _finite_or_nan(_mean(wins, n_win) / abs(_mean(losses, n_loss)))


# --- many combinations ---------------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def sweep_signals_nb(mk, cfg, lo, hi, entries, exits, no_series, returns):
    """Simulate every combination of precomputed ``entries``/``exits`` (bars, combos x symbols), one after the
    other, without holding the GIL (callers run batches on several threads).

    ``no_series`` is an unused Fortran-ordered float placeholder for a fused rule's series (so every caller
    compiles ``simulate_nb`` for the same argument types). ``returns`` (combos, sessions) float32 takes each
    combination's daily returns; give it zero columns to keep none.
    Returns ``(metrics (combos, N_METRICS), rule_counts (combos, N_RULES), status (combos,))``.
    """
    n_combo = entries.shape[1] // mk.close.shape[1]
    metrics = np.empty((n_combo, N_METRICS))
    counts = np.zeros((n_combo, N_RULES), dtype=np.int64)
    status = np.zeros(n_combo, dtype=np.int64)
    cols = np.full(N_FUSED_COLS, -1, dtype=np.int64)
    levels = np.full(N_FUSED_LEVELS, np.nan)
    warmup = np.zeros(2, dtype=np.int64)
    for c in range(n_combo):
        sig = SignalInputs(SignalSource.ARRAYS, entries, exits, c, no_series, cols, levels, warmup)
        status[c] = simulate_nb(mk, cfg, sig, lo, hi, _unrecorded(metrics[c], counts[c], returns[c]))
    return metrics, counts, status


@njit(cache=True, parallel=True)
def sweep_fused_nb(mk, cfg, lo, hi, series, source, cols, levels, warmup, no_signals, returns):
    """A fused rule's sweep: combination ``c`` reads the ``series`` columns ``cols[c]`` (each distinct indicator
    computed once by the caller) with bounds ``levels[c]`` and warm-up ``warmup[c]``; ``source`` is the rule's
    ``SignalSource``; ``no_signals`` is an unused Fortran-ordered boolean placeholder; ``returns`` as in
    ``sweep_signals_nb``.

    Returns ``(metrics, rule_counts, status)`` like ``sweep_signals_nb``.
    """
    n_combo = cols.shape[0]
    metrics = np.empty((n_combo, N_METRICS))
    counts = np.zeros((n_combo, N_RULES), dtype=np.int64)
    status = np.zeros(n_combo, dtype=np.int64)
    for c in prange(n_combo):
        sig = SignalInputs(source, no_signals, no_signals, 0, series, cols[c], levels[c], warmup[c])
        status[c] = simulate_nb(mk, cfg, sig, lo, hi, _unrecorded(metrics[c], counts[c], returns[c]))
    return metrics, counts, status


@njit(cache=True)
def _unrecorded(metrics, rule_counts, returns):
    """``Outputs`` that keep metrics, denial counts and (when ``returns`` is not empty) daily returns."""
    return Outputs(False, np.empty(0), np.empty(0, dtype=FILL_DT), np.empty(0, dtype=DENIAL_DT),
                   np.zeros(2, dtype=np.int64), metrics, rule_counts, returns)
