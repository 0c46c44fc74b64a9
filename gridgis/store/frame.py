"""All incidents of a store as one data frame, with who reported and verified them.

Assessment (考核) and the half-monthly bulletin read a whole district's
matters at once: :func:`incident_frame` reads them in one query — the
columns of :class:`~gridgis.incidents.record.IncidentRecord` and, from each
incident's events (全程留痕), the identities the record does not keep:

- ``reported_by`` / ``reported_role``: actor and role of the report event;
- ``verified_by``: actor of the last on-site verification;
- ``escalated_at`` / ``escalation_reason``: time and note of the last
  escalation;
- ``returned_units``: the units that returned the matter (退回), in order.

A store other than SQLite is read through its interface
(:meth:`~gridgis.store.IncidentStore.query` page by page and
:meth:`~gridgis.store.IncidentStore.events` per incident): the same frame,
more slowly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from gridgis.incidents.names import REPORT, Action
from gridgis.incidents.record import record_fields
from gridgis.store.base import IncidentQuery, IncidentStore
from gridgis.store.dialects import json_list, json_text
from gridgis.store.reading import reading
from gridgis.store.sqlite import SQLiteStore, events, incidents

__all__ = ["EVENT_COLUMNS", "incident_frame"]

EVENT_COLUMNS: tuple[str, ...] = ("reported_by", "reported_role", "verified_by", "escalated_at",
                                  "escalation_reason", "returned_units")
"""Columns :func:`incident_frame` adds to the record's, read from the events."""
_PAGE = 1000


def incident_frame(store: IncidentStore, *, reported_from: dt.datetime | None = None,
                   reported_to: dt.datetime | None = None,
                   area_codes: Iterable[str] = ()) -> pd.DataFrame:
    """The incidents of a store (reported in a period, under some areas) as a frame.

    Parameters
    ----------
    store : IncidentStore
        Read in one query when it is a :class:`~gridgis.store.SQLiteStore`.
    reported_from, reported_to : datetime, optional
        Keep incidents reported at or after ``reported_from`` and before
        ``reported_to`` (naive China time, as stored).
    area_codes : iterable of str, optional
        Keep incidents whose grid code starts with one of these codes
        (township, community or grid): a jurisdiction.

    Returns
    -------
    pandas.DataFrame
        One row per incident, ordered by report time and id, indexed by
        ``incident_id``: every record field (timestamps as ``datetime64``,
        ``whistle_calls`` as lists of dicts) and :data:`EVENT_COLUMNS`.

    Examples
    --------
    >>> from gridgis.store import SQLiteStore
    >>> frame = incident_frame(SQLiteStore(":memory:"))
    >>> len(frame), "reported_by" in frame.columns
    (0, True)
    """
    codes = tuple(area_codes)
    if isinstance(store, SQLiteStore):
        rows = _sqlite_rows(store, reported_from, reported_to, codes)
    else:
        rows = _interface_rows(store, reported_from, reported_to, codes)
    return _as_frame(rows)


def _sqlite_rows(store: SQLiteStore, start: dt.datetime | None, end: dt.datetime | None,
                 codes: tuple[str, ...]) -> list[dict[str, Any]]:
    c, e = incidents.c, events.c

    def first(column: sa.ColumnElement[Any], action: str, *, last: bool = False
              ) -> sa.ScalarSelect[Any]:
        order = e.event_id.desc() if last else e.event_id
        return (sa.select(column).where(e.incident_id == c.incident_id, e.action == action)
                .order_by(order).limit(1).scalar_subquery())

    returned = (sa.select(json_list(json_text(e.data, "unit_id"), e.event_id))
                .where(e.incident_id == c.incident_id, e.action == Action.RETURN)
                .scalar_subquery())
    where = []
    if start is not None:
        where.append(c.reported_at >= start)
    if end is not None:
        where.append(c.reported_at < end)
    if codes:
        where.append(sa.or_(*[c.grid_code.startswith(a, autoescape=True) for a in codes]))
    stmt = (sa.select(*[c[name] for name in record_fields()],
                      first(e.actor, REPORT).label("reported_by"),
                      first(e.role, REPORT).label("reported_role"),
                      first(e.actor, Action.VERIFY, last=True).label("verified_by"),
                      first(e.at, Action.ESCALATE, last=True).label("escalated_at"),
                      first(e.note, Action.ESCALATE, last=True).label("escalation_reason"),
                      returned.label("returned_units"))
            .where(*where).order_by(c.reported_at, c.incident_id))
    with reading(store.engine) as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings().all()]
    for row in rows:
        units = row["returned_units"]
        row["returned_units"] = json.loads(units) if isinstance(units, str) else (units or [])
    return rows


def _interface_rows(store: IncidentStore, start: dt.datetime | None, end: dt.datetime | None,
                    codes: tuple[str, ...]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = store.query(IncidentQuery(now=dt.datetime(2000, 1, 1), area_codes=codes,
                                         reported_from=start, reported_to=end,
                                         sort="reported_at", offset=offset, limit=_PAGE))
        for item in page.items:
            row = {name: item.get(name) for name in record_fields()}
            rows.append(row | _from_events(store.events(item["incident_id"])))
        offset += len(page.items)
        if not page.items or offset >= page.matched:
            return rows


def _from_events(history: list[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    out["returned_units"] = []
    for ev in history:
        action = ev["action"]
        if action == REPORT and out["reported_by"] is None:
            out["reported_by"], out["reported_role"] = ev["actor"], ev["role"]
        elif action == Action.VERIFY:
            out["verified_by"] = ev["actor"]
        elif action == Action.ESCALATE:
            out["escalated_at"], out["escalation_reason"] = ev["at"], ev["note"]
        elif action == Action.RETURN:
            out["returned_units"].append((ev.get("data") or {}).get("unit_id"))
    return out


def _as_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    fields = record_fields()
    columns = [*fields, *EVENT_COLUMNS]
    frame = pd.DataFrame(rows, columns=columns)
    for name, (kind, _) in fields.items():
        if kind is dt.datetime:
            frame[name] = pd.to_datetime(frame[name])
        elif kind in (int, float):
            frame[name] = pd.to_numeric(frame[name])
    frame["escalated_at"] = pd.to_datetime(frame["escalated_at"])
    return frame.set_index("incident_id", drop=False).rename_axis(None)
