"""The error and warning types of the data layer."""

from __future__ import annotations

from ..errors import InputError

__all__ = ["BarDataError", "BarDataWarning", "BarImportError", "SourceUnavailableError"]


class BarDataError(InputError):
    """Bad bar data or a bad argument to the data layer; the message names the fix."""


class BarImportError(BarDataError):
    """A batch import that refused some files: ``stored`` (the summary of what was stored, a
    DataFrame) and ``refused`` (``{file: why}``); the message lists both."""

    def __init__(self, stored, refused: dict[str, str], dry_run: bool = False) -> None:
        done = "would store" if dry_run else "stored"
        files = list(dict.fromkeys(stored["file"])) if len(stored) else []
        lines = [f"{done} {len(files)} of {len(files) + len(refused)} files; refused {len(refused)}:"]
        lines += [f"  refused `{path}`: {why}" for path, why in refused.items()]
        for path in files:
            rows = stored[stored["file"] == path]
            what = ", ".join(f"{r.symbol} {r.timeframe} {r.rows} rows" for r in rows.itertuples())
            lines.append(f"  {done} `{path}` ({what})")
        lines.append("fix the refused files before importing" if dry_run else
                     "fix the refused files and import them again (the stored ones need no second import)")
        super().__init__("\n".join(lines))
        self.stored, self.refused = stored, dict(refused)


class SourceUnavailableError(BarDataError):
    """A configured bar source that cannot be used now (server down, wrong password, missing bucket or table).

    ``source`` is the source's name (``"postgres"``, ``"s3"``); the message names it, the reason and the fix,
    never a password. The fallback chain turns it into one warning and moves on to the next source.
    """

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source

    def __reduce__(self):
        return type(self), (self.source, str(self))


class BarDataWarning(UserWarning):
    """A recoverable oddity in bar data (skipped rows, synthetic data, dropped bars, missing sessions)."""
