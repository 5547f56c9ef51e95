"""The AI-strategy tools as plain functions returning JSON-friendly dicts (guide section 15).

``get_strategy_guide`` -> ``create_strategy`` (validated, saved as ``draft``) -> ``run_backtest`` (contained,
the result stored, ``tested``) -> ``promote_strategy`` (validated again, copied to the production strategies
folder, ``promoted``). ``list_strategies`` and ``get_strategy`` show what is stored. The MCP server and
``research-env ai`` serve these same functions. A request the caller can fix raises ``AssistantError`` (an
``InputError``); a strategy that raises while it runs is a ``StrategyError``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from ._errors import AssistantError
from ._names import check_name, check_user_id
from ._store import StoredStrategy, StrategyStore, write_atomically

__all__ = [
    "MAX_SOURCE_CHARS",
    "create_strategy",
    "get_strategy",
    "get_strategy_guide",
    "list_strategies",
    "production_folder",
    "promote_strategy",
    "run_backtest",
]

#: The longest strategy source ``create_strategy`` accepts.
MAX_SOURCE_CHARS = 200_000
_GUIDE = Path(__file__).with_name("strategy_guide.md")
_TEMPLATE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
_PACKAGE = Path(__file__).resolve().parents[1]


def get_strategy_guide() -> dict[str, str]:
    """The strategy guide (markdown: lifecycle, rules, ``StrategyBase`` API, indicators) and, apart, its
    template strategy (Python source that passes the validation)."""
    guide = _GUIDE.read_text(encoding="utf-8")
    return {"guide": guide, "template": _TEMPLATE.search(guide).group(1)}


def create_strategy(user_id: str, name: str, source: str) -> dict[str, Any]:
    """Validate ``source`` and, when it passes, save it as ``user_id``'s strategy ``name`` with status ``draft``
    (replacing an earlier one of the same user and name, which keeps its id).

    Returns ``ok``, ``strategy_id`` and ``status`` (``None`` when refused: nothing is saved), ``name``,
    ``class_name``, ``validation`` (the report as data) and ``report`` (the same as text).
    """
    check_user_id(user_id)
    check_name(name)
    if not isinstance(source, str) or not source.strip():
        raise AssistantError("`source` is empty: pass the text of a Python file with one StrategyBase subclass "
                             "(get_strategy_guide has a template)")
    if len(source) > MAX_SOURCE_CHARS:
        raise AssistantError(f"`source` has {len(source):,} characters, more than the {MAX_SOURCE_CHARS:,} "
                             "allowed: write a shorter strategy")
    from ..strategy.untrusted import validate_strategy

    report = validate_strategy(source)
    answer = {"ok": report.ok, "strategy_id": None, "status": None, "name": name, "class_name": report.class_name,
              "validation": report.to_dict(), "report": str(report)}
    if not report.ok:
        return answer
    record = StrategyStore().save(user_id, name, source, report.to_dict())
    return answer | {"strategy_id": record.id, "status": record.status, "path": str(record.path)}


def run_backtest(strategy_id: int, symbols: list[str] | str | None = None, start: str | date | None = None,
                 end: str | date | None = None, timeframe: str | None = None, initial_cash: float | None = None,
                 params: Mapping[str, Any] | None = None, *, allow_demo: bool | None = None) -> dict[str, Any]:
    """Backtest strategy ``strategy_id`` contained (``research_env.backtest(..., untrusted=True)``), store the
    result (the ``MAX_RESULTS`` newest are kept) and turn a draft into ``tested``.

    Arguments left ``None`` take the run's defaults (the strategy's symbols, the year before today, 100,000
    cash, ``allow_demo``: demo bars only while no real source holds any). Returns the ``metrics``,
    ``trade_count``, ``data_sources`` (and ``synthetic``), ``denial_counts``, ``warnings``, ``result_id`` and the
    strategy's ``status``.
    """
    store = StrategyStore()
    record = store.get(strategy_id)
    store.read_source(record)  # refuses a file changed since it was validated
    from ..api import backtest

    arguments = {"symbols": symbols, "start": start, "end": end, "timeframe": timeframe,
                 "initial_cash": initial_cash, "params": dict(params) if params is not None else None,
                 "allow_demo": allow_demo}
    result = backtest(str(record.path), **arguments, untrusted=True)
    summary = result.to_dict()
    result_id = store.record_result(record.id, summary | {"arguments": arguments,
                                                         "source_digest": record.source_digest},
                                    record.source_digest)
    return {"strategy_id": record.id, "result_id": result_id, "status": store.get(record.id).status,
            "symbols": result.symbols, "timeframe": result.timeframe, "start": summary["start"],
            "end": summary["end"], "metrics": summary["metrics"], "trade_count": len(result.trades),
            "data_sources": result.data_sources, "synthetic": result.is_synthetic,
            "denial_counts": summary["denial_counts"], "warnings": list(result.warnings)}


def promote_strategy(strategy_id: int) -> dict[str, Any]:
    """Validate a ``tested`` strategy's saved file again and copy it to ``production_folder()`` as
    ``<name>.py`` (loadable by name); status ``promoted``. Returns the ``path`` it was copied to."""
    store = StrategyStore()
    record = store.get(strategy_id)
    if record.status == "draft":
        raise AssistantError(f"strategy {record.id} (`{record.name}`) is a draft: backtest it first (run_backtest, "
                             f"or `research-env ai backtest {record.id}`); only a tested strategy is promoted")
    source = store.read_source(record)
    from ..strategy.untrusted import validate_strategy

    report = validate_strategy(source)
    if not report.ok:
        raise AssistantError(f"strategy {record.id} (`{record.name}`) no longer passes the validation (the rules "
                             f"changed since it was created); fix it and create_strategy it again:\n{report}")
    target = production_folder() / f"{record.name}.py"
    _check_free(target, source, record)
    try:
        write_atomically(target, source)
    except OSError as e:
        raise AssistantError(f"cannot copy strategy {record.id} to {target} ({e.strerror}): make the folder "
                             "writable, or set RESEARCH_ENV_STRATEGIES to one that is") from e
    promoted = store.mark_promoted(record.id, target)
    return {"strategy_id": promoted.id, "name": promoted.name, "status": promoted.status, "path": str(target),
            "validation": report.to_dict()}


def list_strategies(user_id: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every stored AI strategy (of ``user_id`` when given), oldest first, under ``strategies``."""
    return {"strategies": [record.to_dict() for record in StrategyStore().strategies(user_id)]}


