"""Answers remembered while the database is unchanged (SQLite's ``PRAGMA data_version``).

A service asks the staff directory who a token names and who works in a grid
on every request; the answer changes only when someone writes the database.
:class:`Memo` keeps answers by key and forgets them all as soon as any
connection, in this process or another, commits a change to the file: one
dedicated connection reads ``PRAGMA data_version`` (a few microseconds), which
SQLite changes whenever another connection commits. Given a ``stamp`` query
(a counter that triggers move on with every change to the tables the answers
come from), a commit elsewhere (a report) keeps the answers while the stamp
stays the same.

Only a SQLite file can be watched this way; for an in-memory database or
another dialect (PostGIS) :meth:`Memo.get` always asks the database.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa

__all__ = ["Memo", "watched_file"]

T = TypeVar("T")


def watched_file(engine: sa.Engine) -> str | None:
    """The SQLite file behind ``engine``, or None when it cannot be watched."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" \
            or database.startswith("file:"):
        return None
    return database


class Memo:
    """Answers by key, valid until the database changes.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine; a SQLite file is watched, anything else is not
        remembered.
    max_items : int, default 20000
        Beyond this many answers the memo starts afresh (bounded memory).
    stamp : str, optional
        A query of one number that changes whenever the answers may (see
        :func:`gridgis.store.staff.create_staff_stamp`); without it, or while
        it fails (no such table), any commit forgets every answer.

    Examples
    --------
    >>> memo = Memo(sa.create_engine("sqlite://"))
    >>> memo.get("k", lambda: 42)  # in memory: asked every time
    42
    """

    def __init__(self, engine: sa.Engine, *, max_items: int = 20_000,
                 stamp: str | None = None) -> None:
        self.path = watched_file(engine)
        self.max_items = max_items
        self.stamp = stamp
        self._stamp: int | None = None
        self._lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._version: int | None = None
        self._items: dict[Hashable, Any] = {}

    def _current(self) -> int | None:
        """The file's data version now (under the lock); None when it cannot be read."""
        try:
            if self._watch is None:  # never waits: a busy file is "unknown", asked afresh
                self._watch = sqlite3.connect(self.path, check_same_thread=False,  # type: ignore[arg-type]
                                              isolation_level=None, timeout=0)
            return int(self._watch.execute("PRAGMA data_version").fetchall()[0][0])
        except sqlite3.OperationalError:  # busy a moment (a checkpoint): the answers are asked
            return None
        except sqlite3.Error:
            self._close()
            return None

    def _stamp_now(self) -> int | None:
        """The stamp query's number now (under the lock); None without one."""
        if self.stamp is None or self._watch is None:
            return None
        try:
            return int(self._watch.execute(self.stamp).fetchall()[0][0])
        except (sqlite3.Error, IndexError, TypeError, ValueError):
            return None

    def _close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def get(self, key: Hashable, ask: Callable[[], T]) -> T:
        """The answer for ``key``: remembered while the file is unchanged, else ``ask()``.

        An answer is kept under the data version seen before asking; a change
        committed meanwhile makes the next call see a newer version and forget it.
        """
        if self.path is None:
            return ask()
        with self._lock:
            version = self._current()
            if version is None or version != self._version:
                stamp = None if version is None else self._stamp_now()
                if stamp is None or stamp != self._stamp:  # the answers' tables changed
                    self._items.clear()
                self._version, self._stamp = version, stamp
            if key in self._items:
                return self._items[key]
        answer = ask()
        if version is not None:
            with self._lock:
                if self._version == version:  # no other call saw a newer version meanwhile
                    if len(self._items) >= self.max_items:
                        self._items.clear()
                    self._items[key] = answer
        return answer

    def forget(self) -> None:
        """Drop every remembered answer (after a write of this process, to be sure)."""
        with self._lock:
            self._items.clear()
            self._version = self._stamp = None

    def close(self) -> None:
        """Close the watching connection."""
        with self._lock:
            self._items.clear()
            self._version = self._stamp = None
            self._close()
