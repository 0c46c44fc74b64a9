"""What each action of the loop changes, as small named effects the rules table lists.

An effect takes a :class:`Step` (the incident before the action, the moment,
the caller's inputs and the district running the loop) and returns the record
fields it changes and the data it adds to the event. The table in
:mod:`gridgis.dispatch.rules` names the effects of every action; the service
applies the target state and the effects in order, and holds no per-action
rule of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from gridgis.dispatch.forces import late_forces
from gridgis.errors import MissingInputError, TransitionError
from gridgis.incidents.names import ESCALATION_LEVELS, Outcome, State
from gridgis.incidents.record import IncidentRecord

if TYPE_CHECKING:
    from gridgis.dispatch.settings import DispatchSettings
    from gridgis.dispatch.timing import Deadlines

__all__ = [
    "District",
    "Effect",
    "Result",
    "Step",
    "assign_unit",
    "call_back",
    "call_units",
    "check_on_site",
    "check_verify_photo",
    "clear",
    "count",
    "decide_extension",
    "grant_extension",
    "needs_supervision",
    "raise_level",
    "record_report_in",
    "record_satisfaction",
    "release_unit",
    "report_progress",
    "request_extension",
    "restart_resolve_limit",
    "stage_ends",
    "stage_redeploy",
    "stage_review",
    "stage_to_progress",
    "stage_within",
    "stamp",
    "start_once",
    "supervise_overdue",
]


class District(Protocol):
    """What effects need of the service running the loop (a :class:`Dispatcher`)."""

    settings: DispatchSettings
    unit_ids: set[str]
    categories: pd.DataFrame

    def stage(self, start: dt.datetime, due: dt.datetime | None) -> dict[str, Any]:
        """The record fields of a stage beginning at ``start``, due at ``due``."""

    def deadlines(self, start: dt.datetime, category: str) -> Deadlines:
        """The category's three deadlines counted from ``start`` (on the district's calendar)."""

    def grid_at(self, lon: float, lat: float, crs: str) -> str | None:
        """The grid a point falls in (None outside the district)."""

    def metres_between(self, lon: float, lat: float, crs: str, lon2: float, lat2: float
                       ) -> float:
        """Metres from a point (in ``crs``) to a WGS84 point."""

    def photos_since(self, incident_id: str, stage: str, since: dt.datetime | None) -> int:
        """How many photos of ``stage`` the incident got since ``since``."""

    def available_units(self, lon: float, lat: float, *, kind: str | None, count: int,
                        now: dt.datetime, unit_id: str | None = None,
                        exclude: set[str] | frozenset[str] = frozenset(),
                        incident_id: str | None = None) -> list[dict[str, Any]]:
        """The nearest units of ``kind`` by travel time not committed to an open plan."""

    def arrive_limit(self, plan_code: str, kind: str) -> float:
        """Minutes a unit of ``kind`` has to be on site under the plan."""

    def kind_name(self, kind: str | None) -> str:
        """The Chinese name of a unit kind."""


@dataclass(frozen=True, slots=True)
class Step:
    """What an effect sees: the record before the action, the moment, inputs, the district."""

    current: IncidentRecord
    now: dt.datetime
    inputs: Mapping[str, Any]
    district: District
    signed_in: bool = False  # a person acts (not an archive's step or the sweep)


Result = tuple[dict[str, Any], dict[str, Any]]
"""Record fields changed, and data for the event."""
Effect = Callable[[Step], Result]


def _named(name: str, fn: Effect) -> Effect:
    fn.__name__ = fn.__qualname__ = name
    return fn


# -- generic effects ----------------------------------------------------------------------
def stamp(field: str) -> Effect:
    """Set ``field`` (a milestone such as ``accepted_at``) to the moment of the action."""
    return _named(f"stamp({field})", lambda s: ({field: s.now}, {}))


def clear(*fields: str) -> Effect:
    """Empty ``fields``."""
    return _named(f"clear{fields}", lambda s: (dict.fromkeys(fields), {}))


def count(field: str) -> Effect:
    """Add one to the counter ``field`` (``reopened``, ``returned``)."""
    return _named(f"count({field})",
                  lambda s: ({field: getattr(s.current, field) + 1}, {}))


def stage_within(setting: str) -> Effect:
    """A new stage from now, due after the district's ``setting`` (a timedelta)."""
    def effect(s: Step) -> Result:
        return s.district.stage(s.now, s.now + getattr(s.district.settings, setting)), {}
    return _named(f"stage_within({setting})", effect)


