"""Request and response models of the HTTP API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from api.channels import ReportSource
from gridgis.incidents.names import ForceStatus, Level, Light, Outcome, Source, Stage, State
from gridgis.people.roles import Grade

__all__ = [
    "CrsName",
    "EmergencyForce",
    "EmergencyPlanOut",
    "EventOut",
    "GridWorker",
    "Incident",
    "IncidentDetail",
    "IncidentIn",
    "IncidentPage",
    "Link",
    "LocateResponse",
    "Me",
    "Notice",
    "ReporterIn",
    "ReporterOut",
    "Token",
    "TransitionIn",
    "UnitSuggestion",
    "WhistleCall",
    "to_cst_naive",
]

CST = ZoneInfo("Asia/Shanghai")


def to_cst_naive(value: dt.datetime) -> dt.datetime:
    """Naive China Standard Time (aware times are converted, naive ones taken as UTC+8).

    Raises
    ------
    ValueError
        When the time in China falls outside the calendar (years 1 to 9999).
    """
    if value.tzinfo is not None:
        try:
            value = value.astimezone(CST).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("换算为北京时间后超出公历范围 / the time in China (UTC+8) falls "
                             "outside the years 1 to 9999") from None
    return value.replace(microsecond=0)


# times are stored as naive China Standard Time and shown with their offset
CstOut = Annotated[dt.datetime, PlainSerializer(
    lambda d: d.replace(tzinfo=CST).isoformat(), return_type=str)]
CstIn = Annotated[dt.datetime, AfterValidator(to_cst_naive)]
CrsName = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


class Link(BaseModel):
    """A hyperlink (OGC API style)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class UnitSuggestion(BaseModel):
    """A responsible unit near the point."""

    unit_id: str
    name: str
    kind: str
    distance_m: float = Field(description="straight-line metres (直线距离)")
    travel_min: float | None = Field(
        None, description="minutes by road (行程时间), when the district has a road layer")
    method: Literal["euclidean", "network"]


class GridWorker(BaseModel):
    """A grid's worker: from the staff directory, or a name only from the grid layer."""

    staff_id: str | None
    name: str
    grade: Grade | None
    phone: str | None = Field(description="masked, e.g. 138****1234")


class LocateResponse(BaseModel):
    """Where a point falls: grid, community, township, patrol level, nearest units."""

    lon: float
    lat: float
    input_crs: str
    grid_code: str | None
    grid_name: str | None
    community_code: str | None
    community_name: str | None
    township_code: str | None
    township_name: str | None
    patrol_level: str | None
    workers: int | None
    worker_names: str | None
    grid_workers: list[GridWorker] = Field(
        default_factory=list, description="the grid's workers, grid heads first")
    match: Literal["inside", "boundary", "overlap", "snapped"]
    overlap_codes: list[str] | None = Field(
        default=None, description="every grid of the overlap the point lies in (重叠网格; "
                                  "a data error of the layer), when match is overlap")
    edge_distance_m: float | None
    near_edge: bool
    units: list[UnitSuggestion]


class ReporterIn(BaseModel):
    """A citizen's contact details, for the call back (回访)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=64)
    phone: str | None = Field(None, pattern=r"^\+?[0-9\- ]{5,20}$")
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")


class IncidentIn(BaseModel):
    """A new report, by the signed-in person (who is recorded as its reporter)."""

    model_config = ConfigDict(extra="forbid")

    lon: float = Field(ge=-180, le=180, description="longitude in the system named by crs")
    lat: float = Field(ge=-90, le=90, description="latitude in the system named by crs")
    crs: CrsName = "wgs84"
    category: str = Field(min_length=1, max_length=16, description="category code, e.g. D01")
    description: str = Field(min_length=1, max_length=4000)
    source: ReportSource = Source.APP
    reported_at: CstIn | None = Field(None, description="default: now; naive means UTC+8")
    idempotency_key: str | None = Field(None, min_length=1, max_length=128)
    reporter: ReporterIn | None = Field(None, description="the citizen who reported (hotline, "
                                        "counter): kept apart, shown masked")


class TransitionIn(BaseModel):
    """A step in the closed loop, taken by the signed-in person (actor and role are theirs)."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(min_length=1, max_length=32)
    note: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, ge=1)
    unit_id: str | None = Field(None, max_length=32)
    satisfaction: float | None = Field(None, ge=1, le=5)
    hours: float | None = Field(None, gt=0, le=24 * 365)
    unit_ids: list[Annotated[str, Field(max_length=32)]] | None = Field(
        None, max_length=20, description="吹哨：点名的部门 / whistle: the departments called in")
    place: str | None = Field(None, min_length=1, max_length=200,
                              description="报到地点 / report_in: where")
    staff: str | None = Field(None, min_length=1, max_length=500,
                              description="报到人员 / report_in: who came")
    lon: float | None = Field(None, ge=-180, le=180,
                              description="核查位置 / verify: the verifier's position")
    lat: float | None = Field(None, ge=-90, le=90)
    crs: CrsName = "wgs84"
    outcome: Outcome | None = Field(None, description="回访结果 / callback: reached or "
                                    "unreachable")
    kind: str | None = Field(None, min_length=1, max_length=32,
                             description="增派的单位类型 / reinforce: the unit kind to add; "
                             "改派的责任部门 / reroute: the department")
    category: str | None = Field(None, min_length=1, max_length=16,
                                 description="改派后的事件类别 / reroute: the new category")


