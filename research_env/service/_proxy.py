"""The Backtest page in JupyterLab: a jupyter-server-proxy server process (``/research-env/``).

Jupyter starts ``research-env serve`` on a free loopback port at the first request to ``/research-env/`` and
proxies to it. The user signs in to Jupyter only: the proxy adds the service's token to every request it passes
on (``Authorization: Bearer``), so that token never reaches the browser. It is generated each time
``setup_research_env`` is called, i.e. once per Jupyter server start, and handed to the service in its
environment (``RESEARCH_ENV_SERVICE_TOKEN``), which only its owner can read, not on its command line.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

__all__ = ["ICON", "setup_research_env"]

#: The launcher's icon.
ICON = Path(__file__).with_name("backtest_icon.svg")


def setup_research_env() -> dict:
    """The server-process spec (the ``jupyter_serverproxy_servers`` entry point), with a new token."""
    token = secrets.token_urlsafe(32)
    return {
        "command": [sys.executable, "-m", "research_env", "serve", "--host", "127.0.0.1", "--port", "{port}"],
        "environment": {"RESEARCH_ENV_SERVICE_TOKEN": token},
        "timeout": 60,  # imports and the task store's start take a few seconds, more on a cold disk
        "request_headers_override": {"Authorization": f"Bearer {token}"},
        "launcher_entry": {"enabled": True, "title": "Backtest", "icon_path": str(ICON), "category": "Other"},
        "new_browser_tab": True,
    }
