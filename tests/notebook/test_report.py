"""Rich display of results: the HTML report, plotly.js sent once, sweep reports, sortable tables."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pandas as pd
import pytest

from research_env.notebook import report
from tests.notebook.builders import scripted_result, sweep_frame


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return scripted_result(tmp_path_factory.mktemp("store"))


def test_result_renders_itself_as_html_and_text(result):
    bundle = result._repr_mimebundle_()
    assert bundle["text/plain"] == result.report()
    html = bundle["text/html"]
    assert result._repr_html_().count('class="research-env-plot"') == html.count('class="research-env-plot"') == 1
    assert '<div class="research-env-banner">SYNTHETIC DATA: AAA ran on demo bars' in html
    for label in ("Total Return", "Sharpe Ratio", "Max Drawdown", "Win Rate", "Alpha", "Beta"):
        assert f'<td class="label">{label}</td>' in html
    assert "<h4>Trades (1, New York time)</h4>" in html
    assert "<td>2023-01-11 16:00</td>" in html  # bar 5 (Jan 10) buys at the next bar, stamped at its close


def test_denied_signals_are_listed_with_rule_and_reason(result):
    html = report.backtest_html(result)
    assert "<h4>Denied signals (1)</h4>" in html
    assert "allow_short" in html
    assert result.denials[0].reason.split(",")[0] in html


def test_plotly_js_is_sent_with_the_first_figure_only(result, monkeypatch):
    monkeypatch.setitem(report._state, "plotlyjs_sent", False)
    first, second = report.backtest_html(result), report.backtest_html(result)
    assert first.count(report.PLOTLYJS_MARKER) == 1
    assert second.count(report.PLOTLYJS_MARKER) == 0
    assert "window.Plotly.newPlot" in second


def test_figure_json_cannot_close_the_script_tag():
    import plotly.graph_objects as go

    html = report.figure_html(go.Figure(layout={"title": {"text": "</script><b>x</b>"}}), include_plotlyjs=False)
    assert "</script><b>" not in html
    assert html.count("</script>") == 1


def test_metric_formats_follow_the_text_report():
    assert report.format_metric("total_return", 0.1234) == "12.34%"
    assert report.format_metric("final_equity", 1234.5) == "1,234.50"
    assert report.format_metric("avg_holding_days", 2.5) == "2.50 days"
    assert report.format_metric("sharpe_ratio", None) == "n/a"
    assert report.format_metric("total_trades", 7) == "7"


def _sweep():
    frame = sweep_frame()
    return SimpleNamespace(to_frame=lambda: frame, best={"params": {"fast": 10, "slow": 20, "stop": 0.02},
                                                         "sharpe_ratio": 10.0}, elapsed_seconds=1.5)


def test_sweep_report_has_best_heatmap_sorted_table_and_walk_forward():
    folds = pd.DataFrame({"fold": [1, 2], "fast": [5, 10], "test_sharpe_ratio": [0.4, -0.1]})
    html = report.sweep_html(_sweep(), walk_forward=SimpleNamespace(to_frame=lambda: folds))
    assert "<h3>Sweep: 12 combinations of fast, slow, stop in 1.50 s</h3>" in html
    assert "<b>Best combination</b>: fast=10, slow=20, stop=0.02, Sharpe Ratio 10.0000" in html
    assert "Sharpe Ratio by fast and slow" in html
    assert html.count('class="sortable"') == 2
    assert "Walk-forward: Sharpe Ratio per fold" in html
    first_row = html.split("<tbody><tr>")[1].split("</tr>")[0]
    assert '<td data-value="10">10</td><td data-value="20">20</td><td data-value="0.02">0.02</td>' in first_row


def test_sweep_without_walk_forward_leaves_that_section_out():
    assert "Walk-forward" not in report.sweep_html(_sweep())


def test_sortable_table_formats_metrics_and_keeps_raw_sort_keys():
    html = report.sortable_table(pd.DataFrame({"fast": [5], "total_return": [0.125], "total_trades": [3]}))
    assert '<td data-value="0.125">12.50%</td>' in html
    assert '<td data-value="3">3</td>' in html
    assert "onclick" in html


# --- outputs that draw without trust ------------------------------------------------------------------


def test_in_ipython_the_report_is_three_outputs_with_the_figure_as_plotly_json(result, shell):
    from IPython.utils.capture import capture_output

    with capture_output() as shown:
        shell.display_formatter.ipython_display_formatter(result)
    head, figure, tail = (o.data for o in shown.outputs)
    assert '<div class="research-env-banner">SYNTHETIC DATA: AAA' in head["text/html"]
    assert head["text/plain"] == result.report()
    spec = figure[report.PLOTLY_MIME]
    assert [t["name"] for t in spec["data"][:3]] == ["Equity", "SPY at the strategy's exposure", "SPY fully invested"]
    assert spec["config"] == {"displaylogo": False}  # JupyterLab's renderer sizes it
    assert 'class="research-env-plot"' in figure["text/html"]  # the fallback for exports and other front ends
    assert figure["text/plain"] == "<Figure: SYNTHETIC DATA · scripted() on AAA>"
    assert "<h4>Trades (1, New York time)</h4>" in tail["text/html"]
    assert "<h4>Denied signals (1)</h4>" in tail["text/html"]
    assert tail["text/plain"] == "1 closed trades (result.trades_frame()), 1 denied signals"


def test_the_fallback_hint_names_trust():
    import plotly.graph_objects as go

    html = report.figure_html(go.Figure(), include_plotlyjs=False)
    assert "trust the notebook (command palette: Trust Notebook) or re-run the cell" in html
    assert "Trust Notebook" in report.LOADING_HINT


def test_show_displays_a_figure_as_plotly_json_with_the_fallback(shell):
    import plotly.graph_objects as go
    from IPython.utils.capture import capture_output

    with capture_output() as shown:
        report.show(go.Figure(go.Bar(y=[1, 2]), layout={"title": {"text": "bars"}}))
    (out,) = shown.outputs
    assert set(out.data) == {report.PLOTLY_MIME, "text/html", "text/plain"}
    assert out.data[report.PLOTLY_MIME]["layout"]["title"]["text"] == "bars"


def test_tables_show_percent_money_and_new_york_times(result):
    shown = report.table_frame(result.trades_frame(), name_zone=True)
    trade = result.trades[0]
    row = shown.iloc[0]
    assert row["return_pct"] == f"{trade.return_pct:.2%}" and row["return_pct"].endswith("%")
    assert row["pnl"] == f"{trade.pnl:,.2f}"
    assert row["entry_time (New York)"] == "2023-01-11 16:00" and row["exit_time (New York)"] == "2023-01-19 16:00"
    sweep = report.table_frame(pd.DataFrame({"fast": [5], "total_return": [0.1234], "sharpe_ratio": [1.5],
                                             "total_trades": [7.0], "oos_max_drawdown": [-0.05]}))
    assert sweep.iloc[0].tolist() == [5, "12.34%", "1.5000", "7", "-5.00%"]
    styled = report.table(result.trades_frame()).to_html()
    assert f"{trade.return_pct:.2%}" in styled and "entry_time (New York)" in styled


def _grid_sweep():
    from datetime import datetime

    from research_env.sweeps.result import METRIC_NAMES, SweepResult, metric_row

    rows = [metric_row({"fast": f, "slow": s}, {m: (f / s if m == "sharpe_ratio" else 0.01 * f if m ==
                                                    "total_return" else None) for m in METRIC_NAMES}, {})
            for f in (5, 10) for s in (20, 40)]
    return SweepResult(strategy="x", kind="vectorized", symbols=["SPY"], timeframe="1d",
                       start=datetime(2023, 1, 1), end=datetime(2024, 1, 1), grid={"fast": [5, 10], "slow": [20, 40]},
                       rows=rows, elapsed_seconds=0.25)


def test_a_sweep_in_ipython_shows_summary_heatmap_with_stability_and_table(shell):
    from IPython.utils.capture import capture_output

    sweep = _grid_sweep()
    with capture_output() as shown:
        shell.display_formatter.ipython_display_formatter(sweep)
    head, heatmap, rows = (o.data for o in shown.outputs)
    assert "<h3>Sweep: 4 combinations of fast, slow in 0.25 s</h3>" in head["text/html"]
    assert "<b>Best combination</b>: fast=10, slow=20, Sharpe Ratio 0.5000" in head["text/html"]
    names = [t["name"] for t in heatmap[report.PLOTLY_MIME]["data"]]
    assert names[:2] == ["Total Return", "Total Return: neighbours' mean"]
    sharpe = heatmap[report.PLOTLY_MIME]["data"][names.index("Sharpe Ratio")]
    assert sharpe["visible"] is True and sharpe["texttemplate"] == "%{z:.2f}"
    assert 'class="sortable"' in rows["text/html"] and "<td data-value=\"0.1\">10.00%</td>" in rows["text/html"]
