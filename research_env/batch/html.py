"""Standalone HTML of an executed notebook, with every plotly figure drawn (no server, no network).

Each figure of an executed notebook is an output holding plotly's mimetype
(``application/vnd.plotly.v1+json``, which JupyterLab draws) and, for
research-env's own reports, an HTML fallback that draws itself once plotly.js
is on the page; a figure shown on its own (``fig``, ``fig.show()``) may hold
the mimetype only. The export keeps one drawing HTML per figure and loads
plotly.js once for the whole page: by default from one shared file beside the
HTML (``plotly-<version>.min.js``, written once per folder, so a folder of
reports holds plotly.js once), or inlined (``self_contained=True``, about
4.8 MB more per report, for a file that travels alone).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["export_html", "plotly_outputs_to_html", "plotlyjs_file_name"]

_PLOTLY_MIME = "application/vnd.plotly.v1+json"


def plotlyjs_file_name() -> str:
    """The shared plotly.js file's name: ``plotly-<version>.min.js`` (the version plotly.py bundles)."""
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


def export_html(notebook, html_path, *, self_contained: bool = False) -> Path:
    """Write ``notebook`` (an ``.ipynb`` path) as standalone HTML to ``html_path``; returns the path.

    plotly.js is loaded once for the page: from ``plotly-<version>.min.js``
    beside ``html_path`` (written if missing), or inlined with ``self_contained``.
    """
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    plotly_outputs_to_html(nb)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    path = Path(html_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_with_plotlyjs(body, path.parent, self_contained), encoding="utf-8")
    return path


def plotly_outputs_to_html(nb) -> int:
    """Leave one drawing HTML per figure output of ``nb`` (a notebook node), without plotly.js itself.

    Outputs with plotly's mimetype lose it: research-env's own HTML fallback
    stays, a figure without one gets it. Every inlined copy of plotly.js is
    dropped (the page loads it once). Returns how many figure outputs there were.
    """
    from ..notebook.report import figure_html

    converted = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if "text/html" in data:
                data["text/html"] = _without_plotlyjs(_text(data["text/html"]))
            spec = data.pop(_PLOTLY_MIME, None)
            if spec is None:
                continue
            if "research-env-plot" not in _text(data.get("text/html", "")):
                import plotly.graph_objects as go

                data["text/html"] = figure_html(go.Figure(spec), include_plotlyjs=False)
            converted += 1
    return converted


_LIBRARY = re.compile(r"<script[^>]*data-research-env-plotlyjs=\"1\"[^>]*>.*?</script>", re.DOTALL)


def _without_plotlyjs(text: str) -> str:
    from ..notebook.report import PLOTLYJS_MARKER

    return _LIBRARY.sub("", text) if PLOTLYJS_MARKER in text else text


def _with_plotlyjs(body: str, folder: Path, self_contained: bool) -> str:
    """``body`` with plotly.js loaded once in its ``<head>``: inlined, or from the shared file in ``folder``."""
    from ..notebook.report import PLOTLYJS_MARKER, plotlyjs_html

    if self_contained:
        script = plotlyjs_html()
    else:
        name = plotlyjs_file_name()
        shared = folder / name
        if not shared.is_file():
            import os

            from plotly.offline import get_plotlyjs

            partial = folder / f".{name}.{os.getpid()}"
            partial.write_text(get_plotlyjs(), encoding="utf-8")
            os.replace(partial, shared)  # whole or absent, also when two reports are written at once
        script = f'<script type="text/javascript" src="{name}" {PLOTLYJS_MARKER}="file"></script>'
    head = body.find("</head>")
    return body[:head] + script + body[head:] if head >= 0 else script + body


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
