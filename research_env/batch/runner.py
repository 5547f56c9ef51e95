"""Run a notebook unattended: papermill on the research-env kernel, into a dated folder, with an HTML report.

A ``parameters``-tagged cell takes the values given; the executed notebook is
always written (also when a cell fails or runs past its timeout, before the
error is raised) and exported as standalone HTML with its plotly figures. A
run that stopped part-way (a cell timed out, the kernel died, the scheduler
was killed) is marked as partial: ``mark_partial`` flags the notebook's
metadata, puts a red banner on top and a note under the cell that was running.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from html import escape as html_escape
from pathlib import Path

from ..errors import InputError
from ..notebook.progress import BATCH_ENV
from .html import export_html

__all__ = [
    "KERNEL_NAME",
    "NotebookRun",
    "NotebookRunError",
    "NotebookTimeoutError",
    "StoppedCell",
    "default_runs_dir",
    "mark_partial",
    "parse_value",
    "run_notebook",
]

#: The kernelspec the package installs (``share/jupyter/kernels/research-env``); it preloads the extension.
KERNEL_NAME = "research-env"
#: Starts of a notebook's kernel before a run gives up: Jupyter picks a kernel's ports before the kernel binds
#: them, so of two kernels started at the same moment one can find its port taken and die before it answers
_KERNEL_STARTS = 3
_DIED_STARTING = "Kernel died before replying to kernel_info"


class NotebookRunError(InputError, RuntimeError):
    """A cell of a batch run failed; ``output`` is the failed notebook (and ``html`` its report) for inspection."""

    def __init__(self, message: str, *, notebook: Path, output: Path, html: Path | None, cell_index: int | None,
                 ename: str, evalue: str):
        super().__init__(message)
        self.notebook, self.output, self.html = notebook, output, html
        self.cell_index, self.ename, self.evalue = cell_index, ename, evalue


class NotebookTimeoutError(NotebookRunError):
    """A cell ran past its ``timeout``; ``output`` is the partial notebook (marked as such), ``html`` its report."""


@dataclass(frozen=True)
class StoppedCell:
    """The cell a partial run stopped in: its index in the marked notebook, its ``In [n]`` and first line.

    The index counts the banner ``mark_partial`` puts on top, so it is also the
    cell's position (from 1) in the executed notebook without the banner.
    """

    index: int
    execution_count: int | None
    first_line: str

    def __str__(self) -> str:
        """``In [7] ('first line')``; a cell stopped before the kernel numbered it: ``#3 ('first line')``."""
        label = f"In [{self.execution_count}]" if self.execution_count is not None else f"#{self.index}"
        return f"{label} ({self.first_line!r})"


@dataclass(frozen=True)
class NotebookRun:
    """A finished batch run: where the executed notebook and its HTML report are."""

    notebook: Path
    output: Path
    html: Path
    parameters: dict = field(default_factory=dict)
    seconds: float = 0.0


def default_runs_dir() -> Path:
    """``$RESEARCH_ENV_RUNS``, else the checkout's ``runs/`` folder, else ``~/.research-env/runs``."""
    configured = os.environ.get("RESEARCH_ENV_RUNS")
    if configured:
        return Path(configured).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "runs"
    return Path.home() / ".research-env" / "runs"


def output_path(notebook: Path, output: str | os.PathLike | None, now: datetime) -> Path:
    """``output`` itself when it names an ``.ipynb``; else ``<output or runs>/<YYYY-MM-DD>/<stem>_<HHMMSS>.ipynb``."""
    if output is not None and str(output).endswith(".ipynb"):
        return Path(output)
    folder = (Path(output) if output is not None else default_runs_dir()) / f"{now:%Y-%m-%d}"
    path = folder / f"{notebook.stem}_{now:%H%M%S}.ipynb"
    n = 2
    while path.exists():
        path = folder / f"{notebook.stem}_{now:%H%M%S}_{n}.ipynb"
        n += 1
    return path


def parse_value(text: str):
    """A ``-p`` value as papermill's CLI reads it: JSON lists/objects, True/False/None, numbers, else text."""
    stripped = text.strip()
    if stripped[:1] in "[{\"":
        with contextlib.suppress(ValueError):
            return json.loads(stripped)
    if stripped in ("True", "true"):
        return True
    if stripped in ("False", "false"):
        return False
    if stripped in ("None", "null"):
        return None
    for kind in (int, float):
        with contextlib.suppress(ValueError):
            return kind(stripped)
    return text


