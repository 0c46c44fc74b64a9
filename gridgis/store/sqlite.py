"""The embedded incident store: SQLAlchemy 2 over SQLite in WAL mode.

One file beside the district's layers, no server to start. Writes take the
database's write lock at the start of the transaction (``BEGIN IMMEDIATE``),
so concurrent writers queue instead of failing half-way; the schema is
created and migrated by the package (table ``schema_version``).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
import sqlite3
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError

from gridgis.errors import ConflictError, IncidentNotFoundError, StoreBusyError, StoreError
from gridgis.incidents.names import CLOSED_STATES, Light
from gridgis.incidents.record import IncidentRecord, record_fields
from gridgis.store._checks import missing_schema, store_error
from gridgis.store.attachments import (
    AttachmentStore,
    attachment_folder_for,
    attachments_metadata,
    create_attachment_tables,
)
from gridgis.store.audit import AuditBreak, chain_breaks, event_hash
from gridgis.store.base import Event, IncidentQuery, IncidentStore, Page, Reporter
from gridgis.store.dialects import json_items, json_text
from gridgis.store.notify import notify_event
from gridgis.store.patrols import PatrolLog, create_patrol_tables, patrol_metadata
from gridgis.store.reading import READ_ONLY, reading
from gridgis.store.sensors import SensorLog, create_sensor_tables, sensor_metadata
from gridgis.store.staff import (
    StaffDirectory,
    create_staff_stamp,
    create_staff_tables,
    has_staff_stamp,
    staff_metadata,
)
from gridgis.store.writers import WriterTurns, before_write, take_turns

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "columns_match_record", "create_missing_indexes",
           "store_path_for"]

metadata = sa.MetaData()

incidents = sa.Table(
    "incidents", metadata,
    sa.Column("incident_id", sa.String(32), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("input_crs", sa.String(16), nullable=False),
    sa.Column("input_lon", sa.Float, nullable=False),
    sa.Column("input_lat", sa.Float, nullable=False),
    sa.Column("category", sa.String(16), nullable=False, index=True),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("platform", sa.String(40), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("grid_code", sa.String(32), index=True),
    sa.Column("community_code", sa.String(32), index=True),
    sa.Column("township_code", sa.String(32), index=True),
    sa.Column("match", sa.String(16)),
    sa.Column("edge_distance_m", sa.Float),
    sa.Column("patrol_level", sa.String(16)),
    sa.Column("unit_id", sa.String(32), index=True),
    sa.Column("candidate_units", sa.JSON, nullable=False),
    sa.Column("duplicate_of", sa.JSON, nullable=False),
    sa.Column("reported_at", sa.DateTime, nullable=False, index=True),
    sa.Column("respond_by", sa.DateTime, nullable=False),
    sa.Column("progress_by", sa.DateTime, nullable=False),
    sa.Column("resolve_by", sa.DateTime, nullable=False),
    sa.Column("stage_started_at", sa.DateTime, nullable=False),
    sa.Column("yellow_at", sa.DateTime),
    sa.Column("due_at", sa.DateTime, index=True),
    sa.Column("accepted_at", sa.DateTime),
    sa.Column("dispatched_at", sa.DateTime),
    sa.Column("started_at", sa.DateTime),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("verified_at", sa.DateTime),
    sa.Column("closed_at", sa.DateTime),
    sa.Column("progress_at", sa.DateTime),
    sa.Column("callback_at", sa.DateTime),
    sa.Column("escalation_level", sa.Integer, nullable=False),
    sa.Column("progress_reports", sa.Integer, nullable=False),
    sa.Column("supervisions", sa.Integer, nullable=False),
    sa.Column("supervised_due_at", sa.DateTime),
    sa.Column("whistle_calls", sa.JSON, nullable=False),
    sa.Column("plan_code", sa.String(16), index=True),
    sa.Column("plan_started_at", sa.DateTime),
    sa.Column("plan_limit_min", sa.Float),
    sa.Column("emergency_forces", sa.JSON, nullable=False),
    sa.Column("callback_outcome", sa.String(16)),
    sa.Column("reopened", sa.Integer, nullable=False),
    sa.Column("returned", sa.Integer, nullable=False),
    sa.Column("extension_hours_pending", sa.Float),
    sa.Column("extensions", sa.Integer, nullable=False),
    sa.Column("satisfaction", sa.Float),
    sa.Column("idempotency_key", sa.String(128), unique=True),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

events = sa.Table(
    "events", metadata,
    sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.incident_id"),
              nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_state", sa.String(16)),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("client", sa.String(64)),
    sa.Column("hash", sa.String(64)),
)

reporters = sa.Table(
    "reporters", metadata,
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.incident_id"),
              primary_key=True),
    sa.Column("name", sa.String(64)),
    sa.Column("phone", sa.String(32)),
    sa.Column("email", sa.String(254)),
    sa.Column("channel", sa.String(32)),
)
"""Reporters' personal data, kept apart from the incident (shown masked but to call-back
roles; never in the incident record, its events or public output)."""

incident_counters = sa.Table(
    "incident_counters", metadata,
    sa.Column("day", sa.String(8), primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)
"""The last sequence number given out per day (``EYYYYMMDD-NNNN``), one row per day."""

STORE_ONLY = frozenset({"idempotency_key"})
"""Columns of the store's own that are not part of the record."""
STORE_SET = frozenset({"incident_id", "version", "updated_at"})
"""Record fields the store sets on every write (None only in a record not yet stored)."""
_SQL_TYPES: dict[type, tuple[type[sa.types.TypeEngine[Any]], ...]] = {
    float: (sa.Float,), int: (sa.Integer,), str: (sa.String, sa.Text),
    dt.datetime: (sa.DateTime,), list: (sa.JSON,)}


