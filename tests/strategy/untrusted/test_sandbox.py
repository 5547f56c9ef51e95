"""The sandbox on real bubblewrap: a contained backtest gives the uncontained numbers, and code with full Python
inside it (``sandbox_probe``) cannot read, write or reach the host, fork, or outlast its limits.

These tests fail, never skip, when bubblewrap is unusable: containment is a requirement, not an extra.
"""

from __future__ import annotations

import os
import socket
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import research_env
from research_env.api import RunTimeoutError
from research_env.contained import PROCESS_ISOLATION_WARNING, run_contained_backtest
from research_env.data import BarData, DataOrigin, read_bar_file
from research_env.errors import InputError, StrategyError
from research_env.strategy.untrusted import UntrustedCodeError
from research_env.strategy.untrusted._sandbox import (
    ContainmentError,
    SandboxLimits,
    SandboxRun,
    bwrap_available,
    run_sandboxed,
)
from tests.conftest import REPO_ROOT

PROBE = "tests.strategy.untrusted.sandbox_probe"
SMALL = SandboxLimits(cpu_seconds=5, memory_mb=2048, max_files=64, timeout=20, max_output_bytes=4 * 2**20)

RAISES_ON_BAR_40 = '''
from core.models import Bar
from strategies.base import StrategyBase


class Boom(StrategyBase):
    def __init__(self, symbols=None):
        super().__init__(name="boom", symbols=symbols or ["SPY"])
        self.seen = 0

    def on_bar(self, bar: Bar):
        self.seen += 1
        if self.seen == 40:
            raise ValueError(f"bar {self.seen} is one too many")
        return []
'''


def probe(code: str, files: dict[str, bytes] | None = None, **limits) -> SandboxRun:
    """Run ``code`` with full Python inside the sandbox; ``limits`` change ``SMALL``."""
    return run_sandboxed(PROBE, {"code": textwrap.dedent(code)}, files or {},
                         limits=SandboxLimits(**{**vars(SMALL), **limits}))


@pytest.fixture(scope="module")
def spy(shared_data) -> BarData:
    frame = read_bar_file(shared_data / "bars" / "1d" / "SPY.csv", symbol="SPY")["SPY"]
    return BarData(frames={"SPY": frame}, origins={"SPY": DataOrigin("local")}, timeframe="1d")


def test_bubblewrap_is_usable_here():
    assert bwrap_available() is None


# --- the contained backtest --------------------------------------------------------------------------------------


def test_a_contained_backtest_gives_the_uncontained_numbers(spy):
    path = REPO_ROOT / "strategies" / "dual_ma_crossover.py"
    trusted = research_env.backtest(str(path), symbols=["SPY"], start="2005-10-01", end="2026-01-01", data=spy)
    contained = run_contained_backtest(path.read_text(), "dual_ma_crossover", symbols=["SPY"],
                                       start="2005-10-01", end="2026-01-01", timeframe=None, bars=spy,
                                       limits=SandboxLimits())

    pd.testing.assert_series_equal(contained.equity, trusted.equity, check_exact=True)
    pd.testing.assert_series_equal(contained.drawdown, trusted.drawdown, check_exact=True)
    pd.testing.assert_series_equal(contained.benchmark, trusted.benchmark, check_exact=True)
    pd.testing.assert_series_equal(contained.closes["SPY"], trusted.closes["SPY"], check_exact=True)
    assert len(trusted.trades) > 10 and trusted.denials
    assert contained.trades == trusted.trades
    assert contained.fills == trusted.fills
    assert contained.orders == trusted.orders
    assert contained.denials == trusted.denials
    assert contained.metrics == trusted.metrics
    assert (contained.logs, contained.warnings, contained.variables) == (trusted.logs, trusted.warnings,
                                                                         trusted.variables)
    assert (contained.strategy_class, contained.config, contained.data_origins) == (
        trusted.strategy_class, trusted.config, trusted.data_origins)
    assert contained.spec.strategy.kind == "source" and contained.spec.config == trusted.spec.config
    assert contained.bars["SPY"] is spy.frames["SPY"]


