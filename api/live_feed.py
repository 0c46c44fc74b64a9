"""One change watcher per service process, shared by every open live stream.

The watcher (:class:`gridgis.store.changes.ChangeWatcher`) runs in a thread of its own
from the first stream on; each batch of changes it reads is handed to every open
stream's queue on the event loop. A stream that falls far behind (a client that
stopped reading) is marked :attr:`Subscription.overflowed` and told to reload, rather
than holding an unbounded backlog.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from gridgis.store.changes import Change, ChangeWatcher

__all__ = ["BACKLOG", "LiveFeed", "Subscription"]

BACKLOG = 256
"""Batches a stream may hold unread before it is told to reload."""


class Subscription:
    """One open stream's queue of change batches."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[list[Change]] = asyncio.Queue(maxsize=BACKLOG)
        self.overflowed = False

    def put(self, batch: list[Change]) -> None:
        """Queue a batch (on the event loop); mark the stream behind when it is full."""
        try:
            self.queue.put_nowait(batch)
        except asyncio.QueueFull:
            self.overflowed = True


class LiveFeed:
    """The process's watcher and the streams it feeds.

    Parameters
    ----------
    store : IncidentStore
        The SQL store the service writes (SQLite or PostGIS).
    interval : float, default 0.25
        Seconds between two polls of a SQLite store.
    """

    def __init__(self, store: Any, *, interval: float = 0.25) -> None:
        self._subscriptions: set[Subscription] = set()
        self._lock = threading.Lock()
        self.watcher = ChangeWatcher(store, self._deliver, interval=interval)

    def subscribe(self) -> Subscription:
        """A new stream's queue (call on the event loop); starts the watcher the first time.

        Every event committed after this call reaches the queue (or is read by the
        stream's catch-up from its cursor): nothing falls between the two.
        """
        subscription = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def ensure_watching(self) -> None:
        """Start the watcher if it is not running (one short read; call off the loop)."""
        with self._lock:
            if not self.watcher.running:
                self.watcher.start()

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a closed stream."""
        with self._lock:
            self._subscriptions.discard(subscription)

    @property
    def streams(self) -> int:
        """How many streams are open in this process."""
        return len(self._subscriptions)

    def close(self) -> None:
        """Stop the watcher."""
        self.watcher.stop()

    def _deliver(self, batch: list[Change]) -> None:
        with self._lock:
            targets = list(self._subscriptions)
        for subscription in targets:
            try:
                subscription.loop.call_soon_threadsafe(subscription.put, batch)
            except RuntimeError:  # its loop has closed: the stream is gone
                self.unsubscribe(subscription)
