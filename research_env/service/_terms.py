"""The API's error messages in the service's terms: a request cannot raise a limit, its operator can.

The library's messages name keyword arguments (``max_combinations=600``, ``timeout``); a client of the
service fixes things with the request's fields, and the server's limits are its ``[service]`` settings. The
request's fields have the API's names, so only these phrases change (as ``cli.in_flags`` does for options).
"""

from __future__ import annotations

import re

__all__ = ["in_service_terms"]

_OPERATOR = "this server's limit is the setting `[service] {0}` (RESEARCH_ENV_SERVICE_{1}); its operator can raise it"

_PHRASES = (
    (re.compile(r" or pass max_combinations=\d+ to raise the limit"),
     "; " + _OPERATOR.format("max_combinations", "MAX_COMBINATIONS")),
    (re.compile(r" or pass max_years=\d+ to raise it"), "; " + _OPERATOR.format("max_years", "MAX_YEARS")),
    (re.compile(r"raise `timeout`"), "ask the server's operator to raise `[service] task_timeout`"),
    (re.compile(r"(mode='vectorized' needs a VectorizedStrategy \(.*?\))"),
     r"\1, or sweep it bar by bar with POST /api/backtest/sweep/parallel"),
)


def in_service_terms(message: str) -> str:
    """``message`` with the library's advice about arguments written as advice to a client of the service."""
    for pattern, replacement in _PHRASES:
        message = pattern.sub(replacement, message)
    return message
