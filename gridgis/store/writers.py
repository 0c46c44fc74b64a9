"""Writers of one SQLite file take turns instead of sleeping and retrying.

SQLite lets one writer at a time hold a file's write lock; a writer that finds
it taken sleeps in SQLite's busy handler, ever longer (1, 2, 5 … 100 ms) and
tries again, so under many writers some wait a second or more while the lock
sits free between sleeps. :class:`WriterTurns` makes them queue instead: a
thread lock among the threads of a process, then an exclusive ``flock`` on a
file beside the database (``<file>-writers``) among processes. Both wake the
next waiter the moment the holder lets go; the kernel drops the ``flock`` of a
process that dies. :func:`take_turns` wires this on a store's engine: a write
transaction (``BEGIN IMMEDIATE``) takes its turn first and gives it back once
its ``COMMIT`` or ``ROLLBACK`` is done.

SQLite's own lock and busy timeout stay underneath: a writer that cannot take
its turn (a read-only folder, a turn not given within the timeout) writes as
before.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: threads of one process take turns
    fcntl = None  # type: ignore[assignment]

__all__ = ["HOLDS_TURN", "WriterTurns", "before_write", "take_turns"]

HOLDS_TURN = "gridgis_holds_write_turn"
"""Key of a pooled connection's ``info``: it holds the writers' turn now."""


class _FairLock:
    """A lock given in the order of asking (a plain lock lets a releasing thread cut in)."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._serving = 0  # the ticket whose turn it is
        self._issued = 0
        self._abandoned: set[int] = set()

    def _advance(self) -> None:
        self._serving += 1
        while self._serving in self._abandoned:  # those who stopped waiting are passed over
            self._abandoned.discard(self._serving)
            self._serving += 1
        self._cond.notify_all()

    def acquire(self, timeout: float) -> bool:
        """Wait for this caller's turn; False (and out of the queue) after ``timeout`` s."""
        with self._cond:
            ticket = self._issued
            self._issued += 1
            if self._cond.wait_for(lambda: self._serving == ticket, timeout=timeout):
                return True
            self._abandoned.add(ticket)
            return False

    def release(self) -> None:
        """Give the turn to the next in the queue."""
        with self._cond:
            self._advance()


class WriterTurns:
    """The turn to write one SQLite file, among threads and processes.

    Parameters
    ----------
    path : path-like
        The database file; the lock file is ``<path>-writers``.
    timeout : float
        Seconds a thread waits for the others of its process before writing
        without its turn (SQLite's busy timeout then applies as before).
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float) -> None:
        self.lock_path = Path(f"{path}-writers")
        self.timeout = timeout
        self._threads = _FairLock()
        self._fd: int | None = None
        self._no_file = fcntl is None

    def _file(self) -> int | None:
        """The lock file's descriptor, opened once; None when it cannot be."""
        if self._fd is None and not self._no_file:
            try:
                self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError:  # a read-only folder: processes fall back on SQLite's lock
                self._no_file = True
        return self._fd

    def take(self) -> bool:
        """Wait for the turn; True when taken (then :meth:`give_back` it), False if not.

        Another process's turn is waited for at most ``timeout`` seconds: a worker that
        stopped while holding it (stopped by a debugger, swapped out) must not hold up
        the others for ever, so after the timeout the writer goes on to SQLite's own lock
        and busy timeout, which answer "busy, try again" if the file stays locked.
        """
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(self.timeout):
            return False
        fd = self._file()
        if fd is not None and not self._lock_file(fd, deadline):
            self._threads.release()
            return False
        return True

    @staticmethod
    def _lock_file(fd: int, deadline: float) -> bool:
        """Take the file's lock before ``deadline``; False if another process keeps it."""
        pause = 0.0002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:  # another process writes: ask again shortly
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(2 * pause, 0.004)
            except OSError:  # no locking on this file system: the turn among threads holds
                return True

    def give_back(self) -> None:
        """Let the next writer go."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def close(self) -> None:
        """Close the lock file (the file itself stays, empty, beside the database)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def take_turns(engine: sa.Engine, turns: WriterTurns) -> None:
    """Make the write transactions of ``engine`` take turns (see the module docstring).

    Call it before the ``begin`` listener that issues ``BEGIN IMMEDIATE``;
    :func:`before_write` is what that listener calls first.
    """
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def give_back(proxied: Any) -> None:
        try:
            info = proxied.info
        except (AttributeError, NotImplementedError):  # the dialect's first, ad hoc connection
            return
        if info.pop(HOLDS_TURN, False):
            turns.give_back()

    def do_commit(proxied: Any) -> None:
        try:
            commit(proxied)
        finally:
            give_back(proxied)

    def do_rollback(proxied: Any) -> None:
        try:
            rollback(proxied)
        finally:
            give_back(proxied)

    # the turn is given back after the COMMIT or ROLLBACK itself, never before it
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @sa_event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        give_back(record)  # a connection back in the pool holds no turn (invalidated ones too)

    @sa_event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi: Any, record: Any, _exc: Any) -> None:
        give_back(record)


def before_write(conn: sa.Connection, turns: WriterTurns) -> None:
    """Take the turn for a write transaction about to begin on ``conn``."""
    if not conn.info.get(HOLDS_TURN) and turns.take():
        conn.info[HOLDS_TURN] = True
