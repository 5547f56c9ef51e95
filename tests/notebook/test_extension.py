"""The extension and the kernel: registration only, a cheap cold start, the installed kernelspec."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

from research_env.batch import KERNEL_NAME
from tests.conftest import REPO_ROOT

COLD_START = """
import sys, time
t = time.perf_counter()
import research_env
imported = time.perf_counter() - t
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
t = time.perf_counter()
ip.run_line_magic("load_ext", "research_env")
loaded = time.perf_counter() - t
heavy = [m for m in ("pandas", "numpy", "plotly", "numba", "vectorbt", "talib", "papermill") if m in sys.modules]
print(imported, loaded, sorted(ip.magics_manager.magics["line"]).count("backtest"), heavy)
"""


def test_load_ext_registers_the_magics_and_loads_nothing_heavy():
    done = subprocess.run([sys.executable, "-c", COLD_START], capture_output=True, text=True, check=True)
    imported, loaded, backtest, heavy = done.stdout.strip().split(" ", 3)
    assert backtest == "1"
    assert heavy == "[]"
    assert float(imported) < 1.0 and float(loaded) < 1.0


def test_magics_are_registered_by_kind(shell):
    magics = shell.magics_manager.magics
    assert {"backtest", "sweep"} <= set(magics["line"])
    assert "strategy" in magics["cell"]


def test_kernel_json_preloads_the_extension_and_fails_loudly():
    spec = json.loads((REPO_ROOT / "kernels" / "research_env" / "kernel.json").read_text())
    assert "--ext=research_env" in spec["argv"]
    assert "--InteractiveShellApp.reraise_ipython_extension_failures=True" in spec["argv"]
    assert spec["display_name"] == "research-env"


def test_the_research_env_kernelspec_is_installed():
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    assert KERNEL_NAME in specs, f"`jupyter kernelspec list` shows {sorted(specs)}; run `make install`"


def test_the_kernel_has_its_own_logo_in_both_sizes():
    from jupyter_client.kernelspec import KernelSpecManager

    for folder in (REPO_ROOT / "kernels" / "research_env",
                   Path(KernelSpecManager().get_kernel_spec(KERNEL_NAME).resource_dir)):
        for size in (64, 32):
            png = (folder / f"logo-{size}x{size}.png").read_bytes()
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", folder
            assert struct.unpack(">II", png[16:24]) == (size, size)
            assert png == (REPO_ROOT / "kernels" / "research_env" / f"logo-{size}x{size}.png").read_bytes()