def columns_match_record(table: sa.Table) -> list[str]:
    """How the columns of ``table`` differ from :class:`IncidentRecord` (empty: they match).

    Every record field has a column of its type, nullable when the field may
    be None (the identifier and the update time, which the store always
    sets, are not null: :data:`STORE_SET`), and no other column exists but
    :data:`STORE_ONLY`.

    Examples
    --------
    >>> columns_match_record(incidents)
    []
    """
    fields = record_fields()
    problems = [f"column {name!r} is not a record field"
                for name in (c.name for c in table.columns)
                if name not in fields and name not in STORE_ONLY]
    for name, (kind, optional) in fields.items():
        if name not in table.c:
            problems.append(f"record field {name!r} has no column")
            continue
        column = table.c[name]
        base = next(k for k in _SQL_TYPES if issubclass(kind, k))
        if not isinstance(column.type, _SQL_TYPES[base]):
            problems.append(f"column {name!r} is {column.type}, the record has {kind.__name__}")
        if optional and not column.nullable and name not in STORE_SET:
            problems.append(f"column {name!r} is not nullable; the record allows None")
        if not optional and column.nullable and not column.primary_key:
            problems.append(f"column {name!r} is nullable; the record does not allow None")
    return problems


if _drift := columns_match_record(incidents):  # pragma: no cover - a programming error
    raise RuntimeError("the incidents table and IncidentRecord differ: " + "; ".join(_drift))

schema_version = sa.Table("schema_version", metadata,
                          sa.Column("version", sa.Integer, nullable=False))

SCHEMA_VERSION = 4
"""Version of the schema this code writes; older files are migrated on open."""


def _migrate_to_1(conn: sa.Connection) -> None:
    metadata.create_all(conn, tables=[incidents, events])  # a new file: today's columns


