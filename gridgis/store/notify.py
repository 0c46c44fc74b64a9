"""Notify PostgreSQL listeners of a new event, in the transaction that writes it."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["CHANNEL", "notify_event"]

CHANNEL = "gridgis_events"
"""The PostgreSQL notification channel of new events (payload: the event id)."""


def notify_event(conn: sa.Connection, event_id: int) -> None:
    """Tell the listeners of event ``event_id`` when ``conn``'s transaction commits.

    ``NOTIFY`` is transactional on PostgreSQL: a rolled-back change tells nobody.
    Nothing is sent on SQLite, whose watchers poll (:mod:`gridgis.store.changes`).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_notify(CHANNEL, str(event_id))))
