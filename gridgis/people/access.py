"""Who may see and do what: jurisdiction scopes and the role × action × relation table.

What a person may do to an incident follows from three things: their role,
the action, and how they stand to the incident (DESIGN §2b):

- **own grid** — a grid worker serving the incident's grid;
- **own unit** — staff of the unit the incident is dispatched to;
- **called unit** — staff of a department the holder has whistled for and
  that has not reported in yet (吹哨报到);
- **force unit** — staff of a unit in the force of the emergency plan the
  matter started (应急预案) and not yet released: it sets out and arrives;
- **holder** — a dispatcher of the level that holds the matter (community,
  then township, then county after escalation), the incident lying in their
  area; **holder or above** — that level or a higher one over the same area
  ("小事不出村、大事不出镇": escalation moves authority up, and the level below
  then watches but no longer acts); **above the holder** — a higher level
  over the same area (supervision, 督办).

:data:`ACCESS` lists, for every action, who may take it and in which relation.
The state machine (:mod:`gridgis.dispatch.rules`) still decides whether the
action fits the incident's state; this table decides whether this person may
take it here. Reads follow :func:`scope_of`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from gridgis.errors import AccessDeniedError
from gridgis.incidents.names import Action
from gridgis.people.roles import DISPATCHER_LEVEL, ROLE_NAMES, StaffRole
from gridgis.people.staff import StaffMember

__all__ = [
    "ACCESS",
    "CALLBACK",
    "PATROLLERS",
    "REPORTERS",
    "SUPERVISION",
    "PatrolScope",
    "Relation",
    "Scope",
    "called_units",
    "check_action",
    "check_patrol",
    "check_report",
    "contact_details",
    "force_units",
    "in_scope",
    "patrol_scope",
    "permitted_actions",
    "scope_of",
]


class Relation(StrEnum):
    """How a person stands to an incident."""

    OWN_GRID = "own_grid"
    OWN_UNIT = "own_unit"
    CALLED_UNIT = "called_unit"
    FORCE_UNIT = "force_unit"
    HOLDER = "holder"
    HOLDER_OR_ABOVE = "holder_or_above"
    ABOVE_HOLDER = "above_holder"


RELATION_NAMES = {Relation.OWN_GRID: "本网格的网格员", Relation.OWN_UNIT: "承办单位人员",
                  Relation.CALLED_UNIT: "被吹哨、尚未报到的部门",
                  Relation.FORCE_UNIT: "应急预案出动、尚未收队的单位",
                  Relation.HOLDER: "持有该事项的层级", Relation.HOLDER_OR_ABOVE: "持有层级或其上级",
                  Relation.ABOVE_HOLDER: "持有层级的上级"}

W, C, T, K, U = (StaffRole.GRID_WORKER, StaffRole.COMMUNITY, StaffRole.TOWNSHIP,
                 StaffRole.COMMAND_CENTRE, StaffRole.UNIT)
G, UN, H, HA = Relation.OWN_GRID, Relation.OWN_UNIT, Relation.HOLDER, Relation.HOLDER_OR_ABOVE
CU, AH, FU = Relation.CALLED_UNIT, Relation.ABOVE_HOLDER, Relation.FORCE_UNIT
_DISPATCHERS = ((C, HA), (T, HA), (K, HA))
_SUPERVISORS = ((T, HA), (K, HA))
_HOLDERS = ((C, H), (T, H), (K, H))

ACCESS: Mapping[Action, tuple[tuple[StaffRole, Relation], ...]] = {
    Action.ACCEPT: _DISPATCHERS,
    Action.REJECT: _DISPATCHERS,
    Action.DISPATCH: _DISPATCHERS,
    Action.REROUTE: _DISPATCHERS,  # 改派 after a return: as for dispatch
    # the level that holds the matter asks to move it up: it has no power to resolve it
    Action.ESCALATE: ((C, H), (T, H)),
    # 吹哨: the holding community (or township) calls departments in; it keeps the matter
    Action.WHISTLE: ((C, H), (T, H)),
    Action.REPORT_IN: ((U, CU),),
    # 应急预案: the force's units record their own departure and arrival; the holding level
    # adds a unit (增派), the holder or a level above releases the force (收队)
    Action.DEPART: ((U, FU),),
    Action.ARRIVE: ((U, FU),),
    Action.REINFORCE: _HOLDERS,
    Action.RELEASE: _DISPATCHERS,
    # 督办 by hand: a level above the holder (the sweep supervises without a person)
    Action.SUPERVISE: ((T, AH), (K, AH)),
    Action.RETURN: ((U, UN),),
    Action.START: ((U, UN),),
    Action.PROGRESS: ((U, UN),),
    Action.REQUEST_EXTENSION: ((U, UN),),
    Action.RESOLVE: ((U, UN),),
    Action.GRANT_EXTENSION: _SUPERVISORS,
    Action.DENY_EXTENSION: _SUPERVISORS,
    Action.SHELVE: _SUPERVISORS,
    Action.UNSHELVE: _SUPERVISORS,
    Action.REVIEW: _SUPERVISORS,
    Action.VERIFY: ((W, G),),
    Action.REOPEN: ((W, G), *_DISPATCHERS),
    # closing only by the level that holds the matter: a grid worker while the community does
    Action.CLOSE: ((W, G), *_HOLDERS),
    Action.CALLBACK: _HOLDERS,
}
"""For each action: the (role, relation) pairs that may take it."""
REPORTERS = frozenset({W, C, T, K})
"""Roles that may report a matter (located inside their jurisdiction)."""
SUPERVISION = frozenset({K, StaffRole.ADMIN})
"""Roles that may run the escalation sweep over the whole district."""
CALLBACK = frozenset({C, T, K})
"""Roles that call reporters back (回访) and so see their contact details unmasked."""


@dataclass(frozen=True)
class Scope:
    """What a person may read: incidents under these area codes or held by these units.

    ``everything`` is True only for a county-wide role whose area is the
    whole district (then the codes are not needed); an empty scope sees nothing.
    """

    area_codes: tuple[str, ...] = ()
    unit_ids: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the person may read no incident at all."""
        return not (self.area_codes or self.unit_ids)