# -- effects of one meaning ---------------------------------------------------------------
def stage_to_progress(s: Step) -> Result:
    """Dispatched: the stage runs to the progress deadline (1-3-0's "3")."""
    return s.district.stage(s.now, max(s.current.progress_by, s.now)), {}


def stage_redeploy(s: Step) -> Result:
    """Returned: the matter is to be deployed again within the category's deploy limit."""
    due = s.district.deadlines(s.now, s.current.category).respond_by
    return s.district.stage(s.now, due), {"respond_by": due.isoformat()}


def stage_review(s: Step) -> Result:
    """Shelved: the matter stays on the board, to be reviewed within ``shelved_review``."""
    return s.district.stage(s.now, s.now + s.district.settings.shelved_review), {}


def stage_ends(s: Step) -> Result:
    """No stage runs any more (closed or rejected): no deadline, no light."""
    return s.district.stage(s.now, None), {}


def assign_unit(s: Step) -> Result:
    """The matter goes to the unit named by the ``unit_id`` input, which must exist."""
    unit_id = s.inputs["unit_id"]
    if unit_id not in s.district.unit_ids:
        raise TransitionError(f"未知单位 {unit_id!r} / unknown unit {unit_id!r}")
    return {"unit_id": unit_id}, {"unit_id": unit_id}


def release_unit(s: Step) -> Result:
    """The unit gives the matter back; the event keeps which unit it was."""
    return {"unit_id": None}, {"unit_id": s.current.unit_id}


def start_once(s: Step) -> Result:
    """Work starts now unless it started before (a reopened matter keeps its start)."""
    return {"started_at": s.current.started_at or s.now}, {}


def report_progress(s: Step) -> Result:
    """A progress report: counted, the first one stamped; the stage runs to the resolve limit.

    1-3-0: after the progress report the matter has no further step limit
    of its own ("0": followed until cleared); the category's resolve limit
    lights it.
    """
    changes = {"progress_at": s.current.progress_at or s.now,
               "progress_reports": s.current.progress_reports + 1,
               "started_at": s.current.started_at or s.now}
    return changes | s.district.stage(s.now, max(s.current.resolve_by, s.now)), {}


def request_extension(s: Step) -> Result:
    """Ask for the ``hours`` input of extra time, within the district's longest extension."""
    hours, longest = s.inputs["hours"], s.district.settings.max_extension_hours
    if not 0 < hours <= longest:
        raise TransitionError(f"延期小时数须在 0 到 {longest:g} 之间 / hours must lie between 0 "
                              f"and {longest:g}")
    return {"extension_hours_pending": float(hours)}, {"hours": float(hours)}


def grant_extension(s: Step) -> Result:
    """The resolve deadline moves by the hours asked for (and the stage, when it is that one)."""
    hours = s.current.extension_hours_pending
    new_due = s.current.resolve_by + dt.timedelta(hours=hours)
    changes: dict[str, Any] = {"extensions": s.current.extensions + 1, "resolve_by": new_due}
    if s.current.due_at == s.current.resolve_by:  # the resolve stage runs: its clock moves
        changes |= s.district.stage(s.current.stage_started_at, new_due)
    return changes, {"hours": hours, "resolve_by": new_due.isoformat()}


decide_extension = clear("extension_hours_pending")
"""The pending request is decided (granted or denied)."""


def restart_resolve_limit(s: Step) -> Result:
    """The category's full resolve limit starts again from now (resumed or reopened)."""
    new_due = s.district.deadlines(s.now, s.current.category).resolve_by
    return ({"resolve_by": new_due, **s.district.stage(s.now, new_due)},
            {"resolve_by": new_due.isoformat()})


def record_satisfaction(s: Step) -> Result:
    """Keep a ``satisfaction`` input, 1 to 5, when one is given (closing without a call back)."""
    satisfaction = s.inputs.get("satisfaction")
    if satisfaction is None:
        return {}, {}
    if not 1 <= satisfaction <= 5:
        raise TransitionError("满意度须为 1 到 5 / satisfaction is 1 to 5")
    return {"satisfaction": float(satisfaction)}, {"satisfaction": float(satisfaction)}


