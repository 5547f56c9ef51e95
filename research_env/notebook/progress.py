"""Progress of long runs: an HTML bar in a live notebook, plain text lines in batch runs, tqdm elsewhere.

``backtest(progress=...)`` and sweeps call ``progress(done, total)``; this is
the notebook's version of the guide's WebSocket progress stream. In a kernel
the bar is one output updated in place (``display_id``) and emptied when the
run ends: no widget, so a reloaded page has nothing left to show ("model not
found"). In a run of ``research-env run`` (``RESEARCH_ENV_BATCH=1``, set by
the batch runner for its kernels) progress is printed as a few text lines
instead. Outside a kernel (a terminal, a script) it is a ``tqdm`` bar.
"""

from __future__ import annotations

import html
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

    ``stream``: write a tqdm bar (or, with ``text``, the lines) there instead.

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
            if self.stream is None and _in_kernel():
                self._bar = _OutputBar(self.description, self.unit)
            else:
                from tqdm import tqdm

                self._bar = tqdm(total=total, desc=self.description, unit=self.unit, leave=False, file=self.stream)
        if isinstance(self._bar, _OutputBar):
            self._bar.show(done, total)
            return
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


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return getattr(get_ipython(), "kernel", None) is not None


class _OutputBar:
    """A progress bar as one notebook output (HTML ``<progress>``), redrawn at most five times a second and
    emptied by ``close``."""

    def __init__(self, description: str, unit: str):
        from IPython.display import display

        self.description, self.unit = description, unit
        self._shown_at = 0.0
        self._handle = display(self._bundle(0, 0), raw=True, display_id=True)

    def _bundle(self, done: int, total: int) -> dict:
        percent = 100 * done // total if total else 0
        text = f"{self.description}: {percent}% ({done}/{total} {self.unit}s)"
        return {"text/html": f'<div class="research-env-progress"><progress value="{done}" max="{max(total, 1)}" '
                             f'style="width:240px"></progress> {html.escape(text)}</div>',
                "text/plain": text}

    def show(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._shown_at >= 0.2 or done >= total:
            self._shown_at = now
            self._handle.update(self._bundle(done, total), raw=True)

    def close(self) -> None:
        self._handle.update({"text/plain": ""}, raw=True)
