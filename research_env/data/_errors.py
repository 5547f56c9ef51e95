"""The error and warning types of the data layer."""

from __future__ import annotations

from ..errors import InputError

__all__ = ["BarDataError", "BarDataWarning"]


class BarDataError(InputError):
    """Bad bar data or a bad argument to the data layer; the message names the fix."""


class BarDataWarning(UserWarning):
    """A recoverable oddity in bar data (skipped rows, synthetic data, dropped bars)."""