def get_strategy(strategy_id: int) -> dict[str, Any]:
    """One strategy and a summary of each stored backtest (newest first): id, time, arguments, metrics,
    trade count and data sources."""
    store = StrategyStore()
    record = store.get(strategy_id)
    results = [{"result_id": stored.id, "created_at": stored.created_at.isoformat(),
                "arguments": stored.result.get("arguments"), "metrics": stored.result.get("metrics"),
                "trade_count": len(stored.result.get("trades") or []),
                "data_sources": stored.result.get("data_sources")}
               for stored in store.results(record.id)]
    return record.to_dict() | {"results": results}


def production_folder() -> Path:
    """Where promoted strategies go: the first folder of ``$RESEARCH_ENV_STRATEGIES`` (created when missing),
    else the first writable folder of ``strategy_search_path()`` outside the research-env package."""
    from ..strategy.loader import strategy_search_path

    configured = [entry for entry in os.environ.get("RESEARCH_ENV_STRATEGIES", "").split(os.pathsep) if entry]
    if configured:
        folder = Path(configured[0]).expanduser().resolve()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise AssistantError(f"RESEARCH_ENV_STRATEGIES names {folder}, which cannot be created ({e.strerror}): "
                                 "point it at a writable folder") from e
        return folder
    for folder in strategy_search_path():
        if not folder.resolve().is_relative_to(_PACKAGE) and os.access(folder, os.W_OK):
            return folder
    raise AssistantError("no writable strategies folder to promote to: set RESEARCH_ENV_STRATEGIES to the folder "
                         "production strategies live in")


def _check_free(target: Path, source: str, record: StoredStrategy) -> None:
    """Refuse to overwrite a file at ``target`` unless it already holds this code or an earlier promotion of
    this same strategy."""
    if not target.exists() or record.promoted_path == target:
        return
    try:
        same = target.read_text(encoding="utf-8") == source
    except (OSError, UnicodeDecodeError):
        same = False
    if not same:
        raise AssistantError(f"{target} already holds another strategy: create_strategy this one under another "
                             f"`name` than `{record.name}`, or move that file away")