def run_notebook(notebook, parameters: dict | None = None, output=None, *, kernel_name: str = KERNEL_NAME,
                 timeout: float | None = None, cwd=None, now: datetime | None = None) -> NotebookRun:
    """Execute ``notebook`` with ``parameters``, write it and its HTML report, and return where they are.

    ``output``: a folder (a dated sub-folder is made in it; default
    ``default_runs_dir()``) or an ``.ipynb`` path. The kernel runs in the
    notebook's folder (or ``cwd``) with ``RESEARCH_ENV_BATCH=1``, so progress is
    text and sliders show as static reports. On a failing cell the failed
    notebook and its HTML are written, then ``NotebookRunError`` names the cell
    and the error. ``timeout``: seconds one cell may run (``None``: no limit);
    past it the kernel is stopped, the partial notebook is marked and written
    with its HTML, then ``NotebookTimeoutError`` names the cell.
    """
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    source = Path(notebook)
    if not source.is_file():
        raise FileNotFoundError(f"notebook {source} does not exist")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                or not 0 < timeout < float("inf")):
        raise InputError(f"`timeout` must be a positive number of seconds per cell or None (no limit), got {timeout!r}")
    now = now or datetime.now()
    out = output_path(source, output, now)
    out.parent.mkdir(parents=True, exist_ok=True)
    html = out.with_suffix(".html")
    parameters = dict(parameters or {})
    started = time.monotonic()
    try:
        with _batch_environment():
            for start in range(1, _KERNEL_STARTS + 1):
                try:
                    papermill.execute_notebook(
                        str(source), str(out), parameters=parameters, kernel_name=kernel_name,
                        cwd=str(cwd or source.resolve().parent), progress_bar=False, log_output=False,
                        execution_timeout=timeout, kernel_manager_class=_quiet_kernel_manager(),
                    )
                    break
                except RuntimeError as e:  # no cell ran yet: start a new kernel, on new ports
                    if str(e) != _DIED_STARTING or start == _KERNEL_STARTS:
                        raise
    except PapermillExecutionError as e:
        export_html(out, html)
        first_line = (e.source or "").strip().splitlines()[0] if (e.source or "").strip() else ""
        ename, evalue = _error_of(out, e)
        raise NotebookRunError(
            f"{source} failed in cell In [{e.exec_count}] ({first_line!r}): "
            f"{ename}: {evalue}. The failed notebook is {out} (HTML: {html})",
            notebook=source, output=out, html=html, cell_index=e.cell_index, ename=ename, evalue=evalue,
        ) from e
    except CellTimeoutError as e:
        cell = _stop_partial(out, html, "timed out", f"a cell ran past the timeout of {timeout:g}s per cell")
        raise NotebookTimeoutError(
            f"{source} ran past its timeout of {timeout:g}s per cell in cell {_cell_text(cell)}; the kernel was "
            f"stopped. The partial notebook is {out} (HTML: {html})",
            notebook=source, output=out, html=html, cell_index=cell.index if cell else None,
            ename="CellTimeoutError", evalue=f"cell ran past {timeout:g}s",
        ) from e
    except DeadKernelError as e:
        cell = _stop_partial(out, html, "failed", "the kernel died")
        raise NotebookRunError(
            f"{source}: the kernel died in cell {_cell_text(cell)} (out of memory, or the code ended the process). "
            f"The partial notebook is {out} (HTML: {html})",
            notebook=source, output=out, html=html, cell_index=cell.index if cell else None,
            ename="DeadKernelError", evalue=str(e),
        ) from e
    except RuntimeError as e:
        if str(e) != _DIED_STARTING:
            raise
        raise NotebookRunError(
            f"{source}: the `{kernel_name}` kernel died while starting, {_KERNEL_STARTS} times, before any cell ran; "
            f"check that it starts on its own (`jupyter console --kernel {kernel_name}`) and that the machine has "
            "free memory and local ports",
            notebook=source, output=out, html=None, cell_index=None, ename="DeadKernelError", evalue=str(e),
        ) from e
    except NoSuchKernel as e:
        raise NotebookRunError(
            f"no Jupyter kernel named `{kernel_name}`; install the package (`pip install -e .`) or run "
            f"`jupyter kernelspec install --sys-prefix --name {kernel_name} kernels/research_env`",
            notebook=source, output=out, html=None, cell_index=None, ename="NoSuchKernel", evalue=str(e),
        ) from e
    export_html(out, html)
    return NotebookRun(notebook=source, output=out, html=html, parameters=parameters,
                       seconds=time.monotonic() - started)


