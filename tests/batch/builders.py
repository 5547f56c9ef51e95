"""Small notebooks for the batch tests (each runs in about a second on the research-env kernel)."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

KERNELSPEC = {"name": "research-env", "display_name": "research-env", "language": "python"}


def write_notebook(path: Path, *sources: str, parameters: str | None = None) -> Path:
    """A notebook of code cells (the first tagged `parameters` when given) on the research-env kernel."""
    cells = []
    if parameters is not None:
        cell = new_code_cell(parameters)
        cell.metadata["tags"] = ["parameters"]
        cells.append(cell)
    cells += [new_code_cell(src) for src in sources]
    book = new_notebook(cells=cells, metadata={"kernelspec": KERNELSPEC})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, str(path))
    return path


def greeting_notebook(path: Path) -> Path:
    """Prints a parameter, shows a plotly figure on its own, and checks the kernel is the batch research-env one."""
    return write_notebook(
        path,
        "import os\nassert os.environ.get('RESEARCH_ENV_BATCH') == '1'\nassert 'backtest' in "
        "get_ipython().magics_manager.magics['line']\nprint(f'hello {who} x{times}')",
        "import plotly.graph_objects as go\ngo.Figure(go.Bar(x=['a', 'b'], y=[1, times]))",
        parameters="who = 'nobody'\ntimes = 1",
    )


def failing_notebook(path: Path) -> Path:
    """Fails in its second cell with a ValueError."""
    return write_notebook(path, "x = 1", "raise ValueError('bad input on purpose')", "y = 2")


def read_outputs(path: Path) -> str:
    """Every text of every output of an executed notebook, joined."""
    book = nbformat.read(str(path), as_version=4)
    texts = []
    for cell in book.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", ""))
            texts.extend(str(v) for v in out.get("data", {}).values())
            texts.append(out.get("evalue", ""))
    return "\n".join(texts)


def sleeping_notebook(path: Path, seconds: float) -> Path:
    """Prints, then sleeps ``seconds`` in its second cell (a hung notebook, for timeouts), then prints again."""
    return write_notebook(path, "print('before')", f"import time\ntime.sleep({seconds})", "print('after')")


def blocking_notebook(path: Path, flag: Path) -> Path:
    """Waits in its second cell for as long as the file ``flag`` exists (a run to kill mid-cell)."""
    return write_notebook(path, "print('before')",
                          f"import os, time\nwhile os.path.exists({str(flag)!r}):\n    time.sleep(0.1)",
                          "print('after')")


def journal(folder: Path) -> list[dict]:
    """Every line of a schedule's ``runs.jsonl``, as written."""
    import json

    return [json.loads(line) for line in (folder / "runs.jsonl").read_text().splitlines()]


def hello_notebook(path: Path) -> Path:
    """The smallest useful run: prints its parameter `who` (no figures, so its HTML is quick to export)."""
    return write_notebook(path, "print(f'hello {who}')", parameters="who = 'nobody'")
