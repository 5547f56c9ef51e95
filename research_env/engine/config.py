"""Backtest and risk settings: frozen dataclasses with the guide's defaults."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from ..errors import InputError

__all__ = ["DEFAULT_INITIAL_CASH", "BacktestConfig", "RiskConfig"]

#: Cash a run starts with when neither the caller nor the strategy says.
DEFAULT_INITIAL_CASH = 100_000.0


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
                raise InputError(f"risk setting `{f.name}` must be a number >= 0 or None, got {value!r}")

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
    """Matching and sizing settings (guide "Backtest Matching Rules") plus the risk rules.

    ``fractional_shares`` lets a signal's explicit ``quantity`` be a fraction of
    a share (else such a signal is denied: the engine trades whole shares).
    ``initial_cash`` and ``risk`` default to ``None``, "not given": a run
    specification fills them from the ``backtest()`` arguments, the strategy's
    own defaults or the library defaults (``DEFAULT_INITIAL_CASH``,
    ``RiskConfig()``), and reports a conflict when an argument and this config
    both give one. ``resolved()`` fills what is still ``None``.
    """

    initial_cash: float | None = None
    slippage_bps: float = 2.0
    commission_per_share: float = 0.005
    position_size_ratio: float = 0.02
    risk: RiskConfig | None = None
    benchmark: str | None = "SPY"
    fractional_shares: bool = False

    def __post_init__(self):
        if self.initial_cash is not None and not (
                isinstance(self.initial_cash, int | float) and not isinstance(self.initial_cash, bool)
                and math.isfinite(self.initial_cash) and self.initial_cash > 0):
            raise InputError(f"`initial_cash` must be a positive number, got {self.initial_cash!r}")
        for name in ("slippage_bps", "commission_per_share"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise InputError(f"`{name}` must be a number >= 0, got {value!r}")
        if not (isinstance(self.position_size_ratio, int | float) and 0 < self.position_size_ratio <= 1):
            raise InputError(
                f"`position_size_ratio` must be in (0, 1], got {self.position_size_ratio!r} (0.02 is 2% of equity)"
            )
        if self.risk is not None and not isinstance(self.risk, RiskConfig):
            raise InputError(f"`risk` must be a RiskConfig, got {type(self.risk).__name__}")
        if self.benchmark is not None and not isinstance(self.benchmark, str):
            raise InputError(f"`benchmark` must be a ticker like 'SPY' or None, got {self.benchmark!r}")

    def with_changes(self, **changes) -> BacktestConfig:
        """A copy with some settings changed."""
        return replace(self, **changes)

    def resolved(self) -> BacktestConfig:
        """This config with the library defaults in place of every setting left ``None``."""
        if self.initial_cash is not None and self.risk is not None:
            return self
        return replace(self, initial_cash=float(self.initial_cash or DEFAULT_INITIAL_CASH),
                       risk=self.risk if self.risk is not None else RiskConfig())

    def to_dict(self) -> dict:
        """Plain data (JSON-ready): every setting, the risk rules as a nested dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> BacktestConfig:
        """The config ``to_dict`` gave."""
        data = dict(data)
        risk = data.pop("risk", None)
        return cls(**data, risk=RiskConfig(**risk) if risk is not None else None)
