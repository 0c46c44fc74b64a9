"""Load the open incidents of an archive into a live store, with their history.

A district that moves to gridgis brings the matters still open on its old
platform; the demonstration loads the sample district's open incidents so
that the console shows a live board. Every incident is written with the
steps its columns imply, taken through the dispatch service's state
machine, so its trace is whole:

- report, acceptance by the community;
- escalation (``escalated_at``, ``escalation_reason``) before the dispatch at
  the new level: the level above holds the matter with fresh deadlines; a
  matter the county holds goes up both levels at that moment (each step with
  its own reason when the archive gives two, separated by "；");
- dispatch, the unit's start half an hour later (unless the matter was
  shelved first, an hour after the dispatch), its progress reports
  (``progress_at``, then one every progress period up to
  ``progress_reports``);
- whistle calls and report-ins (``whistle_calls``);
- the rounds a dissatisfied call back reopened (``reopenings``: resolve,
  verify, call back, and the unit starting again half an hour later);
- resolution and verification on site (at the incident's point);
- the supervision sweep (督办) every quarter hour between these steps, up to
  ``until``, as the live service runs it.

Archives without the loop's columns (another platform's) load with the
steps their timestamps give.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from gridgis.dispatch.service import Dispatcher
from gridgis.dispatch.timing import deadlines_for
from gridgis.incidents.names import CLOSED_STATES, REPORT, REPORTER, Action, Role, State
from gridgis.incidents.record import IncidentRecord
from gridgis.store.base import Event

__all__ = ["ARCHIVE", "SHELVE_AFTER", "START_AFTER", "SUPERVISION", "SWEEP", "seed_open_incidents"]

ARCHIVE = "archive"
"""The actor of the steps loaded from the archive."""
SUPERVISION = "supervision"
"""The actor of the supervision sweeps (as the live sweep names itself)."""
START_AFTER = dt.timedelta(minutes=30)
"""The unit starts work half an hour after its dispatch (or a reopening)."""
SHELVE_AFTER = dt.timedelta(hours=1)
"""A shelved matter was shelved an hour after its dispatch."""
SWEEP = dt.timedelta(minutes=15)
"""The supervision sweep of the archive's platform ran every quarter hour."""
_ORDER = {a: k for k, a in enumerate(
    (Action.ACCEPT, Action.ESCALATE, Action.DISPATCH, Action.START, Action.WHISTLE,
     Action.REPORT_IN, Action.PROGRESS, Action.SHELVE, Action.RESOLVE, Action.VERIFY,
     Action.CALLBACK))}
_HOLDER = (Role.COMMUNITY, Role.TOWNSHIP, Role.COMMAND_CENTRE)
_EPOCH = dt.datetime(2000, 1, 1)


@dataclass(frozen=True, order=True)
class _Step:
    at: dt.datetime
    order: int
    action: Action = field(compare=False)
    role: Role = field(compare=False)
    inputs: dict[str, Any] = field(default_factory=dict, compare=False)


def _ts(value: Any) -> dt.datetime | None:
    if value is None or (not isinstance(value, str | list) and pd.isna(value)):
        return None
    return pd.Timestamp(value).to_pydatetime()


def _col(inc: Any, name: str) -> Any:
    """A column of the archive's row, None when the archive lacks it or it is empty."""
    value = getattr(inc, name, None)
    if value is None or (not isinstance(value, str | list) and pd.isna(value)):
        return None
    return value


def seed_open_incidents(dispatcher: Dispatcher, incidents: gpd.GeoDataFrame, *,
                        until: dt.datetime | None = None, sweep: dt.timedelta = SWEEP,
                        progress: Callable[[int, int], None] | None = None) -> int:
    """Write the archive's open incidents (not closed, not rejected) into the store.

    Parameters
    ----------
    dispatcher : Dispatcher
        The service whose store receives them; its deadlines and lights apply.
    incidents : geopandas.GeoDataFrame
        An ``incidents`` layer.
    until : datetime, optional
        Supervision sweeps are replayed up to this moment (default: the
        dispatcher's clock; give the archive's end to match its
        ``supervisions``).
    sweep : timedelta, default :data:`SWEEP`
        How often the archive's supervision sweep ran (on the clock's
        multiples of it).
    progress : callable, optional
        Called with (incidents done, incidents to load) after each one (a
        progress bar: the full sample's open matters take half a minute).

    Returns
    -------
    int
        How many incidents were written (those already present under the
        same archive id are skipped: seeding twice writes nothing new).

    Raises
    ------
    TransitionError
        When the archive's steps of an incident cannot follow each other.

    Notes
    -----
    The report is written as the archive has it (located already); the
    later steps go through :meth:`Dispatcher.transition` at the archive's
    times, so they have the same effects and events as live ones.
    """
    until = dispatcher.clock() if until is None else until
    open_ = incidents[~incidents["status"].isin(sorted(CLOSED_STATES))]
    written = 0
    for done, inc in enumerate(open_.itertuples(), start=1):
        if progress is not None:
            progress(done - 1, len(open_))
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
        _replay(dispatcher, stored, sorted(_steps(dispatcher, inc)), until, sweep)
    if progress is not None:
        progress(len(open_), len(open_))
    return written