def check_on_site(s: Step) -> Result:
    """The verifier stands in the incident's grid, or within ``on_site_m`` of its point.

    The ``lon``/``lat`` inputs (in the ``crs`` input's system) are where the
    grid worker's phone is; the event keeps them (核查留痕).
    """
    lon, lat, crs = s.inputs["lon"], s.inputs["lat"], s.inputs.get("crs") or "wgs84"
    grid = s.district.grid_at(lon, lat, crs)
    metres = s.district.metres_between(lon, lat, crs, s.current.lon, s.current.lat)
    limit = s.district.settings.on_site_m
    if grid != s.current.grid_code and metres > limit:
        raise TransitionError(
            f"核查位置不在事件所在网格 {s.current.grid_code}（相距 {metres:.0f} 米），"
            "须到现场核查 / "
            f"verification is on site: the position lies in grid {grid}, {metres:.0f} m from "
            f"the incident (in its grid or within {limit:g} m)")
    return {}, {"lon": float(lon), "lat": float(lat), "crs": crs, "grid_code": grid,
                "distance_m": round(metres, 1)}


def check_verify_photo(s: Step) -> Result:
    """On-site verification shows the site: a verify-stage photo since the matter was resolved.

    Asked of a signed-in person when the district's ``verify_photo`` is on;
    steps loaded from an archive record the past as it was.
    """
    if not (s.signed_in and s.district.settings.verify_photo):
        return {}, {}
    if s.district.photos_since(s.current.incident_id, "verify", s.current.resolved_at) < 1:
        raise MissingInputError("核查须先上传现场照片（核查阶段） / verification on site needs a "
                                "photo of the site: upload one with stage verify first",
                                field="photo")
    return {}, {"photo": True}


def call_back(s: Step) -> Result:
    """The call back's result: satisfied closes the matter, dissatisfied reopens it.

    ``outcome`` ``reached`` needs ``satisfaction`` 1–5; below the district's
    ``satisfied_from`` the matter reopens with the category's full resolve
    limit (and the reopening is counted). ``unreachable`` (回访未接通) closes
    it without a rating.
    """
    outcome, satisfaction = s.inputs.get("outcome") or Outcome.REACHED, s.inputs.get(
        "satisfaction")
    if outcome not in set(Outcome):
        raise TransitionError(f"回访结果须为 {'、'.join(Outcome)} / outcome is one of "
                              f"{', '.join(Outcome)}")
    changes: dict[str, Any] = {"callback_at": s.now, "callback_outcome": str(outcome)}
    data: dict[str, Any] = {"outcome": str(outcome)}
    if outcome == Outcome.UNREACHABLE:
        return changes | {"closed_at": s.now, **s.district.stage(s.now, None)}, data
    if satisfaction is None or not 1 <= satisfaction <= 5:
        raise TransitionError("回访须记录满意度 1 到 5 / a call back that reached the reporter "
                              "records satisfaction 1 to 5")
    changes["satisfaction"] = float(satisfaction)
    data["satisfaction"] = float(satisfaction)
    if satisfaction >= s.district.settings.satisfied_from:
        return changes | {"closed_at": s.now, **s.district.stage(s.now, None)}, data
    reopened, said = restart_resolve_limit(s)
    return changes | reopened | {
        "status": State.REOPENED.value, "reopened": s.current.reopened + 1,
        "resolved_at": None, "verified_at": None}, data | said | {"reopened": True}


def raise_level(s: Step) -> Result:
    """The next level up holds the matter, with fresh deadlines: it is deployed again there.

    The unit the lower level had dispatched to is released (the new holder
    dispatches to its own departments); respond, progress and resolve limits
    count from now.
    """
    level = s.current.escalation_level + 1
    due = s.district.deadlines(s.now, s.current.category)
    return ({"escalation_level": level, "unit_id": None, "respond_by": due.respond_by,
             "progress_by": due.progress_by, "resolve_by": due.resolve_by,
             "progress_at": None, **s.district.stage(s.now, due.respond_by)},
            {"to": ESCALATION_LEVELS[level].value, "from_unit": s.current.unit_id,
             "resolve_by": due.resolve_by.isoformat()})


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def call_units(s: Step) -> Result:
    """吹哨: the named departments are called to report in at the community within ``hours``.

    The matter's holder and state do not change. Each call is kept on the
    record (``whistle_calls``): unit, when called, report-in deadline,
    reason; a unit already called and not yet reported in is not called twice.
    """
    units = list(dict.fromkeys(s.inputs["unit_ids"] or ()))
    settings = s.district.settings
    if not units:
        raise TransitionError("吹哨须点名至少一个部门 / a whistle names at least one department")
    if len(units) > settings.whistle_max_units:
        raise TransitionError(f"一次吹哨最多点名 {settings.whistle_max_units} 个部门 / at most "
                              f"{settings.whistle_max_units} departments per whistle")
    unknown = [u for u in units if u not in s.district.unit_ids]
    if unknown:
        raise TransitionError(f"未知单位 {'、'.join(unknown)} / unknown units {', '.join(unknown)}")
    waiting = {c["unit_id"] for c in s.current.whistle_calls if c.get("reported_in_at") is None}
    again = [u for u in units if u in waiting]
    if again:
        raise TransitionError(f"{'、'.join(again)} 已被吹哨、尚未报到 / already called and not "
                              f"yet reported in: {', '.join(again)}")
    hours = s.inputs.get("hours") or settings.report_in_within.total_seconds() / 3600
    if not 0 < hours <= settings.max_extension_hours:
        raise TransitionError(f"报到时限须在 0 到 {settings.max_extension_hours:g} 小时之间 / the "
                              "report-in limit is out of range")
    due = s.now + dt.timedelta(hours=hours)
    calls = [{"unit_id": u, "called_at": _iso(s.now), "due_at": _iso(due),
              "reason": s.inputs.get("note"), "reported_in_at": None, "place": None,
              "staff": None, "supervised": False} for u in units]
    return ({"whistle_calls": [*s.current.whistle_calls, *calls]},
            {"unit_ids": units, "due_at": _iso(due)})


