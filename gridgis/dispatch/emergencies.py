"""The dispatcher's side of emergency plans (应急预案, "1-3-5"): start, pick units, show.

:class:`EmergencyDesk` is a part of :class:`~gridgis.dispatch.Dispatcher`:
a report whose category starts a plan gets, per required kind, the nearest
units by travel time that are available (not in the force of another open
plan, unreleased); the plan board lists the open plans with the status of
every unit. Travel time is the finder's (``travel_min``, along the roads
when the district has a road layer); without it, the straight-line metres
at ``plan_speed_kmh`` (``eta_source`` ``estimate``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridgis.categories import UNIT_KIND_NAMES
from gridgis.dispatch.forces import (
    check_kind,
    decorate_force,
    force_status,
    late_forces,
    new_force,
)
from gridgis.emergency_plans import DEFAULT_ARRIVE_MINUTES, Plan, plan_for
from gridgis.errors import TransitionError
from gridgis.incidents.names import OPEN_STATES, Action, ForceStatus, Light, Role
from gridgis.people.access import scope_of
from gridgis.store.base import IncidentQuery

if TYPE_CHECKING:
    from gridgis.dispatch.settings import DispatchSettings
    from gridgis.nearest import UnitFinder
    from gridgis.people.staff import StaffMember
    from gridgis.store.base import IncidentStore

__all__ = ["PLAN_ACTIONS", "EmergencyDesk"]

PLAN_ACTIONS = frozenset({Action.DEPART, Action.ARRIVE, Action.RELEASE, Action.REINFORCE})
"""Actions that only a matter with an emergency plan allows."""


class EmergencyDesk:
    """Emergency plans, a part of :class:`~gridgis.dispatch.Dispatcher`.

    It uses the dispatcher's ``plans``, ``finder``, ``store``, ``settings`` and ``clock``.
    """

    plans: dict[str, Plan]
    finder: UnitFinder
    store: IncidentStore
    settings: DispatchSettings

    # -- picking units ---------------------------------------------------------------------
    def kind_name(self, kind: str | None) -> str:
        """The Chinese name of a unit kind (派出所, 特警大队…)."""
        return UNIT_KIND_NAMES.get(kind or "", kind or "")

    def arrive_limit(self, plan_code: str, kind: str) -> float:
        """Minutes a unit of ``kind`` has to be on site under plan ``plan_code``.

        The plan's limit for the kind, the plan's longest for a kind it does not
        require, :data:`~gridgis.emergency_plans.DEFAULT_ARRIVE_MINUTES` for a plan
        the table no longer has.
        """
        plan = self.plans.get(plan_code)
        if plan is None:
            return DEFAULT_ARRIVE_MINUTES
        force = plan.force(kind)
        return force.arrive_minutes if force is not None else plan.limit_minutes

    def committed_units(self, now: dt.datetime) -> set[str]:
        """Units in the force of an open matter's plan and not released: not available."""
        page = self.store.query(IncidentQuery(now=now, status=tuple(OPEN_STATES), planned=True,
                                              limit=100_000))
        return {f["unit_id"] for item in page.items for f in item["emergency_forces"] or ()
                if f.get("released_at") is None}

    def _eta(self, hits: pd.DataFrame) -> pd.DataFrame:
        speed = self.settings.plan_speed_kmh * 1000 / 60  # metres a minute
        network = hits["travel_min"].notna()
        return hits.assign(
            eta_min=hits["travel_min"].where(network, hits["distance_m"] / speed).astype(float),
            eta_source=network.map({True: "network", False: "estimate"}))

    def available_units(self, lon: float, lat: float, *, kind: str | None, count: int,
                        now: dt.datetime, unit_id: str | None = None,
                        exclude: set[str] | frozenset[str] = frozenset(),
                        incident_id: str | None = None) -> list[dict[str, Any]]:
        """The nearest ``count`` units of ``kind`` by travel time that are available.

        Parameters
        ----------
        lon, lat : float
            The incident (WGS84).
        kind : str or None
            The unit kind; None only with ``unit_id``.
        count : int
            How many.
        now : datetime
            When they are sent (open plans at this moment commit units).
        unit_id : str, optional
            This unit, when it is available (its kind is then its own).
        exclude : set of str
            Units not to send besides the committed ones.
        incident_id : str, optional
            The matter they are for (only named in messages).

        Returns
        -------
        list of dict
            ``unit_id``, ``name``, ``kind``, ``distance_m``, ``eta_min``, ``eta_source``,
            quickest first; fewer than ``count`` when not enough are free.

        Raises
        ------
        InputError
            For a kind the district has no unit of.
        TransitionError
            For an unknown unit, or a named unit already committed.
        """
        units = self.finder.units
        busy = self.committed_units(now) | set(exclude)
        if unit_id is not None:
            row = units.loc[units["unit_id"] == unit_id]
            if row.empty:
                raise TransitionError(f"未知单位 {unit_id!r} / unknown unit {unit_id!r}")
            if unit_id in busy:
                raise TransitionError(f"单位 {unit_id} 已在其他预案中出动、尚未收队 / unit "
                                      f"{unit_id} is committed to an open plan ({incident_id})")
            kind = str(row["kind"].iloc[0])
        check_kind(kind, units["kind"])
        of_kind = units.loc[units["kind"] == kind, "unit_id"]
        k = min(len(of_kind), count + len(busy & set(of_kind)) if unit_id is None
                else len(of_kind))
        hits = self._eta(self.finder.nearest([lon], [lat], kinds=[kind], k=max(k, 1)))
        hits = hits[~hits["unit_id"].astype(str).isin(busy)] if unit_id is None else \
            hits[hits["unit_id"].astype(str) == unit_id]
        hits = hits.sort_values(["eta_min", "distance_m"], kind="stable").head(count)
        return [{"unit_id": str(r.unit_id), "name": str(r.name), "kind": str(r.kind),
                 "distance_m": float(r.distance_m), "eta_min": float(r.eta_min),
                 "eta_source": r.eta_source} for r in hits.itertuples()]

    def start_plan(self, category: str, lon: float, lat: float, at: dt.datetime
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The plan a report of ``category`` starts: record fields and the event's data.

        Per required kind, ``count`` units, the nearest available by travel time,
        dispatched at ``at`` and due on site within the kind's limit. A kind with
        too few free units is named in the event's ``missing`` (the plan board
        shows the shortfall; the holder reinforces when one frees up).

        Returns
        -------
        (dict, dict)
            Empty when the category starts no plan.
        """
        plan = plan_for(self.plans, category)
        if plan is None:
            return {}, {}
        forces, missing, taken = [], [], set()
        for need in plan.forces:
            picked = self.available_units(lon, lat, kind=need.kind, count=need.count, now=at,
                                          exclude=taken) if need.kind in set(
                self.finder.units["kind"]) else []
            taken |= {u["unit_id"] for u in picked}
            forces += [new_force(u, now=at, limit_min=need.arrive_minutes) for u in picked]
            if len(picked) < need.count:
                missing.append({"kind": need.kind, "count": need.count - len(picked)})
        fields = {"plan_code": plan.code, "plan_started_at": at,
                  "plan_limit_min": plan.limit_minutes, "emergency_forces": forces}
        return fields, {"plan": plan.code, "forces": [f["unit_id"] for f in forces],
                        "missing": missing}

    # -- reading ---------------------------------------------------------------------------
    def plan_view(self, record: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
        """A matter's plan as the board shows it: forces with their status, the shortfall.

        Returns
        -------
        dict
            ``emergency_forces`` decorated (:func:`~gridgis.dispatch.forces.decorate_force`),
            ``plan_name`` (Chinese), ``plan_shortfall`` (per required kind, how many
            units the force lacks: required minus those not released), ``plan_late``
            (kinds with a unit overdue on site).
        """
        forces = record.get("emergency_forces") or []
        out: dict[str, Any] = {"emergency_forces": [
            decorate_force(f, now, kind_names=UNIT_KIND_NAMES) for f in forces]}
        plan = self.plans.get(record.get("plan_code") or "")
        out["plan_name"] = None if record.get("plan_code") is None else (
            plan.name_zh if plan else record["plan_code"])
        shortfall = []
        if plan is not None:
            for need in plan.forces:
                have = sum(1 for f in forces if f["kind"] == need.kind
                           and f.get("released_at") is None)
                if have < need.count:
                    shortfall.append({"kind": need.kind, "kind_name": need.kind_name,
                                      "count": need.count - have})
        out["plan_shortfall"] = shortfall
        out["plan_late"] = sorted({f["kind"] for f in late_forces(record, now)})
        return out

    def plan_actions(self, record: dict[str, Any], actions: list[str], now: dt.datetime,
                     person: StaffMember | None) -> list[str]:
        """``actions`` without the plan's actions that cannot apply to this matter now."""
        if record.get("plan_code") is None:
            return [a for a in actions if a not in PLAN_ACTIONS]
        forces = [f for f in record.get("emergency_forces") or ()
                  if f.get("released_at") is None]
        if person is not None and person.role.value == Role.UNIT:
            forces = [f for f in forces if f["unit_id"] == person.unit_id]
        status = [force_status(f, now) for f in forces]
        keep = {Action.DEPART: any(s in (ForceStatus.WAITING, ForceStatus.OVERDUE)
                                   and f.get("departed_at") is None
                                   for s, f in zip(status, forces, strict=True)),
                Action.ARRIVE: any(f.get("arrived_at") is None for f in forces),
                Action.RELEASE: bool(forces), Action.REINFORCE: True}
        return [a for a in actions if a not in PLAN_ACTIONS or keep[Action(a)]]

    def emergencies(self, *, person: StaffMember | None = None, limit: int = 200
                    ) -> list[dict[str, Any]]:
        """Open matters with an emergency plan (the plan board), red first.

        ``person`` given, only those of their jurisdiction (and for unit staff,
        those their unit is in the force of).

        Returns
        -------
        list of dict
            Each matter as :meth:`~gridgis.dispatch.Dispatcher.decorate` shows it.
        """
        filters: dict[str, Any] = {}
        if person is not None:
            scope = scope_of(person)
            if scope.empty:
                return []
            filters = {"area_codes": scope.area_codes, "unit_ids": scope.unit_ids}
        now = self.clock()
        page = self.store.query(IncidentQuery(now=now, status=tuple(OPEN_STATES), planned=True,
                                              limit=limit, **filters))
        out = [self.decorate(i, now, person=person) for i in page.items]
        out.sort(key=lambda i: (i["light"] != Light.RED, i["plan_started_at"]))
        return out

    # provided by the Dispatcher
    def clock(self) -> dt.datetime:  # pragma: no cover - the Dispatcher's attribute
        """Now (naive China time)."""
        raise NotImplementedError

    def decorate(self, record: dict[str, Any], now: dt.datetime | None = None, *,
                 person: StaffMember | None = None) -> dict[str, Any]:  # pragma: no cover
        """The Dispatcher's :meth:`~gridgis.dispatch.Dispatcher.decorate`."""
        raise NotImplementedError
