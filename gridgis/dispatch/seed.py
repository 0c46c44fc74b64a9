"""Load the open incidents of an archive into a live store, with their history.

A district that moves to gridgis brings the matters still open on its old
platform; the demonstration loads the sample district's open incidents so
that the console shows a live board. Every incident is written with the
steps its timestamps imply (report, accept, dispatch…), taken through the
dispatch service's state machine, so its trace is whole.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import pandas as pd

from gridgis.dispatch.service import Dispatcher
from gridgis.dispatch.timing import deadlines_for
from gridgis.incidents.names import CLOSED_STATES, REPORT, REPORTER, Action, Role, State
from gridgis.incidents.record import IncidentRecord
from gridgis.store.base import Event

__all__ = ["ARCHIVE", "STEPS", "seed_open_incidents"]

ARCHIVE = "archive"
"""The actor of the steps loaded from the archive."""
STEPS = [("accepted_at", Action.ACCEPT, Role.COMMUNITY),
         ("dispatched_at", Action.DISPATCH, Role.TOWNSHIP),
         ("dispatched_at", Action.START, Role.UNIT),  # half an hour after the dispatch
         ("progress_at", Action.PROGRESS, Role.UNIT),  # when the archive has the column
         ("resolved_at", Action.RESOLVE, Role.UNIT),
         ("verified_at", Action.VERIFY, Role.GRID_WORKER)]
"""The archive's timestamps and the steps of the loop they stand for, in order (a
progress report is optional: archives of platforms without one have no ``progress_at``)."""


def _ts(value: Any) -> dt.datetime | None:
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def seed_open_incidents(dispatcher: Dispatcher, incidents: gpd.GeoDataFrame) -> int:
    """Write the archive's open incidents (not closed, not rejected) into the store.

    Parameters
    ----------
    dispatcher : Dispatcher
        The service whose store receives them; its deadlines and lights apply.
    incidents : geopandas.GeoDataFrame
        An ``incidents`` layer.

    Returns
    -------
    int
        How many incidents were written (those already present under the
        same archive id are skipped: seeding twice writes nothing new).

    Raises
    ------
    TransitionError
        When the archive's timestamps of an incident run backwards.

    Notes
    -----
    The report is written as the archive has it (located already); the
    later steps go through :meth:`Dispatcher.transition` at the archive's
    times, so they have the same effects and events as live ones.
    """
    open_ = incidents[~incidents["status"].isin(sorted(CLOSED_STATES))]
    written = 0
    for inc in open_.itertuples():
        reported = _ts(inc.reported_at)
        due = deadlines_for(reported, dispatcher.categories.loc[inc.category],
                            calendar=dispatcher.settings.calendar)
        record = IncidentRecord(
            lon=float(inc.geometry.x), lat=float(inc.geometry.y), input_crs=inc.input_crs,
            input_lon=float(inc.geometry.x), input_lat=float(inc.geometry.y),
            category=inc.category, priority=inc.priority,
            platform=dispatcher.categories.loc[inc.category, "platform"],
            description=inc.description, source=inc.source, grid_code=inc.grid_code,
            community_code=inc.community_code, township_code=inc.township_code,
            match="inside", edge_distance_m=None, patrol_level=None, reported_at=reported,
            respond_by=due.respond_by, progress_by=due.progress_by, resolve_by=due.resolve_by,
            **dispatcher.stage(reported, due.respond_by),
        )
        event = Event(at=reported, actor=inc.source, role=REPORTER, action=REPORT,
                      from_state=None, to_state=State.REPORTED,
                      data={"archive_id": inc.incident_id})
        stored, created = dispatcher.store.create(record, event,
                                                  idempotency_key=f"archive:{inc.incident_id}")
        if not created:
            continue
        written += 1
        iid, status = stored["incident_id"], State.REPORTED
        for column, action, role in STEPS:
            if action is Action.PROGRESS:
                at = _ts(getattr(inc, column, None))
                if at is not None:
                    dispatcher.transition(iid, action=action, actor=ARCHIVE, role=role, at=at,
                                          note="进展反馈 (from the archive)")
                continue
            at = _ts(getattr(inc, column))
            if at is None or (action is Action.START and inc.status == State.DISPATCHED):
                break
            if action is Action.START:
                at += dt.timedelta(minutes=30)
            unit_id = inc.unit_id if action is Action.DISPATCH else None
            # the archive's verification was on site: at the incident's point
            here = ({"lon": float(inc.geometry.x), "lat": float(inc.geometry.y)}
                    if action is Action.VERIFY else {})
            status = dispatcher.transition(iid, action=action, actor=ARCHIVE, role=role, at=at,
                                           unit_id=unit_id, **here)["status"]
        if inc.status == State.SHELVED and status == State.IN_PROGRESS:
            dispatcher.transition(iid, action=Action.SHELVE, actor=ARCHIVE, role=Role.TOWNSHIP,
                                  at=_ts(inc.dispatched_at) + dt.timedelta(hours=1),
                                  note="挂账 (from the archive)")
    return written
