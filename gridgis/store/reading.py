"""Connections that only read: a deferred transaction, never the write lock.

The SQLite store begins its write transactions with ``BEGIN IMMEDIATE`` so
that writers queue instead of failing half-way. A connection opened with
:func:`reading` begins a plain (deferred) transaction instead: in WAL mode it
reads the last committed state while a writer holds the lock, so listings,
reads and sign-ins never wait behind a report being written.
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["READ_ONLY", "reading"]

READ_ONLY = "gridgis_read_only"
"""The execution option that marks a connection as a reader."""


def reading(engine: sa.Engine) -> sa.Connection:
    """A connection for reads only (use it as a context manager)."""
    return engine.connect().execution_options(**{READ_ONLY: True})
