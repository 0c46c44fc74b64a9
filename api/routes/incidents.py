"""Locate, report, list, read and move incidents through the closed loop."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from api.deps import BBox, comma_list, get_dispatcher
from api.models import (
    Incident,
    IncidentDetail,
    IncidentIn,
    IncidentPage,
    Link,
    LocateResponse,
    TransitionIn,
    to_cst_naive,
)
from gridgis.dispatch import Dispatcher, Light

__all__ = ["router"]

router = APIRouter(tags=["incidents"])
Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]


@router.get("/locate", response_model=LocateResponse)
def locate(
    dispatcher: Dispatch,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: Annotated[Literal["wgs84", "cgcs2000", "gcj02", "bd09"], Query()] = "wgs84",
    category: Annotated[str | None, Query(max_length=16)] = None,
) -> LocateResponse:
    """Grid, community, township, patrol level, grid workers and nearest units of a point."""
    return LocateResponse(**dispatcher.locate(lon, lat, crs=crs, category=category))


@router.get("/categories")
def categories(dispatcher: Dispatch) -> list[dict[str, object]]:
    """The category table: platform, unit kinds, priority and time limits in hours."""
    out = []
    for code, row in dispatcher.categories.iterrows():
        out.append({"code": code, "name": row["name"], "name_zh": row["name_zh"],
                    "platform": row["platform"], "priority": row["priority"],
                    "unit_kinds": list(row["unit_kinds"]),
                    **{f"{k}_hours": row[k].total_seconds() / 3600
                       for k in ("respond", "progress", "resolve")}})
    return out


@router.post("/incidents", response_model=Incident, status_code=201)
def report(
    dispatcher: Dispatch,
    body: IncidentIn,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Incident:
    """Report an incident: located, routed, deadlines set.

    The same idempotency key (body field or ``Idempotency-Key`` header) never
    creates two incidents: a repeat answers 200 with the first one.
    """
    record, created = dispatcher.report(
        lon=body.lon, lat=body.lat, crs=body.crs, category=body.category,
        description=body.description, source=body.source, reported_at=body.reported_at,
        actor=body.actor, idempotency_key=body.idempotency_key or idempotency_key)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/incidents/{record['incident_id']}"
    return Incident(**record)


SortName = Literal["light", "reported_at", "-reported_at", "due_at"]


@router.get("/incidents", response_model=IncidentPage)
def list_incidents(
    request: Request,
    dispatcher: Dispatch,
    bbox: BBox,
    status: Annotated[str | None, Query(description="comma-separated states")] = None,
    light: Annotated[str | None, Query(description=f"comma-separated: {','.join(Light)}")
                     ] = None,
    category: Annotated[str | None, Query(description="comma-separated category codes")
                        ] = None,
    grid: Annotated[str | None, Query(max_length=32)] = None,
    community: Annotated[str | None, Query(max_length=32)] = None,
    township: Annotated[str | None, Query(max_length=32)] = None,
    reported_from: Annotated[dt.datetime | None, Query(alias="from")] = None,
    reported_to: Annotated[dt.datetime | None, Query(alias="to")] = None,
    sort: SortName = "light",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> IncidentPage:
    """Incidents, red first (pinned to the top) unless another sort is asked."""
    lights = comma_list(light)
    if set(lights) - set(Light):
        raise RequestValidationError([{"loc": ("query", "light"), "type": "value_error",
                                       "msg": f"light is one of {', '.join(Light)}"}])
    page = dispatcher.incidents(
        status=comma_list(status), light=lights, category=comma_list(category),
        grid_code=grid, community_code=community, township_code=township, bbox=bbox,
        reported_from=to_cst_naive(reported_from) if reported_from else None,
        reported_to=to_cst_naive(reported_to) if reported_to else None,
        sort=sort, offset=offset, limit=limit)
    links = [Link(href=str(request.url), rel="self", type="application/json")]
    params = dict(request.query_params)
    if offset + limit < page.matched:
        nxt = urlencode({**params, "offset": offset + limit})
        links.append(Link(href=f"{request.url.path}?{nxt}", rel="next", type="application/json"))
    if offset > 0:
        prev = max(0, offset - limit)
        links.append(Link(href=f"{request.url.path}?{urlencode({**params, 'offset': prev})}",
                          rel="prev", type="application/json"))
    return IncidentPage(items=[Incident(**i) for i in page.items], matched=page.matched,
                        returned=len(page.items), lights=page.lights, links=links)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
def read_incident(dispatcher: Dispatch, incident_id: str) -> IncidentDetail:
    """One incident with its event history."""
    return IncidentDetail(**dispatcher.incident(incident_id))


@router.post("/incidents/{incident_id}/transitions", response_model=IncidentDetail)
def move(dispatcher: Dispatch, incident_id: str, body: TransitionIn) -> IncidentDetail:
    """Take an action; 409 with the reason when it is not allowed now or someone acted first."""
    dispatcher.transition(incident_id, action=body.action, actor=body.actor, role=body.role,
                          note=body.note, version=body.version, unit_id=body.unit_id,
                          satisfaction=body.satisfaction, hours=body.hours)
    return IncidentDetail(**dispatcher.incident(incident_id))


@router.post("/supervision", response_model=list[Incident])
def supervise(dispatcher: Dispatch) -> list[Incident]:
    """Escalate overdue incidents now (a scheduler calls this every few minutes)."""
    return [Incident(**i) for i in dispatcher.supervise()]
