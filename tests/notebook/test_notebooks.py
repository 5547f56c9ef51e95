"""The shipped notebooks run top to bottom with papermill on the research-env kernel, on demo data."""

from __future__ import annotations

import nbformat

from research_env.batch import run_notebook
from research_env.batch.html import plotlyjs_file_name
from research_env.notebook.report import PLOTLY_MIME, PLOTLYJS_MARKER
from tests.batch.builders import read_outputs
from tests.conftest import REPO_ROOT

NOTEBOOKS = REPO_ROOT / "notebooks"


def _copy(name: str, folder):
    """The notebook copied to ``folder``."""
    book = nbformat.read(str(NOTEBOOKS / name), as_version=4)
    path = folder / name
    nbformat.write(book, str(path))
    return path


def _errors(path) -> list[str]:
    book = nbformat.read(str(path), as_version=4)
    return [f"{o.ename}: {o.evalue}" for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.output_type == "error"]


def test_every_notebook_is_on_the_research_env_kernel_and_has_a_parameters_cell():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        book = nbformat.read(str(path), as_version=4)
        assert book.metadata.kernelspec.name == "research-env", path.name
        tagged = [c for c in book.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        assert all(not c.get("outputs") for c in book.cells if c.cell_type == "code"), f"{path.name} has outputs"


def test_quickstart_runs_and_shows_report_sliders_fallback_and_sweep(tmp_path, data_dir):
    source = _copy("quickstart.ipynb", tmp_path)
    done = run_notebook(source, {"symbols": "SPY"}, tmp_path / "out")
    assert _errors(done.output) == []
    text = read_outputs(done.output)
    assert "Registered strategy `sma_cross` (SmaCross)" in text
    assert "SYNTHETIC DATA: SPY ran on demo bars" in text
    assert "Parameter sliders need a live kernel" in text  # the explorer, in a batch run
    assert "Sharpe Ratio by fast_period and slow_period" in text
    book = nbformat.read(str(done.output), as_version=4)
    figures = [o.data[PLOTLY_MIME]["layout"]["title"]["text"] for c in book.cells if c.cell_type == "code"
               for o in c.outputs if PLOTLY_MIME in o.get("data", {})]
    assert len(figures) == 3  # %backtest, the explorer's static report, %sweep: JupyterLab draws them untrusted
    assert figures[2] == "Sharpe Ratio by fast_period and slow_period"
    assert "widgets" not in book.metadata  # the batch explorer makes no widget: no state saved, none missing
    assert sum(PLOTLYJS_MARKER in str(o.data.get("text/html", "")) for c in book.cells
               if c.cell_type == "code" for o in c.outputs if "data" in o) == 1  # plotly.js once in the notebook
    page = done.html.read_text()
    assert 'data-research-env-plotlyjs="1"' not in page and page.count(f'src="{plotlyjs_file_name()}"') == 1
    assert page.count('class="research-env-plot"') == 3 and len(page) < 1_000_000


def test_strategy_report_takes_its_parameters(tmp_path, data_dir):
    source = _copy("strategy_report.ipynb", tmp_path)
    done = run_notebook(source, {"strategy": "rsi_mean_reversion", "symbols": "AAPL,MSFT", "timeframe": "1d",
                                 "params": {"rsi_period": 10}}, tmp_path / "out")
    assert _errors(done.output) == []
    text = read_outputs(done.output)
    assert "Backtest of rsi_mean_reversion (RsiMeanReversionStrategy) on AAPL, MSFT" in text
    assert "rsi_period=10" in text


def test_sweep_report_draws_heatmap_and_walk_forward(tmp_path, data_dir):
    source = _copy("sweep_report.ipynb", tmp_path)
    done = run_notebook(source, {"grid": "fast_period=5,10 slow_period=30,50", "splits": 2}, tmp_path / "out")
    assert _errors(done.output) == []
    text = read_outputs(done.output)
    assert "Sweep: 4 combinations of fast_period, slow_period" in text
    page = done.html.read_text()
    assert "Walk-forward: Sharpe Ratio per fold" in page
    assert "application/vnd.plotly.v1+json" not in page

