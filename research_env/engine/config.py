"""Backtest and risk settings: frozen dataclasses with the guide's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

__all__ = ["BacktestConfig", "RiskConfig"]


@dataclass(frozen=True)
class RiskConfig:
    """The risk engine's rules (guide section 12). ``None`` switches a limit off.

    Fractions are of portfolio equity at the signal bar: ``0.20`` is 20%.
    """

    max_order_value: float | None = 20_000.0
    max_symbol_weight: float | None = 0.20
    max_total_weight: float | None = 0.80
    min_cash_ratio: float | None = 0.10
    allow_margin: bool = False
    allow_short: bool = False
    max_daily_loss: float | None = 0.03
    max_drawdown: float | None = 0.08
    max_price_deviation: float | None = 0.01
    duplicate_window_seconds: float | None = 60.0
    trading_hours: bool = False

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or value is None:
                continue
            if not isinstance(value, int | float) or value < 0:
                raise ValueError(f"risk setting `{f.name}` must be a number >= 0 or None, got {value!r}")

    @classmethod
    def permissive(cls, **overrides) -> RiskConfig:
        """Every limit off and margin allowed (shorting stays as given): matching and accounting only."""
        off = dict(
            max_order_value=None,
            max_symbol_weight=None,
            max_total_weight=None,
            min_cash_ratio=None,
            allow_margin=True,
            max_daily_loss=None,
            max_drawdown=None,
            max_price_deviation=None,
            duplicate_window_seconds=None,
            trading_hours=False,
        )
        off.update(overrides)
        return cls(**off)


@dataclass(frozen=True)
class BacktestConfig:
    """Matching and sizing settings (guide "Backtest Matching Rules") plus the risk rules."""

    initial_cash: float = 100_000.0
    slippage_bps: float = 2.0
    commission_per_share: float = 0.005
    position_size_ratio: float = 0.02
    risk: RiskConfig = field(default_factory=RiskConfig)
    benchmark: str | None = "SPY"

    def __post_init__(self):
        if not self.initial_cash > 0:
            raise ValueError(f"`initial_cash` must be positive, got {self.initial_cash!r}")
        for name in ("slippage_bps", "commission_per_share"):
            if getattr(self, name) < 0:
                raise ValueError(f"`{name}` must be >= 0, got {getattr(self, name)!r}")
        if not 0 < self.position_size_ratio <= 1:
            raise ValueError(
                f"`position_size_ratio` must be in (0, 1], got {self.position_size_ratio!r} (0.02 is 2% of equity)"
            )

    def with_changes(self, **changes) -> BacktestConfig:
        """A copy with some settings changed."""
        return replace(self, **changes)