def test_a_strategy_that_raises_comes_back_as_strategy_error_naming_the_bar(spy):
    with pytest.raises(StrategyError) as caught:
        run_contained_backtest(RAISES_ON_BAR_40, "boom", symbols=["SPY"], start="2005-10-01", end="2026-01-01",
                               timeframe="1d", bars=spy, limits=SMALL)

    bar = spy.frames["SPY"].index[39]
    assert str(caught.value) == (f"strategy `boom` raised in on_bar() on the SPY bar of {bar:%Y-%m-%d %H:%M:%S%z}: "
                                 "ValueError: bar 40 is one too many")
    error = caught.value
    assert (error.hook, error.symbol, error.timestamp, error.error_type) == ("on_bar", "SPY", bar, "ValueError")
    assert any("<strategy boom>" in line and "on_bar" in line for line in error.user_traceback)
    assert 'raise ValueError(f"bar {self.seen} is one too many")' in "\n".join(error.user_traceback)


def test_refused_code_comes_back_as_input_error(spy):
    source = "import os\n" + RAISES_ON_BAR_40
    with pytest.raises(UntrustedCodeError, match="`os` is a blocked module"):
        run_contained_backtest(source, "boom", symbols=["SPY"], start=None, end=None, timeframe=None, bars=spy,
                               limits=SMALL)


def test_a_strategy_past_its_cpu_seconds_is_a_timeout_naming_the_setting(spy):
    source = RAISES_ON_BAR_40.replace("self.seen += 1", "while True:\n            self.seen += 1")
    with pytest.raises(RunTimeoutError, match=r"used up its CPU time \(1 s\) .* `\[untrusted\] cpu_seconds`"):
        run_contained_backtest(source, "spin", symbols=["SPY"], start=None, end=None, timeframe=None, bars=spy,
                               limits=SandboxLimits(**{**vars(SMALL), "cpu_seconds": 1}))


def test_a_strategy_out_of_memory_names_the_setting(spy):
    source = RAISES_ON_BAR_40.replace("self.seen += 1", "self.seen = [0] * 10**10")
    with pytest.raises(ContainmentError, match=r"out of memory \(the limit is 2048 MB\).*`\[untrusted\] memory_mb`"):
        run_contained_backtest(source, "hog", symbols=["SPY"], start=None, end=None, timeframe=None, bars=spy,
                               limits=SMALL)


def test_process_isolation_is_weaker_and_the_result_says_so(spy):
    result = run_contained_backtest(RAISES_ON_BAR_40.replace("== 40", "== -1"), "calm", symbols=["SPY"],
                                    start=None, end=None, timeframe=None, bars=spy,
                                    limits=SandboxLimits(**{**vars(SMALL), "isolation": "process"}))

    assert result.warnings[-1] == PROCESS_ISOLATION_WARNING
    assert len(result.equity) == len(spy.frames["SPY"])


# --- containment: full Python inside, the sandbox alone holds it ------------------------------------------------


