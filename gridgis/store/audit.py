"""The tamper-evident trail: every event's hash is chained to its incident's previous one.

An event's hash is the SHA-256 of the previous event's hash (empty for the
report) and the event's own content in canonical JSON: incident, time, actor,
role, action, states, note, data and client address. Changing, removing or
inserting an event anywhere breaks the chain from there on; removing the last
events shows as a chain shorter than the incident's version (each write adds
one event and one version).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["CHAINED_FIELDS", "AuditBreak", "chain_breaks", "event_hash"]

CHAINED_FIELDS = ("incident_id", "at", "actor", "role", "action", "from_state", "to_state",
                  "note", "data", "client")
"""The fields of an event its hash covers."""


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    return value


def event_hash(previous: str | None, event: Mapping[str, Any]) -> str:
    """The chained hash of an event.

    Parameters
    ----------
    previous : str or None
        The hash of the incident's previous event (None for its first).
    event : mapping
        The event's fields (:data:`CHAINED_FIELDS`; others are ignored).

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> e = {"incident_id": "E20261101-0001", "at": dt.datetime(2026, 11, 1, 9),
    ...      "actor": "wg001", "role": "grid_worker", "action": "report",
    ...      "from_state": None, "to_state": "reported", "note": None, "data": {},
    ...      "client": "10.0.0.8"}
    >>> event_hash(None, e) == event_hash(None, dict(e))
    True
    >>> event_hash(None, e) == event_hash(None, {**e, "actor": "someone else"})
    False
    """
    content = json.dumps({k: _plain(event.get(k)) for k in CHAINED_FIELDS}, sort_keys=True,
                         ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{previous or ''}\n{content}".encode()).hexdigest()


@dataclass(frozen=True)
class AuditBreak:
    """Where the trail does not hold: the incident, the event (None: the whole chain), why."""

    incident_id: str
    event_id: int | None
    reason: str


def chain_breaks(events: Iterable[Mapping[str, Any]],
                 versions: Mapping[str, int]) -> list[AuditBreak]:
    """Every break in the chains of ``events`` (ordered by incident, then event id).

    Parameters
    ----------
    events : iterable of mappings
        Stored events with their ``event_id`` and ``hash``, in order.
    versions : mapping
        Each incident's current version (its number of events).

    Returns
    -------
    list of AuditBreak
        Empty when the trail holds.
    """
    breaks: list[AuditBreak] = []
    seen: dict[str, int] = {}
    previous: dict[str, str | None] = {}
    for row in events:
        iid = row["incident_id"]
        expected = event_hash(previous.get(iid), row)
        if row.get("hash") != expected:
            what = "无哈希 / no hash" if not row.get("hash") else \
                "内容或前序被改动 / content or an earlier event was changed"
            breaks.append(AuditBreak(iid, row["event_id"], what))
        previous[iid] = row.get("hash") or expected
        seen[iid] = seen.get(iid, 0) + 1
    for iid, version in versions.items():
        if seen.get(iid, 0) != version:
            n = seen.get(iid, 0)
            breaks.append(AuditBreak(iid, None, f"事件 {n} 条而版本为 {version}，有删改 / "
                                     f"{n} events for version {version}: events were removed "
                                     "or added"))
    return breaks
