"""The closed loop of an incident as an explicit state machine.

report → accept (or reject) → dispatch → progress → resolve → verify (on site)
→ call back → closed, with the side roads real platforms use: a unit
returns a matter it is not responsible for (退回), asks for more time (延期),
a matter that cannot be solved now is shelved (挂账, it stays on the board
and is reviewed, 复核, within a limit),
a resolved matter that does not hold is reopened, a dissatisfied call back
reopens it. Three acts leave the state as it is: the holder blows the
whistle (吹哨) and the departments it names report in (报到) — the matter
stays where it is; an overdue stage is supervised (督办: a notice to the level
above, once per stage). An emergency (应急预案, "1-3-5") runs beside the loop
too: the units of the plan's force set out (出发) and arrive (到场), the holder
adds one (增派) or releases the force (收队). Escalation (升级) moves the matter to the next level,
community → township → county, with fresh deadlines: that level then holds
it and acts. Each action names the roles that may take it; who of them may
take it on a given incident is :data:`gridgis.people.ACCESS`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridgis.dispatch.effects import (
    Effect,
    assign_unit,
    call_back,
    call_units,
    check_on_site,
    check_verify_photo,
    clear,
    count,
    decide_extension,
    grant_extension,
    raise_level,
    record_report_in,
    record_satisfaction,
    release_unit,
    report_progress,
    request_extension,
    restart_resolve_limit,
    stage_ends,
    stage_redeploy,
    stage_review,
    stage_to_progress,
    stage_within,
    stamp,
    start_once,
    supervise_overdue,
)
from gridgis.dispatch.forces import (
    arrive_force,
    depart_force,
    reinforce_force,
    release_forces,
)
from gridgis.dispatch.reroute import reroute
from gridgis.errors import MissingInputError, TransitionError
from gridgis.incidents.names import (
    ESCALATION_LEVELS,
    OPEN_STATES,
    Action,
    Role,
    State,
)

__all__ = [
    "ACTION_NAMES",
    "DISPATCHERS",
    "NEEDS",
    "SUPERVISORS",
    "TRANSITIONS",
    "Transition",
    "allowed_actions",
    "check_transition",
]


DISPATCHERS = frozenset({Role.COMMUNITY, Role.TOWNSHIP, Role.COMMAND_CENTRE})
"""Roles that accept, dispatch and escalate."""
SUPERVISORS = frozenset({Role.TOWNSHIP, Role.COMMAND_CENTRE})
"""Roles that decide on extensions and shelving."""


NEEDS: dict[str, tuple[str, str]] = {
    "unit_id": ("承办单位", "the unit that takes the matter"),
    "unit_ids": ("被吹哨的部门", "the departments called to report in"),
    "hours": ("申请延期的小时数", "the hours of extension asked for"),
    "place": ("报到地点", "where the department reported in"),
    "staff": ("报到人员", "who came to report in"),
    "lon": ("核查位置（经度）", "the verifier's position, lon"),
    "lat": ("核查位置（纬度）", "the verifier's position, lat"),
}
"""Inputs an action may need: what each is, in Chinese and in English (for the refusal)."""


@dataclass(frozen=True)
class Transition:
    """One allowed move: from these states, by these roles, to a state, with its effects.

    ``target`` is ``None`` for actions that keep the state (escalation and
    extension decisions change other fields). ``needs_note`` makes the note
    mandatory (a reason must be on record); ``needs`` names other required
    inputs (keys of :data:`NEEDS`). ``extension_pending`` is True for actions
    that decide a waiting extension request, False for one that may only be
    taken while none waits, None when it does not matter. ``effects`` are
    what the action changes besides the state, in order
    (:mod:`gridgis.dispatch.effects`).
    """

    action: Action
    sources: frozenset[State]
    target: State | None
    roles: frozenset[Role]
    needs_note: bool = False
    needs: tuple[str, ...] = ()
    extension_pending: bool | None = None
    effects: tuple[Effect, ...] = ()

    def check_inputs(self, *, note: str | None = None, **inputs: Any) -> None:
        """Refuse the action when its note or another input it needs is missing.

        Raises
        ------
        MissingInputError
            A :class:`TransitionError` naming the first missing input (its
            ``field``) and what it is.

        Examples
        --------
        >>> TRANSITIONS[Action.DISPATCH].check_inputs(unit_id=None)
        Traceback (most recent call last):
        ...
        gridgis.errors.MissingInputError: 派遣缺少承办单位 (unit_id) / dispatch needs unit_id: ...
        """
        if self.needs_note and not (note and note.strip()):
            raise MissingInputError(f"{_ZH[self.action]}须填写说明（原因或内容） / {self.action} "
                                  "needs a note giving the reason", field="note")
        for name in self.needs:
            value = inputs.get(name)
            if value is None or (isinstance(value, str | list | tuple) and not value):
                zh, en = NEEDS[name]
                raise MissingInputError(f"{_ZH[self.action]}缺少{zh} ({name}) / "
                                        f"{self.action} needs {name}: {en}", field=name)


def _t(action: Action, sources: set[State], target: State | None, roles: set[Role] | frozenset,
       *effects: Effect, note: bool = False, needs: tuple[str, ...] = (),
       pending: bool | None = None) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), note, needs,
                      pending, effects)


S, R, A = State, Role, Action
_HELD = {S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.REOPENED, S.SHELVED}
"""Open states in which the holder still handles the matter (not waiting on verification)."""
TRANSITIONS: dict[Action, Transition] = {t.action: t for t in (
    _t(A.ACCEPT, {S.REPORTED}, S.ACCEPTED, DISPATCHERS, stamp("accepted_at")),
    _t(A.REJECT, {S.REPORTED}, S.REJECTED, DISPATCHERS, stamp("closed_at"), stage_ends,
       note=True),
    _t(A.DISPATCH, {S.ACCEPTED}, S.DISPATCHED, DISPATCHERS, stamp("dispatched_at"), assign_unit,
       stage_to_progress, needs=("unit_id",)),
    _t(A.RETURN, {S.DISPATCHED}, S.ACCEPTED, {R.UNIT}, release_unit, count("returned"),
       stage_redeploy, note=True),
    # 改派: the returned matter goes to a unit of another department or category, with a reason
    _t(A.REROUTE, {S.ACCEPTED}, S.DISPATCHED, DISPATCHERS, stamp("dispatched_at"), reroute,
       note=True, needs=("unit_id",)),
    _t(A.START, {S.DISPATCHED, S.REOPENED}, S.IN_PROGRESS, {R.UNIT}, start_once),
    _t(A.PROGRESS, {S.DISPATCHED, S.IN_PROGRESS, S.REOPENED}, S.IN_PROGRESS, {R.UNIT},
       report_progress, note=True),
    _t(A.REQUEST_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, {R.UNIT}, request_extension,
       note=True, needs=("hours",), pending=False),
    _t(A.GRANT_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, SUPERVISORS, grant_extension,
       decide_extension, pending=True),
    _t(A.DENY_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, SUPERVISORS, decide_extension,
       note=True, pending=True),
    _t(A.SHELVE, {S.DISPATCHED, S.IN_PROGRESS}, S.SHELVED, SUPERVISORS, stage_review, note=True),
    _t(A.UNSHELVE, {S.SHELVED}, S.IN_PROGRESS, SUPERVISORS, restart_resolve_limit),
    _t(A.REVIEW, {S.SHELVED}, None, SUPERVISORS, stage_review, note=True),
    _t(A.RESOLVE, {S.IN_PROGRESS}, S.RESOLVED, {R.UNIT}, stamp("resolved_at"),
       stage_within("verify_within")),
    _t(A.REOPEN, {S.RESOLVED, S.VERIFIED}, S.REOPENED, {R.GRID_WORKER, *DISPATCHERS},
       count("reopened"), clear("resolved_at", "verified_at"), restart_resolve_limit,
       note=True),
    _t(A.VERIFY, {S.RESOLVED}, S.VERIFIED, {R.GRID_WORKER}, check_on_site, check_verify_photo,
       stamp("verified_at"),
       stage_within("callback_within"), needs=("lon", "lat")),
    _t(A.CALLBACK, {S.VERIFIED}, S.CLOSED, DISPATCHERS, call_back),
    _t(A.CLOSE, {S.VERIFIED}, S.CLOSED, {R.GRID_WORKER, *DISPATCHERS}, stamp("closed_at"),
       record_satisfaction, stage_ends),
    _t(A.ESCALATE, _HELD, S.ACCEPTED, DISPATCHERS, raise_level, note=True),
    _t(A.WHISTLE, _HELD, None, {R.COMMUNITY, R.TOWNSHIP}, call_units, note=True,
       needs=("unit_ids",)),
    _t(A.REPORT_IN, set(OPEN_STATES), None, {R.UNIT}, record_report_in,
       needs=("unit_id", "place", "staff")),
    _t(A.SUPERVISE, set(OPEN_STATES), None, SUPERVISORS, supervise_overdue),
    # 应急预案 ("1-3-5"): the force a report started sets out and arrives; the holder adds
    # a unit or releases the force; the matter's state and holder stay as they are
    _t(A.DEPART, set(OPEN_STATES), None, {R.UNIT}, depart_force, needs=("unit_id",)),
    _t(A.ARRIVE, set(OPEN_STATES), None, {R.UNIT}, arrive_force, needs=("unit_id",)),
    _t(A.REINFORCE, set(OPEN_STATES), None, DISPATCHERS, reinforce_force),
    _t(A.RELEASE, set(OPEN_STATES), None, DISPATCHERS, release_forces),
)}
_ZH = {A.ACCEPT: "受理", A.REJECT: "不予受理", A.DISPATCH: "派遣", A.RETURN: "退回",
       A.START: "开始处置", A.PROGRESS: "进展反馈", A.REQUEST_EXTENSION: "申请延期",
       A.GRANT_EXTENSION: "批准延期", A.DENY_EXTENSION: "驳回延期", A.SHELVE: "挂账",
       A.UNSHELVE: "解除挂账", A.REVIEW: "挂账复核", A.RESOLVE: "处置完毕",
       A.REOPEN: "重新办理", A.VERIFY: "核查",
       A.CALLBACK: "回访", A.CLOSE: "结案", A.ESCALATE: "上报升级", A.WHISTLE: "吹哨",
       A.REPORT_IN: "报到", A.SUPERVISE: "督办", A.DEPART: "出发", A.ARRIVE: "到场",
       A.RELEASE: "收队", A.REINFORCE: "增派", A.REROUTE: "改派"}
_STATE_ZH = {S.REPORTED: "待受理", S.ACCEPTED: "已立案", S.REJECTED: "不予受理",
             S.DISPATCHED: "已派遣", S.IN_PROGRESS: "处置中", S.RESOLVED: "待核查",
             S.REOPENED: "重新办理", S.VERIFIED: "待回访", S.CLOSED: "已结案", S.SHELVED: "挂账"}
_ROLE_ZH = {R.GRID_WORKER: "网格员", R.UNIT: "承办单位", R.COMMUNITY: "社区（村）",
            R.TOWNSHIP: "乡镇（街道）", R.COMMAND_CENTRE: "县（区）指挥中心"}
ACTION_NAMES = {a.value: zh for a, zh in _ZH.items()}
"""The Chinese name of every action (the console's buttons and the refusals)."""


def check_transition(state: str, action: str, role: str, *, escalation_level: int = 0,
                     extension_pending: bool = False) -> Transition:
    """Return the transition for ``action`` or raise why it is not allowed now.

    Parameters
    ----------
    state : str
        Current state of the incident.
    action : str
        Requested action.
    role : str
        Role of the actor.
    escalation_level : int, default 0
        Current level; escalation beyond the county is refused, and only a
        role at or above the holding level may escalate.
    extension_pending : bool, default False
        Whether an extension request awaits a decision.

    Returns
    -------
    Transition

    Raises
    ------
    TransitionError
        With a message naming the state, the action and what is allowed.

    Examples
    --------
    >>> check_transition("reported", "accept", "community").target
    <State.ACCEPTED: 'accepted'>
    >>> check_transition("closed", "accept", "community")
    Traceback (most recent call last):
    ...
    gridgis.errors.TransitionError: cannot accept an incident that is closed; ...
    """
    try:
        act = Action(action)
    except ValueError:
        raise TransitionError(f"unknown action {action!r}; actions are "
                              f"{', '.join(a.value for a in Action)}") from None
    try:
        who = Role(role)
    except ValueError:
        raise TransitionError(f"unknown role {role!r}; roles are "
                              f"{', '.join(r.value for r in Role)}") from None
    rule = TRANSITIONS[act]
    if state not in rule.sources:
        now = allowed_actions(state)
        allowed = ", ".join(now) or "nothing (the incident is finished)"
        allowed_zh = "、".join(ACTION_NAMES[a] for a in now) or "无（事项已终结）"
        raise TransitionError(f"事项{_STATE_ZH.get(state, state)}，不能{_ZH[act]}；"
                              f"现在可以：{allowed_zh} / cannot {act.value} an incident that is "
                              f"{state}; allowed now: {allowed}")
    if who not in rule.roles:
        roles = ", ".join(sorted(r.value for r in rule.roles))
        roles_zh = "、".join(_ROLE_ZH[r] for r in sorted(rule.roles))
        raise TransitionError(f"{_ROLE_ZH[who]}不能{_ZH[act]}，须由{roles_zh}办理 / a {who.value} "
                              f"may not {act.value}; that is for: {roles}")
    if act is Action.ESCALATE and escalation_level >= len(ESCALATION_LEVELS) - 1:
        raise TransitionError("事项已由县（区）持有，不能再升级 / the incident is already held "
                              "by the county; it cannot be escalated further")
    if rule.extension_pending is True and not extension_pending:
        raise TransitionError("no extension request is waiting for a decision")
    if rule.extension_pending is False and extension_pending:
        raise TransitionError("an extension request is already waiting for a decision")
    return rule


def allowed_actions(state: str, role: str | None = None, *,
                    extension_pending: bool | None = None) -> list[str]:
    """Actions possible from ``state`` (for ``role`` when given), in workflow order.

    ``extension_pending`` given, actions that need the other case (deciding
    a request that is not there, asking while one waits) are left out.

    Examples
    --------
    >>> allowed_actions("resolved", "grid_worker")
    ['reopen', 'verify']
    >>> allowed_actions("in_progress", "unit", extension_pending=True)
    ['progress', 'resolve', 'report_in', 'depart', 'arrive']
    """
    out = []
    for act, rule in TRANSITIONS.items():
        if state in rule.sources and (role is None or role in rule.roles) and (
                extension_pending is None or rule.extension_pending in (None, extension_pending)):
            out.append(act.value)
    return out
