"""Patrols (巡查): a grid worker's track or check-in, GPX uploads, listings and compliance.

The signed-in grid worker's terminal posts its track (points with times,
in ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09`` like the other routes) or a
check-in (签到: one point); the patrol is recorded under the signed-in
person, never a name from the body. Steps faster than 120 km/h are flagged
(``jump_indices``), not refused. Reads follow the patrol scope: a grid
worker their own, a community, township or the county their area's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.auth import SignedIn
from api.deps import Offset, limit_query
from api.errors import problem_responses
from api.models import CrsName, CstOut, Link, to_cst_naive
from api.paging import page_links
from api.settings import Settings
from gridgis.analysis.patrol_compliance import STATUS_NAMES, compliance_summary, zone_compliance
from gridgis.errors import InputError
from gridgis.patrols.service import PatrolService
from gridgis.patrols.settings import LEVEL_NAMES
from gridgis.schemas import PATROL_LEVELS

__all__ = ["PatrolIn", "PatrolOut", "create_router", "get_patrols"]

MAX_POINTS = 20000
MAX_GPX_BYTES = 5 * 1024 * 1024

FIRST_YEAR, LAST_YEAR = 1970, 2200  # patrol times live in pandas' nanosecond calendar


def patrol_time(value: dt.datetime) -> dt.datetime:
    """Naive China Standard Time within the years patrols may carry.

    Raises
    ------
    ValueError
        Outside 1970–2200 (after conversion to UTC+8).
    """
    value = to_cst_naive(value)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"时间须在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间 / times lie between the "
                         f"years {FIRST_YEAR} and {LAST_YEAR}")
    return value


def get_patrols(request: Request) -> PatrolService:
    """The service's patrols, built at start-up."""
    return request.app.state.patrols


Patrols = Annotated[PatrolService, Depends(get_patrols)]


class PointIn(BaseModel):
    """One fix of the terminal."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    at: Annotated[dt.datetime, AfterValidator(patrol_time)] = Field(
        description="定位时间；无时区按北京时间 / when; naive means UTC+8")


class PatrolIn(BaseModel):
    """A track (two points or more) or a check-in (签到: one point)."""

    model_config = ConfigDict(extra="forbid")

    points: list[PointIn] = Field(min_length=1, max_length=MAX_POINTS,
                                  description="按时间先后排列的轨迹点 / the track's points in "
                                              "time order")
    crs: CrsName = "wgs84"
    note: str | None = Field(None, max_length=500)


class VisitOut(BaseModel):
    """A patrol zone the patrol visited."""

    zone_id: str
    level: str
    grid_code: str
    entered_at: CstOut
    left_at: CstOut
    metres_inside: float
    checkin: bool


class PatrolOut(BaseModel):
    """A recorded patrol (the track itself is kept in the store)."""

    patrol_id: str
    person: str
    grid_code: str | None
    kind: str = Field(description="track 轨迹 / checkin 签到")
    source: str
    input_crs: str
    started_at: CstOut
    ended_at: CstOut
    points: int
    length_m: float
    max_speed_kmh: float
    jumps: int = Field(description="超过 120 km/h 的跳点段数 / steps flagged as GPS jumps")
    zones_visited: int
    recorded_at: CstOut
    note: str | None = None
    visits: list[VisitOut] | None = None
    jump_indices: list[int] | None = None


class PatrolPage(BaseModel):
    """A page of patrols, newest first."""

    items: list[PatrolOut]
    matched: int
    returned: int
    links: list[Link]


class ZoneCompliance(BaseModel):
    """One patrol zone's visits against its level's frequency."""

    zone_id: str
    level: str
    level_name: str
    grid_code: str
    visits: int
    visits_per_week: float
    required_per_week: float
    compliance: float
    weeks_met_share: float
    longest_gap_h: float | None
    last_visit_at: CstOut | None
    visits_last_7d: int
    status: str = Field(description="missed 漏巡 / behind 滞后 / on_track 达标")
    status_name: str


class LevelCompliance(BaseModel):
    """A level's compliance (达标率)."""

    level: str
    level_name: str
    zones: int
    visits: int
    required: float
    compliance: float | None
    on_track_share: float
    missed: int
    behind: int


class ComplianceOut(BaseModel):
    """Patrol compliance of one's zones over a period."""

    start: CstOut
    end: CstOut
    levels: list[LevelCompliance]
    zones: list[ZoneCompliance]


class RouteOut(BaseModel):
    """A suggested round: the zones due, their order, the minutes, the path (GeoJSON)."""

    person: str
    zones_due: list[str]
    order: list[str]
    legs_min: list[float]
    total_min: float
    geometry: dict[str, Any] | None = Field(description="GeoJSON LineString, WGS84")