def _migrate_to_2(conn: sa.Connection) -> None:
    """Staff, reporters apart, and the trail: client address and chained hash of each event."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("events")}
    for name in ("client", "hash"):
        if name not in have:  # a file written by schema version 1
            conn.exec_driver_sql(f"ALTER TABLE events ADD COLUMN {name} VARCHAR(64)")
    metadata.create_all(conn, tables=[reporters])
    create_staff_tables(conn)
    previous: dict[str, str] = {}  # chain the events written before the trail existed
    rows = conn.execute(sa.select(events).order_by(events.c.incident_id, events.c.event_id))
    for row in rows.mappings().all():
        digest = event_hash(previous.get(row["incident_id"]), row)
        previous[row["incident_id"]] = digest
        conn.execute(sa.update(events).where(events.c.event_id == row["event_id"])
                     .values(hash=digest))


V3_COLUMNS = {"progress_at": "DATETIME", "callback_at": "DATETIME",
              "progress_reports": "INTEGER NOT NULL DEFAULT 0",
              "supervisions": "INTEGER NOT NULL DEFAULT 0", "supervised_due_at": "DATETIME",
              "whistle_calls": "JSON NOT NULL DEFAULT '[]'", "callback_outcome": "VARCHAR(16)"}
"""The columns schema version 3 adds to ``incidents`` (1-3-0 progress, supervision notices,
吹哨报到 calls, call back), with the values an older incident takes."""


def _migrate_to_3(conn: sa.Connection) -> None:
    """The loop as practised: progress, supervision, whistle calls and call back."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("incidents")}
    for name, kind in V3_COLUMNS.items():
        if name not in have:  # a file written by schema version 1 or 2
            conn.exec_driver_sql(f"ALTER TABLE incidents ADD COLUMN {name} {kind}")


V4_COLUMNS = {"plan_code": "VARCHAR(16)", "plan_started_at": "DATETIME",
              "plan_limit_min": "FLOAT", "emergency_forces": "JSON NOT NULL DEFAULT '[]'"}
"""The columns schema version 4 adds to ``incidents`` (the emergency plan a report started and
its force, 应急预案), with the values an older incident takes: no plan."""


def _migrate_to_4(conn: sa.Connection) -> None:
    """Emergency plans: the plan a report started and the units of its force."""
    have = {c["name"] for c in sa.inspect(conn).get_columns("incidents")}
    for name, kind in V4_COLUMNS.items():
        if name not in have:  # a file written by schema version 3 or before
            conn.exec_driver_sql(f"ALTER TABLE incidents ADD COLUMN {name} {kind}")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_incidents_plan_code "
                         "ON incidents (plan_code)")


MIGRATIONS = {1: _migrate_to_1, 2: _migrate_to_2, 3: _migrate_to_3, 4: _migrate_to_4}


def create_missing_indexes(conn: sa.Connection) -> None:
    """Create the incidents' and events' indexes an older store lacks (none are dropped).

    Indexes change no answer, so they need no schema version: a store written before the
    township, community and unit columns were indexed gets them on its next open (a
    province's millions of incidents are listed by township through them).
    """
    have = set(sa.inspect(conn).get_table_names())
    for table in (incidents, events):
        if table.name not in have:  # a damaged store: the schema check names what is missing
            continue
        for index in table.indexes:
            index.create(conn, checkfirst=True)


def store_path_for(layers_path: str | os.PathLike[str]) -> Path:
    """The store file that sits beside a district GeoPackage.

    Examples
    --------
    >>> store_path_for("layers/district.gpkg").name
    'district.incidents.sqlite'
    """
    p = Path(layers_path)
    return p.with_name(f"{p.stem}.incidents.sqlite")


LIGHT_NAMES: dict[int, Light] = dict(enumerate((Light.RED, Light.YELLOW, Light.GREEN, Light.NONE)))
"""The light of each rank the SQL gives, in the order a listing pins them (red first)."""
_RANK = {light: rank for rank, light in LIGHT_NAMES.items()}


def _force_overdue(now: dt.datetime) -> sa.ColumnElement[bool]:
    """An open matter whose plan's force has a unit not on site past its limit (in SQL)."""
    force = json_items(incidents.c.emergency_forces).table_valued("value").alias("force")
    field = functools.partial(json_text, force.c.value)
    return sa.and_(incidents.c.plan_code.is_not(None),  # cheap: most matters start no plan
                   incidents.c.status.notin_(sorted(CLOSED_STATES)), sa.exists(
        sa.select(1).select_from(force).where(
            field("arrived_at").is_(None), field("released_at").is_(None),
            field("due_at") < now.isoformat(timespec="seconds"))))


