"""Dispatch: the closed loop of an incident, its time limits and the service running it.

The vocabulary (:mod:`~gridgis.dispatch.names`), the record, the rules and
the timing load at once and need neither the index nor the store, so that
the store can use them; the service (:class:`Dispatcher`, which needs the
index, the layers and a store) loads on first use.
"""

from typing import TYPE_CHECKING, Any

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
from gridgis.dispatch.timing import Deadlines, WorkingCalendar, deadlines_for, light_of

if TYPE_CHECKING:
    from gridgis.dispatch.service import Dispatcher, DispatchSettings, china_now

_LAZY = {"Dispatcher", "DispatchSettings", "china_now"}

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


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from gridgis.dispatch import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
