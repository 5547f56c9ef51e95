"""The generic vectorized path on forked processes and on kernel threads: the serial numbers, in the serial order."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
import time

import pytest

from research_env import BacktestConfig
from research_env.strategy.vectorized import VectorizedStrategy, rsi, sma
from research_env.sweeps import SweepError, _vectorized, sweep, walk_forward
from research_env.sweeps._vectorized import VectorizedRunner, _forks_pay
from research_env.sweeps._vectorized_workers import can_fork, parts
from tests.sweeps.test_signals import GRID, SPAN, SYMBOLS, SmaRsi
from tests.sweeps.test_vectorbt import random_bars

pytestmark = pytest.mark.skipif(not can_fork(), reason="signal workers need the fork start method")

FRAMES = {"AAA": random_bars(300, 5), "BBB": random_bars(300, 6)}
CONFIG = BacktestConfig(benchmark=None)


class WritesItsProcess(VectorizedStrategy):
    """A moving-average/RSI rule that appends ``pid period`` to ``log`` on every call."""

    name = "writes_its_process"

    def __init__(self, log):
        self.log = str(log)

    def generate_signals(self, prices, volumes, **params):
        with open(self.log, "a") as out:
            out.write(f"{os.getpid()} {params['period']}\n")
        fast = sma(prices, params["period"])
        return ((prices > fast) & (rsi(prices, 14) < 60)).fillna(False), (prices < fast).fillna(False)


def processes_of(log) -> dict[int, set[int]]:
    seen: dict[int, set[int]] = {}
    for line in log.read_text().splitlines():
        pid, period = map(int, line.split())
        seen.setdefault(pid, set()).add(period)
    return seen


def test_two_workers_give_the_serial_rows_in_the_serial_order(tmp_path):
    grid = {"period": list(range(3, 73))}  # 70 combinations: two batches
    serial = sweep(WritesItsProcess(tmp_path / "serial.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                   grid, data=FRAMES, config=CONFIG, max_workers=1)
    done = []
    parallel = sweep(WritesItsProcess(tmp_path / "parallel.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01",
                     "1d", grid, data=FRAMES, config=CONFIG, max_workers=2,
                     progress=lambda d, t: done.append((d, t)))
    assert parallel.rows == serial.rows
    assert [r["params"]["period"] for r in parallel.rows] == grid["period"]
    assert sum(r["total_trades"] for r in parallel.rows) > 100
    assert [count for count, _ in done] == sorted({count for count, _ in done}) and done[-1] == (70, 70)
    assert list(processes_of(tmp_path / "serial.log")) == [os.getpid()]
    workers = processes_of(tmp_path / "parallel.log")
    # the first combination runs here; the other 69 go out in 8 contiguous parts to two forked processes
    assert workers.pop(os.getpid()) == {3} and len(workers) == 2 and len(done) == 8
    a, b = workers.values()
    assert not a & b and a | b == set(range(4, 73))
    for first, stop in parts(1, 70, 2):
        assert set(grid["period"][first:stop]) <= a or set(grid["period"][first:stop]) <= b


class Slow(WritesItsProcess):
    """``WritesItsProcess`` taking 5 ms a call: far longer than its kernel."""

    def generate_signals(self, prices, volumes, **params):
        time.sleep(0.005)
        return super().generate_signals(prices, volumes, **params)


def kernel_threads(monkeypatch) -> list[str]:
    """The names of the threads ``VectorizedRunner._kernel`` runs on, from now on."""
    names = []
    kernel = VectorizedRunner._kernel

    def spy(self, *args):
        names.append(threading.current_thread().name)
        return kernel(self, *args)

    monkeypatch.setattr(VectorizedRunner, "_kernel", spy)
    return names


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no kernel threads")
def test_by_default_kernels_run_on_threads_beside_generate_signals(tmp_path, monkeypatch):
    monkeypatch.setattr(_vectorized, "FORK_SECONDS", float("inf"))  # never worth a fork here
    grid = {"period": list(range(3, 73))}  # 70 combinations: five batches of 16
    serial = sweep(WritesItsProcess(tmp_path / "serial.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                   grid, data=FRAMES, config=CONFIG, max_workers=1)
    names, done = kernel_threads(monkeypatch), []
    threaded = sweep(WritesItsProcess(tmp_path / "threads.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                     grid, data=FRAMES, config=CONFIG, progress=lambda d, t: done.append((d, t)))
    assert threaded.rows == serial.rows and sum(r["total_trades"] for r in serial.rows) > 100
    assert list(processes_of(tmp_path / "threads.log")) == [os.getpid()]
    # the first batch here (it times the work), the other four on the kernel threads; progress in order
    assert names[0] == threading.current_thread().name and len(names) == 5
    assert all(name.startswith("research-env-kernel") for name in names[1:])
    assert [d for d, _ in done] == [16, 32, 48, 64, 70] and done[-1] == (70, 70)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no kernel threads")
def test_max_workers_one_never_forks_even_for_a_slow_generate_signals(tmp_path, monkeypatch):
    names = kernel_threads(monkeypatch)
    sweep(Slow(tmp_path / "calls.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
          {"period": list(range(3, 43))}, data=FRAMES, config=CONFIG, max_workers=1)
    assert list(processes_of(tmp_path / "calls.log")) == [os.getpid()]
    assert len(names) == 3 and all(name.startswith("research-env-kernel") for name in names[1:])


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: no workers")
def test_by_default_a_slow_generate_signals_spreads_over_forked_workers(tmp_path):
    grid = {"period": list(range(3, 43))}  # 40: 24 after the first batch, 120 ms of calls
    serial = sweep(Slow(tmp_path / "serial.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", grid,
                   data=FRAMES, config=CONFIG, max_workers=1)
    parallel = sweep(Slow(tmp_path / "parallel.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", grid,
                     data=FRAMES, config=CONFIG)
    assert parallel.rows == serial.rows
    workers = processes_of(tmp_path / "parallel.log")
    assert workers.pop(os.getpid()) == set(range(3, 19))  # the first batch, here
    assert len(workers) == min(os.cpu_count(), 24) and set().union(*workers.values()) == set(range(19, 43))


@pytest.mark.parametrize(("rest", "build", "kernel", "cores", "pays"), [
    (484, 250e-6, 55e-6, 2, True),  # generate_signals bound: threads take 121 ms, two processes 74 ms + 20
    (484, 190e-6, 185e-6, 2, False),  # balanced: the threads overlap the kernels; a fork saves 1 ms of 92
    (100, 250e-6, 55e-6, 2, False),  # 10 ms saved: less than the fork costs
    (484, 250e-6, 55e-6, 1, False),
    (1, 1.0, 0.0, 2, False),
])
def test_forks_pay_when_their_time_saved_exceeds_what_forking_costs(rest, build, kernel, cores, pays):
    assert _forks_pay(rest, build, kernel, cores) is pays


def test_the_workers_end_by_themselves_after_the_sweep_and_are_reaped(tmp_path):
    before = set(multiprocessing.active_children())
    sweep(WritesItsProcess(tmp_path / "calls.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
          {"period": list(range(3, 13))}, data=FRAMES, config=CONFIG, max_workers=2)
    workers = set(processes_of(tmp_path / "calls.log")) - {os.getpid()}
    assert len(workers) == 2
    deadline = time.monotonic() + 30
    while set(multiprocessing.active_children()) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not set(multiprocessing.active_children()) - before  # ended, and reaped: no zombie left
    for pid in workers:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_a_small_sweep_stays_in_this_process_unless_workers_are_asked_for(tmp_path):
    log = tmp_path / "calls.log"
    sweep(WritesItsProcess(log), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", {"period": [5, 10, 20]},
          data=FRAMES, config=CONFIG)
    assert list(processes_of(log)) == [os.getpid()]


@pytest.mark.filterwarnings("ignore::research_env.data.BarDataWarning")
def test_real_bars_on_two_workers_equal_the_serial_sweep(real_store):
    serial = sweep(SmaRsi(), SYMBOLS, *SPAN, "5m", GRID, data=real_store, max_workers=1)
    parallel = sweep(SmaRsi(), SYMBOLS, *SPAN, "5m", GRID, data=real_store, max_workers=2)
    assert parallel.rows == serial.rows and len(serial.rows) == 66


def test_walk_forward_on_workers_equals_the_serial_one(tmp_path):
    options = dict(data=FRAMES, config=CONFIG, splits=2, metric="total_return")
    grid = {"period": [5, 10, 15, 20, 30]}
    serial = walk_forward(WritesItsProcess(tmp_path / "a.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                          grid, max_workers=1, **options)
    parallel = walk_forward(WritesItsProcess(tmp_path / "b.log"), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d",
                            grid, max_workers=2, **options)
    assert parallel.folds == serial.folds
    assert len(processes_of(tmp_path / "b.log")) == 1 + 2 * 2  # this process, and two workers per fold


class DiesLater(VectorizedStrategy):
    name = "dies_later"

    def generate_signals(self, prices, volumes, **params):
        if params["x"] == 3:
            os._exit(7)
        return prices > 0, prices < 0


def test_a_worker_that_dies_ends_the_sweep_with_its_exit_code():
    with pytest.raises(SweepError, match=r"a sweep worker process ended while running combinations \(exit code 7\)"):
        sweep(DiesLater(), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", {"x": [1, 2, 3, 4]}, data=FRAMES,
              config=CONFIG, max_workers=2)


def test_an_executor_given_to_a_vectorized_sweep_is_named_as_unused():
    with cf.ThreadPoolExecutor(max_workers=2) as pool, pytest.warns(UserWarning, match="`executor` serves bar-by-bar "
                                                                                      "sweeps only") as caught:
        result = sweep(DiesLater(), ["AAA", "BBB"], "2021-01-01", "2021-12-01", "1d", {"x": [1, 2]}, data=FRAMES,
                       config=CONFIG, executor=pool)
    assert caught[0].filename == __file__
    assert result.warnings == [str(caught[0].message)] and result.total_combinations == 2
