"""``replay(manifest)``: run a recorded backtest or sweep again and check it is the same run with the same numbers.

The manifest (``result.manifest``, see ``research_env.manifest``) names the
code by its source hash, each symbol's bars by a fingerprint, and the numbers
the run produced. ``replay`` loads the strategy and the bars the way the run
did, refuses with a ``ReplayError`` when the code or any symbol's bars changed
(naming the symbol and the first session that differs), runs it, and refuses
again when the numbers differ (naming the metric or the combination, and the
library versions that changed since).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InputError, ResearchEnvError
from .manifest import MANIFEST_VERSION, bars_change, closes_change, environment, rows_digest
from .run_spec import RunSpec

__all__ = ["ReplayError", "read_manifest", "replay"]


class ReplayError(ResearchEnvError):
    """A replay found a different run: ``what`` is ``"code"``, ``"bars"`` or ``"numbers"``; ``symbol`` names
    the symbol whose bars changed."""

    def __init__(self, message: str, what: str, symbol: str | None = None):
        super().__init__(message)
        self.what, self.symbol = what, symbol


def read_manifest(source: Any) -> tuple[dict, dict | None]:
    """``(manifest, the whole result dict or None)`` from a result, its ``to_dict()``, a bare manifest, JSON
    text or the path of a JSON file (``research-env backtest --json`` / ``sweep --json`` output)."""
    if hasattr(source, "manifest") and hasattr(source, "to_dict"):
        return _checked(source.manifest, type(source).__name__), source.to_dict()
    if isinstance(source, str) and source.lstrip().startswith("{"):
        source = _parse(source, "the JSON text")
    elif isinstance(source, str | os.PathLike):
        path = Path(source).expanduser()
        if not path.is_file():
            raise InputError(f"no file {path}; pass the JSON a run wrote (research-env backtest --json > run.json)")
        source = _parse(path.read_text(), str(path))
    if not isinstance(source, Mapping):
        raise InputError(f"cannot replay a {type(source).__name__}; pass a result, its to_dict(), its manifest or "
                         "a JSON file of one")
    if "manifest_version" in source:
        return _checked(source, "the manifest"), None
    return _checked(source.get("manifest"), "this result"), dict(source)


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{where} is not JSON ({e}); pass the JSON a run wrote") from e


def _checked(manifest, where: str) -> dict:
    if not isinstance(manifest, Mapping):
        raise InputError(f"{where} has no run manifest: only results of backtest(), sweep() and "
                         "vectorized_backtest() that kept their bars carry one")
    version = manifest.get("manifest_version")
    if not isinstance(version, int) or version > MANIFEST_VERSION:
        raise InputError(f"manifest version {version!r} is not one this research-env reads (up to "
                         f"{MANIFEST_VERSION}); replay it with the research-env version that wrote it")
    return dict(manifest)


def replay(manifest: Any, *, strategy=None, data=None):
    """Run the backtest or sweep ``manifest`` describes again and return its new result.

    ``manifest``: a ``BacktestResult``/``SweepResult``, its ``to_dict()``, its
    ``.manifest``, JSON text or a JSON file's path. The strategy comes from
    where the run took it (its file, its Git commit, its registered name) and
    the bars from the run's sources; pass ``strategy=`` for code defined in a
    notebook, and ``data=`` for a run on bars passed in memory (or to point at
    a moved store folder). Raises ``ReplayError`` when the code's source hash,
    a symbol's bars (naming the first session that differs) or the numbers
    differ from the recorded run.
    """
    recorded, whole = read_manifest(manifest)
    spec = RunSpec.from_dict(recorded["spec"])
    options = dict(recorded.get("options") or {})
    name = recorded["strategy"]["name"]
    source, git = _strategy(spec, strategy, untrusted=bool(options.get("untrusted")))
    data = _data(spec, data)
    built = None
    if not options.get("untrusted"):
        from .run_spec import build_run

        built = build_run(source, symbols=spec.symbols, start=spec.start, end=spec.end, timeframe=spec.timeframe,
                          params=spec.params or None, config=spec.config, grid=spec.grid, mode=spec.mode,
                          max_combinations=spec.max_combinations, max_years=spec.max_years,
                          allow_demo=spec.allow_demo, timeout=spec.timeout, data=data, **git)
        _check_code(recorded, built.spec.strategy.digest, name)
        if git:
            git = {**git, "offline": True}  # the commit is in the local mirror now: no second fetch
    _check_bars(recorded, spec, data, name)
    if built is not None and recorded["entry"] == "backtest":
        from .api import run_backtest

        result = run_backtest(built)  # the run the code check built
    else:
        result = _rerun(recorded["entry"], spec, options, source, data, git)
    if options.get("untrusted"):
        _check_code(recorded, result.manifest["strategy"]["source_hash"], name)
    _check_numbers(recorded, whole, result, name)
    return result


def _strategy(spec: RunSpec, given, *, untrusted: bool) -> tuple[Any, dict]:
    """What to load the recorded strategy from: ``given``, its Git commit, else its file or its name (a name
    also brings its vectorized twin), whichever has the recorded source hash. Untrusted code is never
    imported here: its file goes to the sandbox, whose run reports the hash."""
    from .strategy.loader import StrategyLoadError, load_strategy

    ref = spec.strategy
    if given is not None:
        return given, {}
    if ref.kind == "git":
        return None, {"git_repo": ref.repository, "git_commit": ref.commit, "strategy_path": ref.path}
    if untrusted:
        if not Path(ref.path).is_file():
            raise _file_gone(ref.path)
        return ref.path, {}
    found = []
    for candidate in ([ref.path] if ref.path and Path(ref.path).is_file() else []) + [ref.name]:
        try:
            if load_strategy(candidate).digest == ref.digest:
                return candidate, {}
        except StrategyLoadError:
            continue
        found.append(candidate)
    if found:
        return found[0], {}  # the code changed: the code check says so
    if ref.kind == "file":
        raise _file_gone(ref.path)
    raise InputError(f"the recorded run's strategy `{ref.name}` (kind {ref.kind}: defined in a notebook or passed "
                     "as a class) is not known here; pass it: replay(manifest, strategy=TheClass)")


def _file_gone(path: str) -> InputError:
    return InputError(f"the strategy file {path} of the recorded run is gone; pass the file: "
                      "replay(manifest, strategy='path/to/file.py')")


def _data(spec: RunSpec, given):
    if given is not None:
        return given
    if spec.data.kind == "supplied":
        raise InputError(f"the recorded run ran on bars passed in memory ({', '.join(spec.data.symbols)}); pass "
                         "the same bars: replay(manifest, data=frames)")
    if spec.data.kind == "store":
        if not Path(spec.data.path).is_dir():
            raise InputError(f"the recorded run's bar store {spec.data.path} is gone; pass the folder it moved "
                             "to: replay(manifest, data='path/to/store')")
        return spec.data.path
    return None


def _check_code(recorded: dict, digest: str | None, name: str) -> None:
    was = recorded["strategy"]["source_hash"]
    if was is not None and digest != was:
        where = recorded["strategy"]["origin"].get("path") or name
        raise ReplayError(f"replay of {name}: the strategy's code changed since the run ({where}: source hash "
                          f"{(digest or 'unknown')[:12]} now, {was[:12]} recorded); restore that version of the "
                          "code (or its Git commit) to replay it", "code")


def _check_bars(recorded: dict, spec: RunSpec, data, name: str) -> None:
    from .api import benchmark_closes, resolve_bars

    bars = resolve_bars(data, list(spec.symbols), spec.start_date, spec.end_date, spec.timeframe,
                        allow_demo=spec.allow_demo)
    for symbol, entry in recorded["data"].items():
        change = bars_change(entry["bars"], bars.frames[symbol])
        if change is not None:
            raise ReplayError(f"replay of {name}: the bars of {symbol} changed since the run ({entry['source']} "
                              f"then, {bars.sources[symbol]} now): {change}; restore the bars the run used to "
                              "replay it", "bars", symbol)
    bench = recorded["benchmark"]
    closes, _ = benchmark_closes(spec.config.benchmark, data, bars, spec.start_date, spec.end_date, spec.timeframe)
    change = closes_change(bench["closes"], closes)
    if change is not None:
        raise ReplayError(f"replay of {name}: the benchmark {bench['symbol']}'s daily closes changed since the run: "
                          f"{change}", "bars", bench["symbol"])


def _rerun(entry: str, spec: RunSpec, options: dict, source, data, git: dict):
    common = dict(symbols=list(spec.symbols), start=spec.start, end=spec.end, timeframe=spec.timeframe, data=data,
                  config=spec.config, allow_demo=spec.allow_demo, **git)
    if entry == "backtest":
        from .api import backtest

        return backtest(source, params=spec.params or None, timeout=spec.timeout,
                        untrusted=bool(options.get("untrusted")), **common)
    if entry == "vectorized_backtest":
        from .sweeps import vectorized_backtest

        params = {k: v[0] for k, v in (spec.grid or {}).items()}
        return vectorized_backtest(source, params=params, quantity=options.get("quantity"),
                                   fused=options.get("fused", True), **common)
    if entry == "sweep":
        from .sweeps import sweep

        extra = ({"untrusted": True} if options.get("untrusted") else
                 {"quantity": options.get("quantity"), "fused": options.get("fused", True), "lookahead": False})
        return sweep(source, param_grid=spec.grid, metric=options.get("metric", "sharpe_ratio"), mode=spec.mode,
                     max_combinations=spec.max_combinations, max_years=spec.max_years, timeout=spec.timeout,
                     **extra, **common)
    raise InputError(f"the manifest's entry {entry!r} is not one replay knows (backtest, vectorized_backtest, sweep)")


def _check_numbers(recorded: dict, whole: dict | None, result, name: str) -> None:
    outcome = recorded["outcome"]
    if "metrics" in outcome:
        new = result.metrics.to_dict()
        changed = [f"{key}: {new.get(key)!r} now, {value!r} recorded" for key, value in outcome["metrics"].items()
                   if json.dumps(new.get(key)) != json.dumps(value)]
        if changed:
            raise ReplayError(f"replay of {name}: same code and bars, different numbers: {'; '.join(changed[:5])}"
                              f"{_versions(recorded)}", "numbers")
        return
    if rows_digest(result.rows) == outcome["rows_digest"]:
        return
    detail = f"{len(result.rows)} combinations now, {outcome['combinations']} recorded"
    if whole is not None and "results" in whole:
        for then, now in zip(whole["results"], result.to_dict()["results"], strict=False):
            if json.dumps(then, sort_keys=True) != json.dumps(now, sort_keys=True):
                keys = [k for k in now if json.dumps(now[k]) != json.dumps(then.get(k))]
                detail = f"first at {now['params']}: {', '.join(keys)} differ"
                break
    raise ReplayError(f"replay of {name}: same code and bars, different numbers ({detail}){_versions(recorded)}",
                      "numbers")


def _versions(recorded: dict) -> str:
    then, now = recorded["environment"], environment()
    changed = [f"{k} {then['versions'].get(k)} then, {v} now" for k, v in now["versions"].items()
               if then["versions"].get(k) != v]
    if then.get("tz_database") != now["tz_database"]:
        changed.append(f"time-zone database {then.get('tz_database')} then, {now['tz_database']} now")
    return f"; what changed since: {', '.join(changed)}" if changed else "; no library version changed"
