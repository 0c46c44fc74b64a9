"""The closed loop of an incident as an explicit state machine.

report → accept (or reject) → dispatch → start → resolve → verify → close,
with the side roads real platforms use: a unit returns a matter it is not
responsible for (退回), asks for more time (延期), a matter that cannot be
solved now is shelved (挂账), a resolved matter that does not hold is
reopened, and any open matter can be escalated one level, community →
township → county (吹哨报到). Each action names the roles that may take it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridgis.dispatch.effects import (
    Effect,
    assign_unit,
    clear,
    count,
    decide_extension,
    grant_extension,
    raise_level,
    record_satisfaction,
    release_unit,
    request_extension,
    restart_resolve_limit,
    stage_ends,
    stage_to_resolve,
    stage_within,
    stamp,
    start_once,
)
from gridgis.errors import TransitionError
from gridgis.incidents.names import (
    ESCALATION_LEVELS,
    OPEN_STATES,
    Action,
    Role,
    State,
)

__all__ = [
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
    "hours": ("申请延期的小时数", "the hours of extension asked for"),
    "satisfaction": ("回访满意度 1–5", "satisfaction from the call back, 1 to 5"),
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
        TransitionError
            Naming the first missing input and what it is.

        Examples
        --------
        >>> TRANSITIONS[Action.DISPATCH].check_inputs(unit_id=None)
        Traceback (most recent call last):
        ...
        gridgis.errors.TransitionError: 派遣缺少承办单位 (unit_id) / dispatch needs unit_id: ...
        """
        if self.needs_note and not (note and note.strip()):
            raise TransitionError(f"{self.action} needs a note giving the reason")
        for name in self.needs:
            if inputs.get(name) is None:
                zh, en = NEEDS[name]
                raise TransitionError(f"{_ZH[self.action]}缺少{zh} ({name}) / "
                                      f"{self.action} needs {name}: {en}")


def _t(action: Action, sources: set[State], target: State | None, roles: set[Role] | frozenset,
       *effects: Effect, note: bool = False, needs: tuple[str, ...] = (),
       pending: bool | None = None) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), note, needs,
                      pending, effects)


S, R, A = State, Role, Action
TRANSITIONS: dict[Action, Transition] = {t.action: t for t in (
    _t(A.ACCEPT, {S.REPORTED}, S.ACCEPTED, DISPATCHERS, stamp("accepted_at"), stage_to_resolve),
    _t(A.REJECT, {S.REPORTED}, S.REJECTED, DISPATCHERS, stamp("closed_at"), stage_ends,
       note=True),
    _t(A.DISPATCH, {S.ACCEPTED}, S.DISPATCHED, DISPATCHERS, stamp("dispatched_at"), assign_unit,
       needs=("unit_id",)),
    _t(A.RETURN, {S.DISPATCHED}, S.ACCEPTED, {R.UNIT}, release_unit, count("returned"),
       note=True),
    _t(A.START, {S.DISPATCHED, S.REOPENED}, S.IN_PROGRESS, {R.UNIT}, start_once),
    _t(A.REQUEST_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, {R.UNIT}, request_extension,
       note=True, needs=("hours",), pending=False),
    _t(A.GRANT_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, SUPERVISORS, grant_extension,
       decide_extension, pending=True),
    _t(A.DENY_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, SUPERVISORS, decide_extension,
       note=True, pending=True),
    _t(A.SHELVE, {S.DISPATCHED, S.IN_PROGRESS}, S.SHELVED, SUPERVISORS, stage_ends, note=True),
    _t(A.UNSHELVE, {S.SHELVED}, S.IN_PROGRESS, SUPERVISORS, restart_resolve_limit),
    _t(A.RESOLVE, {S.IN_PROGRESS}, S.RESOLVED, {R.UNIT}, stamp("resolved_at"),
       stage_within("verify_within")),
    _t(A.REOPEN, {S.RESOLVED, S.VERIFIED}, S.REOPENED, {R.GRID_WORKER, *DISPATCHERS},
       count("reopened"), clear("resolved_at", "verified_at"), stage_to_resolve, note=True),
    _t(A.VERIFY, {S.RESOLVED}, S.VERIFIED, {R.GRID_WORKER}, stamp("verified_at"),
       stage_within("callback_within")),
    _t(A.CLOSE, {S.VERIFIED}, S.CLOSED, {R.GRID_WORKER, *DISPATCHERS}, stamp("closed_at"),
       record_satisfaction, stage_ends, needs=("satisfaction",)),
    _t(A.ESCALATE, set(OPEN_STATES), None, DISPATCHERS, raise_level, note=True),
)}
_ZH = {A.ACCEPT: "受理", A.REJECT: "不予受理", A.DISPATCH: "派遣", A.RETURN: "退回",
       A.START: "开始处置", A.REQUEST_EXTENSION: "申请延期", A.GRANT_EXTENSION: "批准延期",
       A.DENY_EXTENSION: "驳回延期", A.SHELVE: "挂账", A.UNSHELVE: "解除挂账",
       A.RESOLVE: "处置完毕", A.REOPEN: "重新办理", A.VERIFY: "核查", A.CLOSE: "结案",
       A.ESCALATE: "升级"}


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
        allowed = ", ".join(allowed_actions(state)) or "nothing (the incident is finished)"
        raise TransitionError(f"cannot {act.value} an incident that is {state}; "
                              f"allowed now: {allowed}")
    if who not in rule.roles:
        roles = ", ".join(sorted(r.value for r in rule.roles))
        raise TransitionError(f"a {who.value} may not {act.value}; that is for: {roles}")
    if act is Action.ESCALATE:
        if escalation_level >= len(ESCALATION_LEVELS) - 1:
            raise TransitionError("the incident is already held by the county; "
                                  "it cannot be escalated further")
        holder = {Role.COMMUNITY: 0, Role.TOWNSHIP: 1, Role.COMMAND_CENTRE: 2}[who]
        if holder < escalation_level:
            raise TransitionError(
                f"the incident is held by the {ESCALATION_LEVELS[escalation_level]}; "
                f"a {who.value} cannot escalate it")
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
    ['resolve']
    """
    out = []
    for act, rule in TRANSITIONS.items():
        if state in rule.sources and (role is None or role in rule.roles) and (
                extension_pending is None or rule.extension_pending in (None, extension_pending)):
            out.append(act.value)
    return out
