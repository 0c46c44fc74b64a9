import pytest

from gridgis.dispatch import (
    CLOSED_STATES,
    OPEN_STATES,
    TRANSITIONS,
    Action,
    State,
    allowed_actions,
    check_transition,
)
from gridgis.errors import TransitionError

HAPPY_PATH = [
    ("reported", "accept", "community", "accepted"),
    ("accepted", "dispatch", "township", "dispatched"),
    ("dispatched", "start", "unit", "in_progress"),
    ("in_progress", "resolve", "unit", "resolved"),
    ("resolved", "verify", "grid_worker", "verified"),
    ("verified", "close", "grid_worker", "closed"),
]


@pytest.mark.parametrize(("state", "action", "role", "target"), HAPPY_PATH)
def test_the_closed_loop(state, action, role, target):
    assert check_transition(state, action, role).target == target


@pytest.mark.parametrize(("state", "action", "role", "message"), [
    ("closed", "accept", "community", "cannot accept an incident that is closed"),
    ("reported", "resolve", "unit", "allowed now: accept, reject, escalate"),
    ("resolved", "verify", "unit", "a unit may not verify; that is for: grid_worker"),
    ("reported", "fly", "unit", "unknown action 'fly'"),
    ("reported", "accept", "mayor", "unknown role 'mayor'"),
    ("in_progress", "grant_extension", "township", "no extension request"),
])
def test_refusals_say_why(state, action, role, message):
    with pytest.raises(TransitionError, match=message):
        check_transition(state, action, role)


def test_escalation_hands_the_matter_to_the_next_level_to_deploy_again():
    # the new holder deploys it again: escalation is not a label
    assert check_transition("in_progress", "escalate", "community").target is State.ACCEPTED
    check_transition("in_progress", "escalate", "township", escalation_level=1)
    with pytest.raises(TransitionError, match="already held by the county"):
        check_transition("in_progress", "escalate", "command_centre", escalation_level=2)


def test_matters_being_handled_escalate_and_those_awaiting_verification_do_not():
    for state in OPEN_STATES - {State.RESOLVED, State.VERIFIED}:
        assert "escalate" in allowed_actions(state), state
    for state in (State.RESOLVED, State.VERIFIED):
        assert "escalate" not in allowed_actions(state)
    for state in CLOSED_STATES:
        assert allowed_actions(state) == []


def test_whistle_report_in_and_supervision_keep_the_state():
    for action in ("whistle", "report_in", "supervise"):
        assert TRANSITIONS[Action(action)].target is None
    assert check_transition("in_progress", "whistle", "community").action is Action.WHISTLE
    with pytest.raises(TransitionError, match="may not whistle"):
        check_transition("in_progress", "whistle", "unit")


def test_every_state_is_reachable_and_every_open_state_can_move_on():
    reachable = {State.REPORTED}
    grew = True
    while grew:
        grew = False
        for rule in TRANSITIONS.values():
            if rule.target and rule.sources & reachable and rule.target not in reachable:
                reachable.add(rule.target)
                grew = True
    assert reachable == set(State)
    assert set(TRANSITIONS) == set(Action)


def test_extension_pending_blocks_a_second_request():
    with pytest.raises(TransitionError, match="already waiting"):
        check_transition("in_progress", "request_extension", "unit", extension_pending=True)


def test_allowed_actions_by_role():
    assert allowed_actions("dispatched", "unit") == ["return", "start", "progress",
                                                     "request_extension", "report_in",
                                                     "depart", "arrive"]


@pytest.mark.parametrize("action", [a for a, rule in TRANSITIONS.items() if rule.needs])
def test_a_missing_input_is_refused_by_name(action):
    rule = TRANSITIONS[action]
    with pytest.raises(TransitionError, match=f"{action} needs {rule.needs[0]}"):
        rule.check_inputs(note="a reason")
    rule.check_inputs(note="a reason", **dict.fromkeys(rule.needs, 1))


def test_a_missing_note_is_refused():
    with pytest.raises(TransitionError, match="reject needs a note"):
        TRANSITIONS[Action.REJECT].check_inputs(note="  ")


def test_every_action_declares_what_it_changes():
    for rule in TRANSITIONS.values():
        assert rule.effects or rule.target is not None, rule.action
    assert [e.__name__ for e in TRANSITIONS[Action.RESOLVE].effects] == [
        "stamp(resolved_at)", "stage_within(verify_within)"]
