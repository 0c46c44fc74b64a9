"""The force of an emergency plan (应急预案, "1-3-5"): its units, their departure and arrival.

A report whose category starts a plan (:mod:`gridgis.emergency_plans`) is
sent, per required kind, the nearest available units by travel time; each
unit of the force is one dict in the record's ``emergency_forces``:

``unit_id``, ``name``, ``kind``, ``dispatched_at``, ``due_at`` (dispatch plus
the kind's arrival limit), ``eta_min`` and ``distance_m`` (what the finder
estimated), ``eta_source`` (``network``: road travel time; ``estimate``:
straight-line metres at the district's ``plan_speed_kmh``), ``departed_at``,
``arrived_at``, ``released_at``, ``late`` (arrived after ``due_at``; None
until it arrives), ``supervised`` (督办 of its lateness sent) and
``reinforced`` (added later by the holder, 增派).

The effects here are the ones the rules table names for ``depart`` (出发),
``arrive`` (到场), ``release`` (收队) and ``reinforce`` (增派); none changes the
matter's state or holder: the loop goes on beside the plan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from gridgis.errors import InputError, MissingInputError, TransitionError
from gridgis.incidents.names import CLOSED_STATES, FORCE_STATUS_NAMES, ForceStatus

if TYPE_CHECKING:
    from gridgis.dispatch.effects import Result, Step

__all__ = [
    "arrive_force",
    "check_kind",
    "decorate_force",
    "depart_force",
    "force_status",
    "late_forces",
    "new_force",
    "reinforce_force",
    "release_forces",
]


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


def _at(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def new_force(unit: Mapping[str, Any], *, now: dt.datetime, limit_min: float,
              reinforced: bool = False) -> dict[str, Any]:
    """The force entry of a unit sent now, due on site within ``limit_min`` minutes.

    Parameters
    ----------
    unit : mapping
        ``unit_id``, ``name``, ``kind``, ``eta_min``, ``distance_m``, ``eta_source``
        (what :meth:`gridgis.dispatch.Dispatcher.available_units` gives).
    now : datetime
        When it is dispatched.
    limit_min : float
        Its kind's arrival limit in minutes.
    reinforced : bool, default False
        Added by the holder after the plan started (增派).

    Examples
    --------
    >>> f = new_force({"unit_id": "U0001", "name": "城关派出所", "kind": "police_station",
    ...                "eta_min": 6.2, "distance_m": 3100.0, "eta_source": "estimate"},
    ...               now=dt.datetime(2026, 12, 1, 9), limit_min=15)
    >>> f["due_at"], f["arrived_at"], f["late"]
    ('2026-12-01T09:15:00', None, None)
    """
    return {"unit_id": str(unit["unit_id"]), "name": unit.get("name"), "kind": unit["kind"],
            "dispatched_at": _iso(now),
            "due_at": _iso(now + dt.timedelta(minutes=float(limit_min))),
            "limit_min": float(limit_min),
            "eta_min": None if unit.get("eta_min") is None else round(float(unit["eta_min"]), 1),
            "distance_m": None if unit.get("distance_m") is None
            else round(float(unit["distance_m"]), 1),
            "eta_source": unit.get("eta_source"), "departed_at": None, "arrived_at": None,
            "released_at": None, "late": None, "supervised": False, "reinforced": reinforced}


def force_status(force: Mapping[str, Any], now: dt.datetime) -> ForceStatus:
    """Where a unit of the force stands at ``now``.

    Examples
    --------
    >>> f = {"dispatched_at": "2026-12-01T09:00:00", "due_at": "2026-12-01T09:15:00",
    ...      "departed_at": "2026-12-01T09:02:00", "arrived_at": None, "released_at": None}
    >>> t = dt.datetime(2026, 12, 1, 9, 10)
    >>> force_status(f, t), force_status(f, t + dt.timedelta(minutes=10))
    (<ForceStatus.DEPARTED: 'departed'>, <ForceStatus.OVERDUE: 'overdue'>)
    """
    if force.get("released_at") is not None:
        return ForceStatus.RELEASED
    if force.get("arrived_at") is not None:
        return ForceStatus.ARRIVED
    if _at(force["due_at"]) < now:
        return ForceStatus.OVERDUE
    if force.get("departed_at") is not None:
        return ForceStatus.DEPARTED
    return ForceStatus.WAITING


def late_forces(record: Any, now: dt.datetime, *, unsupervised: bool = False
                ) -> list[dict[str, Any]]:
    """The units of an open matter's force not on site past their arrival limit.

    ``record`` is an :class:`~gridgis.incidents.IncidentRecord` or a stored row;
    ``unsupervised`` keeps those whose lateness was not yet supervised (督办 once).
    """
    get = record.get if isinstance(record, Mapping) else lambda k: getattr(record, k)
    if get("status") in CLOSED_STATES:
        return []
    return [f for f in get("emergency_forces") or ()
            if force_status(f, now) is ForceStatus.OVERDUE
            and not (unsupervised and f.get("supervised"))]


def decorate_force(force: Mapping[str, Any], now: dt.datetime, *,
                   kind_names: Mapping[str, str]) -> dict[str, Any]:
    """A force entry as the plan board shows it.

    With its ``status``, Chinese ``status_name``, ``kind_name`` and the
    ``minutes_left`` to its limit (negative past it; None once it arrived or
    was released).
    """
    status = force_status(force, now)
    left = None
    if status in (ForceStatus.WAITING, ForceStatus.DEPARTED, ForceStatus.OVERDUE):
        left = round((_at(force["due_at"]) - now).total_seconds() / 60, 1)
    return {**force, "status": status, "status_name": FORCE_STATUS_NAMES[status],
            "kind_name": kind_names.get(force["kind"], force["kind"]), "minutes_left": left}


def _check_plan(s: Step) -> None:
    if s.current.plan_code is None:
        raise TransitionError("该事项未启动应急预案 / this matter started no emergency plan")


def _own_force(s: Step, *, unless: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The forces (copied) and the acting unit's entry that is not released and lacks ``unless``."""
    _check_plan(s)
    unit = s.inputs["unit_id"]
    forces = [dict(f) for f in s.current.emergency_forces]
    mine = [f for f in forces if f["unit_id"] == unit and f.get("released_at") is None]
    if not mine:
        raise TransitionError(f"单位 {unit} 不在本预案的出动力量中（或已收队） / unit {unit} is "
                              "not in this plan's force (or was released)")
    waiting = [f for f in mine if f.get(unless) is None and f.get("arrived_at") is None]
    if not waiting:
        done = "已到场" if unless == "arrived_at" or mine[0].get("arrived_at") else "已出发"
        raise TransitionError(f"单位 {unit} {done} / unit {unit} has already "
                              f"{'arrived' if done == '已到场' else 'set out'}")
    return forces, waiting[0]