class WhistleCall(BaseModel):
    """One department called in by a whistle (吹哨) and its report-in (报到)."""

    unit_id: str
    called_at: str
    due_at: str
    reason: str | None
    reported_in_at: str | None
    place: str | None
    staff: str | None
    supervised: bool
    late: bool | None = None
    light: Light


class EmergencyForce(BaseModel):
    """One unit of an emergency plan's force (应急预案): dispatched, set out, on site."""

    unit_id: str
    name: str | None
    kind: str
    kind_name: str = Field(description="单位类型中文名 / the kind's Chinese name")
    dispatched_at: str
    due_at: str = Field(description="到场时限 / on site by")
    limit_min: float
    eta_min: float | None = Field(description="预计到达分钟 / estimated minutes to the site")
    distance_m: float | None
    eta_source: Literal["network", "estimate"] | None = Field(
        description="network: road travel time; estimate: straight line at the set speed")
    departed_at: str | None
    arrived_at: str | None
    released_at: str | None
    late: bool | None
    supervised: bool
    reinforced: bool
    status: ForceStatus
    status_name: str = Field(description="待出发/已出发/已到场/超时未到/已收队")
    minutes_left: float | None = Field(description="距到场时限的分钟数（负数为已超时） / "
                                       "minutes to the limit, negative past it")


class PlanShortfall(BaseModel):
    """A kind of unit the force lacks (none was free, or one was released)."""

    kind: str
    kind_name: str
    count: int


class PlanForceOut(BaseModel):
    """A kind of unit a plan requires."""

    kind: str
    kind_name: str
    count: int
    arrive_minutes: float


class EmergencyPlanOut(BaseModel):
    """An emergency plan of the district's table (应急预案)."""

    code: str
    name_zh: str
    name: str
    categories: list[str]
    forces: list[PlanForceOut]


class Notice(BaseModel):
    """A supervision notice (督办) to a level: an overdue stage or overdue report-ins."""

    incident_id: str
    at: CstOut
    to: Level
    due_at: str | None
    late_units: list[str]
    late_forces: list[str] = Field(default_factory=list, description="应急预案中超时未到场的单位 "
                                   "/ units of an emergency force not on site in time")
    grid_code: str | None
    community_code: str | None
    township_code: str | None
    category: str
    status: State


class EventOut(BaseModel):
    """One line of the incident's history."""

    event_id: int
    at: CstOut
    actor: str
    role: str
    action: str
    from_state: State | None
    to_state: State
    note: str | None
    data: dict[str, Any]
    client: str | None = Field(None, description="the address the action came from")
    hash: str | None = Field(None, description="SHA-256 chained to the previous event")


class Incident(BaseModel):
    """An incident as the dispatcher sees it."""

    incident_id: str
    version: int
    status: State
    light: Light
    stage: Stage = Field(description="the limit the light watches (1-3-0: deploy, progress, "
                         "resolve; then verify, callback; review when shelved)")
    allowed_actions: list[str]
    category: str
    priority: str
    platform: str
    description: str
    source: Source
    lon: float
    lat: float
    input_crs: str
    grid_code: str | None
    grid_name: str | None
    community_code: str | None
    community_name: str | None
    township_code: str | None
    township_name: str | None
    match: str | None
    edge_distance_m: float | None
    patrol_level: str | None
    unit_id: str | None
    candidate_units: list[UnitSuggestion]
    duplicate_of: list[str]
    escalation_level: int
    escalated_to: Level
    reopened: int
    returned: int
    extensions: int
    extension_hours_pending: float | None
    satisfaction: float | None
    progress_reports: int
    supervisions: int
    supervised_due_at: CstOut | None
    whistle_calls: list[WhistleCall]
    plan_code: str | None = Field(description="启动的应急预案 / the emergency plan started")
    plan_name: str | None
    plan_started_at: CstOut | None
    plan_limit_min: float | None
    emergency_forces: list[EmergencyForce]
    plan_shortfall: list[PlanShortfall]
    plan_late: list[str] = Field(description="超时未到场的单位类型 / kinds not on site in time")
    callback_outcome: Outcome | None
    reported_at: CstOut
    respond_by: CstOut
    progress_by: CstOut
    resolve_by: CstOut
    due_at: CstOut | None
    accepted_at: CstOut | None
    dispatched_at: CstOut | None
    started_at: CstOut | None
    resolved_at: CstOut | None
    verified_at: CstOut | None
    closed_at: CstOut | None
    progress_at: CstOut | None
    callback_at: CstOut | None
    updated_at: CstOut


class ReporterOut(BaseModel):
    """The reporter's contact details: whole for the call-back roles, masked for others."""

    name: str | None
    phone: str | None
    email: str | None
    channel: str | None
    masked: bool


class IncidentDetail(Incident):
    """An incident with its full event history (and its reporter, when one left details)."""

    events: list[EventOut]
    reporter: ReporterOut | None = None


class IncidentPage(BaseModel):
    """A page of incidents, red first by default, with counts per light."""

    items: list[Incident]
    matched: int
    returned: int
    lights: dict[str, int]
    links: list[Link]


class Me(BaseModel):
    """The signed-in person."""

    staff_id: str
    name: str
    role: str
    title: str = Field(description="the role's Chinese name (with a grid worker's grade)")
    grade: str | None
    area_code: str | None
    unit_id: str | None
    grids: list[str]


class Token(BaseModel):
    """A bearer token (OAuth2) and who it is for."""

    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds")
    me: Me