def _code_prefix(column: sa.ColumnElement[str], prefix: str) -> sa.ColumnElement[bool]:
    """``column`` starts with ``prefix``, also as a range that a B-tree index can seek.

    ``LIKE 'prefix%'`` with an escape clause is not an index range for SQLite (nor for
    PostgreSQL outside the C collation); the bounds ``prefix ≤ column < next`` are, and
    the ``LIKE`` kept beside them keeps the meaning exact whatever the collation.
    """
    like = column.startswith(prefix, autoescape=True)
    if not prefix or not prefix.isascii() or prefix[-1] == "\x7f":
        return like
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return sa.and_(column >= prefix, column < upper, like)


def _light_rank(now: dt.datetime) -> sa.ColumnElement[int]:
    """The light of the stored stage as its rank (the rule of :func:`light_of`, in SQL).

    A matter whose emergency plan has a unit overdue on site is red whatever its stage
    (:func:`gridgis.dispatch.forces.late_forces`).
    """
    c = incidents.c
    return sa.case(
        (_force_overdue(now), _RANK[Light.RED]),
        (c.due_at.is_(None), _RANK[Light.NONE]),
        (c.due_at < now, _RANK[Light.RED]),
        (c.yellow_at <= now, _RANK[Light.YELLOW]),
        else_=_RANK[Light.GREEN],
    )


# The statements of a report, built once: SQLAlchemy compiles each once and keeps it, where a
# statement built per call (its values inline) pays for its cache key every time.
_INSERT_INCIDENT = sa.insert(incidents)
_INSERT_EVENT = sa.insert(events)
_INSERT_REPORTER = sa.insert(reporters)
_BY_ID = sa.select(incidents).where(incidents.c.incident_id == sa.bindparam("incident_id"))
_BY_KEY = sa.select(incidents).where(incidents.c.idempotency_key == sa.bindparam("key"))
_LAST_HASH = (sa.select(events.c.hash).where(events.c.incident_id == sa.bindparam("incident_id"))
              .order_by(events.c.event_id.desc()).limit(1))
_LAST_SEQ = sa.select(incident_counters.c.last_seq).where(
    incident_counters.c.day == sa.bindparam("day"))
_COUNT_ON = sa.update(incident_counters).where(
    incident_counters.c.day == sa.bindparam("on_day")).values(
    last_seq=incident_counters.c.last_seq + 1)
_OPEN_NEAR = sa.select(incidents.c.incident_id, incidents.c.lon, incidents.c.lat).where(
    incidents.c.category == sa.bindparam("category"),
    incidents.c.status.notin_(sorted(CLOSED_STATES)),
    incidents.c.reported_at >= sa.bindparam("since"),
    incidents.c.lon >= sa.bindparam("minx"), incidents.c.lon <= sa.bindparam("maxx"),
    incidents.c.lat >= sa.bindparam("miny"), incidents.c.lat <= sa.bindparam("maxy"))


