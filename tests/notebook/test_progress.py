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


def test_in_a_kernel_the_bar_is_one_output_updated_in_place_and_emptied_at_the_end(shell):
    from IPython.utils.capture import capture_output

    from research_env.notebook.progress import _OutputBar

    with capture_output() as shown:
        bar = _OutputBar("backtest x", "bar")
        bar.show(50, 100)
        bar.show(100, 100)
        bar.close()
    first, *updates = shown.outputs
    assert first.data["text/plain"] == "backtest x: 0% (0/0 bars)"
    assert [u.update for u in updates] == [True, True, True]
    ids = {o.transient["display_id"] for o in shown.outputs}
    assert len(ids) == 1  # one output, redrawn: no widget model for a reloaded page to miss
    assert updates[1].data["text/plain"] == "backtest x: 100% (100/100 bars)"
    assert '<progress value="100" max="100"' in updates[1].data["text/html"]
    assert updates[-1].data == {"text/plain": ""}