def scope_of(person: StaffMember) -> Scope:
    """The incidents a person may read.

    A grid worker reads their grids' incidents, unit staff those dispatched to
    their unit, everyone else the incidents of their area (community,
    township or county code). A disabled person reads nothing.

    Examples
    --------
    >>> scope_of(StaffMember("jd01", "李敏", "township", "330399001")).area_codes
    ('330399001',)
    """
    if not person.active:
        return Scope()
    if person.role is StaffRole.GRID_WORKER:
        return Scope(area_codes=person.grids)
    if person.role is StaffRole.UNIT:
        return Scope(unit_ids=(person.unit_id,) if person.unit_id else ())
    return Scope(area_codes=(person.area_code,) if person.area_code else ())


def called_units(incident: Mapping[str, Any], *, waiting: bool = False) -> set[str]:
    """Units whistled for on this incident (``waiting``: only those not yet reported in)."""
    return {c["unit_id"] for c in incident.get("whistle_calls") or ()
            if not waiting or c.get("reported_in_at") is None}


def force_units(incident: Mapping[str, Any], *, active: bool = False) -> set[str]:
    """Units in the force of the matter's emergency plan (``active``: not yet released)."""
    return {f["unit_id"] for f in incident.get("emergency_forces") or ()
            if not active or f.get("released_at") is None}


def in_scope(person: StaffMember, incident: Mapping[str, Any]) -> bool:
    """Whether a person may read this incident.

    Unit staff read what their unit holds, what it was whistled for and the
    emergencies their unit was sent to.
    """
    scope = scope_of(person)
    grid = incident.get("grid_code") or ""
    units = called_units(incident) | force_units(incident) | {incident.get("unit_id")}
    return any(grid.startswith(a) for a in scope.area_codes) or bool(
        units & set(scope.unit_ids))


