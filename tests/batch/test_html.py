"""The HTML export: one drawing HTML per figure, plotly.js once per page (shared file or inlined)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import plotly.graph_objects as go

from research_env.batch.html import export_html, plotly_outputs_to_html, plotlyjs_file_name
from research_env.notebook import report

MIME = report.PLOTLY_MIME


def _notebook(path: Path) -> Path:
    """Two research-env figure outputs (the first carrying plotly.js, as in a kernel) and a bare plotly one."""
    first = report.figure_bundle(go.Figure(go.Scatter(y=[1, 2]), layout={"title": {"text": "one"}}),
                                 include_plotlyjs=True)
    second = report.figure_bundle(go.Figure(go.Bar(y=[3]), layout={"title": {"text": "two"}}),
                                  include_plotlyjs=False)
    bare = {MIME: go.Figure(go.Scatter(y=[5]), layout={"title": {"text": "three"}}).to_plotly_json(),
            "text/plain": "Figure()"}
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x")])
    book.cells[0].outputs = [nbformat.v4.new_output("display_data", data=d) for d in (first, second, bare)]
    nbformat.write(book, str(path))
    return path


def test_figures_keep_one_drawing_html_each_and_lose_plotly_js(tmp_path):
    book = nbformat.read(str(_notebook(tmp_path / "nb.ipynb")), as_version=4)
    assert plotly_outputs_to_html(book) == 3
    htmls = [o.data["text/html"] for o in book.cells[0].outputs]
    assert all(MIME not in o.data for o in book.cells[0].outputs)
    assert [h.count('class="research-env-plot"') for h in htmls] == [1, 1, 1]
    assert not any(report.PLOTLYJS_MARKER in h for h in htmls)
    assert '"text":"three"' in htmls[2]


def test_reports_load_plotly_js_from_one_shared_file_per_folder(tmp_path):
    source = _notebook(tmp_path / "nb.ipynb")
    first = export_html(source, tmp_path / "out" / "a.html").read_text()
    shared = tmp_path / "out" / plotlyjs_file_name()
    written = shared.stat().st_mtime_ns
    second = export_html(source, tmp_path / "out" / "b.html").read_text()
    assert shared.stat().st_mtime_ns == written  # written once
    from plotly.offline import get_plotlyjs

    assert shared.read_text() == get_plotlyjs()
    for page in (first, second):
        script = f'<script type="text/javascript" src="{shared.name}" {report.PLOTLYJS_MARKER}="file"></script>'
        assert page.count(script) == 1 and page.index(script) < page.index("</head>")
        assert 'data-research-env-plotlyjs="1"' not in page and len(page) < 1_000_000


def test_self_contained_reports_inline_plotly_js_once(tmp_path):
    page = export_html(_notebook(tmp_path / "nb.ipynb"), tmp_path / "one.html", self_contained=True).read_text()
    assert page.count('data-research-env-plotlyjs="1"') == 1
    assert len(page) > 3_000_000 and not (tmp_path / plotlyjs_file_name()).exists()


def test_cli_run_self_contained_inlines_plotly_js(tmp_path):
    from tests.batch.builders import greeting_notebook

    source = greeting_notebook(tmp_path / "greet.ipynb")
    script = Path(sys.executable).parent / "research-env"
    done = subprocess.run([str(script), "run", str(source), "-o", str(tmp_path / "g.ipynb"), "--self-contained"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "g.html").read_text()
    assert page.count('data-research-env-plotlyjs="1"') == 1 and f'src="{plotlyjs_file_name()}"' not in page
