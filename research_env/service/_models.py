"""The request bodies, as the guide's REST examples send them; a field the model does not know is refused.

Every field is optional as far as the service is concerned: what a request leaves out comes from the
strategy's own defaults, then the library's (``research_env.run_spec``), exactly as for every other door.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["BacktestRequest", "CacheClearRequest", "SweepRequest"]

_GUIDE_BACKTEST = {
    "strategy": "rsi_mean_reversion", "symbols": ["AAPL", "MSFT"], "start": "2023-01-01", "end": "2024-01-01",
    "timeframe": "5m", "initial_cash": 100000, "params": {"rsi_period": 14, "oversold": 25},
}
_GUIDE_SWEEP = {
    "strategy": "bollinger_mean_reversion", "symbols": ["SPY", "QQQ"], "start": "2023-01-01", "end": "2024-01-01",
    "timeframe": "5m", "param_grid": {"bb_period": [10, 15, 20, 30], "bb_std": [1.5, 2.0, 2.5]},
}


class BacktestRequest(BaseModel):
    """``POST /api/backtest``: one backtest. ``git_repo`` takes the strategy from a Git repository (run as
    untrusted code, in the sandbox); otherwise ``strategy`` names one of the server's strategies."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_GUIDE_BACKTEST]})

    strategy: str | None = Field(None, description="a strategy of the server (e.g. rsi_mean_reversion); with "
                                                   "git_repo, the file's name in the repository")
    symbols: list[str] | str | None = Field(None, description='tickers, ["AAPL", "MSFT"] or "AAPL,MSFT" '
                                                              "(default: the strategy's own)")
    start: str | None = Field(None, description="first session, e.g. 2023-01-01")
    end: str | None = Field(None, description="end date, exclusive, e.g. 2024-01-01")
    timeframe: str | None = Field(None, description="1m, 5m, 15m, 30m, 1h or 1d")
    initial_cash: float | None = Field(None, description="starting cash (default: the strategy's, else 100000)")
    params: dict[str, Any] | None = Field(None, description="overrides of the strategy's parameters")
    git_repo: str | None = Field(None, description="https:// or ssh:// URL of a Git repository holding the "
                                                   "strategy (the schemes of `[service] git_schemes`)")
    git_branch: str | None = Field(None, description="branch or tag (default: the default branch)")
    git_commit: str | None = Field(None, description="commit SHA (default: the branch's tip)")
    strategy_path: str | None = Field(None, description="the strategy file in the repository")


class SweepRequest(BacktestRequest):
    """``POST /api/backtest/sweep`` (vectorized) and ``/sweep/parallel`` (bar by bar): every combination of
    ``param_grid``, ranked by ``metric``. The server's ``[service]`` limits apply, never the request's."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_GUIDE_SWEEP]})

    param_grid: dict[str, Any] = Field(description="each parameter's values, e.g. {\"bb_period\": [10, 20]}")
    metric: str | None = Field(None, description="the metric that ranks the combinations (default sharpe_ratio)")


class CacheClearRequest(BaseModel):
    """``POST /api/backtest/cache/clear``: delete the bars cached from S3 flat files (of one symbol, or all)."""

    model_config = ConfigDict(extra="forbid")

    symbol: str | None = Field(None, description="one ticker; leave out to clear every cached symbol")
