"""Progress: text lines in batch runs, nothing for short runs, a tqdm bar otherwise."""

from __future__ import annotations

import io

from research_env.notebook.progress import BATCH_ENV, Progress, in_batch


def test_batch_runs_are_detected_from_the_environment(monkeypatch):
    monkeypatch.delenv(BATCH_ENV, raising=False)
    assert not in_batch()
    monkeypatch.setenv(BATCH_ENV, "1")
    assert in_batch()
    monkeypatch.setenv(BATCH_ENV, "0")
    assert not in_batch()


def test_text_progress_prints_every_quarter_and_the_end():
    out = io.StringIO()
    with Progress("backtest x", delay=0, text=True, stream=out) as progress:
        for done in range(1, 101):
            progress(done, 100)
    assert out.getvalue().splitlines() == [
        "backtest x: 1% (1/100 bars)", "backtest x: 25% (25/100 bars)", "backtest x: 50% (50/100 bars)",
        "backtest x: 75% (75/100 bars)", "backtest x: 100% (100/100 bars)",
    ]


def test_a_failed_run_prints_where_it_stopped():
    out = io.StringIO()
    progress = Progress("sweep y", unit="combination", delay=0, text=True, stream=out)
    progress(1, 10)
    progress(4, 10)
    progress.close()
    assert out.getvalue().splitlines()[-1] == "sweep y: 40% (4/10 combinations)"


def test_runs_shorter_than_the_delay_show_nothing():
    out = io.StringIO()
    with Progress("quick", delay=60, text=True, stream=out) as progress:
        for done in range(1, 11):
            progress(done, 10)
    with Progress("quick", delay=60, text=False, stream=out) as progress:
        progress(10, 10)
        assert progress._bar is None
    assert out.getvalue() == ""


def test_live_progress_draws_a_tqdm_bar():
    out = io.StringIO()
    with Progress("live", delay=0, text=False, stream=out) as progress:
        progress(5, 10)
        assert progress._bar.n == 5
        progress(10, 10)
    assert "live" in out.getvalue()
