"""The incident store on PostgreSQL with PostGIS: the SQLite store's tables and statements.

The tables are the SQLAlchemy Core tables of :mod:`gridgis.store.sqlite` and of
the staff, attachment, sensor and patrol modules, created on PostgreSQL as
they are; ``incidents`` gains one column of its own there, ``geom``, a
PostGIS point in CGCS2000 (EPSG:4490) computed from ``lon`` and ``lat`` by the
database (``GENERATED ALWAYS … STORED``) with a GiST index: map-window
filters (``bbox``) use it. The JSON functions that differ are compiled per
database (:mod:`gridgis.store.dialects`).

Concurrency is the SQLite store's: every write transaction first takes one
transaction-level advisory lock (``pg_advisory_xact_lock``), as SQLite's
``BEGIN IMMEDIATE`` takes the write lock, so writers from any number of
processes queue and each reads the last commit before it writes (daily
numbers, idempotency keys, hash chains, sensor state); readers never take
it. Optimistic concurrency is the incident's ``version``, unchanged. A
writer that waits longer than ``busy_timeout`` gets
:class:`~gridgis.errors.StoreBusyError`, as on SQLite.

The schema is made and migrated by Alembic (:mod:`gridgis.store.migrations`,
``upgrade head`` on every open, under the write lock); ``schema_version``
records the SQLite file's version number too
(:data:`~gridgis.store.sqlite.SCHEMA_VERSION`), so both say what they hold.
"""

from __future__ import annotations

import math
import os
import weakref
import zlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event

from gridgis.errors import StoreBusyError, StoreError
from gridgis.store.attachments import attachments_metadata, create_attachment_tables
from gridgis.store.patrols import create_patrol_tables, patrol_metadata
from gridgis.store.reading import READ_ONLY
from gridgis.store.sensors import create_sensor_tables, sensor_metadata
from gridgis.store.sqlite import (
    SCHEMA_VERSION,
    SQLiteStore,
    metadata,
    schema_version,
)
from gridgis.store.staff import staff_metadata

__all__ = ["ALL_METADATA", "SRID", "WRITE_LOCK", "PostGISStore", "listener",
           "missing_tables", "postgis_metadata", "upgrade"]

SRID = 4490
"""CGCS2000 geographic: the incidents' ``lon``/``lat`` as a PostGIS point."""
WRITE_LOCK = zlib.crc32(b"gridgis incident store writers")
"""The advisory lock key every write transaction takes first."""

postgis_metadata = sa.MetaData()
for _table in metadata.sorted_tables:
    _table.to_metadata(postgis_metadata)


def _geometry_column() -> sa.Column[Any]:
    from geoalchemy2 import Geometry

    return sa.Column("geom", Geometry("POINT", srid=SRID, spatial_index=True),
                     sa.Computed(f"ST_SetSRID(ST_MakePoint(lon, lat), {SRID})", persisted=True))


postgis_metadata.tables["incidents"].append_column(_geometry_column())
ALL_METADATA = (postgis_metadata, staff_metadata, attachments_metadata, sensor_metadata,
                patrol_metadata)