def _in_area(person: StaffMember, incident: Mapping[str, Any]) -> bool:
    return bool(person.area_code) and (incident.get("grid_code") or "").startswith(
        person.area_code or "\0")


def _relation_holds(person: StaffMember, relation: Relation, action: Action,
                    incident: Mapping[str, Any]) -> bool:
    level = int(incident.get("escalation_level") or 0)
    if relation is Relation.OWN_GRID:
        return incident.get("grid_code") in person.grids and (
            action is not Action.CLOSE or level == 0)
    if relation is Relation.OWN_UNIT:
        return person.unit_id is not None and incident.get("unit_id") == person.unit_id
    if relation is Relation.CALLED_UNIT:
        return person.unit_id is not None and person.unit_id in called_units(incident,
                                                                             waiting=True)
    if relation is Relation.FORCE_UNIT:
        return person.unit_id is not None and person.unit_id in force_units(incident,
                                                                            active=True)
    mine = DISPATCHER_LEVEL.get(person.role)
    if mine is None or not _in_area(person, incident):
        return False
    if relation is Relation.HOLDER:
        return mine == level
    if relation is Relation.ABOVE_HOLDER:
        return mine > level or mine == level == 2  # the county supervises what it holds
    return mine >= level


def _refusal(person: StaffMember, action: Action, incident: Mapping[str, Any]) -> str | None:
    if not person.active:
        return "账号已停用 / this account is disabled"
    pairs = ACCESS[action]
    relations = [rel for role, rel in pairs if role is person.role]
    who = ROLE_NAMES[person.role]
    if not relations:
        allowed = "、".join(dict.fromkeys(ROLE_NAMES[r] for r, _ in pairs))
        return (f"{who}不能执行「{action.value}」，仅限：{allowed} / a {person.role.value} may "
                f"not {action.value}; that is for: "
                f"{', '.join(dict.fromkeys(r.value for r, _ in pairs))}")
    if any(_relation_holds(person, rel, action, incident) for rel in relations):
        return None
    needed = "或".join(RELATION_NAMES[r] for r in relations)
    level = int(incident.get("escalation_level") or 0)
    held = ("社区(村)", "乡镇(街道)", "县(区)")[min(level, 2)]
    return (f"该事项不在您的职责范围：须为{needed}（事项现由{held}持有，网格 "
            f"{incident.get('grid_code')}，承办单位 {incident.get('unit_id') or '无'}） / "
            f"{action.value} on {incident.get('incident_id')} is for "
            f"{' or '.join(r.value for r in relations)}; the matter is held at level "
            f"{level} in grid {incident.get('grid_code')}, unit {incident.get('unit_id')}")


def check_action(person: StaffMember, action: str, incident: Mapping[str, Any]) -> None:
    """Refuse when ``person`` may not take ``action`` on ``incident`` (whatever its state).

    Parameters
    ----------
    person : StaffMember
        The signed-in person.
    action : str
        An :class:`~gridgis.incidents.names.Action`.
    incident : mapping
        The stored incident (``grid_code``, ``unit_id``, ``escalation_level``).

    Raises
    ------
    AccessDeniedError
        Saying who may take the action and how the matter stands.
    TransitionError
        For an unknown action.
    """
    from gridgis.errors import TransitionError

    try:
        act = Action(action)
    except ValueError:
        raise TransitionError(f"unknown action {action!r}; actions are "
                              f"{', '.join(a.value for a in Action)}") from None
    reason = _refusal(person, act, incident)
    if reason is not None:
        raise AccessDeniedError(reason)


def permitted_actions(person: StaffMember, incident: Mapping[str, Any],
                      candidates: list[str]) -> list[str]:
    """Those of ``candidates`` (the actions the state allows) this person may take here."""
    return [a for a in candidates if _refusal(person, Action(a), incident) is None]


