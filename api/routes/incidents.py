"""Locate, report, list, read and move incidents through the closed loop."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from api.auth import SignedIn, client_address, require_roles
from api.deps import BBox, Offset, comma_list, get_dispatcher, limit_query
from api.errors import problem_responses
from api.models import (
    CrsName,
    Incident,
    IncidentDetail,
    IncidentIn,
    IncidentPage,
    Link,
    LocateResponse,
    Notice,
    TransitionIn,
    to_cst_naive,
)
from api.paging import page_links
from api.settings import Settings
from gridgis.dispatch import Dispatcher, Light
from gridgis.incidents.channels import check_enabled
from gridgis.people.access import SUPERVISION
from gridgis.people.staff import StaffMember
from gridgis.store.base import Reporter

__all__ = ["create_router"]

Dispatch = Annotated[Dispatcher, Depends(get_dispatcher)]


async def locate(
    person: SignedIn,
    dispatcher: Dispatch,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: Annotated[CrsName, Query()] = "wgs84",
    category: Annotated[str | None, Query(max_length=16)] = None,
) -> LocateResponse:
    """Grid, community, township, patrol level, grid workers and nearest units of a point.

    On the event loop: about a millisecond of compiled lookups, cheaper than a thread hop.
    """
    return LocateResponse(**dispatcher.locate(lon, lat, crs=crs, category=category))


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


def report(
    person: SignedIn,
    request: Request,
    dispatcher: Dispatch,
    body: IncidentIn,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> Incident:
    """Report an incident: located, routed, deadlines set.

    The same idempotency key (body field or ``Idempotency-Key`` header) never
    creates two incidents: a repeat answers 200 with the first one.
    """
    check_enabled(body.source, request.app.state.settings.channels)  # 403 naming it
    reporter = Reporter(**body.reporter.model_dump(), channel=body.source.value) \
        if body.reporter else None
    record, created = dispatcher.report(
        lon=body.lon, lat=body.lat, crs=body.crs, category=body.category,
        description=body.description, source=body.source, reported_at=body.reported_at,
        idempotency_key=body.idempotency_key or idempotency_key, by=person,
        reporter=reporter, client=client_address(request))
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/incidents/{record['incident_id']}"
    return Incident(**record)


SortName = Literal["light", "reported_at", "-reported_at", "due_at"]


def read_incident(person: SignedIn, dispatcher: Dispatch, incident_id: str) -> IncidentDetail:
    """One incident of your jurisdiction with its event history."""
    return IncidentDetail(**dispatcher.incident(incident_id, person=person))


def move(person: SignedIn, request: Request, dispatcher: Dispatch, incident_id: str,
         body: TransitionIn) -> IncidentDetail:
    """Take an action as the signed-in person.

    The loop: accept, dispatch, progress (1-3-0: within three days), resolve,
    verify (on site: ``lon``/``lat`` in the incident's grid), callback
    (``satisfaction``, or ``outcome`` unreachable; a dissatisfied call back
    reopens the matter). Beside it: ``whistle`` (吹哨: ``unit_ids`` called to
    report in within ``hours``; the holder keeps the matter), ``report_in``
    (报到: ``place`` and ``staff``, by a called unit), ``escalate`` (the next
    level holds the matter, with fresh deadlines; a reason in ``note``) and
    ``supervise`` (督办 of an overdue stage, by a level above).
    Emergency plans (应急预案): ``depart`` and ``arrive`` (出发/到场, by a unit of
    the force; ``lon``/``lat`` on arrival are checked near the site),
    ``reinforce`` (增派: ``kind`` or ``unit_id``, by the holder) and
    ``release`` (收队: ``unit_id``, or the whole force).
    After a unit's ``return`` (退回), ``reroute`` (改派: ``unit_id`` of the new
    ``category``'s kinds, ``kind`` the department, the reason in ``note``, by the
    holder as for dispatch).

    403 with the reason when you may not take it on this incident (role,
    jurisdiction, the level that holds it); 409 when the incident's state
    does not allow it now or someone acted first.
    """
    moved = dispatcher.transition(incident_id, action=body.action, note=body.note,
                                  version=body.version, unit_id=body.unit_id,
                                  satisfaction=body.satisfaction, hours=body.hours, by=person,
                                  client=client_address(request), unit_ids=body.unit_ids,
                                  place=body.place, staff=body.staff, lon=body.lon,
                                  lat=body.lat, crs=body.crs, outcome=body.outcome,
                                  kind=body.kind, category=body.category)
    # the answer shows the step just taken, even when it handed the matter out of one's hands
    return IncidentDetail(**moved, events=dispatcher.store.events(incident_id))


def supervise(person: Annotated[StaffMember, Depends(require_roles(*SUPERVISION))],
              dispatcher: Dispatch) -> list[Incident]:
    """督办 pass: notify the level above of every overdue stage and report-in, once each.

    A scheduler calls this every few minutes; nothing changes hands
    (escalation is the holder's act, with a reason).
    """
    return [Incident(**i) for i in dispatcher.supervise(run_by=person.staff_id)]


def notices(person: SignedIn, dispatcher: Dispatch,
            limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[Notice]:
    """Supervision notices (督办) addressed to your level in your area, newest first."""
    return [Notice(**n) for n in dispatcher.notices(person, limit=limit)]


def _cst_query(field: str, value: dt.datetime | None) -> dt.datetime | None:
    """A time of the query in naive China time, or 422 naming ``field``."""
    if value is None:
        return None
    try:
        return to_cst_naive(value)
    except ValueError as exc:
        raise RequestValidationError([{"loc": ("query", field), "type": "value_error",
                                       "msg": str(exc)}]) from None


def create_router(settings: Settings) -> APIRouter:
    """The incident routes, the listing's ``limit`` bounded by ``GRIDGIS_INCIDENTS_LIMIT_*``."""
    router = APIRouter(tags=["incidents"])
    router.get("/locate", response_model=LocateResponse,
               responses=problem_responses(401, 422, 503))(locate)
    router.get("/categories")(categories)
    router.post("/incidents", response_model=Incident, status_code=201,
                responses={200: {"model": Incident, "description": "重复的幂等键：先前的事件 / "
                                 "the incident reported before under this idempotency key"},
                           **problem_responses(400, 401, 403, 413, 422, 503)})(report)
    # a default, not an annotation: annotations are strings read in the module's globals
    bounded_limit = Depends(limit_query(default=settings.incidents_limit_default,
                                        maximum=settings.incidents_limit_max))

    @router.get("/incidents", response_model=IncidentPage,
                responses=problem_responses(401, 403, 422, 503))
    def list_incidents(
        person: SignedIn,
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
        q: Annotated[str | None, Query(max_length=100, description=(
            "搜索：事件编号、网格编码、地址或描述文字、网格/社区/乡镇名称 / search: incident "
            "id, grid code, address or text, area name"))] = None,
        sort: SortName = "light",
        limit: int = bounded_limit,
        offset: Offset = 0,
    ) -> IncidentPage:
        """Incidents of your jurisdiction, red first (pinned to the top) unless asked otherwise.

        ``q`` searches (搜索) incident ids, grid codes, the description (the address as
        reported, what was found) and grid, community and township names; paged as the list.
        """
        lights = comma_list(light)
        if set(lights) - set(Light):
            raise RequestValidationError([{"loc": ("query", "light"), "type": "value_error",
                                           "msg": f"light is one of {', '.join(Light)}"}])
        page = dispatcher.incidents(
            status=comma_list(status), light=lights, category=comma_list(category),
            grid_code=grid, community_code=community, township_code=township, bbox=bbox,
            reported_from=_cst_query("from", reported_from),
            reported_to=_cst_query("to", reported_to), sort=sort, offset=offset, limit=limit,
            person=person, text=q)
        links = [Link(**link) for link in page_links(request, offset=offset, limit=limit,
                                                      matched=page.matched,
                                                      media_type="application/json")]
        return IncidentPage(items=[Incident(**i) for i in page.items], matched=page.matched,
                            returned=len(page.items), lights=page.lights, links=links)

    router.get("/incidents/{incident_id}", response_model=IncidentDetail,
               responses=problem_responses(401, 403, 404, 503))(read_incident)
    router.post("/incidents/{incident_id}/transitions", response_model=IncidentDetail,
                responses=problem_responses(400, 401, 403, 404, 409, 413, 422, 503))(move)
    router.post("/supervision", response_model=list[Incident],
                responses=problem_responses(401, 403, 503))(supervise)
    router.get("/supervision/notices", response_model=list[Notice],
               responses=problem_responses(401, 422, 503))(notices)
    return router
