"""Errors as the service answers them: ``{"detail": message, "field": name or null}`` with a 4xx status.

Bad input the library refuses (the ``InputError`` family) is a 422 whose ``field`` is the request field the
message names; a body the model refuses is a 422 naming the field and the fix; ``ServiceError`` carries its
own status. Nothing a client sends is a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ..errors import InputError
from ._models import SweepRequest
from ._terms import in_service_terms

__all__ = ["ServiceError", "field_of", "install_error_handlers"]

#: Every field of a request body or query.
_FIELDS = (*SweepRequest.model_fields, "symbol", "status", "page", "per_page")
_NAMED = re.compile(r"`([a-z_]+)`")
#: Messages that name no field but are about one.
_PHRASES = (("has no parameter", "params"), ("needs a VectorizedStrategy", "strategy"))


class ServiceError(Exception):
    """An answer other than success: the HTTP ``status``, the ``detail`` (what is wrong and the fix) and the
    request ``field`` at fault (``None``: no one field)."""

    def __init__(self, status: int, detail: str, field: str | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.field, self.headers = status, detail, field, headers


def error_response(status: int, detail: str, field: str | None = None, headers: dict | None = None) -> JSONResponse:
    """The one shape of every error answer."""
    return JSONResponse({"detail": detail, "field": field}, status_code=status, headers=headers)


def field_of(message: str, error: BaseException | None = None, sent: Iterable[str] = ()) -> str | None:
    """The request field ``message`` is about: the first field it names in backticks (one the request ``sent``
    first); a strategy that cannot be found or built is ``strategy``, a parameter it lacks ``params`` or
    ``param_grid``."""
    named = sorted((name for name in _NAMED.findall(message) if name in _FIELDS), key=lambda name: name not in sent)
    if named:
        return named[0]
    kind = type(error).__name__ if error is not None else ""
    if kind in ("StrategyLoadError", "StrategyError", "UntrustedCodeError"):
        return "strategy"
    if kind == "GridError":
        return "param_grid"
    for phrase, field in _PHRASES:
        if phrase in message:
            return field
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Answer ``ServiceError``, refused bodies, the library's input errors and unknown routes as JSON."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _invalid_body)
    app.add_exception_handler(InputError, _input_error)
    app.add_exception_handler(HTTPException, _http_error)


async def _service_error(request: Request, error: ServiceError) -> JSONResponse:
    return error_response(error.status, error.detail, error.field, error.headers)


async def _input_error(request: Request, error: InputError) -> JSONResponse:
    message = in_service_terms(str(error))
    return error_response(422, message, field_of(message, error))


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    return error_response(error.status_code, str(error.detail), None, getattr(error, "headers", None))


async def _invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
    problem = error.errors()[0]
    where, *path = problem["loc"]
    field = str(path[0]) if path and isinstance(path[0], str) else None
    if problem["type"] == "extra_forbidden":
        detail = f"`{field}` is not a field of this request; remove it (the fields are listed at /docs)"
    elif problem["type"] == "missing" and field is not None:
        detail = f"`{field}` is required; add it to the {where}"
    elif problem["type"] == "json_invalid" or (where == "body" and field is None):
        detail = (f"the body is not a JSON object ({problem['msg']}); send one with the header "
                  "`Content-Type: application/json`")
    else:
        shown = ".".join(str(part) for part in path) or where
        detail = f"`{shown}`: {problem['msg'].lower()}, got {repr(problem.get('input'))[:80]}; correct it"
    return error_response(422, detail, field)