def test_host_files_outside_the_binds_are_not_there(tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text("host secret")
    run = probe(f"""
        import os
        try:
            answer["read"] = open({str(secret)!r}).read()
        except OSError as e:
            answer["read"] = type(e).__name__
        answer["etc"] = sorted(os.listdir("/etc"))
        answer["own"] = open("given.txt").read()
    """, files={"given.txt": b"handed in"})

    assert run.isolation == "bwrap" and run.killed_because is None
    assert run.response == {"read": "FileNotFoundError", "etc": ["ld.so.cache"], "own": "handed in"}


def test_nothing_outside_the_private_folder_can_be_written(tmp_path):
    run = probe(f"""
        import os
        os.makedirs({str(tmp_path)!r}, exist_ok=True)
        open({str(tmp_path / "planted.txt")!r}, "w").write("x")  # lands in the sandbox's own /tmp
        places = [("checkout", {str(REPO_ROOT / "research_env" / "planted.py")!r}), ("root", "/planted"),
                  ("own folder", "planted.txt")]
        for where, path in places:
            try:
                open(path, "w").write("x")
                answer[where] = "written"
            except OSError as e:
                answer[where] = e.strerror
        answer["folder"] = os.getcwd()
    """)

    assert {key: run.response[key] for key in ("checkout", "root", "own folder")} == dict.fromkeys(
        ("checkout", "root", "own folder"), "Read-only file system")
    assert not (tmp_path / "planted.txt").exists() and not (REPO_ROOT / "research_env" / "planted.py").exists()
    assert not Path(run.response["folder"]).exists()  # the private folder is removed afterwards


def test_no_connection_reaches_a_server_on_the_host():
    with socket.create_server(("127.0.0.1", 0)) as server:
        run = probe(f"""
            import socket
            try:
                socket.create_connection(("127.0.0.1", {server.getsockname()[1]}), timeout=3)
                answer["connect"] = "connected"
            except OSError as e:
                answer["connect"] = type(e).__name__
        """)
        server.settimeout(0.2)
        with pytest.raises(TimeoutError):
            server.accept()  # a connection that had reached the server would wait in its backlog

    assert run.response["connect"] == "ConnectionRefusedError"


@pytest.mark.parametrize("isolation", ["bwrap", "process"])
def test_a_fork_bomb_forks_nothing_and_threads_still_work(isolation):
    started = time.monotonic()
    run = probe("""
        import os, subprocess, threading
        forks = 0
        try:
            while True:
                os.fork()
                forks += 1
        except OSError as e:
            answer["fork"] = (forks, e.strerror)
        try:
            subprocess.run(["true"])
        except OSError as e:
            answer["subprocess"] = e.strerror
        done = []
        worker = threading.Thread(target=done.append, args=("thread ran",))
        worker.start()
        worker.join()
        answer["thread"] = done[0]
    """, isolation=isolation)

    assert run.isolation == isolation
    assert run.response == {"fork": [0, "Operation not permitted"], "subprocess": "Operation not permitted",
                            "thread": "thread ran"}
    assert time.monotonic() - started < 10


def test_a_memory_bomb_is_killed_for_memory():
    # a CPU budget no machine spends filling the memory limit, so only the memory limit can stop it
    run = probe("hog = [bytearray(10**8) for _ in range(1000)]", cpu_seconds=60)

    assert (run.killed_because, run.response) == ("memory", None)


def test_an_endless_loop_is_killed_for_cpu():
    run = probe("while True: pass", cpu_seconds=1)

    assert (run.killed_because, run.response) == ("cpu", None)


def test_a_sleeper_is_killed_at_the_wall_clock_timeout_with_its_threads():
    started = time.monotonic()
    run = probe("""
        import threading, time
        for _ in range(4):
            threading.Thread(target=time.sleep, args=(60,)).start()
        time.sleep(60)
    """, timeout=1)

    assert (run.killed_because, run.response) == ("timeout", None)
    assert time.monotonic() - started < 5
    while _processes_running(PROBE) and time.monotonic() - started < 5:
        time.sleep(0.05)  # the kernel tears the PID namespace down right after bwrap dies
    assert not _processes_running(PROBE)


def _processes_running(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            found += [entry.name] if text.encode() in (entry / "cmdline").read_bytes() else []
        except OSError:
            continue
    return found


def test_an_answer_over_the_output_cap_is_killed():
    run = probe("answer['flood'] = 'x' * 10**7")

    assert (run.killed_because, run.response) == ("output", None)


def test_the_parents_environment_does_not_leak(monkeypatch):
    for name in ("RESEARCH_ENV_TEST_SECRET", "AWS_SECRET_ACCESS_KEY", "PGPASSWORD"):
        monkeypatch.setenv(name, "s3cret")
    run = probe("import os\nanswer.update(os.environ)")

    assert "s3cret" not in run.response.values()
    assert {"PATH", "HOME", "TMPDIR", "LANG"} <= set(run.response)
    assert not [name for name in run.response if name.startswith(("AWS_", "RESEARCH_ENV_", "PG"))]
    assert run.response["HOME"] != os.environ["HOME"]


def test_without_bubblewrap_the_sandbox_refuses_and_names_the_weaker_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    assert bwrap_available() == "bwrap not found: install the Debian package bubblewrap"
    with pytest.raises(ContainmentError, match=r'bubblewrap is unusable \(bwrap not found.*isolation = "process"'):
        probe("answer['ran'] = True")


def test_file_names_must_be_plain():
    with pytest.raises(InputError, match="must be a plain file name"):
        probe("", files={"../escape.txt": b"x"})