def _bad(field: str, reason: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("query", field), "type": "value_error",
                                    "msg": reason}])


def _cst(field: str, value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return patrol_time(value)
    except ValueError as exc:
        raise _bad(field, str(exc)) from None


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NaT else v


def create_router(settings: Settings) -> APIRouter:
    """The patrol routes."""
    router = APIRouter(prefix="/patrols", tags=["patrols"])
    bounded_limit = Depends(limit_query(default=settings.incidents_limit_default,
                                        maximum=settings.incidents_limit_max))

    @router.post("", response_model=PatrolOut, status_code=201,
                 responses=problem_responses(400, 401, 403, 413, 422, 503))
    def record(person: SignedIn, patrols: Patrols, body: PatrolIn,
               response: Response) -> PatrolOut:
        """Record your patrol: a track (points with times) or a check-in (签到, one point).

        Times in order; steps faster than 120 km/h are flagged in
        ``jump_indices`` (from point i to i + 1) and left out of the length
        and the visits. 403 for anyone but a grid worker, or a track
        outside one's community.
        """
        stored = patrols.record(person, lon=[p.lon for p in body.points],
                                lat=[p.lat for p in body.points],
                                at=[p.at for p in body.points], crs=body.crs, note=body.note)
        response.headers["Location"] = f"/patrols/{stored['patrol_id']}"
        return PatrolOut(**stored)

    gpx_file = File(description="GPX 文件，每条轨迹记为一次巡查 / a GPX file; each track one "
                               "patrol")

    @router.post("/gpx", response_model=list[PatrolOut], status_code=201,
                 responses=problem_responses(400, 401, 403, 413, 422, 503))
    async def upload_gpx(person: SignedIn, patrols: Patrols,
                         file: UploadFile = gpx_file) -> list[PatrolOut]:
        """Record the tracks of a GPX file as your patrols (422 for a file that is not GPX)."""
        data = await file.read(MAX_GPX_BYTES + 1)
        if len(data) > MAX_GPX_BYTES:
            raise InputError(f"GPX 文件超过 {MAX_GPX_BYTES // 1024 // 1024} MB / the file is "
                             "larger than 5 MB", field="file")
        stored = await run_in_threadpool(patrols.record_gpx, person, data)  # the store waits
        return [PatrolOut(**p) for p in stored]

    @router.get("", response_model=PatrolPage, responses=problem_responses(401, 403, 422, 503))
    def list_patrols(
        person: SignedIn,
        request: Request,
        patrols: Patrols,
        staff: Annotated[str | None, Query(max_length=64, alias="person",
                                           description="网格员工号 / a grid worker's id")] = None,
        grid: Annotated[str | None, Query(max_length=32)] = None,
        date_from: Annotated[dt.datetime | None, Query(alias="from")] = None,
        date_to: Annotated[dt.datetime | None, Query(alias="to")] = None,
        limit: int = bounded_limit,
        offset: Offset = 0,
    ) -> PatrolPage:
        """Patrols you may read (a grid worker: your own; staff of an area: its patrols)."""
        items, matched = patrols.patrols(person, staff_id=staff, grid=grid,
                                         start=_cst("from", date_from),
                                         end=_cst("to", date_to), limit=limit, offset=offset)
        links = [Link(**link) for link in page_links(request, offset=offset, limit=limit,
                                                      matched=matched,
                                                      media_type="application/json")]
        return PatrolPage(items=[PatrolOut(**i) for i in items], matched=matched,
                          returned=len(items), links=links)

    @router.get("/compliance", response_model=ComplianceOut,
                responses=problem_responses(401, 403, 422, 503))
    def compliance(
        person: SignedIn,
        patrols: Patrols,
        date_from: Annotated[dt.datetime | None, Query(alias="from")] = None,
        date_to: Annotated[dt.datetime | None, Query(alias="to")] = None,
        level: Annotated[str | None, Query(description="high / medium / low")] = None,
    ) -> ComplianceOut:
        """Patrol compliance (达标率) of your zones: visits against each level's frequency.

        Default period: the seven days before now. ``missed`` (漏巡): a
        high-frequency zone with no visit in the last 24 h or fewer than
        seven in the last 7 days; ``behind`` (滞后): another zone under its
        weekly visits in the last 7 days.
        """
        if level is not None and level not in PATROL_LEVELS:
            raise _bad("level", f"巡查等级须为 {'、'.join(PATROL_LEVELS)} / level is one of "
                       f"{', '.join(PATROL_LEVELS)}")
        end = _cst("to", date_to) or patrols.clock()
        start = _cst("from", date_from) or end - dt.timedelta(days=7)
        if end <= start:
            raise _bad("to", "结束时间须晚于开始时间 / to must be later than from")
        if end - start > dt.timedelta(days=366):
            raise _bad("from", "统计期不能超过一年 / the period is at most a year")
        zones = patrols.zones_in_scope(person)
        if level is not None:
            zones = zones[zones["level"] == level]
        visits = patrols.log.visits(start=start - dt.timedelta(days=1), end=end,
                                    area_codes=tuple(zones["grid_code"].unique()))
        table = zone_compliance(zones, visits, start=start, end=end,
                                visits_per_week=patrols.settings.visits_per_week)
        summary = compliance_summary(table) if len(table) else pd.DataFrame()
        levels = [LevelCompliance(level=lv, level_name=LEVEL_NAMES.get(lv, lv),
                                  zones=int(r["zones"]), visits=int(r["visits"]),
                                  required=float(r["required"]),
                                  compliance=_none(float(r["compliance"])),
                                  on_track_share=float(r["on_track_share"]),
                                  missed=int(r["missed"]), behind=int(r["behind"]))
                  for lv, r in summary.iterrows()]
        rows = [ZoneCompliance(
            zone_id=r.zone_id, level=r.level, level_name=LEVEL_NAMES.get(r.level, r.level),
            grid_code=r.grid_code, visits=int(r.visits), visits_per_week=float(r.visits_per_week),
            required_per_week=float(r.required_per_week), compliance=float(r.compliance),
            weeks_met_share=float(r.weeks_met_share),
            longest_gap_h=_none(float(r.longest_gap_h)),
            last_visit_at=None if pd.isna(r.last_visit_at) else r.last_visit_at.to_pydatetime(),
            visits_last_7d=int(r.visits_last_7d), status=r.status,
            status_name=STATUS_NAMES[r.status]) for r in table.itertuples()]
        return ComplianceOut(start=start, end=end, levels=levels, zones=rows)

    @router.get("/route", response_model=RouteOut,
                responses=problem_responses(401, 403, 404, 422, 503))
    def route(
        person: SignedIn,
        request: Request,
        patrols: Patrols,
        staff: Annotated[str | None, Query(max_length=64, alias="person",
                                           description="网格员工号，默认本人 / a grid worker's "
                                                       "id, default yourself")] = None,
        lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
        lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
        crs: Annotated[CrsName, Query()] = "wgs84",
    ) -> RouteOut:
        """Today's suggested patrol round (巡查路线) over the zones due, along the roads.

        The zones due: every high-frequency zone of the worker's grids, and the
        medium and low ones whose interval has run out. Ordered on the
        travel-time matrix (nearest neighbour, then 2-opt) from ``lon``/``lat``
        (default the grid's centre) and back. A grid worker asks for their
        own; community, township and county staff for a worker of their area.
        404 when the district has no road layer.
        """
        from gridgis.crs import to_wgs84
        from gridgis.errors import AccessDeniedError
        from gridgis.people.access import patrol_scope

        scope = patrol_scope(person)
        target = person if staff in (None, person.staff_id) else \
            request.app.state.dispatcher.store.staff.find(staff)
        if target is None or target.role != "grid_worker" or (
                scope.person is not None and target.staff_id != scope.person) or (
                scope.person is None and not any(g.startswith(scope.area_codes)
                                                 for g in target.grids)):
            raise AccessDeniedError("只能为本人或本辖区的网格员规划巡查路线 / a route is planned "
                                    "for yourself or a grid worker of your area")
        start = None
        if (lon is None) != (lat is None):
            raise _bad("lon", "lon 和 lat 须同时给出 / give both lon and lat, or neither")
        if lon is not None and lat is not None:
            x, y = to_wgs84([lon], [lat], crs)
            start = (float(x[0]), float(y[0]))
        suggestion, due = patrols.route(target, start=start)
        line = None if suggestion.line is None else {
            "type": "LineString", "coordinates": [[round(x, 7), round(y, 7)]
                                                  for x, y in suggestion.line.coords]}
        return RouteOut(person=target.staff_id, zones_due=due, order=suggestion.zone_ids,
                        legs_min=[round(m, 2) for m in suggestion.legs_min],
                        total_min=round(suggestion.total_min, 2), geometry=line)

    @router.get("/{patrol_id}", response_model=PatrolOut,
                responses=problem_responses(401, 403, 404, 503))
    def read_patrol(person: SignedIn, patrols: Patrols, patrol_id: str) -> PatrolOut:
        """One patrol you may read, with its visits."""
        found = patrols.patrol(person, patrol_id)
        return PatrolOut(**{k: v for k, v in found.items() if k not in ("lon", "lat", "at")})

    return router
