"""Dispatch: the closed loop of an incident, its time limits and the service running it."""

from gridgis.dispatch.rules import (
    CLOSED_STATES,
    ESCALATION_LEVELS,
    OPEN_STATES,
    TRANSITIONS,
    Action,
    Role,
    State,
    Transition,
    allowed_actions,
    check_transition,
)
from gridgis.dispatch.service import Dispatcher, DispatchSettings, china_now
from gridgis.dispatch.timing import Deadlines, Lights, WorkingCalendar, deadlines_for, light_of

__all__ = [
    "CLOSED_STATES",
    "ESCALATION_LEVELS",
    "OPEN_STATES",
    "TRANSITIONS",
    "Action",
    "Deadlines",
    "DispatchSettings",
    "Dispatcher",
    "Lights",
    "Role",
    "State",
    "Transition",
    "WorkingCalendar",
    "allowed_actions",
    "check_transition",
    "china_now",
    "deadlines_for",
    "light_of",
]
