"""What each action of the loop changes, as small named effects the rules table lists.

An effect takes a :class:`Step` (the incident before the action, the moment,
the caller's inputs and the district running the loop) and returns the record
fields it changes and the data it adds to the event. The table in
:mod:`gridgis.dispatch.rules` names the effects of every action; the service
applies the target state and the effects in order, and holds no per-action
rule of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from gridgis.errors import TransitionError
from gridgis.incidents.names import ESCALATION_LEVELS
from gridgis.incidents.record import IncidentRecord

if TYPE_CHECKING:
    from gridgis.dispatch.settings import DispatchSettings

__all__ = [
    "District",
    "Effect",
    "Outcome",
    "Step",
    "assign_unit",
    "clear",
    "count",
    "decide_extension",
    "grant_extension",
    "raise_level",
    "record_satisfaction",
    "release_unit",
    "request_extension",
    "restart_resolve_limit",
    "stage_ends",
    "stage_to_resolve",
    "stage_within",
    "stamp",
    "start_once",
]


class District(Protocol):
    """What effects need of the service running the loop (a :class:`Dispatcher`)."""

    settings: DispatchSettings
    unit_ids: set[str]
    categories: pd.DataFrame

    def stage(self, start: dt.datetime, due: dt.datetime | None) -> dict[str, Any]:
        """The record fields of a stage beginning at ``start``, due at ``due``."""


@dataclass(frozen=True, slots=True)
class Step:
    """What an effect sees: the record before the action, the moment, inputs, the district."""

    current: IncidentRecord
    now: dt.datetime
    inputs: Mapping[str, Any]
    district: District


Outcome = tuple[dict[str, Any], dict[str, Any]]
"""Record fields changed, and data for the event."""
Effect = Callable[[Step], Outcome]


def _named(name: str, fn: Effect) -> Effect:
    fn.__name__ = fn.__qualname__ = name
    return fn


# -- generic effects ----------------------------------------------------------------------
def stamp(field: str) -> Effect:
    """Set ``field`` (a milestone such as ``accepted_at``) to the moment of the action."""
    return _named(f"stamp({field})", lambda s: ({field: s.now}, {}))


def clear(*fields: str) -> Effect:
    """Empty ``fields``."""
    return _named(f"clear{fields}", lambda s: (dict.fromkeys(fields), {}))


def count(field: str) -> Effect:
    """Add one to the counter ``field`` (``reopened``, ``returned``)."""
    return _named(f"count({field})",
                  lambda s: ({field: getattr(s.current, field) + 1}, {}))


def stage_within(setting: str) -> Effect:
    """A new stage from now, due after the district's ``setting`` (a timedelta)."""
    def effect(s: Step) -> Outcome:
        return s.district.stage(s.now, s.now + getattr(s.district.settings, setting)), {}
    return _named(f"stage_within({setting})", effect)


# -- effects of one meaning ---------------------------------------------------------------
def stage_to_resolve(s: Step) -> Outcome:
    """The stage runs from the report to the resolve deadline."""
    return s.district.stage(s.current.reported_at, s.current.resolve_by), {}


def stage_ends(s: Step) -> Outcome:
    """No stage runs any more (finished or shelved): no deadline, no light."""
    return s.district.stage(s.now, None), {}


def assign_unit(s: Step) -> Outcome:
    """The matter goes to the unit named by the ``unit_id`` input, which must exist."""
    unit_id = s.inputs["unit_id"]
    if unit_id not in s.district.unit_ids:
        raise TransitionError(f"unknown unit {unit_id!r}")
    return {"unit_id": unit_id}, {"unit_id": unit_id}


def release_unit(s: Step) -> Outcome:
    """The unit gives the matter back; the event keeps which unit it was."""
    return {"unit_id": None}, {"unit_id": s.current.unit_id}


def start_once(s: Step) -> Outcome:
    """Work starts now unless it started before (a reopened matter keeps its start)."""
    return {"started_at": s.current.started_at or s.now}, {}


def request_extension(s: Step) -> Outcome:
    """Ask for the ``hours`` input of extra time, within the district's longest extension."""
    hours, longest = s.inputs["hours"], s.district.settings.max_extension_hours
    if not 0 < hours <= longest:
        raise TransitionError(f"hours must lie between 0 and {longest:g}")
    return {"extension_hours_pending": float(hours)}, {"hours": float(hours)}


def grant_extension(s: Step) -> Outcome:
    """The resolve deadline moves by the hours asked for, and the stage with it."""
    hours = s.current.extension_hours_pending
    new_due = s.current.resolve_by + dt.timedelta(hours=hours)
    changes = {"extensions": s.current.extensions + 1, "resolve_by": new_due,
               **s.district.stage(s.current.reported_at, new_due)}
    return changes, {"hours": hours, "resolve_by": new_due.isoformat()}


decide_extension = clear("extension_hours_pending")
"""The pending request is decided (granted or denied)."""


def restart_resolve_limit(s: Step) -> Outcome:
    """The category's full resolve limit starts again from now (a shelved matter resumes)."""
    limit = pd.Timedelta(s.district.categories.loc[s.current.category, "resolve"])
    new_due = s.now + limit.to_pytimedelta()
    return ({"resolve_by": new_due, **s.district.stage(s.now, new_due)},
            {"resolve_by": new_due.isoformat()})


def record_satisfaction(s: Step) -> Outcome:
    """Keep the call back's ``satisfaction`` input, 1 to 5."""
    satisfaction = s.inputs["satisfaction"]
    if not 1 <= satisfaction <= 5:
        raise TransitionError("close needs satisfaction from the call back, 1 to 5")
    return {"satisfaction": float(satisfaction)}, {}


def raise_level(s: Step) -> Outcome:
    """The next level up holds the matter."""
    level = s.current.escalation_level + 1
    return {"escalation_level": level}, {"to": ESCALATION_LEVELS[level]}
