"""``run_notebook`` and ``research-env run``: papermill on the research-env kernel, dated outputs, HTML, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from research_env.batch import NotebookRunError, export_html, run_notebook
from research_env.batch.html import plotlyjs_file_name
from research_env.batch.runner import StoppedCell, mark_partial, output_path, parse_value
from tests.batch.builders import (
    failing_notebook,
    greeting_notebook,
    read_outputs,
    sleeping_notebook,
    write_notebook,
)

NOW = datetime(2025, 3, 4, 18, 5, 6)


def test_a_run_writes_the_executed_notebook_and_its_html_into_a_dated_folder(tmp_path):
    source = greeting_notebook(tmp_path / "in" / "greet.ipynb")
    done = run_notebook(source, {"who": "world", "times": 3}, tmp_path / "out", now=NOW)
    assert done.output == tmp_path / "out" / "2025-03-04" / "greet_180506.ipynb"
    assert done.html == done.output.with_suffix(".html")
    assert "hello world x3" in read_outputs(done.output)
    page = done.html.read_text()
    assert "hello world x3" in page
    assert page.count('<script type="text/javascript" src="plotly-') == 1  # plotly.js once, from a shared file
    assert (done.html.parent / plotlyjs_file_name()).stat().st_size > 3_000_000
    assert 'data-research-env-plotlyjs="1"' not in page and len(page) < 1_000_000
    assert "application/vnd.plotly.v1+json" not in page
    assert "research-env-plot" in page


def test_a_second_run_in_the_same_second_gets_its_own_file(tmp_path):
    source = tmp_path / "nb.ipynb"
    first = output_path(source, tmp_path, NOW)
    first.parent.mkdir(parents=True)
    first.touch()
    assert output_path(source, tmp_path, NOW).name == "nb_180506_2.ipynb"
    assert output_path(source, tmp_path / "exact.ipynb", NOW) == tmp_path / "exact.ipynb"


def test_a_failing_cell_keeps_the_failed_notebook_and_names_the_cell_and_error(tmp_path):
    source = failing_notebook(tmp_path / "fail.ipynb")
    with pytest.raises(NotebookRunError) as caught:
        run_notebook(source, output=tmp_path / "out", now=NOW)
    error = caught.value
    assert error.ename == "ValueError" and error.evalue == "bad input on purpose"
    assert """failed in cell In [2] ("raise ValueError('bad input on purpose')")""" in str(error)
    assert error.output.is_file() and error.html.is_file()
    assert str(error.output) in str(error)
    executed = nbformat.read(str(error.output), as_version=4)
    assert [c.get("execution_count") for c in executed.cells if c.cell_type == "code"] == [1, 2, None]


def test_a_usage_error_is_reported_with_its_message(tmp_path):
    source = write_notebook(tmp_path / "usage.ipynb", "%backtest no_such_strategy_qq")
    with pytest.raises(NotebookRunError, match="UsageError: no strategy named `no_such_strategy_qq`"):
        run_notebook(source, output=tmp_path / "out", now=NOW)


def test_missing_notebook_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.ipynb does not exist"):
        run_notebook(tmp_path / "nope.ipynb")


@pytest.mark.parametrize(("text", "value"), [
    ("3", 3), ("2.5", 2.5), ("True", True), ("false", False), ("None", None), ("SPY", "SPY"),
    ('["AAPL", "MSFT"]', ["AAPL", "MSFT"]), ('{"fast_period": 5}', {"fast_period": 5}), ("2023-01-01", "2023-01-01"),
])
def test_parameter_values_are_typed_like_papermill(text, value):
    assert parse_value(text) == value


def test_export_turns_plotly_json_outputs_into_drawing_html(tmp_path):
    import plotly.graph_objects as go

    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("fig")])
    book.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"application/vnd.plotly.v1+json": go.Figure(go.Scatter(y=[1, 2])).to_plotly_json(),
                              "text/plain": "Figure()"})]
    path = tmp_path / "plot.ipynb"
    nbformat.write(book, str(path))
    page = export_html(path, tmp_path / "plot.html", self_contained=True).read_text()
    assert page.count('data-research-env-plotlyjs="1"') == 1  # inlined once, in the page's head
    assert page.index('data-research-env-plotlyjs="1"') < page.index("</head>")
    assert "window.Plotly.newPlot" in page
    assert not (tmp_path / plotlyjs_file_name()).exists()


def _cli(*args: str) -> subprocess.CompletedProcess:
    script = Path(sys.executable).parent / "research-env"
    return subprocess.run([str(script), *args], capture_output=True, text=True)


def test_cli_run_prints_where_the_notebook_and_report_are(tmp_path):
    source = greeting_notebook(tmp_path / "greet.ipynb")
    done = _cli("run", str(source), "-p", "who", "cli", "-p", "times", "2", "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(":", 1) for line in done.stdout.strip().splitlines())
    executed, html = Path(lines["executed notebook"].strip()), Path(lines["HTML report"].strip())
    assert executed.parent.parent == tmp_path / "out"
    assert "hello cli x2" in read_outputs(executed) and html.is_file()


def test_cli_run_exits_non_zero_naming_the_cell_on_failure(tmp_path):
    source = failing_notebook(tmp_path / "fail.ipynb")
    done = _cli("run", str(source), "-o", str(tmp_path / "out"))
    assert done.returncode == 1
    assert "failed in cell In [2]" in done.stderr and "ValueError: bad input on purpose" in done.stderr


def test_cli_run_past_its_timeout_prints_one_error_line_naming_the_cell_and_keeps_the_partial_notebook(tmp_path):
    source = sleeping_notebook(tmp_path / "hang.ipynb", 120)
    done = _cli("run", str(source), "--timeout", "2", "-o", str(tmp_path / "out"))

    executed = next((tmp_path / "out").glob("*/hang_*.ipynb"))
    html = executed.with_suffix(".html")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"research-env: error: {source} ran past its timeout of 2s per cell in cell In [2] ('import time'); the "
        f"kernel was stopped. The partial notebook is {executed} (HTML: {html})"]
    book = nbformat.read(str(executed), as_version=4)
    assert book.metadata.research_env == {"partial": True, "status": "timed out", "cell_index": 2,
                                          "reason": "a cell ran past the timeout of 2s per cell"}
    assert book.cells[0].metadata.tags == ["research-env-partial"]
    assert [c.execution_count for c in book.cells[1:]] == [1, 2, None]
    assert [c.metadata.papermill.status for c in book.cells[1:]] == ["completed", "failed", "pending"]
    assert book.cells[1].outputs[0].text == "before\n"
    assert book.cells[2].outputs[-1].data["text/plain"] == (
        "research-env: the run stopped in this cell: a cell ran past the timeout of 2s per cell")
    assert book.cells[3].outputs == []
    page = html.read_text()
    assert "Partial notebook (timed out): the run stopped in cell In [2] ('import time')" in page


def _half_run(path: Path) -> Path:
    """A notebook as papermill saves it when a cell starts: the first ran, the second is running, the third waits."""
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in
                                           ("x = 1", "\nimport time\ntime.sleep(60)", "y = 2")])
    book.cells[0].execution_count = 1
    states = [("2025-03-04T18:00:00", "completed"), ("2025-03-04T18:00:01", "running"), (None, "pending")]
    for cell, (start, status) in zip(book.cells, states, strict=True):
        cell.metadata.papermill = {"start_time": start, "status": status, "exception": False}
    nbformat.write(book, str(path))
    return path


def test_mark_partial_flags_the_notebook_and_the_cell_it_stopped_in_once_however_often_marked(tmp_path):
    path = _half_run(tmp_path / "half.ipynb")
    assert mark_partial(path, "interrupted", "first reason") == StoppedCell(2, None, "import time")
    cell = mark_partial(path, "interrupted", "the scheduler was killed")

    assert cell == StoppedCell(2, None, "import time") and str(cell) == "#2 ('import time')"
    book = nbformat.read(str(path), as_version=4)
    nbformat.validate(book)
    assert book.metadata.research_env == {"partial": True, "status": "interrupted", "cell_index": 2,
                                          "reason": "the scheduler was killed"}
    assert [c.cell_type for c in book.cells] == ["markdown", "code", "code", "code"]
    assert book.cells[0].source == (
        '<span style="color:red; font-size:1.5em;">Partial notebook (interrupted): the run stopped in cell '
        "#2 (&#x27;import time&#x27;): the scheduler was killed. The cells after it did not run.</span>")
    assert [len(c.outputs) for c in book.cells[1:]] == [0, 1, 0]
    assert book.cells[2].metadata.papermill.status == "failed" and book.metadata.papermill.exception is True
    assert str(StoppedCell(4, 7, "fit()")) == "In [7] ('fit()')"


def test_mark_partial_leaves_missing_and_unreadable_files_alone(tmp_path):
    (tmp_path / "cut.ipynb").write_text('{"cells": [')
    assert mark_partial(tmp_path / "missing.ipynb", "interrupted", "x") is None
    assert mark_partial(tmp_path / "cut.ipynb", "interrupted", "x") is None
    assert (tmp_path / "cut.ipynb").read_text() == '{"cells": ['


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), True, "10"])
def test_a_timeout_that_is_not_a_positive_number_of_seconds_is_refused(tmp_path, timeout):
    source = write_notebook(tmp_path / "nb.ipynb", "x = 1")
    with pytest.raises(ValueError, match=r"`timeout` must be a positive number of seconds per cell or None"):
        run_notebook(source, output=tmp_path / "out", timeout=timeout)


def test_a_kernel_that_dies_mid_cell_keeps_the_partial_notebook_and_names_the_cell(tmp_path):
    source = write_notebook(tmp_path / "die.ipynb", "print(1)", "import os\nos._exit(1)", "y = 2")
    with pytest.raises(NotebookRunError) as caught:
        run_notebook(source, output=tmp_path / "out", now=NOW)
    error = caught.value
    assert error.cell_index == 2 and error.ename == "DeadKernelError"
    assert f"{source}: the kernel died in cell " in str(error) and "('import os') (out of memory" in str(error)
    assert error.output.is_file() and error.html.is_file()
    book = nbformat.read(str(error.output), as_version=4)
    assert book.metadata.research_env == {"partial": True, "status": "failed", "reason": "the kernel died",
                                          "cell_index": 2}


def dies_starting(tmp_path, monkeypatch, times: int) -> tuple[str, Path]:
    """A kernelspec ``dies-starting`` (on ``JUPYTER_PATH``) whose first ``times`` starts exit at once, as a kernel
    that finds its port taken does; later starts run the ordinary Python kernel. Returns its name and the file
    counting its starts."""
    starts = tmp_path / "starts.txt"
    script = tmp_path / "kernel_start.py"
    script.write_text(
        "import os, sys\n"
        f"starts = {str(starts)!r}\n"
        "with open(starts, 'a') as out:\n"
        "    out.write('start\\n')\n"
        f"if open(starts).read().count('start') <= {times}:\n"
        "    sys.exit(1)\n"
        "os.execv(sys.executable, [sys.executable, '-m', 'ipykernel_launcher', '-f', sys.argv[1]])\n")
    spec = tmp_path / "jupyter" / "kernels" / "dies-starting"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, str(script), "{connection_file}"],
                                                  "display_name": "dies starting", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "dies-starting", starts


def test_a_kernel_that_dies_while_starting_is_started_again(tmp_path, monkeypatch):
    name, starts = dies_starting(tmp_path, monkeypatch, times=2)
    source = write_notebook(tmp_path / "nb.ipynb", "print(6 * 7)")
    done = run_notebook(source, output=tmp_path / "out", kernel_name=name, now=NOW)
    assert "42" in read_outputs(done.output) and done.html.is_file()
    assert starts.read_text().count("start") == 3


def test_a_kernel_that_never_starts_is_named_with_how_to_check_it(tmp_path, monkeypatch):
    name, starts = dies_starting(tmp_path, monkeypatch, times=10)
    source = write_notebook(tmp_path / "nb.ipynb", "print(6 * 7)")
    with pytest.raises(NotebookRunError, match=r"the `dies-starting` kernel died while starting, 3 times, before any "
                                               r"cell ran; check that it starts on its own \(`jupyter console "
                                               r"--kernel dies-starting`\)") as caught:
        run_notebook(source, output=tmp_path / "out", kernel_name=name, now=NOW)
    assert caught.value.ename == "DeadKernelError" and caught.value.cell_index is None
    assert starts.read_text().count("start") == 3
