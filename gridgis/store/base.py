"""The incident store interface: what the dispatch service needs from a database.

A store keeps incidents and their append-only event log. Every change of an
incident is written in the same transaction as its event, guarded by the
incident's ``version`` (optimistic concurrency: of two transitions on one
incident, only the first wins). The embedded default is SQLite
(:class:`gridgis.store.SQLiteStore`); a PostGIS store implements the same
methods. Every query can be limited to areas by code prefix, so that a user
sees only their jurisdiction.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridgis.incidents.record import IncidentRecord
    from gridgis.store.attachments import AttachmentStore
    from gridgis.store.audit import AuditBreak
    from gridgis.store.patrols import PatrolLog
    from gridgis.store.sensors import SensorLog
    from gridgis.store.staff import StaffDirectory

__all__ = ["Event", "IncidentQuery", "IncidentStore", "Page", "Reporter"]


@dataclass(frozen=True)
class Event:
    """One line of an incident's history (全程留痕)."""

    at: dt.datetime
    actor: str
    role: str
    action: str
    from_state: str | None
    to_state: str
    note: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    client: str | None = None  # the address the request came from


@dataclass(frozen=True)
class Reporter:
    """Who reported a matter: personal data, kept apart from the incident and its events."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    channel: str | None = None

    @property
    def empty(self) -> bool:
        """True when nothing personal is known (nothing is stored then)."""
        return not (self.name or self.phone or self.email)


@dataclass(frozen=True)
class IncidentQuery:
    """Filters, order and page of an incident listing.

    ``light`` filters use the stored stage deadline (``due_at``) and the
    moment the stage turns yellow (``yellow_at``) compared with ``now``.
    ``area_codes`` keeps incidents whose grid code starts with any of the
    codes (a township, community or grid code): the jurisdiction filter.
    ``unit_ids`` keeps incidents dispatched to one of these units or whistled
    for them (unit staff see what their unit holds or was called to). Both
    given, an incident passes either (units see the matters their unit is in
    the emergency force of, too). ``whistled`` keeps incidents with
    whistle calls (the supervision sweep looks for overdue report-ins),
    ``planned`` those that started an emergency plan (the plan board). The
    ``light`` of a matter whose plan has a unit not on site past its arrival
    limit is red.
    """

    now: dt.datetime
    status: tuple[str, ...] = ()
    light: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    grid_code: str | None = None
    community_code: str | None = None
    township_code: str | None = None
    area_codes: tuple[str, ...] = ()
    unit_ids: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    reported_from: dt.datetime | None = None
    reported_to: dt.datetime | None = None
    whistled: bool = False
    planned: bool = False
    text: str | None = None
    text_codes: tuple[str, ...] = ()
    sort: str = "light"  # "light" (red first), "-reported_at", "reported_at", "due_at"
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True)
class Page:
    """One page of incidents with the total number matched and counts per light."""

    items: list[dict[str, Any]]
    matched: int
    lights: dict[str, int]


class IncidentStore(ABC):
    """Persistence of incidents and events; see the module docstring.

    ``staff`` is the directory of people who sign in (kept in the same database);
    ``attachments`` the incidents' photos and videos; ``sensors`` the IoT devices'
    state and readings; ``patrols`` the grid workers' patrols and zone visits.
    """

    staff: StaffDirectory
    attachments: AttachmentStore
    sensors: SensorLog
    patrols: PatrolLog

    @abstractmethod
    def create(self, record: IncidentRecord, event: Event, *,
               idempotency_key: str | None = None,
               reporter: Reporter | None = None) -> tuple[dict[str, Any], bool]:
        """Insert a new incident with its first event (and its reporter, stored apart).

        The record's ``incident_id``, ``version`` and ``updated_at`` are
        ignored: the store sets them (version 1, updated at the event's time).

        The store gives it an identifier ``E<yyyymmdd>-<sequence>`` from the
        day of ``reported_at``, unique under concurrent reports. Returns the
        stored record and ``True``, or the record created earlier under the
        same ``idempotency_key`` and ``False`` (nothing written).
        """

    @abstractmethod
    def get(self, incident_id: str) -> dict[str, Any]:
        """The incident; raises IncidentNotFoundError."""

    @abstractmethod
    def events(self, incident_id: str) -> list[dict[str, Any]]:
        """The incident's events, oldest first."""

    @abstractmethod
    def update(self, incident_id: str, *, expected_version: int, changes: dict[str, Any],
               event: Event) -> dict[str, Any]:
        """Apply ``changes`` and append ``event`` atomically if the version still matches.

        Raises ConflictError when another change came first, and
        IncidentNotFoundError for an unknown id; nothing is written then.
        """

    @abstractmethod
    def query(self, query: IncidentQuery) -> Page:
        """Incidents matching ``query``."""

    @abstractmethod
    def events_of(self, action: str, *, area_codes: tuple[str, ...] = (),
                  since: dt.datetime | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Events of one action (newest first) on incidents under ``area_codes``.

        Each row is the event with the incident's ``grid_code``,
        ``community_code``, ``township_code``, ``category`` and ``status``
        (the supervision notices a level reads).
        """

    @abstractmethod
    def open_near(self, *, category: str, bbox: tuple[float, float, float, float],
                  since: dt.datetime) -> list[dict[str, Any]]:
        """Open incidents of ``category`` inside ``bbox`` reported since ``since``.

        Each a dict with at least ``incident_id``, ``lon`` and ``lat`` (what a
        duplicate check needs; a store may give the whole record).
        """

    @abstractmethod
    def reporter(self, incident_id: str) -> Reporter | None:
        """Who reported the incident (personal data), or None when nothing is known."""

    @abstractmethod
    def audit(self) -> tuple[int, list[AuditBreak]]:
        """Check the trail: the number of events and every break in their hash chains."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    @abstractmethod
    def check(self, *, writable: bool = False) -> None:
        """Raise :class:`~gridgis.errors.StoreError` when the store cannot be used.

        One cheap read: the store answers and holds every table and column of its
        schema; with ``writable``, it can also be written.
        """
