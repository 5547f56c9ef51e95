"""Errors of the sweep layer; each message names what is wrong and how to fix it."""

from __future__ import annotations

from ..errors import InputError

__all__ = ["GridError", "SignalError", "SweepError"]


class SweepError(InputError):
    """A sweep cannot run as asked (date range over the limit, unusable strategy, ...)."""


class GridError(SweepError):
    """A parameter grid names an unknown parameter, is empty, or has more combinations than allowed."""


class SignalError(SweepError):
    """``generate_signals`` returned something other than two boolean frames shaped like ``prices``."""
