"""Map the column names of a source table onto bar fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ._errors import BarDataError

__all__ = ["FIELDS", "resolve_columns"]

REQUIRED = ("timestamp", "open", "high", "low", "close", "volume")
FIELDS = (*REQUIRED, "symbol")
_TIMESTAMP = frozenset({"date", "datetime", "time", "timestamp", "window_start"})
_SYMBOL = frozenset({"ticker", "symbol"})
_IGNORED = frozenset({"adj close", "adj_close", "adjclose", "dividends", "stock splits", "transactions"})


def _default_field(name: str) -> str | None:
    key = name.strip().lower()
    if key in REQUIRED:
        return key
    if key in _TIMESTAMP:
        return "timestamp"
    if key in _SYMBOL:
        return "symbol"
    return None


def resolve_columns(names: Iterable[str], columns: Mapping[str, str | None] | None, origin: str) -> dict:
    """``{source name: field}`` for the columns to read; ignored columns are left out.

    ``columns`` maps source names (exact or case-insensitive) to a field or to ``None`` (ignore).
    Raises ``BarDataError`` for unknown, conflicting or missing columns, suggesting ``columns=``.
    """
    names = [str(name) for name in names]
    by_lower = {name.strip().lower(): name for name in names}
    chosen: dict[str, str | None] = {}
    for key, field in (columns or {}).items():
        source = key if key in names else by_lower.get(str(key).strip().lower())
        if source is None:
            raise BarDataError(f"`columns` names {key!r}, which is not a column of `{origin}` (has {names})")
        if field is not None and field not in FIELDS:
            raise BarDataError(
                f"`columns` maps {key!r} to {field!r}; map to one of {', '.join(FIELDS)} or None (ignore)"
            )
        chosen[source] = field
    unknown = []
    for name in names:
        if name in chosen:
            continue
        field = _default_field(name)
        if field is None and name.strip().lower() not in _IGNORED:
            unknown.append(name)
        chosen[name] = field
    if unknown:
        example = ", ".join(f"{name!r}: None" for name in unknown)
        raise BarDataError(
            f"`{origin}` has columns {unknown} that are not bar fields; map them with "
            f"`columns={{...}}`, e.g. `columns={{{example}}}` to ignore them or "
            f"`columns={{{unknown[0]!r}: 'close'}}` to use one"
        )
    mapping: dict[str, str] = {}
    for source, field in chosen.items():
        if field is None:
            continue
        taken = next((other for other, f in mapping.items() if f == field), None)
        if taken is not None:
            raise BarDataError(
                f"`{origin}` has two {field} columns, {taken!r} and {source!r}; "
                f"pick one with `columns={{{source!r}: None}}`"
            )
        mapping[source] = field
    missing = [field for field in REQUIRED if field not in mapping.values()]
    if missing:
        raise BarDataError(
            f"`{origin}` lacks required columns {missing} (has {names}); name them with `columns=`, "
            "e.g. `columns={'Last': 'close'}`"
        )
    return mapping