def _steps(dispatcher: Dispatcher, inc: Any) -> list[_Step]:
    """The steps of the loop the archive's row implies (unordered)."""
    out: list[_Step] = []

    def add(at: dt.datetime | None, action: Action, role: Role, **inputs: Any) -> None:
        if at is not None:
            out.append(_Step(at, _ORDER[action], action, role, inputs))

    here = {"lon": float(inc.geometry.x), "lat": float(inc.geometry.y)}  # verified on site
    accepted = _ts(_col(inc, "accepted_at"))
    add(accepted, Action.ACCEPT, Role.COMMUNITY)
    level = int(_col(inc, "escalation_level") or 0)
    if level and accepted is not None:
        at = _ts(_col(inc, "escalated_at")) or accepted
        text = _col(inc, "escalation_reason") or "上报升级 / escalated (from the archive)"
        reasons = text.split("；") if len(text.split("；")) == level else [text] * level
        for k in range(level):  # both at once for the county: the archive keeps one moment
            add(at, Action.ESCALATE, _HOLDER[k], note=reasons[k])
    holder = _HOLDER[level]
    dispatched = _ts(_col(inc, "dispatched_at"))
    if dispatched is None:
        return out
    add(dispatched, Action.DISPATCH, holder if level else Role.TOWNSHIP, unit_id=inc.unit_id)
    if inc.status not in (State.DISPATCHED, State.SHELVED):  # shelved before work began
        add(dispatched + START_AFTER, Action.START, Role.UNIT)
    for calls in _whistles(_col(inc, "whistle_calls")):
        first = calls[0]
        called, due = _ts(first["called_at"]), _ts(first["due_at"])
        add(called, Action.WHISTLE, _HOLDER[min(level, 1)], unit_ids=[c["unit_id"] for c in calls],
            hours=(due - called).total_seconds() / 3600,
            note=first.get("reason") or "吹哨 / whistle (from the archive)")
        for c in calls:
            add(_ts(c.get("reported_in_at")), Action.REPORT_IN, Role.UNIT, unit_id=c["unit_id"],
                place=c.get("place") or "社区 / the community",
                staff=c.get("staff") or "（未记录） / (not recorded)")
    first_report = _ts(_col(inc, "progress_at"))
    if first_report is not None:
        period = pd.Timedelta(dispatcher.categories.loc[inc.category, "progress"]
                              ).to_pytimedelta()
        reports = int(_col(inc, "progress_reports") or 1)
        for k in range(reports):
            add(first_report + k * period, Action.PROGRESS, Role.UNIT,
                note="进展反馈 / progress (from the archive)")
    if inc.status == State.SHELVED:
        add(dispatched + SHELVE_AFTER, Action.SHELVE, Role.TOWNSHIP,
            note="挂账 / shelved (from the archive)")
    rounds = json.loads(_col(inc, "reopenings") or "[]")
    for k, r in enumerate(rounds):
        add(_ts(r["resolved_at"]), Action.RESOLVE, Role.UNIT)
        add(_ts(r["verified_at"]), Action.VERIFY, Role.GRID_WORKER, **here)
        back = _ts(r["callback_at"])
        add(back, Action.CALLBACK, holder, satisfaction=r["satisfaction"], outcome="reached")
        if k < len(rounds) - 1 or inc.status != State.REOPENED:  # the unit starts again
            add(back + START_AFTER, Action.START, Role.UNIT)
    add(_ts(_col(inc, "resolved_at")), Action.RESOLVE, Role.UNIT)
    add(_ts(_col(inc, "verified_at")), Action.VERIFY, Role.GRID_WORKER, **here)
    return out


def _whistles(text: str | None) -> list[list[dict[str, Any]]]:
    """The archive's whistle calls grouped by whistle (same moment, deadline and reason)."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for call in json.loads(text or "[]"):
        key = (call["called_at"], call["due_at"], call.get("reason"))
        groups.setdefault(key, []).append(call)
    return list(groups.values())


def _pending(record: IncidentRecord) -> dt.datetime | None:
    """The earliest deadline the supervision sweep would act on once it has passed."""
    dues = [dt.datetime.fromisoformat(c["due_at"]) for c in record.whistle_calls
            if c.get("reported_in_at") is None and not c.get("supervised")]
    if record.due_at is not None and record.supervised_due_at != record.due_at:
        dues.append(record.due_at)
    return min(dues, default=None)


def _replay(dispatcher: Dispatcher, stored: dict[str, Any], steps: list[_Step],
            until: dt.datetime, sweep: dt.timedelta) -> None:
    """Take the steps in order, with the supervision sweeps that fell between them."""
    iid, record = stored["incident_id"], IncidentRecord.from_row(stored)
    for step in [*steps, None]:
        while (pending := _pending(record)) is not None:
            tick = _EPOCH + ((pending - _EPOCH) // sweep + 1) * sweep
            if tick > until or (step is not None and tick >= step.at):
                break
            record = IncidentRecord.from_row(dispatcher.transition(
                iid, action=Action.SUPERVISE, actor=SUPERVISION, role=Role.COMMAND_CENTRE,
                at=tick, note="督办扫描 / supervision sweep (from the archive)"))
        if step is not None:
            record = IncidentRecord.from_row(dispatcher.transition(
                iid, action=step.action, actor=ARCHIVE, role=step.role, at=step.at,
                **step.inputs))
