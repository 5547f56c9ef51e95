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
