"""Standalone HTML of an executed notebook, with every plotly figure drawn (no server, no network).

Reports of research-env results already carry their figures as HTML (and the
first one plotly.js). A figure shown on its own (``fig``, ``fig.show()``)
is saved as ``application/vnd.plotly.v1+json``, which only JupyterLab draws;
the export turns each such output into the same self-drawing HTML and makes
sure plotly.js is inlined once.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["export_html", "plotly_outputs_to_html"]

_PLOTLY_MIME = "application/vnd.plotly.v1+json"


def export_html(notebook, html_path) -> Path:
    """Write ``notebook`` (an ``.ipynb`` path) as standalone HTML to ``html_path``; returns the path."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    plotly_outputs_to_html(nb)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    path = Path(html_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")
    return path


def plotly_outputs_to_html(nb) -> int:
    """Replace plotly JSON outputs of ``nb`` (a notebook node) by drawing HTML; returns how many were converted."""
    from ..notebook.report import PLOTLYJS_MARKER, figure_html

    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
               if "data" in out]
    has_library = any(PLOTLYJS_MARKER in _text(out["data"].get("text/html", "")) for out in outputs)
    converted = 0
    for out in outputs:
        spec = out["data"].get(_PLOTLY_MIME)
        if spec is None:
            continue
        import plotly.graph_objects as go

        fig = go.Figure(spec)
        out["data"]["text/html"] = figure_html(fig, include_plotlyjs=not has_library)
        has_library = True
        del out["data"][_PLOTLY_MIME]
        converted += 1
    return converted


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
