"""The strategy guide's "Backtest Report Metrics", as pure functions of equity, trades and a benchmark.

Intraday equity is sampled to one value per New York session (the last one of
the day); returns, Sharpe ratio, max daily loss, alpha and beta are daily and
annualized with 252 sessions a year. Max drawdown is measured bar by bar.
An undefined metric is ``None``, never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from types import MappingProxyType

import numpy as np
import pandas as pd

from research_env.core.models import Trade

__all__ = [
    "LABELS",
    "TRADING_DAYS_PER_YEAR",
    "Metrics",
    "alpha_beta",
    "annualized_return",
    "avg_holding_days",
    "compute_metrics",
    "daily_equity",
    "daily_returns",
    "drawdown_series",
    "max_daily_loss",
    "max_drawdown",
    "profit_loss_ratio",
    "sharpe_ratio",
    "total_return",
    "total_trades",
    "win_rate",
]

TRADING_DAYS_PER_YEAR = 252

NO_BENCHMARK_NOTE = "no benchmark given"


@dataclass(frozen=True, slots=True)
class Metrics:
    """One backtest's report metrics; fractions are plain fractions (0.12 is 12%)."""

    total_return: float
    annualized_return: float | None
    max_drawdown: float
    sharpe_ratio: float | None
    win_rate: float | None
    profit_loss_ratio: float | None
    total_trades: int
    avg_holding_days: float | None
    max_daily_loss: float | None
    alpha: float | None
    beta: float | None
    final_equity: float
    trading_days: int
    total_commission: float
    benchmark_note: str | None

    def to_dict(self) -> dict[str, float | int | str | None]:
        """The metrics as a JSON-friendly dict (Python floats, ints, str or None), in field order."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


LABELS: Mapping[str, str] = MappingProxyType(
    {
        "total_return": "Total Return",
        "annualized_return": "Annualized Return",
        "max_drawdown": "Max Drawdown",
        "sharpe_ratio": "Sharpe Ratio",
        "win_rate": "Win Rate",
        "profit_loss_ratio": "Profit/Loss Ratio",
        "total_trades": "Total Trades",
        "avg_holding_days": "Avg Holding Period",
        "max_daily_loss": "Max Daily Loss",
        "alpha": "Alpha",
        "beta": "Beta",
        "final_equity": "Final Equity",
        "trading_days": "Trading Days",
        "total_commission": "Total Commission",
        "benchmark_note": "Benchmark Note",
    }
)


def compute_metrics(
    equity: pd.Series,
    initial_cash: float,
    trades: Sequence[Trade],
    session_dates: np.ndarray,
    *,
    benchmark_close: pd.Series | None = None,
    benchmark_missing_reason: str | None = None,
    total_commission: float = 0.0,
) -> Metrics:
    """Every report metric of one backtest.

    ``equity`` is the portfolio value after each bar, ``session_dates`` the
    trading-session date of each of those bars; only closed ``trades`` count.
    Without ``benchmark_close``, alpha and beta are ``None`` and
    ``benchmark_note`` carries ``benchmark_missing_reason``.
    """
    _check_inputs(equity, initial_cash, session_dates)
    daily = daily_equity(equity, session_dates)
    returns = daily_returns(daily, initial_cash)
    total = total_return(equity, initial_cash)
    if benchmark_close is None:
        alpha, beta, note = None, None, benchmark_missing_reason or NO_BENCHMARK_NOTE
    else:
        alpha, beta, note = alpha_beta(returns, benchmark_close)
    return Metrics(
        total_return=total,
        annualized_return=annualized_return(total, len(daily)),
        max_drawdown=max_drawdown(equity, initial_cash),
        sharpe_ratio=sharpe_ratio(returns),
        win_rate=win_rate(trades),
        profit_loss_ratio=profit_loss_ratio(trades),
        total_trades=total_trades(trades),
        avg_holding_days=avg_holding_days(trades),
        max_daily_loss=max_daily_loss(returns),
        alpha=alpha,
        beta=beta,
        final_equity=_final_equity(equity, initial_cash),
        trading_days=len(daily),
        total_commission=float(total_commission),
        benchmark_note=note,
    )


# --- equity sampling ---------------------------------------------------------------------------------


def daily_equity(equity: pd.Series, session_dates: np.ndarray) -> pd.Series:
    """The last equity value of each session date, indexed by the (naive, midnight) session dates."""
    if len(session_dates) != len(equity):
        raise ValueError(
            f"`session_dates` has {len(session_dates)} dates but `equity` has {len(equity)} points; "
            "pass one session date per equity point"
        )
    dates = pd.DatetimeIndex(np.asarray(session_dates, dtype="datetime64[D]").astype("datetime64[ns]"))
    if not dates.is_monotonic_increasing:
        raise ValueError("`session_dates` must be in time order, like the `equity` points they date")
    values = pd.Series(equity.to_numpy(dtype=np.float64), index=dates, name=equity.name)
    return values[~dates.duplicated(keep="last")]


def daily_returns(daily: pd.Series, initial_cash: float) -> pd.Series:
    """Day-over-day simple returns of ``daily`` equity; the first day is measured against ``initial_cash``."""
    values = daily.to_numpy(dtype=np.float64)
    previous = np.concatenate(([float(initial_cash)], values[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = values / previous - 1.0
    return pd.Series(returns, index=daily.index, name="return")


def drawdown_series(equity: pd.Series, initial_cash: float) -> pd.Series:
    """Bar-level drawdown: equity over its running peak (which starts at ``initial_cash``) minus 1; <= 0."""
    values = equity.to_numpy(dtype=np.float64)
    peak = np.maximum.accumulate(np.concatenate(([float(initial_cash)], values)))[1:]
    return pd.Series(values / peak - 1.0, index=equity.index, name="drawdown")


# --- return and risk ---------------------------------------------------------------------------------


def total_return(equity: pd.Series, initial_cash: float) -> float:
    """(final equity - initial cash) / initial cash; 0.0 for an empty equity curve."""
    return (_final_equity(equity, initial_cash) - initial_cash) / initial_cash


def annualized_return(total: float, trading_days: int) -> float | None:
    """(1 + total) ** (252 / trading_days) - 1; None without days or when the equity ended below zero."""
    if trading_days == 0 or total < -1.0:
        return None
    return _finite_or_none((1.0 + total) ** (TRADING_DAYS_PER_YEAR / trading_days) - 1.0)


def max_drawdown(equity: pd.Series, initial_cash: float) -> float:
    """The deepest bar-level drawdown, a negative fraction; 0.0 when equity never fell below its peak."""
    drawdown = drawdown_series(equity, initial_cash).to_numpy()
    if drawdown.size == 0:
        return 0.0
    return float(min(drawdown.min(), 0.0))


def sharpe_ratio(returns: pd.Series) -> float | None:
    """mean / std (ddof=1) of daily returns x sqrt(252); None below 2 returns or when all are equal."""
    values = returns.to_numpy(dtype=np.float64)
    if values.size < 2 or np.all(values == values[0]):
        return None
    std = np.std(values, ddof=1)
    if std == 0.0:
        return None
    return _finite_or_none(np.mean(values) / std * math.sqrt(TRADING_DAYS_PER_YEAR))


def max_daily_loss(returns: pd.Series) -> float | None:
    """The worst single-day return (positive when no day lost); None without days."""
    if len(returns) == 0:
        return None
    return _finite_or_none(returns.to_numpy(dtype=np.float64).min())


def alpha_beta(
    returns: pd.Series, benchmark_close: pd.Series
) -> tuple[float | None, float | None, str | None]:
    """Annualized alpha, beta and a note (None when both are defined) of daily ``returns`` vs a benchmark.

    Benchmark returns are day-over-day changes of ``benchmark_close`` taken on the
    strategy's session dates; days without both returns are left out. beta =
    cov / var (ddof=1), alpha = (mean(r_p) - beta * mean(r_b)) * 252.
    """
    index = pd.DatetimeIndex(benchmark_close.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    index = index.normalize()
    if index.has_duplicates:
        raise ValueError("`benchmark_close` has more than one close for a date; pass one per session date")
    closes = pd.Series(benchmark_close.to_numpy(dtype=np.float64), index=index)
    aligned = closes.reindex(returns.index).to_numpy()
    bench = np.full(aligned.size, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        bench[1:] = aligned[1:] / aligned[:-1] - 1.0
    strategy = returns.to_numpy(dtype=np.float64)
    common = np.isfinite(strategy) & np.isfinite(bench)
    r_p, r_b = strategy[common], bench[common]
    if r_p.size < 2:
        return None, None, f"alpha/beta need 2 days with strategy and benchmark returns; found {r_p.size}"
    if np.all(r_b == r_b[0]) or np.var(r_b, ddof=1) == 0.0:
        return None, None, "alpha/beta undefined: benchmark returns do not vary"
    beta = np.cov(r_p, r_b, ddof=1)[0, 1] / np.var(r_b, ddof=1)
    alpha = (np.mean(r_p) - beta * np.mean(r_b)) * TRADING_DAYS_PER_YEAR
    return _finite_or_none(alpha), _finite_or_none(beta), None


# --- trades ------------------------------------------------------------------------------------------


def total_trades(trades: Sequence[Trade]) -> int:
    """The number of closed round trips."""
    return len(_closed_pnls(trades))


def win_rate(trades: Sequence[Trade]) -> float | None:
    """The share of closed trades with pnl > 0; None without closed trades."""
    pnls = _closed_pnls(trades)
    if not pnls:
        return None
    return sum(1 for pnl in pnls if pnl > 0) / len(pnls)


def profit_loss_ratio(trades: Sequence[Trade]) -> float | None:
    """Mean winning pnl / |mean losing pnl| over closed trades; None without a winner or a loser."""
    pnls = _closed_pnls(trades)
    wins = [pnl for pnl in pnls if pnl > 0]
    losses = [pnl for pnl in pnls if pnl < 0]
    if not wins or not losses:
        return None
    return _finite_or_none(np.mean(wins) / abs(np.mean(losses)))


def avg_holding_days(trades: Sequence[Trade]) -> float | None:
    """Mean exit - entry time of closed trades, in days (seconds / 86400); None without closed trades."""
    closed = [t for t in trades if not t.is_open]
    if not closed:
        return None
    return float(np.mean([(t.exit_time - t.entry_time).total_seconds() / 86400.0 for t in closed]))


# --- helpers -----------------------------------------------------------------------------------------


def _check_inputs(equity: pd.Series, initial_cash: float, session_dates: np.ndarray) -> None:
    if not isinstance(equity, pd.Series):
        raise TypeError(f"`equity` must be a pandas Series, got {type(equity).__name__}")
    if not (math.isfinite(initial_cash) and initial_cash > 0):
        raise ValueError(f"`initial_cash` must be a positive number, got {initial_cash!r}")
    finite = np.isfinite(equity.to_numpy(dtype=np.float64))
    if not finite.all():
        raise ValueError(f"`equity` is not a finite number at {equity.index[~finite][0]}")


def _closed_pnls(trades: Sequence[Trade]) -> list[float]:
    pnls = []
    for trade in trades:
        if trade.is_open:
            continue
        if trade.pnl is None:
            raise ValueError(f"closed trade in {trade.symbol} exited at {trade.exit_time} has no `pnl`")
        pnls.append(float(trade.pnl))
    return pnls


def _final_equity(equity: pd.Series, initial_cash: float) -> float:
    return float(equity.iloc[-1]) if len(equity) else float(initial_cash)


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
