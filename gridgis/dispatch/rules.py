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

from gridgis.dispatch.names import (
    ESCALATION_LEVELS,
    OPEN_STATES,
    Action,
    Role,
    State,
)
from gridgis.errors import TransitionError

__all__ = [
    "DISPATCHERS",
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


@dataclass(frozen=True)
class Transition:
    """One allowed move: from these states, by these roles, to a state.

    ``target`` is ``None`` for actions that keep the state (escalation and
    extension decisions change other fields). ``needs_note`` makes the note
    mandatory (a reason must be on record); ``needs`` names other required
    inputs (``unit_id``, ``satisfaction``, ``hours``).
    """

    action: Action
    sources: frozenset[State]
    target: State | None
    roles: frozenset[Role]
    needs_note: bool = False
    needs: tuple[str, ...] = ()


def _t(action: Action, sources: set[State], target: State | None, roles: set[Role] | frozenset,
       *, note: bool = False, needs: tuple[str, ...] = ()) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), note, needs)


S, R, A = State, Role, Action
TRANSITIONS: dict[Action, Transition] = {t.action: t for t in (
    _t(A.ACCEPT, {S.REPORTED}, S.ACCEPTED, DISPATCHERS),
    _t(A.REJECT, {S.REPORTED}, S.REJECTED, DISPATCHERS, note=True),
    _t(A.DISPATCH, {S.ACCEPTED}, S.DISPATCHED, DISPATCHERS, needs=("unit_id",)),
    _t(A.RETURN, {S.DISPATCHED}, S.ACCEPTED, {R.UNIT}, note=True),
    _t(A.START, {S.DISPATCHED, S.REOPENED}, S.IN_PROGRESS, {R.UNIT}),
    _t(A.REQUEST_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, {R.UNIT}, note=True,
       needs=("hours",)),
    _t(A.GRANT_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, SUPERVISORS),
    _t(A.DENY_EXTENSION, {S.DISPATCHED, S.IN_PROGRESS}, None, SUPERVISORS, note=True),
    _t(A.SHELVE, {S.DISPATCHED, S.IN_PROGRESS}, S.SHELVED, SUPERVISORS, note=True),
    _t(A.UNSHELVE, {S.SHELVED}, S.IN_PROGRESS, SUPERVISORS),
    _t(A.RESOLVE, {S.IN_PROGRESS}, S.RESOLVED, {R.UNIT}),
    _t(A.REOPEN, {S.RESOLVED, S.VERIFIED}, S.REOPENED, {R.GRID_WORKER, *DISPATCHERS},
       note=True),
    _t(A.VERIFY, {S.RESOLVED}, S.VERIFIED, {R.GRID_WORKER}),
    _t(A.CLOSE, {S.VERIFIED}, S.CLOSED, {R.GRID_WORKER, *DISPATCHERS}, needs=("satisfaction",)),
    _t(A.ESCALATE, set(OPEN_STATES), None, DISPATCHERS, note=True),
)}


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
    if act in (Action.GRANT_EXTENSION, Action.DENY_EXTENSION) and not extension_pending:
        raise TransitionError("no extension request is waiting for a decision")
    if act is Action.REQUEST_EXTENSION and extension_pending:
        raise TransitionError("an extension request is already waiting for a decision")
    return rule


def allowed_actions(state: str, role: str | None = None) -> list[str]:
    """Actions possible from ``state`` (for ``role`` when given), in workflow order.

    Examples
    --------
    >>> allowed_actions("resolved", "grid_worker")
    ['reopen', 'verify']
    """
    out = []
    for act, rule in TRANSITIONS.items():
        if state in rule.sources and (role is None or role in rule.roles):
            out.append(act.value)
    return out