class SQLiteStore(IncidentStore):
    """Incident store in one SQLite file (or in memory with ``":memory:"``).

    Parameters
    ----------
    path : path-like or ":memory:"
        The database file; created with its schema when missing.
    busy_timeout : float, default 30
        Seconds a statement waits for another writer's lock before giving up
        with :class:`~gridgis.errors.StoreBusyError`.

    Examples
    --------
    >>> store = SQLiteStore(":memory:")
    >>> store.query(IncidentQuery(now=dt.datetime(2026, 1, 1))).matched
    0
    """

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        if not 0 <= busy_timeout <= 3600:
            raise ValueError(f"busy_timeout is {busy_timeout} s; give 0 to 3600 seconds")
        memory = str(path) == ":memory:"
        if not memory:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise store_error(exc, path) from None
        url = "sqlite://" if memory else f"sqlite:///{Path(path)}"
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False,
                                                   "timeout": busy_timeout}}
        if memory:
            kwargs["poolclass"] = sa.pool.StaticPool
        self.engine = sa.create_engine(url, **kwargs)
        self.path = None if memory else Path(path)
        # writers queue for the file's write lock (threads, then processes) rather than
        # sleeping in SQLite's busy handler, whose growing sleeps made the slowest wait 1 s
        self._turns = None if memory else WriterTurns(path, timeout=busy_timeout)
        if self._turns is not None:
            take_turns(self.engine, self._turns)

        @sa_event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @sa_event.listens_for(self.engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            # writers take the write lock at once; readers read the last commit (WAL)
            reader = conn.get_execution_options().get(READ_ONLY, False)
            if not reader and self._turns is not None:
                before_write(conn, self._turns)
            conn.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")

        @sa_event.listens_for(self.engine, "handle_error")
        def _on_error(context: sa.engine.ExceptionContext) -> None:
            if _is_busy(context.original_exception):
                raise StoreBusyError(
                    f"事件库被其他写入占用超过 {busy_timeout:g} 秒，请稍后重试 / the incident "
                    f"store stayed locked by another writer for {busy_timeout:g} s; try again "
                    "shortly", retry_after=max(1, math.ceil(busy_timeout))
                ) from context.original_exception


        try:
            try:
                self._migrate()
            except sa.exc.DBAPIError as exc:  # not a database, read-only, cannot be created
                raise store_error(exc, self.path) from None
            self.check()
        except StoreError:
            self.engine.dispose()
            raise
        self._open_parts(None if self.path is None else attachment_folder_for(self.path))

    def _open_parts(self, attachments_folder: Path | None) -> None:
        """The staff directory, attachments, sensors' and patrol logs on the store's engine."""
        self.staff = StaffDirectory(self.engine)
        self.attachments = AttachmentStore(self.engine, attachments_folder,
                                           write_event=_append_event, touch=_touch_incident)
        self.sensors = SensorLog(self.engine)
        self.patrols = PatrolLog(self.engine)

    # -- schema ------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.engine.begin() as conn:
            metadata.create_all(conn, tables=[schema_version, incident_counters])
            current = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
            current = current or 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"事件库 {self.path} 的表结构版本 {current} 新于本程序 / the incident store "
                    f"{self.path} has schema version {current}, newer than this gridgis "
                    f"({SCHEMA_VERSION}); upgrade gridgis", path=str(self.path))
            for version in range(current + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
                conn.execute(sa.delete(schema_version))
                conn.execute(sa.insert(schema_version).values(version=version))
            create_missing_indexes(conn)
            create_attachment_tables(conn)  # tables of their own, made where missing
            create_sensor_tables(conn)
            create_patrol_tables(conn)
            if not has_staff_stamp(conn):  # the staff directory's change counter
                create_staff_stamp(conn)

    def check(self, *, writable: bool = False) -> None:
        """One cheap read of the schema; raise if a table or column is missing.

        Parameters
        ----------
        writable : bool, default False
            Also check that the file can be written (without writing anything):
            a service that records reports checks this at start-up.

        Raises
        ------
        StoreError
            The file cannot be read (or written), or lacks a table or column of
            this version's schema (the message names the file and what is wrong).
        """
        try:
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                missing = [m for meta in (metadata, staff_metadata, attachments_metadata,
                                          sensor_metadata, patrol_metadata)
                           for m in missing_schema(cursor, meta)]
                if writable and not missing:  # a write statement that changes nothing
                    cursor.execute("BEGIN IMMEDIATE")
                    try:
                        cursor.execute("UPDATE schema_version SET version = version WHERE 0")
                    finally:
                        cursor.execute("ROLLBACK")
                cursor.close()
            finally:
                raw.close()
        except (sa.exc.DBAPIError, sqlite3.Error) as exc:
            raise store_error(exc, self.path) from None
        if missing:
            raise StoreError(
                f"事件库 {self.path} 缺少{'、'.join(m.split(' / ')[0] for m in missing)} / the "
                f"incident store {self.path} lacks "
                f"{', '.join(m.split(' / ')[1] for m in missing)}: restore it from a backup or "
                "move it aside to start a new store", path=str(self.path))

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        with reading(self.engine) as conn:
            return int(conn.execute(sa.select(schema_version.c.version)).scalar_one())

    # -- writes ------------------------------------------------------------------------
    def create(self, record: IncidentRecord, event: Event, *,
               idempotency_key: str | None = None,
               reporter: Reporter | None = None) -> tuple[dict[str, Any], bool]:
        """See :meth:`IncidentStore.create`."""
        if idempotency_key is not None:
            found = self._by_key(idempotency_key)
            if found is not None:
                return found, False
        try:
            with self.engine.begin() as conn:
                day = record.reported_at.strftime("%Y%m%d")
                incident_id = f"E{day}-{_next_seq(conn, day):04d}"
                row = {**record.to_row(), "incident_id": incident_id, "version": 1,
                       "idempotency_key": idempotency_key, "updated_at": event.at}
                conn.execute(_INSERT_INCIDENT, row)  # one statement, compiled once
                _append_event(conn, incident_id, event)
                if reporter is not None and not reporter.empty:
                    conn.execute(_INSERT_REPORTER, {
                        "incident_id": incident_id, "name": reporter.name,
                        "phone": reporter.phone, "email": reporter.email,
                        "channel": reporter.channel})
        except IntegrityError:
            if idempotency_key is not None:  # the same key won a race a moment ago
                found = self._by_key(idempotency_key)
                if found is not None:
                    return found, False
            raise
        return self.get(incident_id), True

    def update(self, incident_id: str, *, expected_version: int, changes: dict[str, Any],
               event: Event) -> dict[str, Any]:
        """See :meth:`IncidentStore.update`."""
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(incidents)
                .where(incidents.c.incident_id == incident_id,
                       incidents.c.version == expected_version)
                .values(**changes, version=expected_version + 1, updated_at=event.at))
            if result.rowcount != 1:
                exists = conn.execute(sa.select(incidents.c.version).where(
                    incidents.c.incident_id == incident_id)).scalar()
                if exists is None:
                    raise IncidentNotFoundError(f"no incident {incident_id!r}")
                raise ConflictError(
                    f"incident {incident_id} changed meanwhile (version {exists}, you had "
                    f"{expected_version}); reload it and try again")
            _append_event(conn, incident_id, event)
        return self.get(incident_id)

    # -- reads -------------------------------------------------------------------------
    def _inside(self, bbox: tuple[float, float, float, float]) -> sa.ColumnElement[bool]:
        """Incidents inside ``bbox`` (min lon, min lat, max lon, max lat), edges included."""
        minx, miny, maxx, maxy = bbox
        c = incidents.c
        return sa.and_(c.lon >= minx, c.lon <= maxx, c.lat >= miny, c.lat <= maxy)

    def _by_key(self, key: str) -> dict[str, Any] | None:
        with reading(self.engine) as conn:
            row = conn.execute(_BY_KEY, {"key": key}).mappings().first()
        return dict(row) if row else None

    def get(self, incident_id: str) -> dict[str, Any]:
        """See :meth:`IncidentStore.get`."""
        with reading(self.engine) as conn:
            row = conn.execute(_BY_ID, {"incident_id": incident_id}).mappings().first()
        if row is None:
            raise IncidentNotFoundError(f"no incident {incident_id!r}")
        return dict(row)

    def events(self, incident_id: str) -> list[dict[str, Any]]:
        """See :meth:`IncidentStore.events`."""
        with reading(self.engine) as conn:
            rows = conn.execute(sa.select(events).where(events.c.incident_id == incident_id)
                                .order_by(events.c.event_id)).mappings().all()
        return [dict(r) for r in rows]

    def query(self, query: IncidentQuery) -> Page:
        """See :meth:`IncidentStore.query`."""
        c = incidents.c
        rank = _light_rank(query.now).label("light_rank")
        where = []
        if query.status:
            where.append(c.status.in_(query.status))
        if query.category:
            where.append(c.category.in_(query.category))
        for column, value in ((c.grid_code, query.grid_code),
                              (c.community_code, query.community_code),
                              (c.township_code, query.township_code)):
            if value:
                where.append(column == value)
        scope = [_code_prefix(c.grid_code, a) for a in query.area_codes]
        if query.unit_ids:
            scope += [c.unit_id.in_(query.unit_ids), _called(query.unit_ids),
                      _in_force(query.unit_ids)]
        if query.area_codes or query.unit_ids:
            where.append(sa.or_(*scope))
        if query.whistled:
            where.append(sa.func.json_array_length(c.whistle_calls) > 0)
        if query.planned:
            where.append(c.plan_code.is_not(None))
        if query.text:
            where.append(_text_match(query.text, query.text_codes))
        if query.bbox:
            where.append(self._inside(query.bbox))
        if query.reported_from:
            where.append(c.reported_at >= query.reported_from)
        if query.reported_to:
            where.append(c.reported_at < query.reported_to)
        base = sa.select(incidents, rank).where(*where).subquery()
        light_filter = []
        if query.light:
            codes = [k for k, v in LIGHT_NAMES.items() if v in query.light]
            light_filter.append(base.c.light_rank.in_(codes))
        order = {
            "light": [base.c.light_rank, base.c.due_at, base.c.reported_at],
            "reported_at": [base.c.reported_at],
            "-reported_at": [base.c.reported_at.desc()],
            "due_at": [base.c.due_at.is_(None), base.c.due_at],
        }[query.sort]
        with reading(self.engine) as conn:
            counts = dict(conn.execute(
                sa.select(base.c.light_rank, sa.func.count()).group_by(base.c.light_rank)
            ).all())
            matched = conn.execute(sa.select(sa.func.count()).select_from(base)
                                   .where(*light_filter)).scalar_one()
            rows = conn.execute(
                sa.select(base).where(*light_filter)
                .order_by(*order, base.c.incident_id).offset(query.offset).limit(query.limit)
            ).mappings().all()
        items = []
        for r in rows:
            item = dict(r)
            item["light"] = LIGHT_NAMES[item.pop("light_rank")]
            items.append(item)
        lights = {LIGHT_NAMES[k]: int(counts.get(k, 0)) for k in LIGHT_NAMES}
        return Page(items=items, matched=int(matched), lights=lights)

    def events_of(self, action: str, *, area_codes: tuple[str, ...] = (),
                  since: dt.datetime | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """See :meth:`IncidentStore.events_of`."""
        c = incidents.c
        where = [events.c.action == action]
        if area_codes:
            where.append(sa.or_(*[_code_prefix(c.grid_code, a)
                                  for a in area_codes]))
        if since is not None:
            where.append(events.c.at >= since)
        stmt = (sa.select(events, c.grid_code, c.community_code, c.township_code, c.category,
                          c.status)
                .join(incidents, incidents.c.incident_id == events.c.incident_id)
                .where(*where).order_by(events.c.event_id.desc()).limit(limit))
        with reading(self.engine) as conn:
            return [dict(r) for r in conn.execute(stmt).mappings().all()]

    def open_near(self, *, category: str, bbox: tuple[float, float, float, float],
                  since: dt.datetime) -> list[dict[str, Any]]:
        """See :meth:`IncidentStore.open_near`."""
        c = incidents.c
        if type(self)._inside is not SQLiteStore._inside:  # a spatial index's test (PostGIS)
            with reading(self.engine) as conn:
                rows = conn.execute(sa.select(incidents).where(
                    c.category == category, c.status.notin_(sorted(CLOSED_STATES)),
                    c.reported_at >= since, self._inside(bbox))).mappings().all()
            return [dict(r) for r in rows]
        minx, miny, maxx, maxy = bbox
        with reading(self.engine) as conn:
            rows = conn.execute(_OPEN_NEAR, {
                "category": category, "since": since, "minx": minx, "maxx": maxx,
                "miny": miny, "maxy": maxy}).mappings().all()
        return [dict(r) for r in rows]

    def reporter(self, incident_id: str) -> Reporter | None:
        """See :meth:`IncidentStore.reporter`."""
        with reading(self.engine) as conn:
            row = conn.execute(sa.select(reporters).where(
                reporters.c.incident_id == incident_id)).first()
        return None if row is None else Reporter(name=row.name, phone=row.phone,
                                                 email=row.email, channel=row.channel)

    def audit(self) -> tuple[int, list[AuditBreak]]:
        """See :meth:`IncidentStore.audit`."""
        with reading(self.engine) as conn:
            versions = dict(conn.execute(sa.select(incidents.c.incident_id,
                                                   incidents.c.version)).all())
            rows = conn.execute(sa.select(events).order_by(
                events.c.incident_id, events.c.event_id)).mappings()
            listed = [dict(r) for r in rows]
        return len(listed), chain_breaks(listed, versions)

    def close(self) -> None:
        """See :meth:`IncidentStore.close`."""
        self.attachments.close()
        self.staff.close()
        self.engine.dispose()
        turns = getattr(self, "_turns", None)  # None in memory (PostGIS: its own lock)
        if turns is not None:
            turns.close()


def _text_match(text: str, codes: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """搜索: id (any case), grid code prefix, description, or an area whose name matched."""
    c = incidents.c
    return sa.or_(sa.func.upper(c.incident_id).contains(text.upper(), autoescape=True),
                  c.grid_code.startswith(text, autoescape=True),
                  c.description.contains(text, autoescape=True),
                  *[c.grid_code.startswith(code, autoescape=True) for code in codes])


def _called(unit_ids: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """Incidents whose whistle calls name one of ``unit_ids``."""
    calls = json_items(incidents.c.whistle_calls).table_valued("value").alias("call")
    return sa.exists(sa.select(1).select_from(calls).where(
        json_text(calls.c.value, "unit_id").in_(unit_ids)))


def _in_force(unit_ids: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """Incidents whose emergency plan's force holds one of ``unit_ids``."""
    force = json_items(incidents.c.emergency_forces).table_valued("value").alias("force")
    return sa.exists(sa.select(1).select_from(force).where(
        json_text(force.c.value, "unit_id").in_(unit_ids)))


def _touch_incident(conn: sa.Connection, incident_id: str, at: dt.datetime) -> str:
    """Move an incident's version on, its state unchanged (an upload's event); its status.

    Raises
    ------
    IncidentNotFoundError
        For an unknown incident.
    """
    status = conn.execute(sa.select(incidents.c.status).where(
        incidents.c.incident_id == incident_id)).scalar()
    if status is None:
        raise IncidentNotFoundError(f"no incident {incident_id!r}")
    conn.execute(sa.update(incidents).where(incidents.c.incident_id == incident_id)
                 .values(version=incidents.c.version + 1, updated_at=at))
    return str(status)


def _append_event(conn: sa.Connection, incident_id: str, event: Event) -> None:
    """Write an event, its hash chained to the incident's last one.

    In the caller's transaction, which holds the write lock: no other event
    of the incident can slip in between.
    """
    previous = conn.execute(_LAST_HASH, {"incident_id": incident_id}).scalar()
    row = {"incident_id": incident_id, "at": event.at, "actor": event.actor,
           "role": event.role, "action": event.action, "from_state": event.from_state,
           "to_state": event.to_state, "note": event.note, "data": event.data,
           "client": event.client}
    added = conn.execute(_INSERT_EVENT, {**row, "hash": event_hash(previous, row)})
    notify_event(conn, int(added.inserted_primary_key[0]))  # live consoles (PostgreSQL)


def _next_seq(conn: sa.Connection, day: str) -> int:
    """The next sequence number of ``day`` (``YYYYMMDD``), counted in the open transaction.

    The first call of a day without a counter (a new day, or a store written
    before the counters) starts after the highest number that day already
    has, read as a number: ``-10000`` comes after ``-9999``.
    """
    last = conn.execute(_LAST_SEQ, {"day": day}).scalar()
    if last is None:
        prefix = f"E{day}-"
        ids = incidents.c.incident_id
        last = conn.execute(
            sa.select(sa.func.max(sa.cast(sa.func.substr(ids, len(prefix) + 1), sa.Integer)))
            .where(ids >= prefix, ids < f"E{day}.")).scalar() or 0  # "." follows "-"
        conn.execute(sa.insert(incident_counters).values(day=day, last_seq=last + 1))
    else:
        conn.execute(_COUNT_ON, {"on_day": day})
    return int(last) + 1


def _is_busy(exc: BaseException | None) -> bool:
    """Whether SQLite gave up waiting for another connection's lock."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    name = getattr(exc, "sqlite_errorname", "")
    return name.startswith("SQLITE_BUSY") or "database is locked" in str(exc)
