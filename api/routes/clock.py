"""``GET /clock``: the service's "now", the time every limit and light is measured against.

A demonstration or a replay runs the service on its own clock (``GRIDGIS_CLOCK``), so the
console's header shows this time, not the browser's. Public: nothing personal, no store read.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from api.models import CstOut

__all__ = ["ServiceClock", "create_router"]


class ServiceClock(BaseModel):
    """The service's current time in China Standard Time (UTC+8)."""

    now: CstOut = Field(description="服务时钟（北京时间）/ the service's clock, UTC+8")
    zone: str = "Asia/Shanghai"


def create_router() -> APIRouter:
    """The ``/clock`` route."""
    router = APIRouter(tags=["health"])

    @router.get("/clock", response_model=ServiceClock)
    def clock(request: Request) -> ServiceClock:
        """The service's clock now (a demonstration's clock runs on from its start)."""
        now: dt.datetime = request.app.state.dispatcher.clock()
        return ServiceClock(now=now)

    return router