def record_report_in(s: Step) -> Result:
    """报到: the unit's waiting call is answered (time, place, staff); late when past due."""
    unit, calls = s.inputs["unit_id"], [dict(c) for c in s.current.whistle_calls]
    waiting = [c for c in calls if c["unit_id"] == unit and c.get("reported_in_at") is None]
    if not waiting:
        raise TransitionError(f"单位 {unit} 没有待报到的吹哨 / unit {unit} has no call waiting "
                              "for its report-in")
    call = waiting[0]
    call |= {"reported_in_at": _iso(s.now), "place": s.inputs["place"],
             "staff": s.inputs["staff"], "late": s.now > dt.datetime.fromisoformat(
                 call["due_at"])}
    return {"whistle_calls": calls}, {"unit_id": unit, "place": s.inputs["place"],
                                      "staff": s.inputs["staff"], "late": call["late"]}


def supervise_overdue(s: Step) -> Result:
    """督办: notice to the level above of an overdue stage, report-ins or arrivals, once each.

    The stage is marked supervised (``supervised_due_at``), so the same
    overdue stage is never supervised twice; overdue report-in calls and the
    units of an emergency plan's force not on site within their limit are
    marked too. Nothing changes hands: escalation is a separate act.
    """
    overdue_stage = (s.current.due_at is not None and s.current.due_at < s.now
                     and s.current.supervised_due_at != s.current.due_at)
    calls = [dict(c) for c in s.current.whistle_calls]
    late_units = []
    for call in calls:
        if (call.get("reported_in_at") is None and not call.get("supervised")
                and dt.datetime.fromisoformat(call["due_at"]) < s.now):
            call["supervised"] = True
            late_units.append(call["unit_id"])
    forces = [dict(f) for f in s.current.emergency_forces]
    late_forces_ = []
    for force in forces:
        if force in late_forces(s.current, s.now, unsupervised=True):
            force["supervised"] = True
            late_forces_.append(force["unit_id"])
    if not overdue_stage and not late_units and not late_forces_:
        raise TransitionError("没有需要督办的超期环节 / nothing overdue is waiting for "
                              "supervision")
    level = min(s.current.escalation_level + 1, len(ESCALATION_LEVELS) - 1)
    changes: dict[str, Any] = {"supervisions": s.current.supervisions + 1}
    data: dict[str, Any] = {"to": ESCALATION_LEVELS[level].value}
    if overdue_stage:
        changes["supervised_due_at"] = s.current.due_at
        data["due_at"] = _iso(s.current.due_at)
    if late_units:
        changes["whistle_calls"] = calls
        data["late_units"] = late_units
    if late_forces_:
        changes["emergency_forces"] = forces
        data["late_forces"] = late_forces_
    return changes, data


def needs_supervision(record: IncidentRecord, now: dt.datetime) -> bool:
    """Whether :func:`supervise_overdue` would find something (the sweep asks first)."""
    if record.due_at is not None and record.due_at < now and \
            record.supervised_due_at != record.due_at:
        return True
    return any(c.get("reported_in_at") is None and not c.get("supervised")
               and dt.datetime.fromisoformat(c["due_at"]) < now
               for c in record.whistle_calls) or bool(late_forces(record, now,
                                                                  unsupervised=True))
