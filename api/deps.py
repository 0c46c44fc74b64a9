"""Reusable request dependencies: the dispatcher, bbox, limit, comma lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from gridgis.dispatch import Dispatcher

__all__ = ["MAX_OFFSET", "BBox", "Offset", "comma_list", "get_dispatcher", "limit_query",
           "parse_bbox"]


async def get_dispatcher(request: Request) -> Dispatcher:
    """The service's dispatcher, built at start-up (async: no thread for a lookup)."""
    return request.app.state.dispatcher


def _bad(field: str, reason: str, value: object) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "msg": reason, "type": "value_error",
                                    "input": value}])


async def parse_bbox(bbox: Annotated[str | None, Query(
        description="minlon,minlat,maxlon,maxlat in WGS84", examples=["120.6,27.9,120.7,28.0"])
        ] = None) -> tuple[float, float, float, float] | None:
    """Parse an OGC ``bbox`` parameter (lon/lat, WGS84)."""
    if bbox is None:
        return None
    try:
        values = [float(v) for v in bbox.split(",")]
    except ValueError:
        raise _bad("bbox", "bbox must be four numbers: minlon,minlat,maxlon,maxlat",
                   bbox) from None
    if len(values) != 4:
        raise _bad("bbox", "bbox must be four numbers: minlon,minlat,maxlon,maxlat", bbox)
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise _bad("bbox", "bbox must be minlon ≤ maxlon within ±180 and minlat ≤ maxlat "
                   "within ±90", bbox)
    return minx, miny, maxx, maxy


BBox = Annotated[tuple[float, float, float, float] | None, Depends(parse_bbox)]


def comma_list(value: str | None) -> tuple[str, ...]:
    """Split ``a,b,c`` into a tuple, dropping blanks."""
    if not value:
        return ()
    return tuple(v.strip() for v in value.split(",") if v.strip())


def limit_query(*, default: int, maximum: int) -> Callable[..., int]:
    """A ``limit`` query dependency bounded by settings (1 to ``maximum``, default ``default``).

    The bound is read when the router is built (see the ``create_router``
    factories), so it shows in the OpenAPI document and a larger value is
    refused with 422 naming ``limit``.
    """
    # the bound goes in the default: annotations are strings read in the module's globals
    async def limit(limit: int = Query(default, ge=1, le=maximum,
                                 description=f"items per page, at most {maximum}")) -> int:
        return limit
    return limit


MAX_OFFSET = 2**53
"""The largest ``offset`` accepted (exact in a JSON number; far beyond any listing)."""
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")]
