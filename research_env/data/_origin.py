"""``DataOrigin``: where one symbol's bars came from."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DataOrigin"]


class DataOrigin(NamedTuple):
    """The source of one symbol's bars in a result.

    ``source`` is ``"postgres"``, ``"s3"``, ``"local"``, ``"demo"`` or ``"user"`` (frames passed in), or
    several joined by ``"+"`` when later sources completed sessions the first one lacked; ``cached`` is true
    when a remote source's bars were all served from its local cache; ``resampled_from`` is the stored
    timeframe the bars were resampled from (``None``: stored at the timeframe asked for).
    """

    source: str
    cached: bool = False
    resampled_from: str | None = None

    def label(self, timeframe: str) -> str:
        """``"local"``, ``"local(5m→1h)"``, ``"s3(1m→5m) cached"``: the origin in a few characters."""
        text = self.source
        if self.resampled_from is not None:
            text += f"({self.resampled_from}→{timeframe})"
        return text + (" cached" if self.cached else "")

    def as_dict(self) -> dict:
        """``{"source": ..., "cached": ..., "resampled_from": ...}`` for JSON output."""
        return self._asdict()
