"""Dispatch: the closed loop of an incident, its time limits and the service running it."""

from gridgis.dispatch.names import (
    CLOSED_STATES,
    ESCALATION_LEVELS,
    OPEN_STATES,
    Action,
    Level,
    Light,
    Role,
    Source,
    State,
)
from gridgis.dispatch.rules import TRANSITIONS, Transition, allowed_actions, check_transition
from gridgis.dispatch.service import Dispatcher, DispatchSettings, china_now
from gridgis.dispatch.timing import Deadlines, WorkingCalendar, deadlines_for, light_of

__all__ = [
    "CLOSED_STATES",
    "ESCALATION_LEVELS",
    "OPEN_STATES",
    "TRANSITIONS",
    "Action",
    "Deadlines",
    "DispatchSettings",
    "Dispatcher",
    "Level",
    "Light",
    "Role",
    "Source",
    "State",
    "Transition",
    "WorkingCalendar",
    "allowed_actions",
    "check_transition",
    "china_now",
    "deadlines_for",
    "light_of",
]
