"""The error of the assistant door."""

from __future__ import annotations

from ..errors import InputError

__all__ = ["AssistantError"]


class AssistantError(InputError):
    """An AI-strategy request the caller can fix: a bad user id or name, an unknown strategy id, a step taken
    out of order (promoting an untested strategy), a saved file changed behind the assistant's back."""
