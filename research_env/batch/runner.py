"""Run a notebook unattended: papermill on the research-env kernel, into a dated folder, with an HTML report.

A ``parameters``-tagged cell takes the values given; the executed notebook is
always written (also when a cell fails, before the error is raised) and
exported as standalone HTML with its plotly figures.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import InputError
from ..notebook.progress import BATCH_ENV
from .html import export_html

__all__ = ["KERNEL_NAME", "NotebookRun", "NotebookRunError", "default_runs_dir", "parse_value", "run_notebook"]

#: The kernelspec the package installs (``share/jupyter/kernels/research-env``); it preloads the extension.
KERNEL_NAME = "research-env"


class NotebookRunError(InputError, RuntimeError):
    """A cell of a batch run failed; ``output`` is the failed notebook (and ``html`` its report) for inspection."""

    def __init__(self, message: str, *, notebook: Path, output: Path, html: Path | None, cell_index: int | None,
                 ename: str, evalue: str):
        super().__init__(message)
        self.notebook, self.output, self.html = notebook, output, html
        self.cell_index, self.ename, self.evalue = cell_index, ename, evalue


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
    and the error.
    """
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillExecutionError

    source = Path(notebook)
    if not source.is_file():
        raise FileNotFoundError(f"notebook {source} does not exist")
    now = now or datetime.now()
    out = output_path(source, output, now)
    out.parent.mkdir(parents=True, exist_ok=True)
    html = out.with_suffix(".html")
    parameters = dict(parameters or {})
    started = time.monotonic()
    try:
        with _batch_environment():
            papermill.execute_notebook(
                str(source), str(out), parameters=parameters, kernel_name=kernel_name,
                cwd=str(cwd or source.resolve().parent), progress_bar=False, log_output=False,
                execution_timeout=timeout,
            )
    except PapermillExecutionError as e:
        export_html(out, html)
        first_line = (e.source or "").strip().splitlines()[0] if (e.source or "").strip() else ""
        ename, evalue = _error_of(out, e)
        raise NotebookRunError(
            f"{source} failed in cell In [{e.exec_count}] ({first_line!r}): "
            f"{ename}: {evalue}. The failed notebook is {out} (HTML: {html})",
            notebook=source, output=out, html=html, cell_index=e.cell_index, ename=ename, evalue=evalue,
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
