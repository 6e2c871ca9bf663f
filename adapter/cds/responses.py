"""Error answers: every error a client can cause becomes a 4xx with an OperationOutcome body.

The status of each :mod:`adapter.errors` class comes from :func:`adapter.errors.http_status`, the
only place statuses are chosen. Authentication failures answer a bare 401 whose OperationOutcome
has no detail. Diagnostics name fields, never values: a value may be a token or patient data.
A 5xx says nothing about its cause; the cause goes to the log.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from adapter.errors import SpinemetsError, http_status

__all__ = ["FHIR_JSON", "error_response", "install_handlers", "outcome", "outcome_responses"]

log = logging.getLogger("spinemets.cds")

FHIR_JSON = "application/fhir+json"
_OUTCOME_SCHEMA = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array"}},
}
_WORDS = {
    400: "Malformed request",
    401: "Not authenticated (no detail)",
    404: "Unknown service",
    408: "Request body not received in time",
    412: "Required data unobtainable",
    413: "Request body or a list in it over a configured limit",
    415: "Request body not sent as application/json",
    503: "Unavailable for now (storage, or a full notification queue)",
}


def outcome(status: int, code: str, diagnostics: str | None) -> JSONResponse:
    """An OperationOutcome answer with one error issue."""
    issue: dict[str, Any] = {"severity": "error", "code": code}
    if diagnostics:
        issue["diagnostics"] = diagnostics
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "30"}  # a full queue or storage: try again shortly
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


def error_response(exc: SpinemetsError) -> JSONResponse:
    """The answer to ``exc``, with its status from the one table."""
    mapped = http_status(exc)
    if mapped is None:
        log.error("internal error: %s", type(exc).__name__)
        return outcome(500, "exception", "internal error")
    status, code = mapped
    if status == 401:
        # A caller probing the checks learns none of them.
        return outcome(status, code, None)
    if status >= 500:
        log.error("%s", exc)
        return outcome(status, code, _WORDS.get(status, "service unavailable").lower())
    return outcome(status, code, str(exc))


async def _spinemets_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SpinemetsError)
    return error_response(exc)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return outcome(400, "invalid", "invalid request: " + "; ".join(parts))


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = "not-found" if exc.status_code == 404 else "not-supported"
    response = outcome(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405 (RFC 9110)
    return response


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return outcome(500, "exception", "internal error")


def install_handlers(app: FastAPI) -> None:
    """Register the exception handlers: errors become OperationOutcomes, never tracebacks."""
    app.add_exception_handler(SpinemetsError, _spinemets_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


def outcome_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error statuses, each an OperationOutcome."""
    return {
        s: {"description": _WORDS[s], "content": {FHIR_JSON: {"schema": _OUTCOME_SCHEMA}}}
        for s in statuses
    }
