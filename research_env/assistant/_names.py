"""The checks of a user id and a strategy name: both become parts of a file path, so they are plain words."""

from __future__ import annotations

import re

from ._errors import AssistantError

__all__ = ["NAME_PATTERN", "USER_ID_PATTERN", "check_name", "check_user_id"]

#: A user id: a safe folder name (never ``..`` nor a path).
USER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
#: A strategy name: a Python identifier that becomes ``<name>.py``.
NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
_USER_ID = re.compile(USER_ID_PATTERN)
_NAME = re.compile(NAME_PATTERN)


def check_user_id(user_id: object) -> str:
    """``user_id`` when it is a safe folder name: 1 to 64 letters, digits, ``_``, ``.`` or ``-``, starting with a
    letter or digit (so never ``..`` nor a path)."""
    if isinstance(user_id, str) and _USER_ID.fullmatch(user_id):
        return user_id
    raise AssistantError(f"`user_id` {user_id!r} is not a safe user id: use 1 to 64 letters, digits, '_', '.' or "
                         "'-', starting with a letter or digit, e.g. 'ann' or 'team-7'")


def check_name(name: object) -> str:
    """``name`` when it is a strategy name: a Python identifier of 1 to 64 ASCII letters, digits and ``_``,
    starting with a letter (it becomes ``<name>.py``, loadable by that name)."""
    if isinstance(name, str) and _NAME.fullmatch(name):
        return name
    raise AssistantError(f"`name` {name!r} is not a strategy name: use 1 to 64 letters, digits and '_', starting "
                         "with a letter, e.g. 'rsi_dip' (it becomes the file rsi_dip.py)")
