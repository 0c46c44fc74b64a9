"""The store's changes as they happen: the event log read from a cursor, and one watcher.

Every change of an incident appends one row to ``events`` in the transaction that
makes it (:mod:`gridgis.store.sqlite`), and writers queue on one lock on both
backends (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so event
ids grow in commit order: a reader that has seen every event up to id N misses
nothing by asking for the events after N. That id is the cursor of the service's
live stream (``Last-Event-ID``).

:class:`ChangeWatcher` is one thread per process that notices new events and hands
each batch to a callback:

- on **PostgreSQL** the writer sends ``NOTIFY gridgis_events`` in the same
  transaction as the event row (delivered at commit, :func:`notify_event`); the
  watcher ``LISTEN``-s on a connection of its own and reads the new rows when told,
  and once every few seconds anyway (a missed notification costs seconds, not rows);
- on **SQLite** it polls the largest event id every ``interval`` seconds (one indexed
  read of a few microseconds) and reads the new rows when it moved.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from gridgis.store.notify import CHANNEL, notify_event
from gridgis.store.reading import reading
from gridgis.store.sqlite import events, incidents

__all__ = ["CHANNEL", "Change", "ChangeWatcher", "changes_since", "last_event_id",
           "notify_event"]

EVENT_FIELDS = ("event_id", "incident_id", "at", "actor", "role", "action", "from_state",
                "to_state")
"""The event's columns a change carries (never its note, data, client address or hash)."""
Change = dict[str, Any]
"""``{"event": {EVENT_FIELDS…}, "incident": the incident's current row}``."""
_log = logging.getLogger(__name__)


def last_event_id(engine: sa.Engine) -> int:
    """The largest event id in the store (0 for an empty one)."""
    with reading(engine) as conn:
        return int(conn.execute(sa.select(sa.func.max(events.c.event_id))).scalar() or 0)


def changes_since(engine: sa.Engine, after: int, *, limit: int = 500) -> list[Change]:
    """The events after id ``after`` (oldest first, at most ``limit``) with their incidents.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (``store.engine``).
    after : int
        The cursor: the last event id already seen.
    limit : int, default 500
        At most this many events; ask again from the last one for more.

    Returns
    -------
    list of dict
        :data:`Change` rows; the incident is its row as it is now.
    """
    columns = [events.c[name].label(f"event__{name}") for name in EVENT_FIELDS]
    stmt = (sa.select(*columns, incidents)
            .join(incidents, incidents.c.incident_id == events.c.incident_id)
            .where(events.c.event_id > after).order_by(events.c.event_id).limit(limit))
    with reading(engine) as conn:
        rows = conn.execute(stmt).mappings().all()
    out = []
    for row in rows:
        event = {name: row[f"event__{name}"] for name in EVENT_FIELDS}
        incident = {k: v for k, v in row.items() if not k.startswith("event__")}
        out.append({"event": event, "incident": incident})
    return out


class ChangeWatcher:
    """One thread noticing new events of a store; see the module docstring.

    Parameters
    ----------
    store : SQLiteStore or PostGISStore
        The store (its ``engine``; a PostGIS store's ``url`` to listen on).
    on_changes : callable
        Called in the watcher's thread with each batch of :data:`Change` rows, in
        event order, never twice for one event.
    interval : float, default 0.25
        Seconds between two polls on SQLite; on PostgreSQL, between two looks at
        the stop flag while waiting for a notification.
    sweep : float, default 5
        On PostgreSQL: seconds after which the watcher reads anyway.
    """

    def __init__(self, store: Any, on_changes: Callable[[list[Change]], None], *,
                 interval: float = 0.25, sweep: float = 5.0) -> None:
        self.engine: sa.Engine = store.engine
        self.url: sa.URL | None = getattr(store, "url", None) \
            if self.engine.dialect.name == "postgresql" else None
        self.on_changes = on_changes
        self.interval = interval
        self.sweep = sweep
        self.cursor = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is watching."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start watching from the store's last event now (later events are handed on)."""
        if self.running:
            return
        self._stop.clear()
        self.cursor = last_event_id(self.engine)
        self._thread = threading.Thread(target=self._run, name="gridgis-change-watcher",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (returns once the thread has ended)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def read(self) -> int:
        """Hand on every event after the cursor; the number handed on."""
        handed = 0
        while True:
            batch = changes_since(self.engine, self.cursor)
            if not batch:
                return handed
            self.cursor = batch[-1]["event"]["event_id"]
            handed += len(batch)
            self.on_changes(batch)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.url is None:
                    self._poll()
                else:
                    self._listen()
            except Exception:  # a lost connection: say so, wait a moment, go on
                _log.warning("change watcher: the store did not answer; retrying",
                             exc_info=True)
                self._stop.wait(1.0)

    def _poll(self) -> None:
        while not self._stop.is_set():
            if last_event_id(self.engine) > self.cursor:
                self.read()
            self._stop.wait(self.interval)

    def _listen(self) -> None:
        import time

        from gridgis.store.postgis import listener

        assert self.url is not None
        with listener(self.url, CHANNEL) as conn:
            self.read()  # what was written while nobody listened
            swept = time.monotonic()
            while not self._stop.is_set():
                told = False
                for _ in conn.notifies(timeout=self.interval, stop_after=1):
                    told = True  # read at once: the rows say more than the payload
                if told or time.monotonic() - swept > self.sweep:
                    self.read()
                    swept = time.monotonic()
