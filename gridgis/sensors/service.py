"""Sensors in the closed loop: alarms raise incidents, silence raises maintenance.

:class:`SensorService` takes the readings and heartbeats of the district's
devices (:class:`~gridgis.sensors.SensorRegistry`). A reading at or over its
kind's threshold raises an incident of the kind's category through the
dispatcher, at the device's point (source ``sensor``, actor
``sensor:<device_id>``); further alarms of the device soon after, while that
incident is open, fold into it (counted and logged: no alarm storm). A reading
under the threshold is logged and raises nothing. A device silent past twice
its heartbeat interval gets one maintenance matter, not another while it is
open.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridgis.errors import CategoryError, IncidentNotFoundError, InputError
from gridgis.incidents.names import CLOSED_STATES, Source
from gridgis.people.access import scope_of
from gridgis.sensors.kinds import alarm_text, level_of, load_sensor_kinds
from gridgis.sensors.registry import Device, SensorRegistry
from gridgis.sensors.settings import SensorSettings
from gridgis.store.sensors import AlarmOutcome, SensorState

if TYPE_CHECKING:
    from gridgis.dispatch.service import Dispatcher
    from gridgis.people.staff import StaffMember

__all__ = ["MAX_READING", "Alarm", "SensorService"]

MAX_READING = 1e9
"""The largest reading (in absolute value) a device may send."""
FUTURE_SLACK = dt.timedelta(minutes=5)
"""How far ahead of the service's clock a device's time may run."""


@dataclass(frozen=True)
class Alarm:
    """What became of a reading.

    ``outcome`` is ``raised`` (a new incident), ``folded`` (into the device's
    open incident) or ``normal`` (under the threshold: nothing raised, then
    ``incident`` is None); ``alarm_count`` is how many alarms the incident
    has had from this device, this one included.
    """

    device_id: str
    at: dt.datetime
    reading: float
    outcome: AlarmOutcome
    category: str | None
    threshold: float | None
    unit: str
    incident: dict[str, Any] | None
    alarm_count: int


def _reading(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"读数须为数值 / the reading must be a number, not {value!r}"[:200],
                         field="reading")
    number = float(value)
    if not math.isfinite(number) or abs(number) > MAX_READING:
        raise InputError(f"读数须为有限数值且绝对值不超过 {MAX_READING:g} / the reading must be a "
                         f"finite number within ±{MAX_READING:g}, not {number}", field="reading")
    return number


class SensorService:
    """The district's devices in the closed loop.

    Parameters
    ----------
    dispatcher : Dispatcher
        Raises the incidents; its layers' ``sensors`` are the registry, its
        store keeps the devices' state and readings (``store.sensors``).
    kinds : pandas.DataFrame, optional
        The sensor kind table; default :func:`gridgis.sensors.load_sensor_kinds`.
    settings : SensorSettings, optional

    Raises
    ------
    LayerError
        When the sensors layer names a kind the table lacks.
    CategoryError
        When the maintenance category is not in the dispatcher's table.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> from gridgis.dispatch import Dispatcher
    >>> from gridgis.store import SQLiteStore
    >>> import datetime as dt
    >>> now = dt.datetime(2026, 11, 2, 9)
    >>> sensors = SensorService(Dispatcher(sample_district(scale=0.05), SQLiteStore(":memory:"),
    ...                                    clock=lambda: now))
    >>> gas = next(d for d in sensors.registry if d.kind == "gas")
    >>> first = sensors.alarm(gas.device_id, 35.0)
    >>> first.outcome.value, first.incident["category"], first.incident["source"]
    ('raised', 'S04', 'sensor')
    >>> again = sensors.alarm(gas.device_id, 41.0)
    >>> again.outcome.value, again.incident["incident_id"] == first.incident["incident_id"]
    ('folded', True)
    >>> again.alarm_count
    2
    """

    def __init__(self, dispatcher: Dispatcher, *, kinds: pd.DataFrame | None = None,
                 settings: SensorSettings | None = None) -> None:
        self.dispatcher = dispatcher
        self.kinds = load_sensor_kinds(categories=dispatcher.categories) if kinds is None \
            else kinds
        self.settings = settings or SensorSettings()
        if self.settings.maintenance_category not in dispatcher.categories.index:
            raise CategoryError(f"维护类别 {self.settings.maintenance_category} 不在类别表中 / "
                                f"the maintenance category {self.settings.maintenance_category} "
                                "is not in the category table")
        self.registry = SensorRegistry(dispatcher.layers.sensors, self.kinds,
                                       index=dispatcher.index)
        self.log = dispatcher.store.sensors
        first = self.kinds.groupby(level=0, sort=False).first()
        self._kind_names = first[["name_zh", "unit"]].to_dict("index")
        self._lock = threading.Lock()  # one decision at a time: fold or raise

    # -- readings ----------------------------------------------------------------------
    def _when(self, at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
        if at is None:
            return now
        if at > now + FUTURE_SLACK:
            raise InputError(f"时间晚于当前时间 / at {at:%Y-%m-%d %H:%M} lies in the future",
                             field="at")
        oldest = self.dispatcher.settings.oldest_report_days
        if at < now - dt.timedelta(days=oldest):
            raise InputError(f"时间早于 {oldest} 天前 / at {at:%Y-%m-%d %H:%M} lies more than "
                             f"{oldest} days back", field="at")
        return at.replace(microsecond=0)

    def _open(self, incident_id: str | None) -> bool:
        if incident_id is None:
            return False
        try:
            return self.dispatcher.store.get(incident_id)["status"] not in CLOSED_STATES
        except IncidentNotFoundError:
            return False

    def _folds_into(self, state: SensorState, at: dt.datetime) -> str | None:
        """The open incident an alarm at ``at`` folds into, or None."""
        if state.last_alarm_at is None or at - state.last_alarm_at > self.settings.fold_window:
            return None
        return state.alarm_incident_id if self._open(state.alarm_incident_id) else None

    def alarm(self, device_id: str, reading: float, at: dt.datetime | None = None) -> Alarm:
        """Take a device's reading: raise an incident, fold into one, or log it.

        Parameters
        ----------
        device_id : str
        reading : float
            In the unit of the device's kind (``sensor_kinds.csv``).
        at : datetime, optional
            When the device read it (naive China Standard Time); default now.

        Returns
        -------
        Alarm

        Raises
        ------
        DeviceNotFoundError
            For a device the registry lacks.
        InputError
            For a reading that is not a finite number (``field`` ``reading``)
            or a time in the future or too far back (``at``).
        OutsideDistrictError
            For a device whose point lies outside the district.
        """
        device = self.registry.get(device_id)
        value = _reading(reading)
        now = self.dispatcher.clock()
        at = self._when(at, now)
        level = level_of(self.kinds, device.kind, value)
        unit = str(self._kind_names[device.kind]["unit"])
        if level is None:
            self.log.record(device_id, at=at, reading=value, over=False,
                            outcome=AlarmOutcome.NORMAL, received_at=now)
            return Alarm(device_id, at, value, AlarmOutcome.NORMAL, None, None, unit, None, 0)
        category = str(level["category"])
        with self._lock:
            state = self.log.state(device_id)
            incident_id = self._folds_into(state, at)
            outcome = AlarmOutcome.FOLDED
            if incident_id is None:
                record, created = self.dispatcher.report(
                    lon=device.lon, lat=device.lat, category=category,
                    description=alarm_text(level, device_id=device_id, name=device.name,
                                           reading=value),
                    source=Source.SENSOR, reported_at=at, actor=f"sensor:{device_id}",
                    idempotency_key=f"sensor:{device_id}:{state.episodes + 1}")
                incident_id = record["incident_id"]
                outcome = AlarmOutcome.RAISED if created else AlarmOutcome.FOLDED
            state = self.log.record(device_id, at=at, reading=value, over=True, outcome=outcome,
                                    received_at=now, category=category, incident_id=incident_id)
        return Alarm(device_id, at, value, outcome, category, float(level["threshold"]), unit,
                     self.dispatcher.incident(incident_id, events=False), state.alarm_count)

    def heartbeat(self, device_id: str, at: dt.datetime | None = None) -> SensorState:
        """Record that a device is alive.

        Raises
        ------
        DeviceNotFoundError
            For a device the registry lacks.
        InputError
            For a time in the future or too far back (``field`` ``at``).
        """
        self.registry.get(device_id)
        return self.log.heartbeat(device_id, self._when(at, self.dispatcher.clock()))

    # -- silence -----------------------------------------------------------------------
    def _status(self, device: Device, state: SensorState, now: dt.datetime) -> dict[str, Any]:
        since = max(t for t in (device.installed_at, state.last_seen_at) if t is not None)
        kind = self._kind_names[device.kind]
        return {
            "device_id": device.device_id, "kind": device.kind, "kind_name": kind["name_zh"],
            "unit": kind["unit"], "name": device.name, "lon": device.lon, "lat": device.lat,
            "grid_code": device.grid_code, "installed_at": device.installed_at,
            "heartbeat_minutes": device.heartbeat_minutes,
            "last_seen_at": state.last_seen_at, "last_heartbeat_at": state.last_heartbeat_at,
            "last_reading": state.last_reading, "last_reading_at": state.last_reading_at,
            "last_alarm_at": state.last_alarm_at, "alarm_incident_id": state.alarm_incident_id,
            "alarm_count": state.alarm_count,
            "maintenance_incident_id": state.maintenance_incident_id,
            "silent": now - since > device.heartbeat * self.settings.silent_after,
        }

    def devices(self, *, person: StaffMember | None = None, kind: tuple[str, ...] = (),
                silent: bool | None = None, now: dt.datetime | None = None
                ) -> list[dict[str, Any]]:
        """The devices with their state, ordered by id.

        Parameters
        ----------
        person : StaffMember, optional
            Only the devices of their jurisdiction (:func:`gridgis.people.scope_of`:
            a grid worker's grids, a dispatcher's area; unit staff hold no area
            and see none).
        kind : tuple of str
            Only these kinds.
        silent : bool, optional
            Only the silent (True) or the heard-from (False) devices.
        now : datetime, optional
            Default the dispatcher's clock.

        Returns
        -------
        list of dict
            Per device: its registry fields, ``kind_name`` and ``unit``, the
            state (``last_seen_at``, ``last_heartbeat_at``, ``last_reading``,
            ``last_alarm_at``, ``alarm_incident_id``, ``alarm_count``,
            ``maintenance_incident_id``) and ``silent``.
        """
        now = now or self.dispatcher.clock()
        areas: tuple[str, ...] | None = None
        if person is not None:
            areas = scope_of(person).area_codes
        states = self.log.states()
        out = []
        for device in sorted(self.registry, key=lambda d: d.device_id):
            if kind and device.kind not in kind:
                continue
            if areas is not None and not (device.grid_code or "").startswith(areas or ("\0",)):
                continue
            status = self._status(device, states.get(device.device_id)
                                  or SensorState(device.device_id), now)
            if silent is None or status["silent"] is silent:
                out.append(status)
        return out

    def device_status(self, device_id: str, *, now: dt.datetime | None = None
                      ) -> dict[str, Any]:
        """One device with its state (as :meth:`devices` lists it).

        Raises
        ------
        DeviceNotFoundError
            For a device the registry lacks.
        """
        device = self.registry.get(device_id)
        return self._status(device, self.log.state(device_id), now or self.dispatcher.clock())

    def silent_devices(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """The devices not heard from for ``silent_after`` heartbeat intervals.

        As :meth:`devices` lists them; a device never heard from counts from
        its installation.
        """
        return self.devices(silent=True, now=now)

    def raise_maintenance(self, now: dt.datetime | None = None, *,
                          run_by: str | None = None) -> list[dict[str, Any]]:
        """Raise one maintenance matter per silent device that has none open.

        Parameters
        ----------
        now : datetime, optional
            Default the dispatcher's clock.
        run_by : str, optional
            Who started the sweep (named in the matters' actor).

        Returns
        -------
        list of dict
            The maintenance incidents raised by this sweep.
        """
        now = (now or self.dispatcher.clock()).replace(microsecond=0)
        category = self.settings.maintenance_category
        actor = "sensor-sweep" + (f":{run_by}" if run_by else "")
        raised = []
        with self._lock:
            for status in self.silent_devices(now):
                device_id = status["device_id"]
                state = self.log.state(device_id)
                if self._open(state.maintenance_incident_id):
                    continue
                seen = status["last_seen_at"]
                since = (f"自 {seen:%Y-%m-%d %H:%M} 起" if seen is not None
                         else f"安装（{status['installed_at']:%Y-%m-%d}）后从未")
                text = (f"{status['kind_name']}设备离线：{status['name']}（{device_id}）"
                        f"{since}无心跳或读数，应每 {status['heartbeat_minutes']} 分钟上报一次，"
                        "请检修")
                record, created = self.dispatcher.report(
                    lon=status["lon"], lat=status["lat"], category=category, description=text,
                    source=Source.SENSOR, reported_at=now, actor=actor,
                    idempotency_key=f"sensor:{device_id}:maintenance:"
                                    f"{state.maintenance_count + 1}")
                self.log.set_maintenance(device_id, record["incident_id"])
                if created:  # else another process raised it a moment ago
                    raised.append(record)
        return raised
