"""``GET /health``: whether the service can answer, for load balancers and monitors.

200 ``{"status": "ok", ...}`` with the version, the store's answer to a cheap
read and the district's grid count; 503 problem+json when the store cannot be
read (the cause is logged, not shown: the file's path stays on the server).
Nothing personal is shown.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

import gridgis
from api.errors import problem
from gridgis.errors import StoreError

__all__ = ["Health", "create_router"]

log = logging.getLogger("gridgis.api")


class Health(BaseModel):
    """The service is up: its version, its store and its district."""

    status: str = "ok"
    version: str
    store: str = "ok"
    grids: int


def create_router() -> APIRouter:
    """The ``/health`` route."""
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=Health, responses={
        503: {"description": "the incident store cannot be read",
              "content": {"application/problem+json": {}}}})
    def health(request: Request) -> Any:
        """Whether the service and its incident store answer (200) or not (503)."""
        dispatcher = request.app.state.dispatcher
        try:
            dispatcher.store.check()  # a plain def: FastAPI runs it off the event loop
        except StoreError as exc:
            log.error("health: %s", exc)
            response: JSONResponse = problem(
                503, "事件库无法读取 / the incident store cannot be read", field="store",
                instance=request.url.path)
            response.headers["Retry-After"] = "30"
            return response
        return Health(version=gridgis.__version__, grids=len(dispatcher.layers.grids))

    return router
