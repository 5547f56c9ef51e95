"""Progress of long runs: a ``tqdm.auto`` bar in a live notebook, plain text lines in batch runs.

``backtest(progress=...)`` and sweeps call ``progress(done, total)``; this is
the notebook's version of the guide's WebSocket progress stream. In a run of
``research-env run`` (``RESEARCH_ENV_BATCH=1``, set by the batch runner for
its kernels) widgets would be lost in the saved notebook, so progress is
printed as a few text lines instead.
"""

from __future__ import annotations

import os
import sys
import time

__all__ = ["BATCH_ENV", "Progress", "in_batch"]

#: Environment variable that marks a batch (papermill) run.
BATCH_ENV = "RESEARCH_ENV_BATCH"


def in_batch() -> bool:
    """True inside ``research-env run``/scheduled runs (``RESEARCH_ENV_BATCH`` set to a non-empty value but 0)."""
    return os.environ.get(BATCH_ENV, "") not in ("", "0")


class Progress:
    """A ``progress(done, total)`` callable that draws a bar once a run has lasted ``delay`` seconds.

    Runs shorter than ``delay`` show nothing (a slider re-run should not flash
    a bar).

    Use it as a context manager so the bar is closed (or the final line
    printed) when the run ends, also when it fails.
    """

    def __init__(self, description: str, unit: str = "bar", delay: float = 0.5, text: bool | None = None,
                 stream=None):
        self.description = description
        self.unit = unit
        self.delay = delay
        self.text = in_batch() if text is None else text
        self.stream = stream
        self._bar = None
        self._started = time.monotonic()
        self._next_percent = 0
        self._printed = False
        self._last = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        self._last = (done, total)
        if time.monotonic() - self._started < self.delay:
            return
        if self.text:
            self._text(done, total)
        else:
            self._draw(done, total)

    def _text(self, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent < self._next_percent and done < total:
            return
        stream = self.stream or sys.stdout
        print(f"{self.description}: {percent}% ({done}/{total} {self.unit}s)", file=stream, flush=True)
        self._printed = True
        self._next_percent = (percent // 25 + 1) * 25

    def _draw(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=self.description, unit=self.unit, leave=False, file=self.stream)
        self._bar.total = total
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Finish the bar; in text mode print the last line if earlier ones were printed."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.text and self._printed and self._next_percent <= 100:
            done, total = self._last
            self._next_percent = 0
            self._text(done, total)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
