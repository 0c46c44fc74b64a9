"""The dispatch service: locate, route, set deadlines, run the closed loop.

:class:`Dispatcher` ties the layers, the grid index, the category table, the
working calendar and an incident store together. The HTTP API calls it and
holds no rule of its own; a notebook or a script can call it just the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from gridgis.dispatch.effects import Step, needs_supervision
from gridgis.dispatch.emergencies import EmergencyDesk
from gridgis.dispatch.forces import late_forces
from gridgis.dispatch.rules import allowed_actions, check_transition
from gridgis.dispatch.search import clean_term, named_areas
from gridgis.dispatch.settings import DispatchSettings
from gridgis.dispatch.timing import Deadlines, deadlines_for, light_of, stage_of
from gridgis.errors import (
    AccessDeniedError,
    CategoryError,
    ConflictError,
    InputError,
    OutsideDistrictError,
    TransitionError,
)
from gridgis.incidents.channels import source_of
from gridgis.incidents.names import (
    ESCALATION_LEVELS,
    OPEN_STATES,
    REPORT,
    REPORTER,
    Action,
    Light,
    Role,
    Source,
    State,
)
from gridgis.incidents.record import IncidentRecord
from gridgis.index.grid import GridIndex
from gridgis.layers import Layers
from gridgis.nearest import UnitFinder
from gridgis.people.access import (
    check_action,
    check_report,
    contact_details,
    in_scope,
    permitted_actions,
    scope_of,
)
from gridgis.people.roles import DISPATCHER_LEVEL
from gridgis.people.staff import StaffMember
from gridgis.store.base import Event, IncidentQuery, IncidentStore, Page, Reporter

__all__ = ["Dispatcher", "china_now"]

CST = ZoneInfo("Asia/Shanghai")
METRES_PER_DEGREE = 111_320.0


def china_now() -> dt.datetime:
    """The current wall-clock time in China Standard Time, naive, to the second."""
    return dt.datetime.now(CST).replace(tzinfo=None, microsecond=0)


class Dispatcher(EmergencyDesk):
    """Locate, route and supervise incidents of one district.

    A report whose category starts an emergency plan (应急预案,
    :mod:`gridgis.emergency_plans`) sends the plan's force at once
    (:class:`~gridgis.dispatch.emergencies.EmergencyDesk`).

    Parameters
    ----------
    layers : Layers
        The district (grids, communities, townships, patrol zones, units).
    store : IncidentStore
        Where incidents and their events live.
    index : GridIndex, optional
        A prebuilt (for example cached) index of the layers.
    categories : pandas.DataFrame, optional
        The category table; default :func:`gridgis.load_categories`.
    settings : DispatchSettings, optional
    clock : callable, optional
        Returns "now" (naive China Standard Time); tests and replays set it.
    """

    def __init__(self, layers: Layers, store: IncidentStore, *, index: GridIndex | None = None,
                 categories: pd.DataFrame | None = None,
                 settings: DispatchSettings | None = None,
                 clock: Callable[[], dt.datetime] = china_now) -> None:
        from gridgis.categories import load_categories
        from gridgis.emergency_plans import load_emergency_plans

        if layers.units is None:
            raise CategoryError("the district has no units layer: nothing to dispatch to")
        self.layers = layers
        self.store = store
        self.index = index or GridIndex.from_layers(layers)
        self.categories = load_categories() if categories is None else categories
        self._category_rows: tuple[pd.DataFrame, dict[str, pd.Series]] | None = None
        self.settings = settings or DispatchSettings()
        self.plans = load_emergency_plans(self.settings.plans, categories=self.categories)
        self.clock = clock
        roads = layers.roads
        self.finder = UnitFinder(layers.units, roads=roads if roads is not None and len(roads)
                                 else None)
        self.unit_ids = set(layers.units["unit_id"])
        self._names = {
            **dict(zip(layers.grids["code"], layers.grids["name"], strict=True)),
            **dict(zip(layers.communities["code"], layers.communities["name"], strict=True)),
            **dict(zip(layers.townships["code"], layers.townships["name"], strict=True)),
        }

    # -- locating and routing --------------------------------------------------------------
    def locate(self, lon: float, lat: float, *, crs: str = "wgs84",
               category: str | None = None) -> dict[str, Any]:
        """Where a point falls and who is nearest.

        Parameters
        ----------
        lon, lat : float
            The point, in the system named by ``crs``.
        crs : str, default "wgs84"
            ``wgs84``, ``cgcs2000``, ``gcj02`` (Amap/Tencent) or ``bd09`` (Baidu).
        category : str, optional
            Suggest units of this category's kinds; default the nearest unit
            of every kind.

        Returns
        -------
        dict
            ``lon``/``lat`` (WGS84), codes and names of grid, community and
            township, ``patrol_level``, ``workers``, ``worker_names``,
            ``grid_workers`` (see :meth:`grid_workers`),
            ``match``, ``edge_distance_m``, ``near_edge`` and ``units``.

        Raises
        ------
        CoordinateError
            For a bad coordinate or reference system.
        OutsideDistrictError
            When the point lies outside the district beyond the snap tolerance.
        CategoryError
            For an unknown category.
        """
        loc = self.index.locate(lon, lat, crs=crs)
        out = {
            "lon": round(float(loc.lon), 7), "lat": round(float(loc.lat), 7),
            "input_crs": loc.input_crs if hasattr(loc, "input_crs") else crs,
            "grid_code": loc.grid_code, "grid_name": self._names.get(loc.grid_code),
            "community_code": loc.community_code,
            "community_name": self._names.get(loc.community_code),
            "township_code": loc.township_code,
            "township_name": self._names.get(loc.township_code),
            "patrol_level": loc.patrol_level, "workers": loc.workers,
            "worker_names": loc.worker_names, "match": loc.match,
            "overlap_codes": list(loc.overlap_codes) if loc.overlap_codes else None,
            "edge_distance_m": None if loc.edge_distance_m is None
            or math.isnan(loc.edge_distance_m) else round(float(loc.edge_distance_m), 1),
        }
        out["near_edge"] = out["edge_distance_m"] is not None and out["edge_distance_m"] < 5.0
        out.update(self.grid_workers(loc.grid_code, loc.workers, loc.worker_names))
        out["units"] = self.suggest_units(out["lon"], out["lat"], category=category)
        return out

    def grid_workers(self, grid_code: str | None, workers: int | None = None,
                     worker_names: str | None = None) -> dict[str, Any]:
        """A grid's workers: from the staff directory, else the grid layer's names.

        Parameters
        ----------
        grid_code : str or None
        workers, worker_names : optional
            The grid layer's count and 、-separated names (older files), used
            when the directory has nobody active for the grid.

        Returns
        -------
        dict
            ``grid_workers``: one dict per person (``staff_id``, ``name``,
            ``grade``, ``phone`` masked; the first three None but the name
            for names from the layer), grid heads first; ``workers``: how
            many (informants are listed but, as in the layer, not counted);
            ``worker_names``: their names, 、-separated.
        """
        from gridgis.people.privacy import mask_phone
        from gridgis.people.roles import Grade

        people = [] if grid_code is None else self.store.staff.members(
            grid_code=grid_code, active=True)
        if not people:
            names = [n for n in (worker_names or "").split("、") if n.strip()]
            return {"workers": workers, "worker_names": worker_names, "grid_workers": [
                {"staff_id": None, "name": n.strip(), "grade": None, "phone": None}
                for n in names]}
        rank = {grade: i for i, grade in enumerate(Grade)}
        people.sort(key=lambda m: (rank[m.grade] if m.grade else len(rank), m.staff_id))
        counted = [m for m in people if m.grade is not Grade.INFORMANT]
        return {"workers": len(counted), "worker_names": "、".join(m.name for m in counted),
                "grid_workers": [{"staff_id": m.staff_id, "name": m.name,
                                  "grade": m.grade.value if m.grade else None,
                                  "phone": mask_phone(m.phone)} for m in people]}

    def suggest_units(self, lon: float, lat: float, *, category: str | None = None
                      ) -> list[dict[str, Any]]:
        """Nearest responsible units: ``nearest_k`` of the category's kinds, or one per kind."""
        if category is not None:
            row = self._category(category)
            return self.finder.records(lon, lat, kinds=row["unit_kinds"],
                                       k=self.settings.nearest_k)
        return self.finder.nearest_of_each_kind(lon, lat)

    def _category(self, code: str) -> pd.Series:
        table = self.categories
        rows = self._category_rows
        if rows is None or rows[0] is not table:  # a row by code without pandas' .loc per call
            rows = self._category_rows = (table, {c: table.loc[c] for c in table.index})
        if code not in rows[1]:
            raise CategoryError(f"unknown category {code!r}; categories are "
                                f"{', '.join(table.index)}")
        return rows[1][code]

    # -- the closed loop ------------------------------------------------------------------
    def report(self, *, lon: float, lat: float, category: str, description: str,
               source: str = Source.APP, crs: str = "wgs84", reported_at: dt.datetime | None = None,
               actor: str = REPORTER, idempotency_key: str | None = None,
               by: StaffMember | None = None, reporter: Reporter | None = None,
               client: str | None = None) -> tuple[dict[str, Any], bool]:
        """Record a new report: locate it, route it, set its deadlines.

        ``by`` is the signed-in person reporting (then the event's actor and
        role are theirs, and the point must lie in their jurisdiction);
        ``reporter`` the personal data of a citizen who reported, stored apart
        from the incident; ``client`` the address the report came from.

        Returns
        -------
        (dict, bool)
            The stored incident (as :meth:`incident` shows it) and whether it
            was created now (``False``: the idempotency key was seen before).

        Raises
        ------
        CategoryError, CoordinateError, OutsideDistrictError
            For an unknown category, bad coordinates or a point outside the
            district.
        InputError
            For an unknown source, an empty description, or a report time in
            the future or older than ``oldest_report_days`` (its ``field``
            names the argument).
        """
        row = self._category(category)
        source = source_of(source)  # the field's names too: "12345", "微信", "网格员"…
        if not description or not description.strip():
            raise InputError("描述为空 / the description is empty; say what was found",
                             field="description")
        now = self.clock()
        at = reported_at or now
        shown = at.isoformat(sep=" ", timespec="minutes")
        if at > now + dt.timedelta(minutes=5):
            raise InputError(f"上报时间晚于当前时间 / reported_at {shown} lies in the future",
                             field="reported_at")
        oldest = self.settings.oldest_report_days
        if at < now - dt.timedelta(days=oldest):
            raise InputError(f"上报时间早于 {oldest} 天前 / reported_at {shown} lies more than "
                             f"{oldest} days back", field="reported_at")
        loc = self.locate(lon, lat, crs=crs, category=category)
        role = REPORTER
        if by is not None:
            check_report(by, loc)
            actor, role = by.staff_id, by.role.value
        due = deadlines_for(at, row, calendar=self.settings.calendar)
        plan, started = self.start_plan(category, loc["lon"], loc["lat"], at)
        record = IncidentRecord(
            lon=loc["lon"], lat=loc["lat"], input_crs=loc["input_crs"],
            input_lon=float(lon), input_lat=float(lat), category=category,
            priority=row["priority"], platform=row["platform"],
            description=description.strip(), source=Source(source),
            grid_code=loc["grid_code"], community_code=loc["community_code"],
            township_code=loc["township_code"], match=loc["match"],
            edge_distance_m=loc["edge_distance_m"], patrol_level=loc["patrol_level"],
            candidate_units=loc["units"],
            duplicate_of=self._duplicates(category, loc["lon"], loc["lat"], at),
            reported_at=at, respond_by=due.respond_by, progress_by=due.progress_by,
            resolve_by=due.resolve_by, **self.stage(at, due.respond_by), **plan,
        )
        event = Event(at=at, actor=actor, role=role, action=REPORT, from_state=None,
                      to_state=State.REPORTED.value, note=None,
                      data={"source": source, "input_crs": loc["input_crs"], **started},
                      client=client)
        stored, created = self.store.create(record, event, idempotency_key=idempotency_key,
                                            reporter=reporter)
        return self.decorate(stored, now, person=by), created

    def _duplicates(self, category: str, lon: float, lat: float, at: dt.datetime) -> list[str]:
        r = self.settings.duplicate_radius_m
        dlat = r / METRES_PER_DEGREE
        dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
        near = self.store.open_near(category=category,
                                    bbox=(lon - dlon, lat - dlat, lon + dlon, lat + dlat),
                                    since=at - self.settings.duplicate_window)
        out = []
        for other in near:
            dx = (other["lon"] - lon) * METRES_PER_DEGREE * math.cos(math.radians(lat))
            dy = (other["lat"] - lat) * METRES_PER_DEGREE
            if math.hypot(dx, dy) <= r:
                out.append(other["incident_id"])
        return sorted(out)

    def stage(self, start: dt.datetime, due: dt.datetime | None) -> dict[str, Any]:
        """The clock of a stage that begins at ``start`` and is due at ``due``.

        Parameters
        ----------
        start : datetime
            When the stage begins.
        due : datetime or None
            Its deadline; None for a stage without a time limit (no light).

        Returns
        -------
        dict
            ``stage_started_at``, ``yellow_at`` (when the light turns yellow,
            after ``yellow_share`` of the limit, counted on the calendar when
            there is one) and ``due_at``: the record fields of the stage.
        """
        if due is None:
            return {"stage_started_at": start, "yellow_at": None, "due_at": None}
        share = self.settings.yellow_share
        cal = self.settings.calendar
        if cal is None:
            yellow = start + (due - start) * share
        else:
            yellow = cal.add(start, cal.elapsed(start, due) * share)
        return {"stage_started_at": start, "yellow_at": yellow.replace(microsecond=0),
                "due_at": due}

    def deadlines(self, start: dt.datetime, category: str) -> Deadlines:
        """The category's deploy, progress and resolve deadlines counted from ``start``.

        Working time on the district's calendar (urgent matters count
        calendar time), as for a new report.
        """
        return deadlines_for(start, self._category(category), calendar=self.settings.calendar)

    def grid_at(self, lon: float, lat: float, crs: str = "wgs84") -> str | None:
        """The grid a point falls in, None when it lies outside the district.

        Raises
        ------
        CoordinateError
            For a bad coordinate or reference system.
        """
        try:
            return self.index.locate(lon, lat, crs=crs).grid_code
        except OutsideDistrictError:
            return None

    @staticmethod
    def metres_between(lon: float, lat: float, crs: str, lon2: float, lat2: float) -> float:
        """Geodesic metres from a point in ``crs`` to a WGS84 point (on the CGCS2000 ellipsoid)."""
        from pyproj import Geod

        from gridgis.crs import to_wgs84

        x, y = to_wgs84(lon, lat, crs) if crs not in ("wgs84", "cgcs2000") else (lon, lat)
        return float(Geod(ellps="GRS80").inv(float(x), float(y), lon2, lat2)[2])

    def unit_kind(self, unit_id: str) -> str | None:
        """The kind of a unit of the district (None for an unknown one)."""
        kinds = self.layers.units.set_index("unit_id")["kind"]
        return str(kinds[unit_id]) if unit_id in kinds.index else None

    def returned_unit(self, incident_id: str) -> str | None:
        """The unit that last returned the incident (退回), None when none did."""
        for event in reversed(self.store.events(incident_id)):
            if event["action"] == Action.RETURN:
                return (event["data"] or {}).get("unit_id")
        return None

    def photos_since(self, incident_id: str, stage: str, since: dt.datetime | None) -> int:
        """How many photos (images, not videos) of ``stage`` the incident got since ``since``."""
        return sum(1 for a in self.store.attachments.of(incident_id)
                   if a["stage"] == stage and a["kind"] == "image"
                   and (since is None or a["uploaded_at"] >= since))

    def transition(self, incident_id: str, *, action: str, actor: str | None = None,
                   role: str | None = None, note: str | None = None,
                   version: int | None = None, unit_id: str | None = None,
                   satisfaction: float | None = None, hours: float | None = None,
                   at: dt.datetime | None = None, by: StaffMember | None = None,
                   client: str | None = None, unit_ids: list[str] | None = None,
                   place: str | None = None, staff: str | None = None,
                   lon: float | None = None, lat: float | None = None, crs: str = "wgs84",
                   outcome: str | None = None, kind: str | None = None,
                   category: str | None = None) -> dict[str, Any]:
        """Move an incident through the closed loop.

        Parameters
        ----------
        incident_id : str
        action : str
            One of :class:`gridgis.dispatch.Action`.
        actor, role : str, optional
            Who acts and in which role (:class:`gridgis.dispatch.Role`), for
            callers without a signed-in person (replays, the supervision sweep).
        by : StaffMember, optional
            The signed-in person acting: the access table
            (:data:`gridgis.people.ACCESS`) must let them take the action on
            this incident, and the event records them (``actor``/``role`` are
            then not given).
        client : str, optional
            The address the request came from, kept in the event.
        note : str, optional
            Required for rejections, returns, progress reports, reopenings,
            shelving, escalation, whistles and extension requests.
        version : int, optional
            The version the caller saw; a newer one means someone else acted
            first (ConflictError). Default: the current version.
        unit_id : str, optional
            The unit to dispatch to (``dispatch``).
        satisfaction : float, optional
            Call-back satisfaction 1–5 (``callback``; optional for ``close``).
        outcome : str, optional
            ``callback``: ``reached`` (default) or ``unreachable``.
        hours : float, optional
            Extension asked for (``request_extension``); report-in limit of a
            ``whistle`` (default ``report_in_within``).
        unit_ids : list of str, optional
            The departments a ``whistle`` calls in.
        place, staff : str, optional
            Where and who reported in (``report_in``; the unit is the signed-in
            person's, or ``unit_id``).
        lon, lat, crs : optional
            The verifier's position (``verify``: on site, in the incident's grid);
            a unit's position on arrival (``arrive``: near the incident).
        kind : str, optional
            The unit kind a ``reinforce`` (增派) adds (or name the unit: ``unit_id``);
            the responsible department a ``reroute`` (改派) goes to.
        category : str, optional
            The new category of a ``reroute`` (改派, default: kept); the unit
            (``unit_id``) must be of one of its kinds, the reason is the ``note``.
            ``depart``/``arrive`` (出发/到场) are the signed-in person's unit's (or
            ``unit_id``'s); ``release`` (收队) releases ``unit_id``, or the whole force.
        at : datetime, optional
            When the action was taken, for steps recorded afterwards (an
            archive loaded into the store); default now. Neither before the
            incident's last change nor in the future.

        Returns
        -------
        dict
            The updated incident.

        Raises
        ------
        TransitionError, ConflictError, IncidentNotFoundError, AccessDeniedError
        """
        if by is not None and (actor is not None or role is not None):
            raise TypeError("give either by (a signed-in person) or actor and role")
        now = self.clock() if at is None else at
        if at is not None and at > self.clock() + dt.timedelta(minutes=5):
            raise TransitionError(f"动作时间晚于当前时间 / at {at:%Y-%m-%d %H:%M} lies in the "
                                  "future")
        stored_row = self.store.get(incident_id)
        current = IncidentRecord.from_row(stored_row)
        if by is not None:  # whoever may take the action reads the incident too
            check_action(by, action, stored_row)
            actor, role = by.staff_id, by.role.value
            if action in (Action.REPORT_IN, Action.DEPART, Action.ARRIVE):
                unit_id = by.unit_id
        elif actor is None or role is None:
            raise TypeError("give either by (a signed-in person) or actor and role")
        if version is not None and version != current.version:
            raise ConflictError(f"incident {incident_id} is at version {current.version}, "
                                f"not {version}; reload it and try again")
        rule = check_transition(current.status, action, role,
                                escalation_level=current.escalation_level,
                                extension_pending=current.extension_hours_pending is not None)
        inputs = {"unit_id": unit_id, "satisfaction": satisfaction, "hours": hours,
                  "unit_ids": unit_ids, "place": place, "staff": staff, "lon": lon, "lat": lat,
                  "crs": crs, "outcome": outcome, "kind": kind, "category": category}
        rule.check_inputs(note=note, **inputs)
        inputs["note"] = note
        if current.updated_at is not None and now < current.updated_at:
            raise TransitionError("the clock is behind the incident's last change")
        changes: dict[str, Any] = {}
        data: dict[str, Any] = {}
        step = Step(current=current, now=now, inputs=inputs, district=self,
                    signed_in=by is not None)
        for effect in rule.effects:
            changed, said = effect(step)
            changes |= changed
            data |= said
        if rule.target is not None:  # an effect may decide otherwise (a dissatisfied call back)
            changes.setdefault("status", rule.target.value)
        to_state = State(changes.get("status", current.status))
        event = Event(at=now, actor=actor, role=role, action=rule.action.value,
                      from_state=current.status.value, to_state=to_state.value, note=note,
                      data=data, client=client)
        stored = self.store.update(incident_id, expected_version=current.version,
                                   changes=changes, event=event)
        return self.decorate(stored, now, person=by)

    def supervise(self, *, run_by: str | None = None) -> list[dict[str, Any]]:
        """督办: notify the level above of every overdue stage, report-in and arrival, once.

        Each incident whose current stage is overdue and not yet supervised,
        whose whistled departments are past their report-in limit, or whose
        emergency plan has units not on site within their limit, gets one
        ``supervise`` event (actor ``supervision``), which is the notice the
        level above reads (:meth:`notices`); the matter stays with its holder.
        A second pass finds nothing new until another stage runs over.

        Parameters
        ----------
        run_by : str, optional
            The person who started the pass, named in each event's note.

        Returns
        -------
        list of dict
            The incidents supervised by this pass.
        """
        now = self.clock()
        out = []
        note = f"督办扫描 / supervision run by {run_by}" if run_by else None
        seen: set[str] = set()
        for query in (IncidentQuery(now=now, light=(Light.RED,), limit=100_000),
                      IncidentQuery(now=now, status=tuple(OPEN_STATES), whistled=True,
                                    limit=100_000)):
            for item in self.store.query(query).items:
                if item["incident_id"] in seen or not needs_supervision(
                        IncidentRecord.from_row(item), now):
                    continue
                seen.add(item["incident_id"])
                out.append(self.transition(item["incident_id"], action=Action.SUPERVISE,
                                           actor="supervision", role=Role.COMMAND_CENTRE,
                                           note=note))
        return out

    def notices(self, person: StaffMember, *, limit: int = 200) -> list[dict[str, Any]]:
        """Supervision notices addressed to ``person``'s level in their area, newest first.

        A township dispatcher reads the notices on matters its communities
        hold (and on those it holds itself when the county is above it only
        for what the county holds); the county reads those on matters the
        townships and the county hold.

        Returns
        -------
        list of dict
            ``incident_id``, ``at``, ``to`` (the level notified), ``due_at`` of
            the overdue stage, ``late_units`` (departments past their
            report-in limit), the incident's codes, category and status.
        """
        level = DISPATCHER_LEVEL.get(person.role)
        if level is None or not person.active or not person.area_code:
            return []
        mine = ESCALATION_LEVELS[level].value
        rows = self.store.events_of(Action.SUPERVISE, area_codes=(person.area_code,),
                                    limit=limit)
        out = []
        for r in rows:
            data = r["data"] or {}
            if data.get("to") != mine:
                continue
            out.append({"incident_id": r["incident_id"], "at": r["at"], "to": mine,
                        "due_at": data.get("due_at"), "late_units": data.get("late_units", []),
                        "late_forces": data.get("late_forces", []),
                        **{k: r[k] for k in ("grid_code", "community_code", "township_code",
                                             "category", "status")}})
        return out

    # -- reading ---------------------------------------------------------------------------
    def decorate(self, record: dict[str, Any], now: dt.datetime | None = None, *,
                 person: StaffMember | None = None) -> dict[str, Any]:
        """Add the light, names and allowed actions (those ``person`` may take) to a record."""
        now = now or self.clock()
        out = dict(record)
        out.pop("idempotency_key", None)
        if late_forces(record, now):  # a plan's unit is not on site in time: red (1-3-5)
            out["light"] = Light.RED
        elif out.get("due_at") is None:
            out["light"] = Light.NONE
        else:
            out["light"] = light_of(now, out["stage_started_at"], out["due_at"],
                                    yellow_share=self.settings.yellow_share,
                                    calendar=self.settings.calendar)
        out["escalated_to"] = ESCALATION_LEVELS[out["escalation_level"]]
        out["stage"] = stage_of(out["status"], out.get("progress_at"))
        out["whistle_calls"] = [self._call_light(c, now) for c in out.get("whistle_calls") or ()]
        out.update(self.plan_view(record, now))
        out["allowed_actions"] = self.plan_actions(record, allowed_actions(
            out["status"], extension_pending=out.get("extension_hours_pending") is not None),
            now, person)
        overdue = out["light"] == Light.RED or bool(record.get("whistle_calls"))
        if Action.SUPERVISE in out["allowed_actions"] and not (overdue and needs_supervision(
                IncidentRecord.from_row(record), now)):  # nothing overdue to supervise
            out["allowed_actions"].remove(Action.SUPERVISE)
        if Action.REROUTE in out["allowed_actions"] and not (
                record.get("returned") and record.get("unit_id") is None):
            out["allowed_actions"].remove(Action.REROUTE)  # 改派 follows a return (退回)
        if person is not None:
            out["allowed_actions"] = permitted_actions(person, record, out["allowed_actions"])
        for key in ("grid", "community", "township"):
            out[f"{key}_name"] = self._names.get(out.get(f"{key}_code"))
        return out

    def _call_light(self, call: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """A whistle call with its light: none once reported in, else on its report-in limit."""
        if call.get("reported_in_at") is not None:
            return {**call, "light": Light.NONE}
        called, due = (dt.datetime.fromisoformat(call[k]) for k in ("called_at", "due_at"))
        return {**call, "light": light_of(now, called, due,
                                          yellow_share=self.settings.yellow_share)}

    def incident(self, incident_id: str, *, events: bool = True,
                 person: StaffMember | None = None) -> dict[str, Any]:
        """One incident with its light and (unless ``events`` is False) its event history.

        ``person`` given, the incident must lie in their jurisdiction and the
        allowed actions are those they may take.

        Raises
        ------
        IncidentNotFoundError
            When there is no such incident.
        AccessDeniedError
            When it lies outside ``person``'s jurisdiction.
        """
        row = self.store.get(incident_id)
        if person is not None and not in_scope(person, row):
            raise AccessDeniedError(f"事件 {incident_id} 不在您的辖区 / incident {incident_id} "
                                    "is outside your jurisdiction")
        out = self.decorate(row, person=person)
        if events:
            out["events"] = self.store.events(incident_id)
        if person is not None:
            reporter = self.store.reporter(incident_id)
            out["reporter"] = contact_details(person, None if reporter is None
                                              else dataclasses.asdict(reporter))
        return out

    def incidents(self, *, person: StaffMember | None = None, **filters: Any) -> Page:
        """List incidents (see :class:`gridgis.store.IncidentQuery` for the filters).

        ``person`` given, only those of their jurisdiction
        (:func:`gridgis.people.scope_of`), with the actions they may take. ``text``
        searches ids, grid codes, descriptions and area names
        (:mod:`gridgis.dispatch.search`).
        """
        now = self.clock()
        filters["text"] = clean_term(filters.get("text"))
        if filters["text"]:
            filters["text_codes"] = named_areas(filters["text"], self._names)
        if person is not None:
            scope = scope_of(person)
            if scope.empty:
                return Page(items=[], matched=0, lights={light: 0 for light in Light})
            filters |= {"area_codes": scope.area_codes, "unit_ids": scope.unit_ids}
        page = self.store.query(IncidentQuery(now=now, **filters))
        return Page(items=[self.decorate(i, now, person=person) for i in page.items],
                    matched=page.matched, lights=page.lights)

