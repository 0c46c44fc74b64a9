"""The sensors' log: each device's state and every reading it sent (物联感知记录).

Kept in the same database as the incidents, in tables of their own
(``sensor_state``, ``sensor_alarms``): the state of each device (last
heartbeat, last reading, last alarm, the incident its alarms fold into and
how many did, the open maintenance matter) and one row per reading with what
became of it. The tables are created on open when missing (``checkfirst``),
so a store written before them gains them without a migration step.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from gridgis.store.reading import reading as reading_connection

__all__ = ["AlarmOutcome", "SensorLog", "SensorState", "create_sensor_tables", "sensor_alarms",
           "sensor_metadata", "sensor_state"]

sensor_metadata = sa.MetaData()
sensor_state = sa.Table(
    "sensor_state", sensor_metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("last_seen_at", sa.DateTime),
    sa.Column("last_heartbeat_at", sa.DateTime),
    sa.Column("last_reading", sa.Float),
    sa.Column("last_reading_at", sa.DateTime),
    sa.Column("last_alarm_at", sa.DateTime),
    sa.Column("alarm_incident_id", sa.String(32)),
    sa.Column("alarm_count", sa.Integer, nullable=False),
    sa.Column("episodes", sa.Integer, nullable=False),
    sa.Column("maintenance_incident_id", sa.String(32)),
    sa.Column("maintenance_count", sa.Integer, nullable=False),
)
sensor_alarms = sa.Table(
    "sensor_alarms", sensor_metadata,
    sa.Column("alarm_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("device_id", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("reading", sa.Float, nullable=False),
    sa.Column("over", sa.Boolean, nullable=False),
    sa.Column("category", sa.String(16)),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("incident_id", sa.String(32), index=True),
)


class AlarmOutcome(StrEnum):
    """What became of a reading."""

    NORMAL = "normal"  # under the threshold: recorded, nothing raised
    RAISED = "raised"  # over it: a new incident
    FOLDED = "folded"  # over it, folded into the device's open incident (no alarm storm)


@dataclasses.dataclass(frozen=True)
class SensorState:
    """What the store knows of a device (all None and 0 for a device never heard from)."""

    device_id: str
    last_seen_at: dt.datetime | None = None
    last_heartbeat_at: dt.datetime | None = None
    last_reading: float | None = None
    last_reading_at: dt.datetime | None = None
    last_alarm_at: dt.datetime | None = None
    alarm_incident_id: str | None = None
    alarm_count: int = 0
    episodes: int = 0
    maintenance_incident_id: str | None = None
    maintenance_count: int = 0


def create_sensor_tables(conn: sa.Connection) -> None:
    """Create the sensors' tables where missing (the store calls this on every open)."""
    sensor_metadata.create_all(conn, tables=[sensor_state, sensor_alarms], checkfirst=True)


def _later(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None or b > a else a


def _state(row: Any, device_id: str) -> SensorState:
    return SensorState(device_id) if row is None else SensorState(**row._mapping)


class SensorLog:
    """Read and write the sensors' state and readings of one store.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine (the tables exist: the store made them on open).
    """

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def state(self, device_id: str) -> SensorState:
        """The state of one device."""
        with reading_connection(self.engine) as conn:
            row = conn.execute(sa.select(sensor_state).where(
                sensor_state.c.device_id == device_id)).first()
        return _state(row, device_id)

    def states(self) -> dict[str, SensorState]:
        """The state of every device heard from, by id."""
        with reading_connection(self.engine) as conn:
            rows = conn.execute(sa.select(sensor_state)).all()
        return {r.device_id: _state(r, r.device_id) for r in rows}

    def _write(self, conn: sa.Connection, device_id: str,
               change: Any) -> SensorState:
        """Apply ``change`` (old state → dict of new values) to a device's row, in ``conn``."""
        row = conn.execute(sa.select(sensor_state).where(
            sensor_state.c.device_id == device_id)).first()
        old = _state(row, device_id)
        new = dataclasses.replace(old, **change(old))
        values = dataclasses.asdict(new)
        if row is None:
            conn.execute(sa.insert(sensor_state).values(**values))
        else:
            conn.execute(sa.update(sensor_state).where(
                sensor_state.c.device_id == device_id).values(**values))
        return new

    def record(self, device_id: str, *, at: dt.datetime, reading: float, over: bool,
               outcome: AlarmOutcome, received_at: dt.datetime, category: str | None = None,
               incident_id: str | None = None) -> SensorState:
        """Log a reading and update the device's state, in one transaction.

        A reading tied to an incident other than the device's current one
        starts a new episode (that incident, one alarm); tied to the current
        one, it adds one to its alarm count. So two writers that raced to
        report the same alarm (one created the incident, the other found it
        by its idempotency key) count it right in either order.

        Returns
        -------
        SensorState
            The state after the reading.
        """
        def change(old: SensorState) -> dict[str, Any]:
            out: dict[str, Any] = {"last_seen_at": _later(old.last_seen_at, at)}
            if old.last_reading_at is None or at >= old.last_reading_at:
                out |= {"last_reading": reading, "last_reading_at": at}
            if over:
                out["last_alarm_at"] = _later(old.last_alarm_at, at)
            if incident_id is not None and incident_id == old.alarm_incident_id:
                out["alarm_count"] = old.alarm_count + 1
            elif incident_id is not None:
                out |= {"alarm_incident_id": incident_id, "alarm_count": 1,
                        "episodes": old.episodes + 1}
            return out

        with self.engine.begin() as conn:
            conn.execute(sa.insert(sensor_alarms).values(
                device_id=device_id, at=at, received_at=received_at, reading=reading,
                over=over, category=category, outcome=outcome.value, incident_id=incident_id))
            return self._write(conn, device_id, change)

    def heartbeat(self, device_id: str, at: dt.datetime) -> SensorState:
        """Record a heartbeat (a late one never moves the last heartbeat back)."""
        with self.engine.begin() as conn:
            return self._write(conn, device_id, lambda old: {
                "last_heartbeat_at": _later(old.last_heartbeat_at, at),
                "last_seen_at": _later(old.last_seen_at, at)})

    def set_maintenance(self, device_id: str, incident_id: str) -> SensorState:
        """Record the maintenance matter raised for a silent device (once per matter)."""
        with self.engine.begin() as conn:
            return self._write(conn, device_id, lambda old: {} if (
                incident_id == old.maintenance_incident_id) else {
                "maintenance_incident_id": incident_id,
                "maintenance_count": old.maintenance_count + 1})

    def alarms(self, device_id: str | None = None, *, incident_id: str | None = None,
               limit: int = 100) -> list[dict[str, Any]]:
        """Logged readings, newest first: of one device, or tied to one incident."""
        query = sa.select(sensor_alarms)
        if device_id is not None:
            query = query.where(sensor_alarms.c.device_id == device_id)
        if incident_id is not None:
            query = query.where(sensor_alarms.c.incident_id == incident_id)
        query = query.order_by(sensor_alarms.c.at.desc(), sensor_alarms.c.alarm_id.desc())
        with reading_connection(self.engine) as conn:
            rows = conn.execute(query.limit(limit)).mappings().all()
        return [dict(r) for r in rows]
