"""One table maps errors to HTTP statuses and RFC 9457 problem details.

Library errors keep their messages (they already say how to fix the
problem); request validation errors name the offending field. Nothing ever
answers with a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridgis.errors import (
    AccessDeniedError,
    CategoryError,
    CodeError,
    ConflictError,
    CoordinateError,
    GridGisError,
    IncidentNotFoundError,
    InputError,
    LayerError,
    MissingLayerError,
    OutsideDistrictError,
    SignInError,
    StaffError,
    StoreBusyError,
    TransitionError,
)

__all__ = ["ERROR_STATUS", "install_error_handlers", "problem"]

log = logging.getLogger("gridgis.api")

# (status, field named in the problem) per library error, most specific first
ERROR_STATUS: list[tuple[type[Exception], int, str | None]] = [
    (SignInError, 401, None),
    (AccessDeniedError, 403, None),
    (StaffError, 422, None),
    (IncidentNotFoundError, 404, "incident_id"),
    (MissingLayerError, 404, "collection"),
    (StoreBusyError, 503, None),
    (ConflictError, 409, "version"),
    (TransitionError, 409, "action"),
    (InputError, 422, None),  # the error names its field
    (OutsideDistrictError, 422, "lon/lat"),
    (CoordinateError, 422, "lon/lat"),
    (CategoryError, 422, "category"),
    (CodeError, 422, "code"),
    (LayerError, 422, None),
    (GridGisError, 400, None),
]

TITLES = {400: "Bad request", 401: "Sign in first", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request too large",
          415: "Unsupported media type",
          422: "Unprocessable input", 429: "Too many requests", 500: "Internal error",
          503: "Service unavailable"}


def problem(status: int, detail: str, *, field: str | None = None,
            errors: list[dict[str, Any]] | None = None, instance: str | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """A ``application/problem+json`` response."""
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(GridGisError)
    async def _library(request: Request, exc: GridGisError) -> JSONResponse:
        for kind, status, field in ERROR_STATUS:
            if isinstance(exc, kind):
                out = problem(status, str(exc), field=getattr(exc, "field", None) or field,
                              instance=request.url.path,
                              headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)
                if isinstance(exc, StoreBusyError):
                    out.headers["Retry-After"] = str(exc.retry_after)
                return out
        return problem(400, str(exc), instance=request.url.path)  # pragma: no cover

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": _field(tuple(e.get("loc", ()))), "reason": e.get("msg", "invalid")}
                  for e in exc.errors()]
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return problem(400, "the request body is not valid JSON", field="body",
                           errors=errors, instance=request.url.path)
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        return problem(422, f"{first['field']}: {first['reason']}", field=first["field"],
                       errors=errors, instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}"
        field = None
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            # FastAPI's words for a body json cannot read (nested too deep, for one)
            detail, field = "请求体无法解析 / the request body cannot be parsed", "body"
        return problem(exc.status_code, detail, field=field, instance=request.url.path,
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return problem(500, "the service failed on this request; it has been logged",
                       instance=request.url.path)
