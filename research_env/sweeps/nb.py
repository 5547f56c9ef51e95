"""Numba kernels of the vectorized sweep: pure functions over arrays, no pandas.

Arrays are 2-D ``(bars, columns)`` and Fortran-ordered (each column is
contiguous, so a combination streams down its own columns), with at least two
columns: numba types a one-column array as C-ordered, which would compile a
second copy of every kernel, so callers pad one symbol with an empty column.
Market columns are symbols; signal columns are ``combo * n_symbols + symbol``;
moving-average columns are ``window * n_symbols + symbol``. A bar a symbol does
not have is ``has_bar[row, col] == False``.

``simulate_nb`` reproduces the bar-by-bar engine (``research_env.engine``) for
long-only entry/exit signals: at every bar it matches each symbol's waiting
order at the open (slippage, commission, the price-deviation check for
entries), marks the portfolio to the closes, updates the drawdown halt and the
session's starting equity, then turns each symbol's signal into an order
through the rules of the engine's risk table (``engine/risk.py``), in its order,
with its one comparison (``breaches``, compiled here as ``breaches_nb``) and
its rule codes. Float operations follow the engine's order so the numbers agree
to the last bit where the engine is deterministic. The signals come from
``signal_events_nb`` (``array_events_nb`` or ``cross_events_nb``); the metrics
of ``engine/metrics.py`` are computed by ``return_metrics_nb``,
``benchmark_metrics_nb`` and ``trade_metrics_nb``; sums use numpy's pairwise
summation.

The simulation visits every bar while something is held or waiting, and jumps
straight to the next signal while the portfolio is flat (equity is the cash).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..engine.risk import BOUNDARIES, breaches
from .enums import (
    DENIAL_DT,
    DUPLICATE_SLOTS,
    FILL_DT,
    N_METRICS,
    N_RULES,
    STATUS_DUPLICATE_UNVERIFIED,
    CfgField,
    Metric,
    Outputs,
    Rule,
    SignalInputs,
    SignalSource,
    TradeF,
)

__all__ = [
    "array_events_nb",
    "benchmark_metrics_nb",
    "cross_events_nb",
    "metrics_nb",
    "pairwise_sum_nb",
    "return_metrics_nb",
    "signal_events_nb",
    "simulate_nb",
    "sweep_cross_nb",
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


@njit(cache=True)
def array_events_nb(has_bar, lo, hi, entries, exits, col, s, rows, flags):
    """Bars of ``[lo, hi)`` where signal column ``col`` (of symbol ``s``) enters or exits; returns their count."""
    n = 0
    for t in range(lo, hi):
        if has_bar[t, s] and (entries[t, col] or exits[t, col]):
            rows[n] = t
            flags[n] = (1 if entries[t, col] else 0) + (2 if exits[t, col] else 0)
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
    for t in range(hi):
        if not has_bar[t, s]:
            continue
        state = _cross_state(ma[t, fast], ma[t, slow])
        flag = 0
        if guide:
            seen += 1
            if min(seen, warmup[1]) < warmup[0]:
                continue
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


@njit(cache=True)
def signal_events_nb(has_bar, lo, hi, sig):
    """Each symbol's signal bars in ``[lo, hi)``: ``rows[s, :count[s]]`` and ``flags`` (1 entry, 2 exit, 3 both)."""
    n_sym = has_bar.shape[1]
    rows = np.empty((n_sym, max(hi - lo, 1)), dtype=np.int64)
    flags = np.empty((n_sym, max(hi - lo, 1)), dtype=np.int8)
    count = np.zeros(n_sym, dtype=np.int64)
    entries, exits, ma, warmup = sig.entries, sig.exits, sig.ma, sig.warmup
    guide = sig.source == SignalSource.CROSS_GUIDE
    for s in range(n_sym):
        if sig.source == SignalSource.ARRAYS:
            count[s] = array_events_nb(has_bar, lo, hi, entries, exits, sig.combo * n_sym + s, s, rows[s], flags[s])
        else:
            count[s] = cross_events_nb(has_bar, lo, hi, ma, sig.fast_col * n_sym + s, sig.slow_col * n_sym + s,
                                       warmup, guide, s, rows[s], flags[s])
    return rows, flags, count


