"""``warn``: a warning that points at the user's line, not at this package's internals."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from ._errors import BarDataWarning

__all__ = ["warn"]

_PACKAGE_DIR = Path(__file__).resolve().parent


def warn(message: str) -> None:
    """Emit a ``BarDataWarning`` attributed to the first caller outside ``research_env.data`` (and its
    ``sources`` subpackage)."""
    level = 2  # stacklevel 2 is the caller of warn()
    frame = sys._getframe(1)
    while frame is not None and Path(frame.f_code.co_filename).resolve().parent.is_relative_to(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, BarDataWarning, stacklevel=level)
