"""A backtest of untrusted strategy code, contained: ``run_contained_backtest`` here, its worker in the sandbox.

The parent sends the strategy's source, the run's arguments and the caller's bars (one Parquet file per symbol)
to ``python -m research_env.contained`` inside the sandbox (``strategy.untrusted._sandbox``). The worker loads
the source with ``load_untrusted`` (the static checks, restricted builtins, guarded imports), runs ``backtest``
on those bars exactly as a trusted run would, and answers with the result as JSON: ``BacktestResult.to_dict``
plus the series, fills and orders ``BacktestResult.from_dict`` rebuilds it from. Nothing crosses back as
pickle. A strategy that raised comes back as data and is raised here as ``StrategyError``; refused code and
bad arguments as the ``InputError`` the worker raised; a run a limit stopped as ``RunTimeoutError`` (CPU or
wall time) or ``ContainmentError`` (memory, output), each naming the ``[untrusted]`` setting that raises it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import time
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import asdict, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from .api import RunTimeoutError, backtest, benchmark_closes, resolve_bars
from .data import BarData, BarDataError, DataOrigin, SessionGap
from .engine.config import BacktestConfig
from .engine.result import BacktestResult
from .errors import InputError, StrategyError
from .manifest import sweep_manifest
from .run_spec import (
    DEFAULT_MAX_COMBINATIONS,
    DEFAULT_MAX_YEARS,
    DataLike,
    DateLike,
    RunSpec,
    build_run,
    data_ref,
)
from .strategy.loader import StrategyLoadError
from .strategy.params import ParameterError
from .strategy.untrusted import (
    ContainmentError,
    SandboxLimits,
    SandboxRun,
    UntrustedCodeError,
    load_untrusted,
    run_sandboxed,
    serve,
)

__all__ = ["PROCESS_ISOLATION_WARNING", "backtest_untrusted", "run_contained_backtest", "sweep_untrusted",
           "untrusted_source"]

#: The line ``result.warnings`` gains when the run was contained by resource limits only.
PROCESS_ISOLATION_WARNING = 'contained with resource limits only (isolation = "process"): no bubblewrap sandbox'

#: The errors the worker's answer names that come back as their own class; the rest of the family as InputError.
_ERRORS = {cls.__name__: cls for cls in (UntrustedCodeError, StrategyLoadError, ParameterError, BarDataError)}


def run_contained_backtest(source: str, name: str, *, symbols: Iterable[str] | str | None, start: DateLike | None,
                           end: DateLike | None, timeframe: str | None, initial_cash: float | None = None,
                           params: Mapping[str, Any] | None = None, config: BacktestConfig | None = None,
                           bars: BarData, allowed_imports: Iterable[str] = (),
                           limits: SandboxLimits | None = None) -> BacktestResult:
    """Backtest the untrusted strategy ``source`` (named ``name``) on ``bars`` inside the sandbox.

    The arguments mean what they mean to ``backtest`` (``None``: the strategy's own default); ``bars`` are
    trusted bars the caller loaded, ``allowed_imports`` the modules the operator allows beyond the guide's,
    ``limits`` the sandbox's (default: ``[untrusted]`` of the settings). A run with isolation ``"process"``
    says so in ``result.warnings``.
    """
    if not isinstance(source, str):
        raise InputError(f"`source` must be the strategy's Python text, got {type(source).__name__}")
    if not isinstance(bars, BarData):
        raise InputError(f"`bars` must be BarData (e.g. from research_env.load_bars), got {type(bars).__name__}")
    limits = limits if limits is not None else SandboxLimits.from_settings()
    files, bar_files = _bar_files(bars)
    request = {
        "source": source, "name": name, "allowed_imports": list(allowed_imports),
        "symbols": symbols if symbols is None or isinstance(symbols, str) else list(symbols),
        "start": _date(start), "end": _date(end), "timeframe": timeframe, "initial_cash": initial_cash,
        "params": dict(params or {}), "config": config.to_dict() if config is not None else None,
        "bars": bar_files,
    }
    run = run_sandboxed(__name__, request, files, limits=limits)
    if run.response is None:
        raise _stopped(run, name, limits)
    if "error" in run.response:
        raise _error(run.response["error"])
    payload = run.response["result"]
    result = BacktestResult.from_dict(payload, spec=RunSpec.from_dict(payload["spec"]))
    result.bars = {symbol: bars.frames[symbol] for symbol in result.symbols}
    if run.isolation == "process":
        result.warnings.append(PROCESS_ISOLATION_WARNING)
    return result


def untrusted_source(strategy, *, git_repo: str | None = None, git_branch: str | None = None,
                     git_commit: str | None = None, strategy_path: str | None = None, offline: bool = False):
    """The text, path and Git origin of an untrusted strategy, read without running it: a ``.py`` path, a
    name on the strategy search path, or a file of a Git repository (checked out, never imported)."""
    from .strategy.git_source import checkout_strategy
    from .strategy.loader import available_strategies

    origin = None
    if git_repo is not None:
        hint = strategy_path if strategy_path is not None else (
            f"{strategy}.py" if isinstance(strategy, str) and not strategy.endswith(".py") else strategy)
        checkout = checkout_strategy(git_repo, branch=git_branch, commit=git_commit, strategy_path=hint,
                                     offline=offline)
        path, origin = Path(checkout.file), checkout.origin
    elif isinstance(strategy, str | Path) and (str(strategy).endswith(".py") or "/" in str(strategy)):
        path = Path(strategy).expanduser()
    elif isinstance(strategy, str) and (found := available_strategies().get(strategy, "registered")) != "registered":
        path = Path(found)
    else:
        raise InputError(f"`untrusted=True` runs the text of a strategy file, never code already loaded: pass a .py "
                         f"path, a strategy name on the search path, or git_repo=..., not {strategy!r}")
    if not path.is_file():
        raise StrategyLoadError(f"strategy file {path} does not exist")
    return path.read_text(encoding="utf-8"), path.resolve(), origin


class _Untrusted(NamedTuple):
    """An untrusted strategy read from its file, with the sandbox settings of this run."""

    source: str
    path: Path
    git_origin: object | None
    limits: SandboxLimits
    allowed: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.path.stem if self.path.stem.isidentifier() else "untrusted"

    def ref(self, spec: RunSpec, data: DataLike) -> RunSpec:
        """``spec`` naming the file (or the Git commit) and the data as a trusted run's spec would."""
        content = hashlib.sha256(self.source.encode()).hexdigest()  # as the loader digests a file
        ref = replace(spec.strategy, kind="file", path=str(self.path),
                      digest=hashlib.sha256(f"{self.path.name}:{content}".encode()).hexdigest())
        origin = self.git_origin
        if origin is not None:
            ref = replace(ref, kind="git", path=origin.path, repository=origin.repository, branch=origin.branch,
                          commit=origin.commit, clean=origin.clean)
        return replace(spec, strategy=ref, data=data_ref(data, spec.symbols))


def _untrusted(strategy, timeout: float | None, git: dict) -> _Untrusted:
    from .settings import load_settings

    source, path, git_origin = untrusted_source(strategy, **git)
    settings = load_settings()
    limits = SandboxLimits.from_settings(settings)
    if timeout is not None:
        limits = replace(limits, timeout=min(timeout, limits.timeout or timeout))
    return _Untrusted(source, path, git_origin, limits, settings.untrusted.allowed_imports)


def _ask(code: _Untrusted, request: dict, files: dict[str, bytes] | None = None) -> dict:
    """The worker's answer to ``request`` about ``code``; its error raised here."""
    request = {"source": code.source, "name": code.name, "allowed_imports": list(code.allowed), **request}
    run = run_sandboxed(__name__, request, files or {}, limits=code.limits)
    if run.response is None:
        raise _stopped(run, code.name, code.limits)
    if "error" in run.response:
        raise _error(run.response["error"])
    return run.response | {"isolation": run.isolation}


def _resolved(code: _Untrusted, symbols, start, end, timeframe, initial_cash, params, risk, config, allow_demo,
              timeout) -> RunSpec:
    """The run's specification, resolved in the sandbox (the strategy's own defaults need its code)."""
    answer = _ask(code, {
        "mode": "resolve", "symbols": symbols if symbols is None or isinstance(symbols, str) else list(symbols),
        "start": _date(start), "end": _date(end), "timeframe": timeframe, "initial_cash": initial_cash,
        "params": dict(params or {}), "risk": asdict(risk) if risk is not None else None,
        "config": config.to_dict() if config is not None else None, "allow_demo": allow_demo, "timeout": timeout})
    return RunSpec.from_dict(answer["spec"])


@contextlib.contextmanager
def _kept_warnings(warnings_list: list[str]):
    """Record the warnings of the block into ``warnings_list`` (first), and emit them too."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    warnings_list[:0] = list(dict.fromkeys(str(w.message) for w in caught))
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _spec_and_bars(code: _Untrusted, symbols, start, end, timeframe, initial_cash, params, data, risk, config,
                   allow_demo, timeout) -> tuple[RunSpec, BarData, list[str]]:
    """The run resolved in the sandbox, its bars loaded here, and the warnings of both (for the result)."""
    noted: list[str] = []
    with _kept_warnings(noted):
        spec = _resolved(code, symbols, start, end, timeframe, initial_cash, params, risk, config, allow_demo,
                         timeout)
        bars = _bars_for(spec, data)
    return spec, bars, noted


def backtest_untrusted(strategy, symbols=None, start: DateLike | None = None, end: DateLike | None = None,
                       timeframe: str | None = None, initial_cash: float | None = None,
                       params: Mapping[str, Any] | None = None, data: DataLike = None, *, risk=None, config=None,
                       allow_demo: bool | None = None, timeout: float | None = None, **git) -> BacktestResult:
    """``backtest(..., untrusted=True)``: resolve the run in the sandbox, load its bars here from the usual
    sources (the sandbox reaches none), then run it in the sandbox on them."""
    code = _untrusted(strategy, timeout, git)
    spec, bars, noted = _spec_and_bars(code, symbols, start, end, timeframe, initial_cash, params, data, risk,
                                       config, allow_demo, timeout)
    result = run_contained_backtest(code.source, code.name, symbols=list(spec.symbols), start=spec.start,
                                    end=spec.end, timeframe=spec.timeframe, params=spec.params, config=spec.config,
                                    bars=bars, allowed_imports=code.allowed, limits=code.limits)
    result.warnings[:0] = noted
    if result.spec is not None:  # a fresh result: its manifest is built from this spec, not the sandbox's
        result = replace(result, spec=code.ref(result.spec, data), run_options={"untrusted": True})
    return result


def sweep_untrusted(strategy, symbols=None, start: DateLike | None = None, end: DateLike | None = None,
                    timeframe: str | None = None, param_grid: Mapping | None = None, *,
                    initial_cash: float | None = None, data: DataLike = None, risk=None, config=None,
                    metric: str = "sharpe_ratio", max_combinations: int | None = DEFAULT_MAX_COMBINATIONS,
                    max_years: float | None = DEFAULT_MAX_YEARS,
                    allow_demo: bool | None = None, timeout: float | None = None, **git):
    """``sweep(..., untrusted=True)``: a bar-by-bar sweep run whole in the sandbox (one process: the sandbox
    starts no others) on bars loaded here."""
    from .sweeps.result import SweepResult

    began = time.perf_counter()
    code = _untrusted(strategy, timeout, git)
    spec, bars, noted = _spec_and_bars(code, symbols, start, end, timeframe, initial_cash, None, data, risk,
                                       config, allow_demo, timeout)
    files, bar_files = _bar_files(bars)
    answer = _ask(code, {"mode": "sweep", "symbols": list(spec.symbols), "start": spec.start, "end": spec.end,
                         "timeframe": spec.timeframe, "grid": {k: list(v) for k, v in (param_grid or {}).items()},
                         "config": spec.config.to_dict(), "metric": metric, "max_combinations": max_combinations,
                         "max_years": max_years, "bars": bar_files}, files)
    result = SweepResult.from_dict(answer["sweep"], grid=answer["grid"], maximize=answer["maximize"])
    result.warnings[:0] = noted
    spec = replace(code.ref(spec, data), grid=result.grid, mode="bar", max_combinations=max_combinations,
                   max_years=max_years)
    result.origin = spec.origin
    bench, _ = benchmark_closes(spec.config.benchmark, data, bars, spec.start_date, spec.end_date, spec.timeframe)
    result.manifest = sweep_manifest(spec, bars.frames, bars.sources, bars.origins, benchmark=bench,
                                     strategy_class=answer["sweep"]["manifest"]["strategy"]["class"],
                                     rows=result.rows, options={"metric": metric, "untrusted": True})
    result.elapsed_seconds = time.perf_counter() - began  # what the caller waited, the sandbox's start included
    if answer["isolation"] == "process":
        result.warnings.append(PROCESS_ISOLATION_WARNING)
    return result


def _bars_for(spec: RunSpec, data: DataLike) -> BarData:
    """The run's bars and its benchmark's, loaded here (the sandbox reaches no source)."""
    bars = resolve_bars(data, list(spec.symbols), spec.start_date, spec.end_date, spec.timeframe,
                        allow_demo=spec.allow_demo)
    bench = spec.config.benchmark
    if bench is None or bench in bars.frames or not (data is None or isinstance(data, str | Path)):
        return bars
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            extra = resolve_bars(data, [bench], spec.start_date, spec.end_date, spec.timeframe,
                                 allow_demo=any(o.source == "demo" for o in bars.origins.values()))
    except BarDataError:
        return bars  # the result says the benchmark is missing, as a trusted run's does
    return BarData({**bars.frames, bench: extra.frames[bench]}, {**bars.origins, bench: extra.origins[bench]},
                   bars.timeframe, bars.gaps)


# --- parent side -------------------------------------------------------------------------------------------------


def _date(value: DateLike | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, date | datetime | pd.Timestamp):
        raise InputError(f"`start`/`end` must be dates like '2023-01-01', got {value!r}")
    return pd.Timestamp(value).isoformat()


def _bar_files(bars: BarData) -> tuple[dict[str, bytes], dict]:
    """One Parquet file per symbol, and what the worker needs to rebuild the ``BarData``."""
    files, symbols = {}, []
    for number, (symbol, frame) in enumerate(bars.frames.items()):
        buffer = io.BytesIO()
        frame.to_parquet(buffer, engine="pyarrow")
        files[f"bars-{number}.parquet"] = buffer.getvalue()
        origin = bars.origins.get(symbol, DataOrigin("user"))
        symbols.append({"symbol": symbol, "file": f"bars-{number}.parquet", "origin": origin.as_dict(),
                        "gaps": [list(gap) for gap in bars.gaps.get(symbol, ())]})
    return files, {"timeframe": bars.timeframe, "symbols": symbols}


def _error(error: dict) -> Exception:
    """The exception the worker reported: the strategy's ``StrategyError``, else an error of the family."""
    if error["kind"] != "strategy":
        return _ERRORS.get(error["type"], InputError)(error["message"])
    raised = StrategyError.__new__(StrategyError)
    raised.args = (error["message"],)
    raised.strategy, raised.hook, raised.symbol = error["strategy"], error["hook"], error["symbol"]
    raised.timestamp = datetime.fromisoformat(error["timestamp"]) if error["timestamp"] is not None else None
    raised.error_type, raised.error_message = error["error_type"], error["error_message"]
    raised.user_traceback = list(error["user_traceback"])
    return raised


def _stopped(run: SandboxRun, name: str, limits: SandboxLimits) -> Exception:
    """The error of a run that ended without an answer: the limit it hit and the setting that raises it."""
    what = f"the contained backtest of strategy `{name}`"
    if run.killed_because == "timeout":
        return RunTimeoutError(f"{what} ran past its timeout of {limits.timeout:g}s and was stopped; shorten the "
                               "date range or raise `[untrusted] timeout` in research-env.toml")
    if run.killed_because == "cpu":
        return RunTimeoutError(f"{what} used up its CPU time ({limits.cpu_seconds} s) and was stopped; shorten the "
                               "date range or raise `[untrusted] cpu_seconds` in research-env.toml")
    if run.killed_because == "memory":
        return ContainmentError(f"{what} ran out of memory (the limit is {limits.memory_mb} MB) and was stopped; "
                                "raise `[untrusted] memory_mb` in research-env.toml")
    if run.killed_because == "output":
        return ContainmentError(f"{what} sent more than {limits.max_output_bytes / 2**20:g} MB back and was "
                                "stopped; log less, or raise `[untrusted] max_output_mb` in research-env.toml")
    why = run.killed_because or f"exit status {run.returncode}"
    tail = "\n".join(run.stderr.strip().splitlines()[-10:]) or "(no error output)"
    return ContainmentError(f"{what} ended without a result ({why}); its last error output:\n{tail}")


# --- worker side -------------------------------------------------------------------------------------------------


def _resolve(request: dict) -> dict:
    """The run specification of the request (its strategy's defaults filled in), here in the sandbox."""
    from .engine.config import RiskConfig

    loaded = load_untrusted(request["source"], request["name"], allowed_imports=request["allowed_imports"])
    config, risk = request["config"], request["risk"]
    run = build_run(loaded, symbols=request["symbols"], start=request["start"], end=request["end"],
                    timeframe=request["timeframe"], initial_cash=request["initial_cash"], params=request["params"],
                    config=BacktestConfig.from_dict(config) if config is not None else None,
                    risk=RiskConfig(**risk) if risk is not None else None, allow_demo=request["allow_demo"],
                    timeout=request["timeout"])
    return {"spec": run.spec.to_dict()}


def _sweep(request: dict) -> dict:
    """The request's bar-by-bar sweep, in this one process (the sandbox starts no others)."""
    from .sweeps import sweep

    loaded = load_untrusted(request["source"], request["name"], allowed_imports=request["allowed_imports"])
    limits = {key: request[key] for key in ("max_combinations", "max_years")}
    result = sweep(loaded, symbols=request["symbols"], start=request["start"], end=request["end"],
                   timeframe=request["timeframe"], param_grid=request["grid"], data=_read_bars(request["bars"]),
                   config=BacktestConfig.from_dict(request["config"]), metric=request["metric"], mode="bar",
                   max_workers=1, **limits)
    return {"sweep": result.to_dict(), "grid": result.grid, "maximize": result.maximize}


def _answer(request: dict) -> dict:
    """Run the request here (inside the sandbox): ``{"result": payload}`` or ``{"error": ...}``."""
    mode = request.get("mode")
    if mode in ("resolve", "sweep"):
        try:
            return _resolve(request) if mode == "resolve" else _sweep(request)
        except (StrategyError, InputError) as e:
            return {"error": _error_record(e)}
    try:
        loaded = load_untrusted(request["source"], request["name"], allowed_imports=request["allowed_imports"])
        config = request["config"]
        result = backtest(loaded, symbols=request["symbols"], start=request["start"], end=request["end"],
                          timeframe=request["timeframe"], initial_cash=request["initial_cash"],
                          params=request["params"], data=_read_bars(request["bars"]),
                          config=BacktestConfig.from_dict(config) if config is not None else None)
    except (StrategyError, InputError) as e:
        if isinstance(e.__cause__, MemoryError):
            raise e.__cause__ from None  # the sandbox reports the memory limit
        return {"error": _error_record(e)}
    return {"result": result.to_payload()}


def _error_record(error: StrategyError | InputError) -> dict:
    """What ``_error`` raises again in the parent."""
    if not isinstance(error, StrategyError):
        return {"kind": "input", "type": type(error).__name__, "message": str(error)}
    return {"kind": "strategy", "message": str(error), "strategy": error.strategy, "hook": error.hook,
            "symbol": error.symbol, "timestamp": _iso(error.timestamp), "error_type": error.error_type,
            "error_message": error.error_message, "user_traceback": error.user_traceback}


def _read_bars(spec: dict) -> BarData:
    frames, origins, gaps = {}, {}, {}
    for entry in spec["symbols"]:
        symbol = entry["symbol"]
        frames[symbol] = pd.read_parquet(Path(entry["file"]), engine="pyarrow")
        origins[symbol] = DataOrigin(**entry["origin"])
        if entry["gaps"]:
            gaps[symbol] = tuple(SessionGap(*gap) for gap in entry["gaps"])
    return BarData(frames=frames, origins=origins, timeframe=spec["timeframe"], gaps=gaps)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


if __name__ == "__main__":
    serve(_answer)