# --- one combination -----------------------------------------------------------------------------------------


@njit(cache=True)
def simulate_nb(mk, cfg, sig, lo, hi, out):  # noqa: C901 - one loop on purpose, see the docstring
    """Simulate one parameter combination over rows ``[lo, hi)``; return its status bits.

    ``mk`` is the market (``MarketArrays``): ``open``/``close``/``has_bar`` (bars, symbols); ``times`` bar close
    times (int64 ns UTC); ``day`` the dense session number of each bar; ``tod`` New York time of day in
    microseconds (read only when the trading-hours rule is on); ``bench_close`` the benchmark close per session
    number (empty: no benchmark). ``cfg`` is the float vector of ``CfgField``. ``sig`` (``SignalInputs``) says
    where entries and exits come from (``signal_events_nb``). ``out`` (``Outputs``) takes the metrics (NaN for
    undefined) and the denials per rule code; with ``out.record``, also equity per row, fill and denial records
    and their counts.

    One loop, on purpose: every rule is the risk table's (``breaches_nb`` with ``BOUNDARIES``), but the bar loop
    stays in one function because numba counts references to each array passed to a called kernel, and at one
    call per signal that costs the sweep about 1.8x its time.
    """
    open_, close, has_bar, times, day, tod = mk.open, mk.close, mk.has_bar, mk.times, mk.day, mk.tod
    bench_close = mk.bench_close
    record, equity_out, fills_out, denials_out = out.record, out.equity, out.fills, out.denials
    counts_out, metrics_out, rule_counts_out = out.counts, out.metrics, out.rule_counts
    n_sym = close.shape[1]
    init_cash = cfg[CfgField.INITIAL_CASH]
    slip = cfg[CfgField.SLIPPAGE]
    comm = cfg[CfgField.COMMISSION]
    ratio = cfg[CfgField.SIZE_RATIO]
    fixed = cfg[CfgField.FIXED_QUANTITY]
    max_order_value = cfg[CfgField.MAX_ORDER_VALUE]
    max_symbol_weight = cfg[CfgField.MAX_SYMBOL_WEIGHT]
    max_total_weight = cfg[CfgField.MAX_TOTAL_WEIGHT]
    min_cash_ratio = cfg[CfgField.MIN_CASH_RATIO]
    allow_margin = cfg[CfgField.ALLOW_MARGIN] != 0.0
    max_daily_loss = cfg[CfgField.MAX_DAILY_LOSS]
    max_dd = cfg[CfgField.MAX_DRAWDOWN]
    max_dev = cfg[CfgField.MAX_PRICE_DEVIATION]
    dup_window = cfg[CfgField.DUPLICATE_WINDOW]
    hours = cfg[CfgField.TRADING_HOURS] != 0.0
    buy_unit = 1.0 + slip
    sell_unit = 1.0 - slip
    status = 0

    for k in range(N_RULES):
        rule_counts_out[k] = 0

    cash = init_cash
    pos = np.zeros(n_sym)
    last = np.full(n_sym, np.nan)
    book = np.empty(n_sym, dtype=np.int64)  # symbols in the order of their first fill (the engine's dict order)
    in_book = np.zeros(n_sym, dtype=np.bool_)
    n_book = 0
    n_held = 0
    pend_side = np.zeros(n_sym, dtype=np.int64)
    pend_qty = np.zeros(n_sym)
    pend_ref = np.zeros(n_sym)
    pend_no = np.zeros(n_sym, dtype=np.int64)
    n_pending = 0
    dup_t = np.zeros((n_sym, 2, _DUP_SLOTS), dtype=np.int64)
    dup_q = np.zeros((n_sym, 2, _DUP_SLOTS))
    dup_n = np.zeros((n_sym, 2), dtype=np.int64)
    # open round trips: cash flow so far, entry time, sequence number in opening order
    trade_cash = np.zeros(n_sym)
    trade_entry = np.zeros(n_sym, dtype=np.int64)
    trade_seq = np.zeros(n_sym, dtype=np.int64)
    max_trades = (max(hi - lo, 0) + 1) * n_sym // 2 + n_sym
    trade_pnl = np.empty(max_trades)
    trade_hold = np.empty(max_trades)
    trade_closed = np.zeros(max_trades, dtype=np.bool_)
    n_opened = 0
    total_comm = 0.0
    order_no = 0
    n_fills = 0
    n_denials = 0

    day0 = day[lo] if hi > lo else 0
    n_days = day[hi - 1] - day0 + 1 if hi > lo else 0
    daily = np.empty(n_days)
    peak = init_cash
    halted = False
    halt_below = init_cash * (1.0 - max_dd) if not math.isnan(max_dd) else -np.inf
    day_start = init_cash
    equity = init_cash
    worst_dd = 0.0
    low = init_cash  # lowest equity since ``peak`` was set

    ev_rows, ev_flags, ev_count = signal_events_nb(has_bar, lo, hi, sig)
    ev_next = np.zeros(n_sym, dtype=np.int64)
    t = lo
    while t < hi:
        if n_held == 0 and n_pending == 0:
            # flat with nothing waiting: equity stays the cash until the next signal, so jump to it
            target = hi
            for s in range(n_sym):
                if ev_next[s] < ev_count[s] and ev_rows[s, ev_next[s]] < target:
                    target = ev_rows[s, ev_next[s]]
            if target > t:
                new_day = t > lo and day[t] != day[t - 1]
                if new_day:
                    daily[day[t - 1] - day0] = equity
                if new_day or day[target - 1] != day[t]:
                    day_start = equity
                for d in range(day[t] - day0, day[target - 1] - day0 + 1):
                    daily[d] = equity
                if record:
                    for r in range(t, target):
                        equity_out[r] = equity
                t = target
                if t >= hi:
                    break

        # a new session starts from the last equity of the previous one (``equity`` is still that bar's)
        if t == lo:
            day_start = init_cash
        elif day[t] != day[t - 1]:
            daily[day[t - 1] - day0] = equity
            day_start = equity

        # --- 1. match waiting orders at this bar's open
        filled = False
        if n_pending > 0:
            for s in range(n_sym):
                side = pend_side[s]
                if side == 0 or not has_bar[t, s]:
                    continue
                pend_side[s] = 0
                n_pending -= 1
                o = open_[t, s]
                q = pend_qty[s]
                ref = pend_ref[s]
                if side > 0 and not math.isnan(max_dev):  # exits only close a position: they always fill
                    moved = abs(o - ref) / ref
                    if breaches_nb(moved, max_dev, BOUNDARIES[Rule.MAX_PRICE_DEVIATION]):
                        rule_counts_out[Rule.MAX_PRICE_DEVIATION] += 1
                        if record:
                            d = denials_out[n_denials]
                            d["order"], d["row"], d["col"], d["side"] = pend_no[s], t, s, side
                            d["quantity"], d["rule"], d["value"], d["other"] = q, Rule.MAX_PRICE_DEVIATION, moved, ref
                        n_denials += 1
                        continue
                filled = True
                price = o * buy_unit if side > 0 else o * sell_unit
                commission = q * comm
                signed = q if side > 0 else -q
                cash -= signed * price + commission
                total_comm += commission
                if not in_book[s]:
                    in_book[s] = True
                    book[n_book] = s
                    n_book += 1
                old = pos[s]
                new = old + signed
                if side > 0:
                    pos[s] = new
                    last[s] = close[t, s]
                    if old == 0.0:
                        n_held += 1
                        trade_cash[s] = 0.0
                        trade_cash[s] -= signed * price + commission
                        trade_entry[s] = times[t]
                        trade_seq[s] = n_opened
                        n_opened += 1
                    else:
                        trade_cash[s] -= signed * price + commission
                else:
                    pos[s] = 0.0 if abs(new) < 1e-12 else new
                    trade_cash[s] -= signed * price + commission
                    if pos[s] == 0.0:
                        n_held -= 1
                        k = trade_seq[s]
                        trade_pnl[k] = trade_cash[s]
                        trade_hold[k] = ((times[t] - trade_entry[s]) // 1000) / 1e6 / 86400.0
                        trade_closed[k] = True
                if record:
                    f = fills_out[n_fills]
                    f["order"], f["row"], f["col"], f["side"] = pend_no[s], t, s, side
                    f["quantity"], f["price"], f["commission"] = q, price, commission
                n_fills += 1

        # --- 2. mark to the closes: equity, drawdown halt, session start. Flat with no fill, equity is the
        # unchanged cash, so peak, halt and drawdown cannot change either.
        if n_held > 0 or filled:
            equity = cash
            for k in range(n_book):
                s = book[k]
                if pos[s] != 0.0:
                    if has_bar[t, s]:
                        last[s] = close[t, s]
                    equity += pos[s] * last[s]
            if equity > peak:
                # the bars since the last peak are settled: their deepest drawdown is the lowest equity's
                dd = low / peak - 1.0
                if dd < worst_dd:
                    worst_dd = dd
                peak = equity
                low = equity
                if not math.isnan(max_dd):
                    halt_below = equity * (1.0 - max_dd)
            elif breaches_nb(equity, halt_below, BOUNDARIES[Rule.MAX_DRAWDOWN]):
                halted = True
            if equity < low:
                low = equity
        if record:
            equity_out[t] = equity

        # --- 3. signals to orders through the risk rules
        for s in range(n_sym):
            if not has_bar[t, s]:
                continue
            k = ev_next[s]
            if k >= ev_count[s] or ev_rows[s, k] != t:
                continue
            ev_next[s] = k + 1
            go_in = (ev_flags[s, k] & 1) != 0
            go_out = (ev_flags[s, k] & 2) != 0
            holding = pos[s] != 0.0
            if holding:
                if not go_out:
                    continue
                side = -1
            else:
                if not go_in:
                    continue
                side = 1
            no = order_no
            order_no += 1
            px = close[t, s]
            rule = -1
            value = other = np.nan
            if side > 0:
                if not math.isnan(fixed):
                    q = fixed
                else:
                    budget = equity * ratio
                    q = float(math.floor(budget / px))
                    if q < 1:
                        rule = Rule.POSITION_SIZE
                        value = budget
            else:
                q = pos[s]
            opening = q if side > 0 else 0.0
            if rule < 0 and hours and breaches_nb(tod[t] / 1e6, np.nan, BOUNDARIES[Rule.TRADING_HOURS]):
                rule = Rule.TRADING_HOURS
                value = tod[t] / 1e6
            if rule < 0 and halted and opening > 0:
                rule = Rule.MAX_DRAWDOWN
                value = equity / peak - 1.0
            if rule < 0 and not math.isnan(max_daily_loss) and opening > 0:
                day_return = equity / day_start - 1.0
                if breaches_nb(day_return, -max_daily_loss, BOUNDARIES[Rule.MAX_DAILY_LOSS]):
                    rule = Rule.MAX_DAILY_LOSS
                    value = day_return
            if rule < 0 and not math.isnan(dup_window):
                ks = 0 if side > 0 else 1
                n_dup = dup_n[s, ks]
                kept = min(n_dup, _DUP_SLOTS)
                checked = 0
                for j in range(kept):
                    slot = (n_dup - 1 - j) % _DUP_SLOTS
                    age = ((times[t] - dup_t[s, ks, slot]) // 1000) / 1e6
                    if not breaches_nb(age, dup_window, BOUNDARIES[Rule.DUPLICATE_ORDER]):
                        break
                    checked += 1
                    if dup_q[s, ks, slot] == q:
                        rule = Rule.DUPLICATE_ORDER
                        value = age
                        break
                if rule < 0 and checked == _DUP_SLOTS and n_dup > _DUP_SLOTS:
                    status |= STATUS_DUPLICATE_UNVERIFIED
            value_open = opening * px
            if (rule < 0 and not math.isnan(max_order_value) and opening > 0
                    and breaches_nb(value_open, max_order_value, BOUNDARIES[Rule.MAX_ORDER_VALUE])):
                rule = Rule.MAX_ORDER_VALUE
                value = value_open
                other = opening
            if rule < 0 and opening > 0:
                pending_cost = 0.0
                pending_value = 0.0
                if n_pending > 0:
                    for s2 in range(n_sym):
                        if pend_side[s2] > 0:
                            pending_cost += pend_qty[s2] * (pend_ref[s2] * buy_unit + comm)
                            pending_value += pend_qty[s2] * pend_ref[s2]
                        elif pend_side[s2] < 0:
                            pending_value += 0.0 * pend_ref[s2]
                free_cash = cash - pending_cost
                cost = opening * (px * buy_unit + comm)
                if not allow_margin and breaches_nb(cost, free_cash, BOUNDARIES[Rule.ALLOW_MARGIN]):
                    rule = Rule.ALLOW_MARGIN
                    value = cost
                    other = free_cash
                if rule < 0 and not math.isnan(min_cash_ratio):
                    cash_ratio = (free_cash - cost) / equity
                    if breaches_nb(cash_ratio, min_cash_ratio, BOUNDARIES[Rule.MIN_CASH_RATIO]):
                        rule = Rule.MIN_CASH_RATIO
                        value = cash_ratio
                if rule < 0 and not math.isnan(max_symbol_weight):
                    weight = (abs(pos[s]) * px + value_open) / equity
                    if breaches_nb(weight, max_symbol_weight, BOUNDARIES[Rule.MAX_SYMBOL_WEIGHT]):
                        rule = Rule.MAX_SYMBOL_WEIGHT
                        value = weight
                if rule < 0 and not math.isnan(max_total_weight):
                    exposure = 0.0
                    for k in range(n_book):
                        s2 = book[k]
                        if pos[s2] != 0.0:
                            exposure += abs(pos[s2]) * last[s2]
                    weight = (exposure + pending_value + value_open) / equity
                    if breaches_nb(weight, max_total_weight, BOUNDARIES[Rule.MAX_TOTAL_WEIGHT]):
                        rule = Rule.MAX_TOTAL_WEIGHT
                        value = weight
            if rule >= 0:
                rule_counts_out[rule] += 1
                if record:
                    d = denials_out[n_denials]
                    d["order"], d["row"], d["col"], d["side"] = no, t, s, side
                    d["quantity"], d["rule"], d["value"], d["other"] = q, rule, value, other
                n_denials += 1
                continue
            if not math.isnan(dup_window):
                ks = 0 if side > 0 else 1
                slot = dup_n[s, ks] % _DUP_SLOTS
                dup_t[s, ks, slot] = times[t]
                dup_q[s, ks, slot] = q
                dup_n[s, ks] += 1
            pend_side[s] = side
            pend_qty[s] = q
            pend_ref[s] = px
            pend_no[s] = no
            n_pending += 1

        t += 1

    if hi > lo:
        daily[day[hi - 1] - day0] = equity
    dd = low / peak - 1.0
    if dd < worst_dd:
        worst_dd = dd
    trades = np.empty((len(TradeF), n_opened))
    for k in range(n_opened):
        trades[TradeF.PNL, k] = trade_pnl[k] if trade_closed[k] else np.nan
        trades[TradeF.HOLD_DAYS, k] = trade_hold[k]
    metrics_nb(metrics_out, daily, trades, n_opened, equity if hi > lo else init_cash, init_cash, worst_dd,
               total_comm, bench_close, day0)
    if record:
        counts_out[0] = n_fills
        counts_out[1] = n_denials
    return status


# --- metrics -------------------------------------------------------------------------------------------------


@njit(cache=True)
def metrics_nb(out, daily, trades, n_opened, final, init_cash, worst_dd, total_comm, bench_close, day0):
    """The report metrics of ``engine/metrics.py`` from one combination's streamed state."""
    for k in range(N_METRICS):
        out[k] = np.nan
    out[Metric.FINAL_EQUITY] = final
    out[Metric.TRADING_DAYS] = daily.shape[0]
    out[Metric.TOTAL_COMMISSION] = total_comm
    out[Metric.MAX_DRAWDOWN] = min(worst_dd, 0.0)
    returns = return_metrics_nb(out, daily, final, init_cash)
    benchmark_metrics_nb(out, returns, bench_close, day0)
    trade_metrics_nb(out, trades, n_opened)


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


@njit(cache=True, parallel=True)
def sweep_signals_nb(mk, cfg, lo, hi, entries, exits, no_ma):
    """Simulate every combination of precomputed ``entries``/``exits`` (bars, combos x symbols) in parallel.

    ``no_ma`` is an unused Fortran-ordered float placeholder for the moving averages (so every caller compiles
    ``simulate_nb`` for the same argument types).
    Returns ``(metrics (combos, N_METRICS), rule_counts (combos, N_RULES), status (combos,))``.
    """
    n_combo = entries.shape[1] // mk.close.shape[1]
    metrics = np.empty((n_combo, N_METRICS))
    counts = np.zeros((n_combo, N_RULES), dtype=np.int64)
    status = np.zeros(n_combo, dtype=np.int64)
    warmup = np.zeros(2, dtype=np.int64)
    for c in prange(n_combo):
        sig = SignalInputs(SignalSource.ARRAYS, entries, exits, c, no_ma, 0, 0, warmup)
        status[c] = simulate_nb(mk, cfg, sig, lo, hi, _unrecorded(metrics[c], counts[c]))
    return metrics, counts, status


@njit(cache=True, parallel=True)
def sweep_cross_nb(mk, cfg, lo, hi, ma, source, fast_col, slow_col, warmup, no_signals):
    """The fused moving-average crossover sweep: combination ``c`` compares MA columns ``fast_col[c]`` and
    ``slow_col[c]`` (each distinct window computed once by the caller); ``warmup[c]`` is (bars, history cap);
    ``no_signals`` is an unused Fortran-ordered boolean placeholder.

    Returns ``(metrics, rule_counts, status)`` like ``sweep_signals_nb``.
    """
    n_combo = fast_col.shape[0]
    metrics = np.empty((n_combo, N_METRICS))
    counts = np.zeros((n_combo, N_RULES), dtype=np.int64)
    status = np.zeros(n_combo, dtype=np.int64)
    for c in prange(n_combo):
        sig = SignalInputs(source, no_signals, no_signals, 0, ma, fast_col[c], slow_col[c], warmup[c])
        status[c] = simulate_nb(mk, cfg, sig, lo, hi, _unrecorded(metrics[c], counts[c]))
    return metrics, counts, status


@njit(cache=True)
def _unrecorded(metrics, rule_counts):
    """``Outputs`` that keep metrics and denial counts only."""
    return Outputs(False, np.empty(0), np.empty(0, dtype=FILL_DT), np.empty(0, dtype=DENIAL_DT),
                   np.zeros(2, dtype=np.int64), metrics, rule_counts)
