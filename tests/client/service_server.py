"""``ServiceServer``: a real ``research-env serve`` in a subprocess on a free loopback port.

Used by the client tests (``tests/client/conftest.py``) and ``benchmarks/service_load.py``. The server runs
with a known token, its own data folder (bars, token file, task database) and an environment without any
other ``RESEARCH_ENV_*`` setting; its output goes to ``log``. ``stop`` ends it (SIGTERM, then SIGKILL) and
whatever it started: it leads its own process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from research_env.data import BarStore, import_bars
from tests.s3_server import free_port

__all__ = ["ServiceServer", "import_daily_bars", "service_environment"]


def import_daily_bars(shared_data: Path, folder: Path, symbols: list[str] | None = None) -> Path:
    """A bar store at ``folder`` holding the real daily bars of ``shared_data/bars/1d`` (all, or ``symbols``)."""
    files = sorted((shared_data / "bars" / "1d").glob("*.csv"))
    if symbols is not None:
        files = [f for f in files if f.stem in symbols]
    import_bars(files, store=BarStore(folder), timeframe="1d")
    return folder


def service_environment(data: Path, strategies: Path | None = None, **extra: str) -> dict[str, str]:
    """``os.environ`` without any ``RESEARCH_ENV_*`` setting, with ``data`` as the data folder, ``strategies`` as
    the strategy folder, and ``extra``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RESEARCH_ENV_")}
    environment["RESEARCH_ENV_DATA"] = str(data)
    if strategies is not None:
        environment["RESEARCH_ENV_STRATEGIES"] = str(strategies)
    environment.update(extra)
    return environment


class ServiceServer:
    """``research-env serve --port P --token T --workers N`` with ``environ``, in ``cwd``, logging to ``log``."""

    def __init__(self, environ: dict[str, str], cwd: Path, log: Path, *, token: str, workers: int = 2,
                 start_timeout: float = 90.0):
        self.environ, self.cwd, self.log, self.token = environ, cwd, log, token
        self.workers, self.start_timeout = workers, start_timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> ServiceServer:
        """Start the server and wait until ``/docs`` answers; ``RuntimeError`` with its output when it does not."""
        import httpx

        command = [sys.executable, "-m", "research_env", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--token", self.token, "--workers", str(self.workers)]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, env=self.environ, cwd=self.cwd, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"`{' '.join(command)}` exited {self.process.returncode}:\n{self.output()}")
            try:
                httpx.get(f"{self.url}/docs", timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"research-env serve did not answer on {self.url} within {self.start_timeout:g}s:\n"
                           f"{self.output()}")

    def output(self, tail: int = 6000) -> str:
        """The last ``tail`` characters the server printed."""
        return self.log.read_text(errors="replace")[-tail:] if self.log.exists() else ""

    def stop(self) -> None:
        """SIGTERM, up to 20 s for a clean exit, then SIGKILL to the process group it leads (workers that
        outlived it). The exited server is reaped only after that, so its group id cannot have been reused."""
        if self.process is None:
            return
        pid = self.process.pid
        if self.process.returncode is None:
            self.process.terminate()
            deadline = time.monotonic() + 20
            while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def __enter__(self) -> ServiceServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
