"""The incident record, typed and written out once.

:class:`IncidentRecord` is what the store keeps of an incident: the service
builds one for every report, the archive seed for every incident it loads,
the store's columns are checked against its fields, and the HTTP API's
``Incident`` model is tested to show the same fields (plus the ones the
service derives when it reads: light, names, allowed actions).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gridgis.incidents.names import Source, State

__all__ = ["DERIVED_FIELDS", "INTERNAL_FIELDS", "IncidentRecord", "record_fields"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentRecord:
    """One incident as the store keeps it.

    The fields after ``stage_started_at``/``yellow_at``/``due_at`` (the
    current stage's clock, which drives the light) have the values of a new
    report as defaults; ``incident_id``, ``version`` and ``updated_at`` are
    given by the store when it writes the record.

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2026, 11, 2, 9)
    >>> r = IncidentRecord(lon=120.63, lat=28.0, input_crs="wgs84", input_lon=120.63,
    ...     input_lat=28.0, category="D01", priority="normal", platform="comprehensive_governance",
    ...     description="噪音扰民", source="app", grid_code=None, community_code=None,
    ...     township_code=None, match=None, edge_distance_m=None, patrol_level=None,
    ...     reported_at=t, respond_by=t, progress_by=t, resolve_by=t, stage_started_at=t,
    ...     yellow_at=None, due_at=None)
    >>> r.status, r.to_row()["status"]
    (<State.REPORTED: 'reported'>, 'reported')
    """

    # where: the located point (WGS84) and what the reporter sent
    lon: float
    lat: float
    input_crs: str
    input_lon: float
    input_lat: float
    # what
    category: str
    priority: str
    platform: str
    description: str
    source: Source
    status: State = State.REPORTED
    # the areas it falls in and who handles it
    grid_code: str | None
    community_code: str | None
    township_code: str | None
    match: str | None
    edge_distance_m: float | None
    patrol_level: str | None
    unit_id: str | None = None
    candidate_units: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    duplicate_of: list[str] = dataclasses.field(default_factory=list)
    # deadlines and the current stage's clock
    reported_at: dt.datetime
    respond_by: dt.datetime
    progress_by: dt.datetime
    resolve_by: dt.datetime
    stage_started_at: dt.datetime
    yellow_at: dt.datetime | None
    due_at: dt.datetime | None
    # the loop's milestones
    accepted_at: dt.datetime | None = None
    dispatched_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    verified_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    progress_at: dt.datetime | None = None  # the first progress report
    callback_at: dt.datetime | None = None
    # counters and decisions
    escalation_level: int = 0
    progress_reports: int = 0
    supervisions: int = 0
    supervised_due_at: dt.datetime | None = None  # the overdue stage last supervised
    whistle_calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # the emergency plan (应急预案) the report started, and its force: one dict per unit
    plan_code: str | None = None
    plan_started_at: dt.datetime | None = None
    plan_limit_min: float | None = None
    emergency_forces: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    callback_outcome: str | None = None
    reopened: int = 0
    returned: int = 0
    extension_hours_pending: float | None = None
    extensions: int = 0
    satisfaction: float | None = None
    # given by the store
    incident_id: str | None = None
    version: int = 0
    updated_at: dt.datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", Source(self.source))
        object.__setattr__(self, "status", State(self.status))

    def to_row(self) -> dict[str, Any]:
        """The record as a store row: names to plain values (enumerations as their text)."""
        row = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        row["source"] = str(self.source)
        row["status"] = str(self.status)
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> IncidentRecord:
        """A record from a store row (keys the record does not know are ignored)."""
        return cls(**{name: row[name] for name in _NAMES if name in row})


_NAMES = tuple(f.name for f in dataclasses.fields(IncidentRecord))

INTERNAL_FIELDS = frozenset({"input_lon", "input_lat", "stage_started_at", "yellow_at"})
"""Record fields the API does not show (the raw input point and the stage's yellow moment)."""

DERIVED_FIELDS = frozenset({"light", "stage", "allowed_actions", "escalated_to", "grid_name",
                            "community_name", "township_name", "plan_name", "plan_shortfall",
                            "plan_late"})
"""Fields the service adds when it reads a record (:meth:`Dispatcher.decorate`)."""


@functools.cache
def record_fields() -> dict[str, tuple[type, bool]]:
    """Each field of :class:`IncidentRecord` with its value type and whether it may be None.

    Examples
    --------
    >>> record_fields()["due_at"]
    (<class 'datetime.datetime'>, True)
    """
    hints = typing.get_type_hints(IncidentRecord)
    out = {}
    for f in dataclasses.fields(IncidentRecord):
        hint = hints[f.name]
        args = typing.get_args(hint)
        optional = isinstance(hint, types.UnionType) and type(None) in args
        if optional:
            hint = next(a for a in args if a is not type(None))
        out[f.name] = (typing.get_origin(hint) or hint, optional)
    return out
