"""What one reader's live stream says about a change: scoped, decorated, masked.

A change reaches a reader when its incident, as it is now, lies in the reader's
jurisdiction (:func:`gridgis.people.access.in_scope`, the rule of
``GET /incidents/{id}``). The message is the incident as ``GET /incidents`` shows it
to that reader (light, names, the actions they may take; never the reporter's
contact details) and the event's action, states, time and actor: no note, data,
client address or hash (the panel reads the full history when opened).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from api.models import CstOut, Incident
from gridgis.dispatch import Dispatcher
from gridgis.incidents.names import State
from gridgis.people.access import in_scope
from gridgis.people.staff import StaffMember
from gridgis.store.changes import Change, changes_since, last_event_id

__all__ = ["REPLAY_LIMIT", "LiveChange", "LiveEvent", "message_for", "replay"]

REPLAY_LIMIT = 5_000
"""Events a resuming stream reads back at most; further behind, it is told to reload."""


class LiveEvent(BaseModel):
    """The step that changed the incident."""

    event_id: int
    at: CstOut
    actor: str
    role: str
    action: str
    from_state: State | None
    to_state: State


class LiveChange(BaseModel):
    """One ``change`` message of ``GET /events/stream``."""

    event: LiveEvent
    incident: Incident


def message_for(dispatcher: Dispatcher, person: StaffMember, change: Change
                ) -> dict[str, Any] | None:
    """The change as ``person`` sees it (JSON-ready), or None when it is not theirs to see."""
    incident = change["incident"]
    if not in_scope(person, incident):
        return None
    shown = LiveChange(event=LiveEvent(**change["event"]),
                       incident=Incident(**dispatcher.decorate(incident, person=person)))
    return shown.model_dump(mode="json")


def replay(dispatcher: Dispatcher, person: StaffMember, after: int
           ) -> tuple[list[tuple[int, dict[str, Any]]], int, bool]:
    """The reader's messages of the events after ``after``, read back from the store.

    Returns
    -------
    messages : list of (event id, message)
        Oldest first.
    cursor : int
        The last event id read.
    complete : bool
        False when more than :data:`REPLAY_LIMIT` events lie after ``after`` (the
        stream then tells the console to reload instead).
    """
    engine = dispatcher.store.engine
    newest = last_event_id(engine)
    if newest - after > REPLAY_LIMIT:
        return [], newest, False
    out: list[tuple[int, dict[str, Any]]] = []
    cursor = after
    while batch := changes_since(engine, cursor):
        for change in batch:
            message = message_for(dispatcher, person, change)
            if message is not None:
                out.append((change["event"]["event_id"], message))
        cursor = batch[-1]["event"]["event_id"]
    return out, cursor, True
