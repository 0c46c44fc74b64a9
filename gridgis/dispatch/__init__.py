"""Dispatch: the closed loop of an incident, its time limits and the service running it.

The loop's vocabulary (from :mod:`gridgis.incidents`), its rules, settings and
timing load at once and are light; the service (:class:`Dispatcher`, which
needs the compiled index, the layers and a store) loads on first use.
"""

from typing import TYPE_CHECKING, Any

from gridgis.dispatch.rules import TRANSITIONS, Transition, allowed_actions, check_transition
from gridgis.dispatch.settings import DispatchSettings
from gridgis.dispatch.timing import Deadlines, WorkingCalendar, deadlines_for, light_of
from gridgis.incidents.names import (
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

if TYPE_CHECKING:
    from gridgis.dispatch.service import Dispatcher, china_now

_LAZY = {"Dispatcher", "china_now"}

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
