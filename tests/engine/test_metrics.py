"""Report metrics: hand-computed small cases, every None case, and cross-checks on a random year."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from research_env.core.enums import OrderSide
from research_env.core.models import Trade
from research_env.engine.metrics import (
    LABELS,
    Metrics,
    alpha_beta,
    annualized_return,
    avg_holding_days,
    compute_metrics,
    daily_equity,
    daily_returns,
    drawdown_series,
    max_daily_loss,
    max_drawdown,
    profit_loss_ratio,
    sharpe_ratio,
    total_return,
    total_trades,
    win_rate,
)

REL = 1e-12
START = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)


def daily_curve(values: list[float], first_session: str = "2024-01-02") -> tuple[pd.Series, np.ndarray]:
    """One equity point per business day, stamped 21:00 UTC (the NY close), and its session dates."""
    sessions = pd.bdate_range(first_session, periods=len(values))
    index = pd.DatetimeIndex(sessions + pd.Timedelta(hours=21)).tz_localize("UTC")
    return pd.Series(values, index=index, dtype=float), sessions.to_numpy().astype("datetime64[D]")


def closed_trade(pnl: float, held: timedelta = timedelta(days=1), commission: float = 0.0) -> Trade:
    """A closed round trip entered at START with the given pnl and holding time."""
    return Trade(
        symbol="AAPL",
        side=OrderSide.BUY,
        quantity=10.0,
        entry_time=START,
        entry_price=100.0,
        exit_time=START + held,
        exit_price=100.0 + pnl / 10.0,
        pnl=pnl,
        commission=commission,
    )


def open_trade() -> Trade:
    """A position that has not returned to flat: it counts in no trade metric."""
    return Trade(symbol="MSFT", side=OrderSide.BUY, quantity=5.0, entry_time=START, entry_price=300.0)


def returns_series(values: list[float]) -> pd.Series:
    """Daily returns on consecutive business days."""
    return pd.Series(values, index=pd.bdate_range("2024-01-02", periods=len(values)), dtype=float)


# --- equity sampling ---------------------------------------------------------------------------------


def test_daily_equity_keeps_last_bar_of_each_session_date():
    # Hourly bars over two sessions; the 00:30 UTC bar on Jan 3 is still the Jan 2 NY session
    # (19:30 New York), so session Jan 2 ends at 107 and session Jan 3 at 103.
    index = pd.DatetimeIndex(
        ["2024-01-02 15:30", "2024-01-02 21:00", "2024-01-03 00:30", "2024-01-03 15:30", "2024-01-03 21:00"]
    ).tz_localize("UTC")
    equity = pd.Series([101.0, 104.0, 107.0, 99.0, 103.0], index=index)
    sessions = np.array(
        ["2024-01-02", "2024-01-02", "2024-01-02", "2024-01-03", "2024-01-03"], "datetime64[D]"
    )

    daily = daily_equity(equity, sessions)

    assert daily.tolist() == [107.0, 103.0]
    assert list(daily.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert daily.index.dtype == np.dtype("datetime64[ns]")
    assert daily.index.tz is None


def test_daily_equity_rejects_session_dates_of_another_length():
    equity, sessions = daily_curve([100.0, 101.0])
    with pytest.raises(ValueError, match="`session_dates` has 1 dates"):
        daily_equity(equity, sessions[:1])


def test_daily_equity_rejects_session_dates_out_of_order():
    equity, sessions = daily_curve([100.0, 101.0])
    with pytest.raises(ValueError, match="in time order"):
        daily_equity(equity, sessions[::-1])


def test_daily_returns_measure_first_day_against_initial_cash():
    # initial 100 -> 110 -> 99 -> 120: 110/100 - 1 = 0.1, 99/110 - 1 = -0.1, 120/99 - 1 = 21/99.
    daily = returns_series([110.0, 99.0, 120.0])

    returns = daily_returns(daily, 100.0)

    assert returns.tolist() == pytest.approx([0.1, -0.1, 21 / 99], rel=REL)
    assert returns.index.equals(daily.index)


def test_drawdown_series_peak_starts_at_initial_cash():
    # initial 100, equity 90, 95, 105, 84: peaks 100, 100, 105, 105
    # -> 90/100-1 = -0.1, 95/100-1 = -0.05, 0, 84/105-1 = -0.2.
    equity, _ = daily_curve([90.0, 95.0, 105.0, 84.0])

    drawdown = drawdown_series(equity, 100.0)

    assert drawdown.tolist() == pytest.approx([-0.1, -0.05, 0.0, -0.2], rel=REL)
    assert drawdown.index.equals(equity.index)


# --- return and risk ---------------------------------------------------------------------------------


def test_max_drawdown_of_100_110_99_120_is_minus_ten_percent():
    # initial 100 -> 110 (peak) -> 99: 99/110 - 1 = -0.1; 120 is a new peak.
    equity, _ = daily_curve([110.0, 99.0, 120.0])
    assert max_drawdown(equity, 100.0) == pytest.approx(-0.1, rel=REL)


def test_max_drawdown_counts_a_first_bar_below_initial_cash():
    # initial 100 -> 80 -> 120: 80/100 - 1 = -0.2 although 80 is the first equity point.
    equity, _ = daily_curve([80.0, 120.0])
    assert max_drawdown(equity, 100.0) == pytest.approx(-0.2, rel=REL)


def test_max_drawdown_is_zero_when_equity_never_falls_below_peak():
    equity, _ = daily_curve([100.0, 101.0, 101.0, 105.0])
    assert max_drawdown(equity, 100.0) == 0.0


def test_max_drawdown_is_zero_for_empty_equity():
    equity, _ = daily_curve([])
    assert max_drawdown(equity, 100.0) == 0.0


def test_total_return_is_final_over_initial_minus_one():
    # (120 - 100) / 100 = 0.2
    equity, _ = daily_curve([110.0, 99.0, 120.0])
    assert total_return(equity, 100.0) == pytest.approx(0.2, rel=REL)


def test_total_return_is_zero_for_empty_equity():
    equity, _ = daily_curve([])
    assert total_return(equity, 100.0) == 0.0


def test_annualized_return_compounds_to_252_days():
    # 10% over 126 days is two half-years: 1.1 ** 2 - 1 = 0.21; 10% over 252 days stays 10%.
    assert annualized_return(0.1, 126) == pytest.approx(0.21, rel=REL)
    assert annualized_return(0.1, 252) == pytest.approx(0.1, rel=REL)


def test_annualized_return_is_none_without_days():
    assert annualized_return(0.0, 0) is None


def test_annualized_return_is_none_when_equity_ends_below_zero():
    # 1 + total < 0 has no real fractional power.
    assert annualized_return(-1.5, 10) is None


def test_annualized_return_is_minus_one_when_equity_ends_at_zero():
    assert annualized_return(-1.0, 10) == -1.0


def test_sharpe_ratio_of_three_hand_computed_returns():
    # returns 0.01, -0.02, 0.03: mean = 0.02/3 = 1/150; deviations 1/300, -8/300, 7/300,
    # sample variance = (1 + 64 + 49) / 300**2 / 2 = 19/30000;
    # sharpe = (1/150) / sqrt(19/30000) * sqrt(252) = sqrt(252 * 30000 / 19) / 150.
    returns = returns_series([0.01, -0.02, 0.03])
    assert sharpe_ratio(returns) == pytest.approx(math.sqrt(252 * 30000 / 19) / 150, rel=REL)


def test_sharpe_ratio_is_none_with_fewer_than_two_returns():
    assert sharpe_ratio(returns_series([0.01])) is None
    assert sharpe_ratio(returns_series([])) is None


def test_sharpe_ratio_is_none_when_every_return_is_equal():
    # mean(0.1, 0.1, 0.1) rounds to 0.10000000000000002, so np.std is ~1e-17, not 0: still None.
    assert sharpe_ratio(returns_series([0.1, 0.1, 0.1])) is None
    assert sharpe_ratio(returns_series([0.0, 0.0])) is None


def test_max_daily_loss_is_worst_daily_return():
    assert max_daily_loss(returns_series([0.1, -0.1, 0.05, -0.02])) == -0.1


def test_max_daily_loss_is_positive_when_no_day_lost():
    assert max_daily_loss(returns_series([0.03, 0.01, 0.02])) == 0.01


def test_max_daily_loss_is_none_without_days():
    assert max_daily_loss(returns_series([])) is None


# --- alpha and beta ----------------------------------------------------------------------------------


def two_x_benchmark_plus_ten_bp() -> tuple[pd.Series, pd.Series]:
    """Strategy daily returns = 2 x benchmark + 0.001 on days 2-4, so beta = 2, alpha = 0.001 x 252."""
    bench_returns = [0.02, -0.01, 0.03]
    closes = [200.0]
    for r in bench_returns:
        closes.append(closes[-1] * (1 + r))
    strategy = returns_series([0.05] + [2 * r + 0.001 for r in bench_returns])
    return strategy, pd.Series(closes, index=strategy.index)


def test_alpha_beta_of_two_x_benchmark_plus_ten_basis_points():
    # The first day has no benchmark return and drops out; on the rest r_p = 2 r_b + 0.001 exactly,
    # so cov/var = 2 and (mean r_p - 2 mean r_b) * 252 = 0.001 * 252 = 0.252.
    returns, closes = two_x_benchmark_plus_ten_bp()

    alpha, beta, note = alpha_beta(returns, closes)

    assert beta == pytest.approx(2.0, rel=REL)
    assert alpha == pytest.approx(0.252, rel=REL)
    assert note is None


def test_alpha_beta_reads_benchmark_only_on_strategy_session_dates():
    # Extra benchmark dates (before the backtest, a Saturday) are ignored, and an index that is
    # newest-first and tz-aware (midnight UTC) is read by calendar date.
    returns, closes = two_x_benchmark_plus_ten_bp()
    noise = pd.Series([1.0, 5000.0], index=pd.DatetimeIndex(["2023-12-29", "2024-01-06"]))
    extended = pd.concat([closes, noise]).sort_index(ascending=False).tz_localize("UTC")

    alpha, beta, _ = alpha_beta(returns, extended)

    assert beta == pytest.approx(2.0, rel=REL)
    assert alpha == pytest.approx(0.252, rel=REL)


def test_alpha_beta_is_none_with_fewer_than_two_common_days():
    # Benchmark closes only on days 1-2: one benchmark return, on day 2.
    returns, closes = two_x_benchmark_plus_ten_bp()

    alpha, beta, note = alpha_beta(returns, closes.iloc[:2])

    assert (alpha, beta) == (None, None)
    assert "found 1" in note


def test_alpha_beta_is_none_when_benchmark_returns_do_not_vary():
    returns, closes = two_x_benchmark_plus_ten_bp()
    flat = pd.Series(100.0, index=closes.index)

    alpha, beta, note = alpha_beta(returns, flat)

    assert (alpha, beta) == (None, None)
    assert "do not vary" in note


def test_alpha_beta_rejects_duplicate_benchmark_dates():
    returns, closes = two_x_benchmark_plus_ten_bp()
    with pytest.raises(ValueError, match="more than one close"):
        alpha_beta(returns, pd.concat([closes, closes.iloc[:1]]))


# --- trades ------------------------------------------------------------------------------------------


def test_trade_metrics_count_only_closed_trades():
    # Closed pnls 30, -10, 50, -20, 0 (plus one open trade, ignored): 5 closed, 2 winners -> 2/5;
    # mean win (30+50)/2 = 40, mean loss (-10-20)/2 = -15 -> 40/15 = 8/3; the 0 trade is neither.
    trades = [closed_trade(30.0), closed_trade(-10.0), open_trade(), closed_trade(50.0), closed_trade(-20.0)]
    trades.append(closed_trade(0.0))

    assert total_trades(trades) == 5
    assert win_rate(trades) == pytest.approx(0.4, rel=REL)
    assert profit_loss_ratio(trades) == pytest.approx(8 / 3, rel=REL)


def test_avg_holding_days_is_mean_of_fractional_days():
    # 1 day 12 hours = 1.5 days and 6 hours = 0.25 days -> (1.5 + 0.25) / 2 = 0.875.
    trades = [
        closed_trade(1.0, timedelta(days=1, hours=12)),
        closed_trade(-1.0, timedelta(hours=6)),
        open_trade(),
    ]
    assert avg_holding_days(trades) == pytest.approx(0.875, rel=REL)


def test_trade_metrics_are_none_without_closed_trades():
    trades = [open_trade()]
    assert total_trades(trades) == 0
    assert win_rate(trades) is None
    assert profit_loss_ratio(trades) is None
    assert avg_holding_days(trades) is None
    assert win_rate([]) is None


def test_profit_loss_ratio_is_none_with_only_winners():
    assert profit_loss_ratio([closed_trade(5.0), closed_trade(7.0)]) is None


def test_profit_loss_ratio_is_none_with_only_losers_and_win_rate_is_zero():
    trades = [closed_trade(-5.0), closed_trade(-7.0)]
    assert profit_loss_ratio(trades) is None
    assert win_rate(trades) == 0.0


def test_closed_trade_without_pnl_is_rejected():
    trade = closed_trade(1.0)
    trade.pnl = None
    with pytest.raises(ValueError, match="has no `pnl`"):
        win_rate([trade])


# --- compute_metrics ---------------------------------------------------------------------------------


def test_compute_metrics_of_a_three_day_backtest():
    # initial 100 -> 110 -> 99 -> 120; daily returns 0.1, -0.1, 21/99.
    equity, sessions = daily_curve([110.0, 99.0, 120.0])
    trades = [closed_trade(30.0, timedelta(days=2)), closed_trade(-10.0, timedelta(days=1)), open_trade()]
    returns = np.array([0.1, -0.1, 21 / 99])
    mean = returns.sum() / 3
    std = math.sqrt(((returns - mean) ** 2).sum() / 2)

    metrics = compute_metrics(equity, 100.0, trades, sessions, total_commission=2.5)

    assert metrics.total_return == pytest.approx(0.2, rel=REL)
    assert metrics.annualized_return == pytest.approx(1.2 ** (252 / 3) - 1, rel=REL)
    assert metrics.max_drawdown == pytest.approx(-0.1, rel=REL)
    assert metrics.sharpe_ratio == pytest.approx(mean / std * math.sqrt(252), rel=REL)
    assert metrics.win_rate == 0.5
    assert metrics.profit_loss_ratio == pytest.approx(3.0, rel=REL)  # 30 / |-10|
    assert metrics.total_trades == 2
    assert metrics.avg_holding_days == pytest.approx(1.5, rel=REL)  # (2 + 1) / 2
    assert metrics.max_daily_loss == pytest.approx(-0.1, rel=REL)
    assert metrics.final_equity == 120.0
    assert metrics.trading_days == 3
    assert metrics.total_commission == 2.5
    assert (metrics.alpha, metrics.beta) == (None, None)
    assert metrics.benchmark_note == "no benchmark given"


def test_compute_metrics_samples_intraday_equity_to_daily_but_drawdown_per_bar():
    # Session 1 bars: 100 -> 80 -> 105 (closes at 105); session 2 bars: 105 -> 110.
    # Daily equity 105, 110: returns 0.05 and 110/105 - 1, so the worst day is +1/21,
    # while the bar-level drawdown sees the intraday dip 80/100 - 1 = -0.2.
    index = pd.DatetimeIndex(
        ["2024-01-02 15:00", "2024-01-02 18:00", "2024-01-02 21:00", "2024-01-03 15:00", "2024-01-03 21:00"]
    ).tz_localize("UTC")
    equity = pd.Series([100.0, 80.0, 105.0, 105.0, 110.0], index=index)
    sessions = np.array(index.tz_convert("America/New_York").tz_localize(None).normalize(), "datetime64[D]")

    metrics = compute_metrics(equity, 100.0, [], sessions)

    assert metrics.trading_days == 2
    assert metrics.max_drawdown == pytest.approx(-0.2, rel=REL)
    assert metrics.max_daily_loss == pytest.approx(110 / 105 - 1, rel=REL)
    assert metrics.total_return == pytest.approx(0.1, rel=REL)
    assert metrics.annualized_return == pytest.approx(1.1**126 - 1, rel=REL)


def test_compute_metrics_with_benchmark_fills_alpha_and_beta():
    returns, closes = two_x_benchmark_plus_ten_bp()
    equity_values = (100.0 * np.cumprod(1 + returns.to_numpy())).tolist()
    equity, sessions = daily_curve(equity_values)

    metrics = compute_metrics(equity, 100.0, [], sessions, benchmark_close=closes)

    assert metrics.beta == pytest.approx(2.0, rel=REL)
    assert metrics.alpha == pytest.approx(0.252, rel=REL)
    assert metrics.benchmark_note is None


def test_compute_metrics_without_benchmark_carries_the_missing_reason():
    equity, sessions = daily_curve([101.0, 102.0, 100.0])

    metrics = compute_metrics(
        equity, 100.0, [], sessions, benchmark_missing_reason="SPY bars not in the store"
    )

    assert (metrics.alpha, metrics.beta) == (None, None)
    assert metrics.benchmark_note == "SPY bars not in the store"


def test_compute_metrics_of_empty_equity_has_no_daily_metrics():
    equity, sessions = daily_curve([])

    metrics = compute_metrics(equity, 1000.0, [], sessions)

    assert metrics.total_return == 0.0
    assert metrics.final_equity == 1000.0
    assert metrics.trading_days == 0
    assert metrics.max_drawdown == 0.0
    assert metrics.total_trades == 0
    for name in ("annualized_return", "sharpe_ratio", "win_rate", "profit_loss_ratio", "avg_holding_days"):
        assert getattr(metrics, name) is None, name
    assert (metrics.max_daily_loss, metrics.alpha, metrics.beta) == (None, None, None)


def test_compute_metrics_rejects_non_positive_initial_cash():
    equity, sessions = daily_curve([100.0])
    with pytest.raises(ValueError, match="`initial_cash` must be a positive number"):
        compute_metrics(equity, 0.0, [], sessions)


def test_compute_metrics_rejects_nan_equity():
    equity, sessions = daily_curve([100.0, float("nan")])
    with pytest.raises(ValueError, match="`equity` is not a finite number at 2024-01-03 21:00"):
        compute_metrics(equity, 100.0, [], sessions)


def test_metrics_to_dict_is_json_ready_and_in_field_order():
    equity, sessions = daily_curve([110.0, 99.0, 120.0])
    metrics = compute_metrics(equity, 100.0, [closed_trade(3.0)], sessions)

    as_dict = metrics.to_dict()

    assert list(as_dict) == [f.name for f in fields(Metrics)]
    assert all(type(v) in (float, int, str, type(None)) for v in as_dict.values())
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_labels_name_every_field_with_the_guide_display_names():
    assert list(LABELS) == [f.name for f in fields(Metrics)]
    assert LABELS["profit_loss_ratio"] == "Profit/Loss Ratio"
    assert LABELS["avg_holding_days"] == "Avg Holding Period"
    assert LABELS["max_daily_loss"] == "Max Daily Loss"


# --- cross-checks on a random year -------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_year() -> dict:
    """300 sessions of a strategy that is 1.3 x a random benchmark plus drift and noise."""
    rng = np.random.default_rng(20240102)
    bench_returns = rng.normal(0.0004, 0.011, 300)
    strategy_returns = 0.0003 + 1.3 * bench_returns + rng.normal(0.0, 0.006, 300)
    initial_cash = 100_000.0
    values = initial_cash * np.cumprod(1 + strategy_returns)
    equity, sessions = daily_curve(values.tolist())
    closes = 400.0 * np.cumprod(1 + bench_returns)
    benchmark = pd.Series(closes, index=pd.DatetimeIndex(sessions.astype("datetime64[ns]")))
    return {"equity": equity, "sessions": sessions, "cash": initial_cash, "benchmark": benchmark}


def test_random_year_matches_a_plain_numpy_implementation(random_year):
    cash, equity = random_year["cash"], random_year["equity"].to_numpy()
    values = np.r_[cash, equity]
    r = np.diff(values) / values[:-1]
    mean = r.sum() / r.size
    std = math.sqrt(((r - mean) ** 2).sum() / (r.size - 1))
    peak, worst = cash, 0.0
    for v in equity:
        peak = max(peak, v)
        worst = min(worst, (v - peak) / peak)

    metrics = compute_metrics(random_year["equity"], cash, [], random_year["sessions"])

    assert metrics.total_return == pytest.approx(equity[-1] / cash - 1, rel=REL)
    assert metrics.sharpe_ratio == pytest.approx(mean / std * math.sqrt(252), rel=REL)
    assert metrics.max_drawdown == pytest.approx(worst, rel=REL)
    assert metrics.max_daily_loss == pytest.approx(r.min(), rel=REL)
    assert metrics.annualized_return == pytest.approx((equity[-1] / cash) ** (252 / 300) - 1, rel=REL)


def test_random_year_matches_vectorbt_returns_accessor(random_year):
    # vectorbt's sharpe_ratio is mean / nanstd(ddof) * sqrt(ann_factor) with ddof defaulting to 1
    # (settings["returns"]["defaults"]["ddof"]), the same sample std as ours; ddof is passed
    # explicitly so a change of default cannot pass silently. ann_factor = year_freq / freq = 252.
    # Its drawdown's running peak starts at the first point, not at the initial cash, so the
    # initial cash is prepended as a zero-return first point for max_drawdown.
    vbt = pytest.importorskip("vectorbt")
    cash, equity = random_year["cash"], random_year["equity"]
    daily = pd.Series(
        equity.to_numpy(), index=pd.DatetimeIndex(random_year["sessions"].astype("datetime64[ns]"))
    )
    accessor = pd.Series.vbt.returns.from_value(daily, init_value=cash, freq="1D", year_freq="252 days")
    with_start = pd.Series(np.r_[cash, daily.to_numpy()], index=pd.bdate_range("2023-12-29", periods=301))
    from_start = pd.Series.vbt.returns.from_value(
        with_start, init_value=cash, freq="1D", year_freq="252 days"
    )
    assert vbt.settings["returns"]["defaults"]["ddof"] == 1

    metrics = compute_metrics(equity, cash, [], random_year["sessions"])

    assert accessor.ann_factor == 252
    assert metrics.sharpe_ratio == pytest.approx(accessor.sharpe_ratio(ddof=1), rel=REL)
    assert metrics.total_return == pytest.approx(accessor.total(), rel=REL)
    assert metrics.max_drawdown == pytest.approx(from_start.max_drawdown(), rel=REL)


def test_random_year_alpha_beta_match_least_squares_line(random_year):
    # OLS of r_p on r_b: slope = cov/var = beta, intercept x 252 = alpha (first day dropped).
    cash, equity = random_year["cash"], random_year["equity"].to_numpy()
    closes = random_year["benchmark"].to_numpy()
    r_p = (equity[1:] - equity[:-1]) / equity[:-1]
    r_b = (closes[1:] - closes[:-1]) / closes[:-1]
    slope, intercept = np.polyfit(r_b, r_p, 1)

    metrics = compute_metrics(
        random_year["equity"], cash, [], random_year["sessions"], benchmark_close=random_year["benchmark"]
    )

    assert metrics.beta == pytest.approx(slope, rel=REL)
    assert metrics.alpha == pytest.approx(intercept * 252, rel=REL)
    assert metrics.benchmark_note is None