def depart_force(s: Step) -> Result:
    """出发: the unit sets out (once)."""
    forces, force = _own_force(s, unless="departed_at")
    force["departed_at"] = _iso(s.now)
    return {"emergency_forces": forces}, {"unit_id": force["unit_id"], "kind": force["kind"]}


def arrive_force(s: Step) -> Result:
    """到场: the unit is on site; late when past its limit.

    Given ``lon``/``lat`` (the unit's phone, in the ``crs`` input's system),
    the position must lie within the district's ``arrive_m`` of the incident;
    the event keeps it (留痕).
    """
    forces, force = _own_force(s, unless="arrived_at")
    data: dict[str, Any] = {"unit_id": force["unit_id"], "kind": force["kind"]}
    lon, lat = s.inputs.get("lon"), s.inputs.get("lat")
    if (lon is None) != (lat is None):
        raise MissingInputError("到场位置须同时给出经度和纬度 / an arrival position needs both "
                                "lon and lat", field="lat" if lat is None else "lon")
    if lon is not None:
        crs = s.inputs.get("crs") or "wgs84"
        metres = s.district.metres_between(lon, lat, crs, s.current.lon, s.current.lat)
        limit = s.district.settings.arrive_m
        if metres > limit:
            raise TransitionError(f"到场位置距事发地 {metres:.0f} 米，超过 {limit:g} 米，须到现场"
                                  f" / arrival is on site: the position lies {metres:.0f} m from "
                                  f"the incident (within {limit:g} m)")
        data |= {"lon": float(lon), "lat": float(lat), "crs": crs,
                 "distance_m": round(metres, 1)}
    force["departed_at"] = force.get("departed_at") or _iso(s.now)
    force["arrived_at"] = _iso(s.now)
    force["late"] = s.now > _at(force["due_at"])
    minutes = (s.now - _at(force["dispatched_at"])).total_seconds() / 60
    return {"emergency_forces": forces}, data | {"late": force["late"],
                                                 "minutes": round(minutes, 1)}


def release_forces(s: Step) -> Result:
    """收队: the named unit (``unit_id``), or every unit not yet released, is released."""
    _check_plan(s)
    unit = s.inputs.get("unit_id")
    forces = [dict(f) for f in s.current.emergency_forces]
    active = [f for f in forces if f.get("released_at") is None
              and (unit is None or f["unit_id"] == unit)]
    if not active:
        raise TransitionError(
            (f"单位 {unit} 不在出动力量中或已收队 / unit {unit} is not in the force or was "
             "released") if unit else "出动力量均已收队 / every unit was released already")
    for f in active:
        f["released_at"] = _iso(s.now)
    return {"emergency_forces": forces}, {"unit_ids": [f["unit_id"] for f in active]}


def reinforce_force(s: Step) -> Result:
    """增派: one more unit of a kind, the nearest available (or the ``unit_id`` named).

    Its arrival limit is the plan's for that kind (the plan's longest for a
    kind it does not require), counted from now.
    """
    _check_plan(s)
    kind, unit = s.inputs.get("kind"), s.inputs.get("unit_id")
    if kind is None and unit is None:
        raise MissingInputError("增派须指定单位类型或单位 / reinforce names a unit kind (kind) "
                                "or a unit (unit_id)", field="kind")
    active = {f["unit_id"] for f in s.current.emergency_forces if f.get("released_at") is None}
    if unit is not None and unit in active:
        raise TransitionError(f"单位 {unit} 已在出动力量中 / unit {unit} is in the force already")
    picked = s.district.available_units(
        s.current.lon, s.current.lat, kind=kind, count=1, unit_id=unit, now=s.now,
        exclude=active, incident_id=s.current.incident_id)
    if not picked:
        raise TransitionError(f"没有可增派的{s.district.kind_name(kind)}（均已出动） / no unit of "
                              f"kind {kind} is available")
    chosen = picked[0]
    limit = s.district.arrive_limit(s.current.plan_code, chosen["kind"])
    force = new_force(chosen, now=s.now, limit_min=limit, reinforced=True)
    return ({"emergency_forces": [*s.current.emergency_forces, force]},
            {"unit_id": force["unit_id"], "kind": force["kind"], "due_at": force["due_at"],
             "eta_min": force["eta_min"]})


def check_kind(kind: str | None, kinds: Iterable[str]) -> None:
    """Refuse a unit kind the district has no unit of (``field`` is ``kind``)."""
    known = set(kinds)
    if kind is not None and kind not in known:
        raise InputError(f"未知单位类型 {kind!r} / unknown unit kind {kind!r}; kinds are "
                         f"{', '.join(sorted(known))}", field="kind")
