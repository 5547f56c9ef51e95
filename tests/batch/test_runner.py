"""``run_notebook`` and ``research-env run``: papermill on the research-env kernel, dated outputs, HTML, failures."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from research_env.batch import NotebookRunError, export_html, run_notebook
from research_env.batch.runner import output_path, parse_value
from tests.batch.builders import failing_notebook, greeting_notebook, read_outputs, write_notebook

NOW = datetime(2025, 3, 4, 18, 5, 6)


def test_a_run_writes_the_executed_notebook_and_its_html_into_a_dated_folder(tmp_path):
    source = greeting_notebook(tmp_path / "in" / "greet.ipynb")
    done = run_notebook(source, {"who": "world", "times": 3}, tmp_path / "out", now=NOW)
    assert done.output == tmp_path / "out" / "2025-03-04" / "greet_180506.ipynb"
    assert done.html == done.output.with_suffix(".html")
    assert "hello world x3" in read_outputs(done.output)
    page = done.html.read_text()
    assert "hello world x3" in page
    assert page.count('data-research-env-plotlyjs="1"') == 1  # the figure's plotly.js, inlined once
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
    page = export_html(path, tmp_path / "plot.html").read_text()
    assert page.count('data-research-env-plotlyjs="1"') == 1
    assert "window.Plotly.newPlot" in page


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