def check_report(person: StaffMember, located: Mapping[str, Any]) -> None:
    """Refuse a report by someone who does not report, or outside their jurisdiction.

    Raises
    ------
    AccessDeniedError
    """
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    if person.role not in REPORTERS:
        raise AccessDeniedError(f"{ROLE_NAMES[person.role]}不能上报事件 / a "
                                f"{person.role.value} does not report incidents")
    if not _in_area(person, located):
        raise AccessDeniedError(
            f"上报位置（网格 {located.get('grid_code')}）不在您的辖区 {person.area_code} / the "
            f"point lies in grid {located.get('grid_code')}, outside your area "
            f"{person.area_code}")


def contact_details(person: StaffMember | None, reporter: Mapping[str, Any] | None
                    ) -> dict[str, Any] | None:
    """A reporter's name, phone and e-mail as ``person`` may see them.

    The call-back roles (:data:`CALLBACK`) see them whole; everyone else
    masked (138****1234, 张**), and nobody without a signed-in identity.

    Examples
    --------
    >>> r = {"name": "张三丰", "phone": "13812341234", "email": "z@example.cn", "channel": "app"}
    >>> contact_details(StaffMember("wg1", "王五", "grid_worker", "330399001001",
    ...                             grade="full_time", grids=("330399001001001",)), r)
    {'name': '张**', 'phone': '138****1234', 'email': 'z***@example.cn', 'channel': 'app', \
'masked': True}
    """
    from gridgis.people.privacy import mask_email, mask_name, mask_phone

    if reporter is None or person is None:
        return None
    if person.active and person.role in CALLBACK:
        return {**{k: reporter.get(k) for k in ("name", "phone", "email", "channel")},
                "masked": False}
    return {"name": mask_name(reporter.get("name")), "phone": mask_phone(reporter.get("phone")),
            "email": mask_email(reporter.get("email")), "channel": reporter.get("channel"),
            "masked": True}


PATROLLERS = frozenset({W})
"""Roles that record patrols (巡查) and check-ins (签到): grid workers, on their terminals."""


@dataclass(frozen=True)
class PatrolScope:
    """Which patrols a person may read: only their own (``person``) or their area's.

    ``zone_areas`` are the area codes whose patrol zones they see in the
    compliance figures (a grid worker's grids, a dispatcher's area).
    """

    person: str | None
    area_codes: tuple[str, ...]
    zone_areas: tuple[str, ...]


def check_patrol(person: StaffMember) -> None:
    """Refuse a patrol record by anyone but an active grid worker.

    Raises
    ------
    AccessDeniedError
    """
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    if person.role not in PATROLLERS:
        raise AccessDeniedError(f"{ROLE_NAMES[person.role]}不记录巡查，巡查由网格员在终端上报 / "
                                f"a {person.role.value} does not record patrols; grid workers "
                                "do, from their terminals")


def patrol_scope(person: StaffMember) -> PatrolScope:
    """The patrols a person may read.

    A grid worker reads their own patrols (and sees their grids' zones);
    community, township and county staff, analysts, planners and
    administrators the patrols in their area. Unit staff read none.

    Raises
    ------
    AccessDeniedError
        For a disabled account or unit staff.

    Examples
    --------
    >>> patrol_scope(StaffMember("sq01", "李敏", "community", "330399001001")).area_codes
    ('330399001001',)
    """
    if not person.active:
        raise AccessDeniedError("账号已停用 / this account is disabled")
    if person.role is StaffRole.GRID_WORKER:
        return PatrolScope(person=person.staff_id, area_codes=person.grids,
                           zone_areas=person.grids)
    if person.role is StaffRole.UNIT or not person.area_code:
        raise AccessDeniedError(f"{ROLE_NAMES[person.role]}无权查看巡查记录 / a "
                                f"{person.role.value} does not read patrols")
    return PatrolScope(person=None, area_codes=(person.area_code,),
                       zone_areas=(person.area_code,))
