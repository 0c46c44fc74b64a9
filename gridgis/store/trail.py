"""Verify an incident store's trail from its file, opened read-only.

Opening a store with :class:`~gridgis.store.SQLiteStore` migrates it, and a
migration chains the events of an older file: a verification must not do
that, or it would bless whatever the file holds. :func:`verify_store_file`
reads the file as it is and checks every chain (:mod:`gridgis.store.audit`).
A PostgreSQL store (``postgresql://…``) is read the same way, in a read-only
transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from gridgis.errors import StoreError
from gridgis.store.audit import AuditBreak, chain_breaks

__all__ = ["TrailReport", "verify_store_file"]

FIRST_CHAINED_SCHEMA = 2


@dataclass(frozen=True)
class TrailReport:
    """What a verification found: how much was checked and every break."""

    path: Path
    incidents: int
    events: int
    breaks: list[AuditBreak]

    @property
    def intact(self) -> bool:
        """True when no event was changed, removed or inserted."""
        return not self.breaks


def verify_store_file(path: str | os.PathLike[str]) -> TrailReport:
    """Check every incident's chain of events in a store file, changing nothing.

    Parameters
    ----------
    path : path-like or str
        An incident store (SQLite) written by gridgis, or the URL of a PostGIS
        store (``postgresql://…``).

    Returns
    -------
    TrailReport

    Raises
    ------
    StoreError
        When the file is missing, not a store, or older than the trail
        (schema version 1: open it once with gridgis to chain its events).
    """
    from gridgis.store.opening import is_postgres_url

    if is_postgres_url(path):
        return _verify_database(str(path))
    p = Path(path)
    if not p.is_file():
        raise StoreError(f"{p}: 没有这个文件 / no such file")
    try:
        conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{p}: 无法打开 / cannot be opened ({exc})") from None
    try:
        version = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
        if version < FIRST_CHAINED_SCHEMA:
            raise StoreError(f"{p}: 库版本 {version} 早于留痕链，请先用 gridgis 打开一次 / "
                             f"schema version {version} predates the trail; open the store "
                             "once with gridgis (it chains the events) and verify again")
        conn.row_factory = sqlite3.Row
        versions = {r["incident_id"]: r["version"]
                    for r in conn.execute("SELECT incident_id, version FROM incidents")}
        rows = [dict(r) for r in conn.execute(
            "SELECT * FROM events ORDER BY incident_id, event_id")]
    except sqlite3.Error as exc:
        raise StoreError(f"{p}: 不是完整的事件库 / not a complete incident store "
                         f"({exc})") from None
    finally:
        conn.close()
    for row in rows:  # read back as the store wrote them: JSON data, times as text
        row["data"] = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        row["at"] = dt.datetime.fromisoformat(row["at"]) if isinstance(row["at"], str) \
            else row["at"]
    return TrailReport(path=p, incidents=len(versions), events=len(rows),
                       breaks=chain_breaks(rows, versions))


def _verify_database(url: str) -> TrailReport:
    """:func:`verify_store_file` of a PostgreSQL store, in a read-only transaction."""
    import sqlalchemy as sa

    from gridgis.store.sqlite import events, incidents, schema_version

    parsed = sa.make_url(url.replace("postgres://", "postgresql://", 1)).set(
        drivername="postgresql+psycopg")
    where = parsed.render_as_string(hide_password=True)
    engine = sa.create_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            versions = dict(conn.execute(sa.select(incidents.c.incident_id,
                                                   incidents.c.version)).all())
            rows = [dict(r) for r in conn.execute(sa.select(events).order_by(
                events.c.incident_id, events.c.event_id)).mappings()]
            conn.execute(sa.select(schema_version.c.version)).scalar()
    except sa.exc.DBAPIError as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise StoreError(f"{where}: 无法读取事件库 / cannot read the incident store "
                         f"({reason})") from None
    finally:
        engine.dispose()
    return TrailReport(path=Path(where), incidents=len(versions), events=len(rows),
                       breaks=chain_breaks(rows, versions))