def mark_partial(executed, status: str, reason: str) -> StoppedCell | None:
    """Mark the executed notebook ``executed`` as partial and return the cell it stopped in (None: before any cell).

    The notebook's metadata gets ``research_env: {partial: true, status, reason,
    cell_index}``; a red banner cell (tagged ``research-env-partial``) goes on
    top; the cell that was running (the last one papermill started) is marked
    failed and gets a note saying the run stopped there. Marking again replaces
    the earlier marks. Nothing happens when the file is missing or unreadable.
    """
    import nbformat

    path = Path(executed)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except (OSError, ValueError):  # never written, or cut off mid-write
        return None
    nb.cells = [c for c in nb.cells if _PARTIAL_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not o.get("metadata", {}).get(_PARTIAL_TAG)]
    started = [i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and c.metadata.get("papermill", {}).get("start_time")]
    stopped = None
    if started:
        index = started[-1]
        cell = nb.cells[index]
        lines = [line for line in cell.source.strip().splitlines() if line.strip()]
        stopped = StoppedCell(index + 1, cell.get("execution_count"), lines[0] if lines else "")
        cell.metadata.setdefault("papermill", {}).update(status="failed", exception=True)
        for later in nb.cells[index + 1:]:  # papermill calls the cells it never ran "completed" when it stops
            if later.cell_type == "code" and later.metadata.get("papermill", {}).get("start_time") is None:
                later.metadata.setdefault("papermill", {})["status"] = "pending"
        note = f"research-env: the run stopped in this cell: {reason}"
        cell.outputs.append(nbformat.v4.new_output(
            "display_data", metadata={_PARTIAL_TAG: True},
            data={"text/plain": note, "text/html": f'<pre style="color:red">{html_escape(note)}</pre>'}))
    nb.metadata.setdefault("papermill", {})["exception"] = True
    nb.metadata["research_env"] = {"partial": True, "status": status, "reason": reason,
                                   "cell_index": stopped.index if stopped else None}
    where = f"in cell {html_escape(str(stopped))}" if stopped else "before its first cell"
    banner = nbformat.v4.new_markdown_cell(
        f'<span style="color:red; font-size:1.5em;">Partial notebook ({status}): the run stopped {where}: '
        f"{html_escape(reason)}. The cells after it did not run.</span>")
    banner.metadata["tags"] = [_PARTIAL_TAG]
    nb.cells.insert(0, banner)
    temporary = path.with_name(f".{path.name}.partial.tmp")
    nbformat.write(nb, str(temporary))
    os.replace(temporary, path)
    return stopped


#: Tags the banner cell and the note output that ``mark_partial`` adds (so marking again replaces them).
_PARTIAL_TAG = "research-env-partial"


def _stop_partial(out: Path, html: Path, status: str, reason: str) -> StoppedCell | None:
    cell = mark_partial(out, status, reason)
    if out.is_file():
        export_html(out, html)
    return cell


def _cell_text(cell: StoppedCell | None) -> str:
    return str(cell) if cell is not None else "(before the first cell ran)"


def _error_of(executed: Path, error) -> tuple[str, str]:
    """The error's name and message; a ``UsageError`` leaves no error output, only its line on stderr."""
    if error.evalue:
        return error.ename, error.evalue
    import nbformat

    cells = [c for c in nbformat.read(str(executed), as_version=4).cells
             if c.cell_type == "code" and c.get("execution_count") == error.exec_count]
    text = "".join(out.get("text", "") for cell in cells[:1] for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stderr")
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        name, sep, message = lines[-1].partition(": ")
        return (name, message) if sep and name.isidentifier() else (error.ename, lines[-1])
    return error.ename, error.evalue


def _quiet_kernel_manager():
    """The kernel manager nbclient uses, starting kernels with their own stderr discarded.

    A kernel writes start-up notices and, when it is stopped mid-cell, the
    traceback of its closed sockets there; what the notebook's code prints
    reaches the notebook through Jupyter's messages either way.
    """
    import subprocess

    from jupyter_client import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kwargs):
            kwargs.setdefault("stderr", subprocess.DEVNULL)
            return await super().start_kernel(**kwargs)

    return QuietKernelManager


@contextlib.contextmanager
def _batch_environment():
    """``RESEARCH_ENV_BATCH=1`` for the kernels started inside (they inherit this process's environment)."""
    previous = os.environ.get(BATCH_ENV)
    os.environ[BATCH_ENV] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(BATCH_ENV, None)
        else:
            os.environ[BATCH_ENV] = previous
