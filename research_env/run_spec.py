"""``RunSpec``: one frozen, JSON-ready description of a run, built the same way behind every door.

``build_run`` turns what a caller passed (``backtest``, ``sweep``,
``walk_forward``, the CLI, the magics, the widgets, the batch runner, the
service) into a ``RunSpec`` plus the live objects the run needs. Each value is
resolved once, in one documented order of precedence:

1. the explicit argument (``symbols=``, ``start=``, ``initial_cash=`` ...);
2. the strategy's own defaults: its ``symbols`` and ``timeframe``,
   ``default_start``/``default_end``/``default_cash`` (function-style files
   take them from ``BACKTEST_CONFIG``);
3. the library defaults: ``1d`` bars, the year before today, 100,000 cash,
   the guide's risk rules, 500 combinations and 3 years for sweeps.

An argument given twice in different ways (``initial_cash=`` and a ``config``
whose ``initial_cash`` differs; ``risk=`` and ``config.risk``) is an
``InputError`` naming both. Doors pass ``None`` for whatever the user did not
give.

The spec holds plain data only: the strategy as a kind, name, path and content
digest; the data as a reference to its source (never frames); so the batch
runner, the service and worker processes can store and ship it
(``to_json``/``from_json``).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from .data import BarData, BarStore, check_timeframe, normalize_symbol
from .engine.config import DEFAULT_INITIAL_CASH, BacktestConfig, RiskConfig
from .errors import InputError
from .strategy.base import StrategyBase
from .strategy.git_source import checkout_strategy
from .strategy.loader import LoadedStrategy, load_strategy
from .strategy.params import ParameterError, instantiate
from .strategy.vectorized import VectorizedStrategy

__all__ = [
    "DEFAULT_MAX_COMBINATIONS",
    "DEFAULT_MAX_YEARS",
    "DEFAULT_TIMEFRAME",
    "DataLike",
    "DataRef",
    "DateLike",
    "Run",
    "RunSpec",
    "StrategyLike",
    "StrategyRef",
    "build_run",
    "data_ref",
    "date_range",
    "parse_symbols",
]

#: What a caller may name a strategy by: a class or instance, a ``LoadedStrategy``, a registered name or a path.
StrategyLike: TypeAlias = (str | os.PathLike | type[StrategyBase] | type[VectorizedStrategy] | StrategyBase
                           | VectorizedStrategy | LoadedStrategy)
#: A session date: ``"2023-01-01"``, a ``date``/``datetime`` or a ``pandas.Timestamp``.
DateLike: TypeAlias = str | date | datetime | pd.Timestamp
#: Where bars come from: ``None`` (the store, then the fallback chain), a store folder, or bars in memory.
DataLike: TypeAlias = str | os.PathLike | BarStore | BarData | pd.DataFrame | Mapping[str, pd.DataFrame] | None

DEFAULT_TIMEFRAME = "1d"
#: The guide's sweep limits; pass larger values (or ``None``) to raise them.
DEFAULT_MAX_COMBINATIONS = 500
DEFAULT_MAX_YEARS = 3.0
_MODES = ("auto", "vectorized", "bar")


@dataclass(frozen=True)
class StrategyRef:
    """How a run names its strategy: ``kind`` (file, source, registered, object, git), name, path, content digest;
    for ``git`` the repository (no credentials), the branch or tag asked for and the resolved commit, with
    ``path`` inside the repository and ``clean`` False when a local working copy had uncommitted changes."""

    kind: str
    name: str
    path: str | None = None
    digest: str | None = None
    repository: str | None = None
    branch: str | None = None
    commit: str | None = None
    clean: bool = True


@dataclass(frozen=True)
class DataRef:
    """Where a run's bars come from: ``"default"`` (the local store, then the fallback chain), ``"store"``
    (the store folder ``path``) or ``"supplied"`` (frames the caller passed, for ``symbols``)."""

    kind: str
    path: str | None = None
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides a run's numbers, resolved (see the module docstring for the precedence).

    ``start`` is the first New York session date, ``end`` the exclusive end
    (ISO dates). ``config`` is complete (cash and risk filled in). ``grid``,
    ``mode``, ``max_combinations`` and ``max_years`` matter to sweeps only.
    ``allow_demo`` is the one demo rule: ``True`` allows synthetic demo bars, ``False``
    never, ``None`` only while no real source holds any bars (a fresh install).
    ``timeout`` is the seconds a run may take (``None``: no limit).
    """

    strategy: StrategyRef
    symbols: tuple[str, ...]
    start: str
    end: str
    timeframe: str
    config: BacktestConfig
    params: dict[str, Any] = field(default_factory=dict)
    data: DataRef = field(default_factory=lambda: DataRef("default"))
    grid: dict[str, list] | None = None
    mode: str = "auto"
    max_combinations: int | None = DEFAULT_MAX_COMBINATIONS
    max_years: float | None = DEFAULT_MAX_YEARS
    allow_demo: bool | None = None
    timeout: float | None = None

    @property
    def initial_cash(self) -> float:
        """The cash the run starts with."""
        return self.config.initial_cash

    @property
    def origin(self) -> dict:
        """Where the run's code came from: the strategy reference as plain data (repository, branch, commit and
        path for a Git source; the file and its content digest otherwise)."""
        return vars(self.strategy).copy()

    @property
    def start_date(self) -> pd.Timestamp:
        """``start`` as a naive New York date."""
        return pd.Timestamp(self.start)

    @property
    def end_date(self) -> pd.Timestamp:
        """``end`` (exclusive) as a naive New York date."""
        return pd.Timestamp(self.end)

    def to_dict(self) -> dict:
        """Plain data: what ``from_dict`` takes back."""
        return {
            "strategy": vars(self.strategy).copy(),
            "symbols": list(self.symbols),
            "start": self.start,
            "end": self.end,
            "timeframe": self.timeframe,
            "config": self.config.to_dict(),
            "params": dict(self.params),
            "data": {**vars(self.data), "symbols": list(self.data.symbols)},
            "grid": {k: list(v) for k, v in self.grid.items()} if self.grid is not None else None,
            "mode": self.mode,
            "max_combinations": self.max_combinations,
            "max_years": self.max_years,
            "allow_demo": self.allow_demo,
            "timeout": self.timeout,
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> RunSpec:
        """The spec ``to_dict`` gave."""
        data = dict(data)
        try:
            return cls(
                strategy=StrategyRef(**data.pop("strategy")),
                symbols=tuple(data.pop("symbols")),
                config=BacktestConfig.from_dict(data.pop("config")),
                data=DataRef(**{**data["data"], "symbols": tuple(data.pop("data")["symbols"])}),
                **data,
            )
        except (KeyError, TypeError) as e:
            raise InputError(f"not a run specification ({type(e).__name__}: {e}); use RunSpec.to_dict()") from e

    def to_json(self, **kwargs) -> str:
        """``to_dict`` as JSON text (``kwargs`` go to ``json.dumps``)."""
        try:
            return json.dumps(self.to_dict(), **kwargs)
        except TypeError as e:
            raise InputError(f"this run specification holds a value JSON cannot store ({e}); "
                             "use numbers, text, booleans and lists in `params` and `param_grid`") from e

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        """The spec ``to_json`` wrote."""
        return cls.from_dict(json.loads(text))


@dataclass(frozen=True)
class Run:
    """A ``RunSpec`` with the live objects that run it: the loaded strategy, the object to run (a fresh
    ``StrategyBase`` instance built with ``spec.params``, or a ``VectorizedStrategy`` instance) and the data
    exactly as the caller passed it."""

    spec: RunSpec
    strategy: LoadedStrategy
    target: StrategyBase | VectorizedStrategy
    data: Any = None

    @property
    def vectorized(self) -> bool:
        """True when ``target`` is a vectorized strategy."""
        return isinstance(self.target, VectorizedStrategy)


def build_run(
    strategy: StrategyLike,
    *,
    symbols: Iterable[str] | str | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
    timeframe: str | None = None,
    initial_cash: float | None = None,
    params: Mapping[str, Any] | None = None,
    data: DataLike = None,
    risk: RiskConfig | None = None,
    config: BacktestConfig | None = None,
    grid: Mapping | None = None,
    mode: str = "bar",
    max_combinations: int | None = DEFAULT_MAX_COMBINATIONS,
    max_years: float | None = DEFAULT_MAX_YEARS,
    allow_demo: bool | None = None,
    timeout: float | None = None,
    git_repo: str | None = None,
    git_branch: str | None = None,
    git_commit: str | None = None,
    strategy_path: str | None = None,
    offline: bool = False,
) -> Run:
    """Resolve a run from what a caller passed; every door and entry point builds its runs here.

    ``mode``: ``"bar"`` runs the bar-by-bar class (``backtest``),
    ``"vectorized"`` the vectorized twin, ``"auto"`` the twin when there is one.
    ``params`` are checked against the strategy's constructor here (bar by bar)
    or by the sweep against its ``param_schema`` (vectorized). With ``git_repo``
    the strategy comes from that repository at ``git_commit`` (else the tip of
    ``git_branch``, a branch or tag, else the default branch): ``strategy_path``
    names the file, else it is discovered (``strategy`` may then be left
    ``None``, or name the file: ``"rsi_mean_reversion"``); ``offline`` uses the
    cached mirror without fetching.
    """
    if mode not in _MODES:
        raise InputError(f"`mode` must be one of {', '.join(_MODES)}, got {mode!r}")
    git = None
    if git_repo is not None:
        hint = strategy_path if strategy_path is not None else (
            f"{strategy}.py" if isinstance(strategy, str) and strategy and not strategy.endswith(".py") else strategy)
        git = checkout_strategy(git_repo, branch=git_branch, commit=git_commit, strategy_path=hint, offline=offline)
        strategy = git.file
    elif any(v is not None for v in (git_branch, git_commit, strategy_path)):
        raise InputError("`git_branch`, `git_commit` and `strategy_path` need `git_repo`, the repository to take "
                         "the strategy from")
    elif strategy is None:
        raise InputError("no strategy given: name one (a registered name, a .py path, a class or instance) or a Git "
                         "repository (git_repo=...)")
    loaded = load_strategy(strategy)
    wanted = parse_symbols(symbols)
    if symbols is not None and not wanted:
        raise ParameterError(f"`symbols` is empty ({symbols!r}); name at least one ticker, e.g. symbols=['AAPL'], or "
                             "leave it out for the strategy's own")
    target = _target(loaded, mode, wanted, params)
    own = _Defaults(target, loaded)
    chosen = tuple(wanted) if wanted else own.symbols()
    if not chosen:
        raise ParameterError(f"`symbols` is empty and {_label(target)} sets none; pass e.g. symbols=['AAPL']")
    frame = check_timeframe(timeframe or own.get("timeframe") or DEFAULT_TIMEFRAME)
    first, stop = date_range(start if start is not None else own.get("default_start"),
                             end if end is not None else own.get("default_end"))
    ref = StrategyRef(**loaded.ref())
    if git is not None:
        ref = replace(ref, kind="git", path=git.origin.path, repository=git.origin.repository,
                      branch=git.origin.branch, commit=git.origin.commit, clean=git.origin.clean)
    spec = RunSpec(
        strategy=ref,
        symbols=chosen,
        start=first.date().isoformat(),
        end=stop.date().isoformat(),
        timeframe=frame,
        config=_config(initial_cash, risk, config, own.get("default_cash")),
        params=dict(params or {}),
        data=data_ref(data, chosen),
        grid={str(k): _as_list(v) for k, v in grid.items()} if isinstance(grid, Mapping) else grid,
        mode=mode,
        max_combinations=max_combinations,
        max_years=max_years,
        allow_demo=_allow_demo(allow_demo),
        timeout=_timeout(timeout),
    )
    return Run(spec, loaded, target, data)


def parse_symbols(symbols: Iterable[str] | str | None, name: str = "symbols") -> list[str]:
    """Tickers from ``"AAPL,MSFT"``, ``["aapl", "MSFT"]`` or ``["AAPL,MSFT", "SPY"]``: upper-case, checked,
    each once, in the given order (empty when none were given)."""
    if symbols is None:
        return []
    items = [symbols] if isinstance(symbols, str) else list(symbols)
    out: list[str] = []
    for item in items:
        parts = item.split(",") if isinstance(item, str) else [item]
        out.extend(normalize_symbol(p, name) for p in parts if not (isinstance(p, str) and not p.strip()))
    return list(dict.fromkeys(out))


def date_range(start: DateLike | None, end: DateLike | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``start``/``end`` as naive New York dates (``end`` defaults to today, ``start`` to a year before)."""
    try:
        end_ts = pd.Timestamp(end) if end is not None else pd.Timestamp.now(tz="America/New_York").normalize()
        start_ts = pd.Timestamp(start) if start is not None else end_ts - pd.DateOffset(years=1)
    except (ValueError, TypeError) as e:
        raise ParameterError(f"`start`/`end` must be dates like '2023-01-01': {e}") from e
    if pd.isna(start_ts) or pd.isna(end_ts):
        raise ParameterError(f"`start`/`end` must be dates like '2023-01-01', got {start!r} and {end!r}")
    start_ts, end_ts = (t.tz_localize(None) if t.tzinfo else t for t in (start_ts, end_ts))
    start_ts, end_ts = start_ts.normalize(), end_ts.normalize()
    if end_ts <= start_ts:
        raise ParameterError(f"`end` ({end_ts:%Y-%m-%d}) must be after `start` ({start_ts:%Y-%m-%d})")
    return start_ts, end_ts


# --- resolution ------------------------------------------------------------------------------------------


def _target(loaded: LoadedStrategy, mode: str, symbols: list[str], params: Mapping | None):
    instance = loaded.instance
    if mode == "vectorized" or (mode == "auto" and loaded.vectorized_class is not None
                                and not isinstance(instance, StrategyBase)):
        if loaded.vectorized_class is None:
            raise InputError(f"{loaded.origin} is a bar-by-bar StrategyBase; mode='vectorized' needs a "
                             "VectorizedStrategy (write one with generate_signals, see docs/sweeps.md)")
        return instance if isinstance(instance, VectorizedStrategy) else loaded.vectorized_class()
    if isinstance(instance, VectorizedStrategy):
        raise InputError(f"{_label(instance)} is a VectorizedStrategy: it runs in research_env.sweep(...) "
                         "(mode='vectorized'); backtest its StrategyBase twin bar by bar")
    cls = loaded.bar_class()
    if isinstance(instance, StrategyBase):
        if params:
            raise ParameterError("`params` cannot change an instance; pass the strategy class or its name instead")
        if getattr(instance, "_bars", None):
            raise ParameterError(f"this {type(instance).__name__} instance has already seen bars; pass a fresh "
                                 "instance or the class")
        if symbols:
            instance.symbols = list(symbols)
        return instance
    return instantiate(cls, symbols or None, params)


class _Defaults:
    """The strategy's own defaults: the object that runs, then (for a vectorized twin) its bar-by-bar class."""

    def __init__(self, target, loaded: LoadedStrategy):
        self.target = target
        self.twin = loaded.strategy_class if isinstance(target, VectorizedStrategy) else None

    def get(self, name: str):
        value = getattr(self.target, name, None)
        if value is None and self.twin is not None:
            value = getattr(self.twin, name, None)
        return value

    def symbols(self) -> tuple[str, ...]:
        own = getattr(self.target, "symbols", None)
        if not own and self.twin is not None:
            own = instantiate(self.twin, None, None).symbols
        return tuple(parse_symbols(own or []))


def _label(target) -> str:
    return type(target).__name__


def _config(initial_cash, risk, config: BacktestConfig | None, strategy_cash) -> BacktestConfig:
    if config is not None and not isinstance(config, BacktestConfig):
        raise InputError(f"`config` must be a BacktestConfig, got {type(config).__name__}")
    if risk is not None and not isinstance(risk, RiskConfig):
        raise InputError(f"`risk` must be a RiskConfig, got {type(risk).__name__}")
    config = config or BacktestConfig()
    if initial_cash is not None:
        if isinstance(initial_cash, bool) or not isinstance(initial_cash, int | float) or not (
                math.isfinite(initial_cash) and initial_cash > 0):
            raise InputError(f"`initial_cash` must be a positive number, got {initial_cash!r}")
        if config.initial_cash is not None and float(config.initial_cash) != float(initial_cash):
            raise InputError(
                f"`initial_cash`={initial_cash:,.2f} conflicts with `config.initial_cash`={config.initial_cash:,.2f}; "
                "give the cash once: drop one of them"
            )
    if risk is not None and config.risk is not None and risk != config.risk:
        raise InputError("`risk` and `config.risk` are both given and differ; give the risk rules once: pass "
                         "risk=... alone, or config=BacktestConfig(risk=...)")
    cash = initial_cash if initial_cash is not None else config.initial_cash
    if cash is None:
        cash = strategy_cash if strategy_cash is not None else DEFAULT_INITIAL_CASH
    return replace(config, initial_cash=float(cash), risk=risk or config.risk or RiskConfig())


def data_ref(data, symbols: tuple[str, ...]) -> DataRef:
    """How a run's spec names its ``data`` argument (the default sources, a store folder, bars supplied)."""
    if data is None:
        return DataRef("default")
    if isinstance(data, BarStore):
        return DataRef("store", str(data.root))
    if isinstance(data, str | Path):
        return DataRef("store", str(Path(data).expanduser().resolve()))
    if isinstance(data, BarData):
        return DataRef("supplied", symbols=tuple(data.frames))
    if isinstance(data, pd.DataFrame):
        return DataRef("supplied", symbols=symbols[:1])
    if isinstance(data, Mapping):
        return DataRef("supplied", symbols=tuple(str(k) for k in data))
    raise InputError(f"`data` must be None, a store folder, BarData or DataFrames, got {type(data).__name__}")


def _allow_demo(allow_demo) -> bool | None:
    if allow_demo is not None and not isinstance(allow_demo, bool):
        raise InputError(f"`allow_demo` must be True, False or None (demo bars only on a fresh install), "
                         f"got {allow_demo!r}")
    return allow_demo


def _timeout(timeout) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InputError(f"`timeout` must be a positive number of seconds or None, got {timeout!r}")
    return float(timeout)


def _as_list(values) -> list:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        return [values]
    return list(values)