def _driver_url(url: str) -> sa.URL:
    """The URL with psycopg 3 as its driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    parsed = sa.make_url(url)
    return parsed.set(drivername="postgresql+psycopg")


class PostGISStore(SQLiteStore):
    """Incident store in a PostgreSQL database with PostGIS.

    The statements, events and guarantees are those of
    :class:`~gridgis.store.SQLiteStore`; see the module docstring for what differs.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database`` (psycopg 3 connects).
        The database must have the PostGIS extension, or let this user create it.
    attachments_folder : path-like, optional
        Where photos and videos go (the database keeps their metadata); None:
        a temporary folder, removed at :meth:`close`.
    busy_timeout : float, default 30
        Seconds a writer waits for another one before
        :class:`~gridgis.errors.StoreBusyError`.
    pool_size : int, default 10
        Connections kept open per process.
    """

    def __init__(self, url: str, *, attachments_folder: str | os.PathLike[str] | None = None,
                 busy_timeout: float = 30.0, pool_size: int = 10) -> None:
        if not 0 <= busy_timeout <= 3600:
            raise ValueError(f"busy_timeout is {busy_timeout} s; give 0 to 3600 seconds")
        self.url = _driver_url(url)
        self.path = None
        self.location = self.url.render_as_string(hide_password=True)
        timeout_ms = max(1, round(busy_timeout * 1000))
        self.engine = sa.create_engine(
            self.url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True,
            connect_args={"options": f"-c lock_timeout={timeout_ms} -c timezone=UTC",
                          "connect_timeout": 10})
        # a store dropped without close() (a command's) still ends its connections
        weakref.finalize(self.engine, self.engine.pool.dispose)

        @sa_event.listens_for(self.engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            # writers queue on one lock, as SQLite's BEGIN IMMEDIATE; readers never wait
            if not conn.get_execution_options().get(READ_ONLY, False):
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")

        @sa_event.listens_for(self.engine, "handle_error")
        def _on_error(context: sa.engine.ExceptionContext) -> None:
            if getattr(context.original_exception, "sqlstate", None) == "55P03":
                raise StoreBusyError(
                    f"事件库被其他写入占用超过 {busy_timeout:g} 秒，请稍后重试 / the incident "
                    f"store stayed locked by another writer for {busy_timeout:g} s; try again "
                    "shortly", retry_after=max(1, math.ceil(busy_timeout))
                ) from context.original_exception

        try:
            try:
                self._migrate()
            except sa.exc.DBAPIError as exc:
                raise self._error(exc) from None
            self.check()
        except StoreError:
            self.engine.dispose()
            raise
        self._open_parts(None if attachments_folder is None else Path(attachments_folder))

    def _error(self, exc: BaseException) -> StoreError:
        """One line naming the database (password hidden) and the cause."""
        orig: Any = getattr(exc, "orig", None) or exc
        reason = str(orig).strip().splitlines()[0] if str(orig).strip() else \
            type(orig).__name__
        return StoreError(f"事件库 {self.location} 无法使用 / the incident store "
                          f"{self.location} cannot be used ({reason})", path=self.location)

    # -- schema ------------------------------------------------------------------------
    def _migrate(self) -> None:
        from alembic.util.exc import CommandError

        with self.engine.begin() as conn:  # holds the write lock: one process migrates
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
            current = None
            if sa.inspect(conn).has_table(schema_version.name):
                current = conn.execute(sa.select(sa.func.max(schema_version.c.version))
                                       ).scalar()
            if current is not None and current > SCHEMA_VERSION:
                raise self._newer(current)
            try:
                upgrade(conn)
            except CommandError as exc:  # a revision this gridgis does not know
                raise self._newer(str(exc)) from None
            create_attachment_tables(conn)  # tables of their own, made where missing
            create_sensor_tables(conn)
            create_patrol_tables(conn)

    def _newer(self, version: object) -> StoreError:
        return StoreError(
            f"事件库 {self.location} 的表结构版本 {version} 新于本程序 / the incident store "
            f"{self.location} has schema version {version}, newer than this gridgis "
            f"({SCHEMA_VERSION}); upgrade gridgis", path=self.location)

    def check(self, *, writable: bool = False) -> None:
        """One cheap read of the schema; raise if a table or column is missing.

        Parameters
        ----------
        writable : bool, default False
            Also check that this user can write (a write that changes nothing,
            rolled back).

        Raises
        ------
        StoreError
            The database cannot be reached (or written), or lacks a table or
            column of this version's schema.
        """
        try:
            with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
                missing = missing_tables(conn)
            if writable and not missing:
                with self.engine.connect() as conn:
                    conn.execute(sa.update(schema_version).where(sa.false())
                                 .values(version=schema_version.c.version))
                    conn.rollback()
        except sa.exc.DBAPIError as exc:
            raise self._error(exc) from None
        if missing:
            raise StoreError(
                f"事件库 {self.location} 缺少{'、'.join(m.split(' / ')[0] for m in missing)} / "
                f"the incident store {self.location} lacks "
                f"{', '.join(m.split(' / ')[1] for m in missing)}", path=self.location)

    @property
    def schema_version(self) -> int:  # type: ignore[override]
        """The schema version of the database."""
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            return int(conn.execute(sa.select(schema_version.c.version)).scalar_one())

    # -- reads -------------------------------------------------------------------------
    def _inside(self, bbox: tuple[float, float, float, float]) -> sa.ColumnElement[bool]:
        """Incidents inside ``bbox``: the point's GiST index, edges included."""
        from geoalchemy2 import Geometry

        minx, miny, maxx, maxy = (float(v) for v in bbox)
        geom = sa.literal_column("incidents.geom", Geometry("POINT", srid=SRID))
        return geom.op("&&")(sa.func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID))


def listener(url: sa.URL, channel: str) -> Any:
    """A psycopg connection of its own (autocommit) listening on ``channel``.

    Read notifications with its ``notifies()``; close it when done. The live
    consoles' watcher (:class:`gridgis.store.changes.ChangeWatcher`) holds one per
    service process.
    """
    import psycopg

    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    conn.execute(f"LISTEN {channel}")  # a constant of ours: no user input
    return conn


def upgrade(conn: sa.Connection, revision: str = "head") -> None:
    """Run the Alembic migrations (:mod:`gridgis.store.migrations`) on ``conn``."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "gridgis.store:migrations")
    config.attributes["connection"] = conn
    command.upgrade(config, revision)


def missing_tables(conn: sa.Connection) -> list[str]:
    """Tables and columns of the store's schema the database lacks (empty: none)."""
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    missing: list[str] = []
    for meta in ALL_METADATA:
        for name, table in meta.tables.items():
            if name not in present:
                missing.append(f"表 {name} / table {name}")
                continue
            columns = {c["name"] for c in inspector.get_columns(name)}
            missing += [f"列 {name}.{c.name} / column {name}.{c.name}"
                        for c in table.columns if c.name not in columns]
    return missing

