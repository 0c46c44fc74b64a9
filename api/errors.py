"""One table maps errors to HTTP statuses and RFC 9457 problem details.

Library errors keep their messages (they already say how to fix the
problem); request validation errors name the offending field. Nothing ever
answers with a traceback.

The same table documents them: :class:`Problem` is the ``application/problem+json``
body, :func:`problem_responses` the ``responses=`` of a route naming the statuses
it can answer (:func:`open311_responses` for the GeoReport v2 error list), and
:func:`install_error_docs` puts both schemas in the OpenAPI document.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridgis.errors import (
    AccessDeniedError,
    AttachmentError,
    AttachmentNotFoundError,
    AttachmentTooLargeError,
    CategoryError,
    CodeError,
    ConflictError,
    CoordinateError,
    DeviceNotFoundError,
    FilterError,
    GridGisError,
    IncidentNotFoundError,
    InputError,
    LayerError,
    MissingInputError,
    MissingLayerError,
    OutsideDistrictError,
    PatrolNotFoundError,
    RecordNotFoundError,
    SignInError,
    StaffError,
    StoreBusyError,
    TransitionError,
    UnsupportedMediaError,
)

__all__ = [
    "ERROR_DOCS",
    "ERROR_STATUS",
    "PROBLEM",
    "Open311Error",
    "Problem",
    "ProblemField",
    "install_error_docs",
    "install_error_handlers",
    "open311_responses",
    "problem",
    "problem_responses",
]

PROBLEM = "application/problem+json"
"""The media type of every error answer but Open311's (RFC 9457)."""

log = logging.getLogger("gridgis.api")

# (status, field named in the problem) per library error, most specific first
ERROR_STATUS: list[tuple[type[Exception], int, str | None]] = [
    (SignInError, 401, None),
    (AccessDeniedError, 403, None),
    (StaffError, 422, None),
    (IncidentNotFoundError, 404, "incident_id"),
    (DeviceNotFoundError, 404, "device_id"),
    (PatrolNotFoundError, 404, "patrol_id"),
    (RecordNotFoundError, 404, None),  # the error names its key
    (AttachmentNotFoundError, 404, "attachment_id"),
    (AttachmentTooLargeError, 413, "file"),
    (UnsupportedMediaError, 415, "file"),
    (AttachmentError, 422, None),  # the error names its field
    (MissingLayerError, 404, "collection"),
    (StoreBusyError, 503, None),
    (ConflictError, 409, "version"),
    (FilterError, 400, None),  # a feature query's parameter: the error names it
    (MissingInputError, 422, None),  # an action's missing input: the error names it
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


class ProblemField(BaseModel):
    """One field a request got wrong, and why."""

    field: str = Field(description="参数名 / the parameter or body field (dotted path)")
    reason: str = Field(description="原因 / what is wrong with it")


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details), naming the field at fault."""

    type: str = Field("about:blank", description="问题类型 / problem type URI")
    title: str = Field(description="状态的简称 / short name of the status")
    status: int = Field(ge=400, le=599, description="HTTP 状态码 / the HTTP status")
    detail: str = Field(description="出了什么错、怎么改 / what went wrong and how to fix it")
    field: str | None = Field(None, description="出错的参数 / the field at fault")
    errors: list[ProblemField] | None = Field(None, description="每个出错的参数 / each field "
                                                                "at fault")
    instance: str | None = Field(None, description="请求的路径 / the path requested")


class Open311Error(BaseModel):
    """One GeoReport v2 error: the HTTP status as ``code`` and a description."""

    code: int
    description: str


ERROR_DOCS: dict[int, str] = {
    400: "请求体无法解析 / the request body cannot be parsed (not JSON or form data)",
    401: "请先登录，或令牌无效、过期 / sign in first (POST /auth/token); the token is missing, "
         "forged, expired or its account disabled",
    403: "无权执行，原因见 detail / refused: your role or jurisdiction does not allow it "
         "(the reason is in detail)",
    404: "找不到 / no such id",
    409: "冲突：状态不允许或他人已先操作 / conflict: the incident's state does not allow the "
         "action, or someone acted first (version)",
    413: "请求体过大 / the request body exceeds GRIDGIS_MAX_BODY_BYTES (an upload: "
         "GRIDGIS_ATTACHMENT_MAX_BYTES)",
    415: "文件类型不支持，detail 指明实际类型 / the file's bytes are not JPEG, PNG, HEIC/HEIF "
         "or MP4 (detail names what they are)",
    422: "参数值无效，field 指明哪个 / a value is not valid; field names it",
    429: "请求过于频繁 / too many requests from this client; wait Retry-After seconds",
    503: "事件库忙，请稍后重试 / the incident store is busy; try again after Retry-After seconds",
}
"""What each error status of the service means, for the OpenAPI document."""
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "required": True,
                               "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "required": True,
                          "schema": {"type": "integer", "minimum": 1}}},
    503: {"Retry-After": {"description": "seconds to wait", "required": True,
                          "schema": {"type": "integer", "minimum": 1}}},
}
_REF = "#/components/schemas/{model}"


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route answering these error statuses as problem+json.

    Parameters
    ----------
    *statuses : int
        Statuses of :data:`ERROR_DOCS` the route can answer.

    Returns
    -------
    dict
        OpenAPI response objects by status, the body a :class:`Problem`.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"description": ERROR_DOCS[status],
                       "content": {PROBLEM: {"schema": {"$ref": _REF.format(model="Problem")}}}}
        if status in _HEADERS:
            out[status]["headers"] = _HEADERS[status]
    return out


def open311_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an Open311 route answering these statuses as GeoReport v2 errors.

    The body is a JSON list of :class:`Open311Error` (``[{code, description}]``).
    """
    schema = {"type": "array", "items": {"$ref": _REF.format(model="Open311Error")}}
    return {status: {"description": f"GeoReport v2: {ERROR_DOCS[status]}",
                     "content": {"application/json": {"schema": schema}}}
            for status in statuses}


def install_error_docs(app: FastAPI) -> None:
    """Put :class:`Problem` and :class:`Open311Error` in ``app``'s OpenAPI components.

    FastAPI documents a 422 of its own (``HTTPValidationError``, as
    ``application/json``) on each route with parameters that names none; the
    service answers those as problem+json (:func:`install_error_handlers`), so
    they become :func:`problem_responses` ``(422)``.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    answers = operation.get("responses", {})
                    if "HTTPValidationError" in str(answers.get("422", {})):
                        answers["422"] = problem_responses(422)[422]
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            if "HTTPValidationError" not in str(document.get("paths")):
                for name in ("HTTPValidationError", "ValidationError"):
                    schemas.pop(name, None)
            for model in (Problem, Open311Error):
                schema = model.model_json_schema(ref_template=_REF)
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
    return JSONResponse(body, status_code=status, media_type=PROBLEM,
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
