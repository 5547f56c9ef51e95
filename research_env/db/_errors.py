"""The error of the database layer."""

from __future__ import annotations

from ..errors import InputError

__all__ = ["DatabaseError"]


class DatabaseError(InputError):
    """The project database cannot be used: not reachable, refused the login, missing, or not migrated.

    The message names the database (its URL with the password masked), the reason and the fix.
    """
