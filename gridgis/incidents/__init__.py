"""The incident itself: its record and the names of the loop, below the loop and the store.

- :mod:`gridgis.incidents.names`: states, actions, roles, lights, escalation levels
  and sources, each defined once;
- :mod:`gridgis.incidents.record`: :class:`IncidentRecord`, the one typed record that
  the dispatch service builds, the store writes and the API shows.

The dispatch loop (:mod:`gridgis.dispatch`) and the stores (:mod:`gridgis.store`)
both build on these; neither imports the other's vocabulary.
"""

from gridgis.incidents.names import (
    CLOSED_STATES,
    ESCALATION_LEVELS,
    FORCE_STATUS_NAMES,
    OPEN_STATES,
    Action,
    ForceStatus,
    Level,
    Light,
    Role,
    Source,
    State,
)
from gridgis.incidents.record import IncidentRecord

__all__ = [
    "CLOSED_STATES",
    "ESCALATION_LEVELS",
    "FORCE_STATUS_NAMES",
    "OPEN_STATES",
    "Action",
    "ForceStatus",
    "IncidentRecord",
    "Level",
    "Light",
    "Role",
    "Source",
    "State",
]
