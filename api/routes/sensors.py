"""IoT sensors (物联感知): alarms and heartbeats from the gateway, devices for the staff.

The sensor gateway posts each device's readings and heartbeats with the
sensor channel's ``api_key`` in the ``X-Api-Key`` header (``GRIDGIS_OPEN311_KEYS``
``{"sensor": "…"}``; compared in constant time; no key configured: refused).
An alarm answers 201 with what became of it: a new incident (``raised``), the
device's open incident it folded into (``folded``), or nothing (``normal``,
under the threshold). Signed-in staff list the devices of their jurisdiction;
the county command centre and administrators run the maintenance sweep.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from api.auth import SignedIn, require_roles
from api.channels import key_matches
from api.deps import Offset, comma_list, limit_query
from api.errors import problem_responses
from api.models import CstIn, CstOut, Incident, Link
from api.paging import page_links
from api.settings import Settings
from gridgis.errors import AccessDeniedError
from gridgis.incidents.channels import check_enabled
from gridgis.incidents.names import Source
from gridgis.people.access import SUPERVISION
from gridgis.people.staff import StaffMember
from gridgis.schemas import SENSOR_KINDS
from gridgis.sensors import AlarmOutcome, SensorService
from gridgis.sensors.service import MAX_READING

__all__ = ["AlarmIn", "AlarmOut", "HeartbeatIn", "Sensor", "SensorPage", "create_router",
           "get_sensors"]

_api_key = APIKeyHeader(name="X-Api-Key", auto_error=False, scheme_name="SensorKey",
                        description="传感器渠道的密钥 / the sensor channel's api_key")


def get_sensors(request: Request) -> SensorService:
    """The service's sensors, built at start-up."""
    return request.app.state.sensors


Sensors = Annotated[SensorService, Depends(get_sensors)]


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("读数须为数值 / the reading must be a JSON number")
    return value


class AlarmIn(BaseModel):
    """A device's reading."""

    model_config = ConfigDict(extra="forbid")

    reading: Annotated[float, BeforeValidator(_number)] = Field(
        allow_inf_nan=False, ge=-MAX_READING, le=MAX_READING,
        description="读数，单位见设备类型 / the reading, in the unit of the device's kind")
    at: CstIn | None = Field(None, description="读数时间，默认现在；无时区按北京时间 / when "
                                               "the device read it; default now, naive UTC+8")


class HeartbeatIn(BaseModel):
    """A device's heartbeat."""

    model_config = ConfigDict(extra="forbid")

    at: CstIn | None = Field(None, description="默认现在 / default now; naive means UTC+8")


class AlarmOut(BaseModel):
    """What became of a reading: an incident raised, one folded into, or none."""

    device_id: str
    at: CstOut
    reading: float
    outcome: AlarmOutcome = Field(description="raised 新建事件 / folded 并入未结事件 / normal "
                                         "未超阈值")
    category: str | None
    threshold: float | None
    unit: str
    alarm_count: int = Field(description="该事件已收到本设备的报警次数 / alarms of this device "
                                         "the incident has had, this one included")
    incident: Incident | None


class Sensor(BaseModel):
    """A device of the registry with its state."""

    device_id: str
    kind: str
    kind_name: str
    unit: str
    name: str
    lon: float
    lat: float
    grid_code: str | None
    installed_at: CstOut
    heartbeat_minutes: int
    last_seen_at: CstOut | None
    last_heartbeat_at: CstOut | None
    last_reading: float | None
    last_reading_at: CstOut | None
    last_alarm_at: CstOut | None
    alarm_incident_id: str | None
    alarm_count: int
    maintenance_incident_id: str | None
    silent: bool = Field(description="超过两个心跳周期未上报 / not heard from for twice its "
                                     "heartbeat interval")


class SensorPage(BaseModel):
    """A page of devices."""

    items: list[Sensor]
    matched: int
    returned: int
    links: list[Link]


def _alarm_out(alarm: Any) -> AlarmOut:
    incident = None if alarm.incident is None else Incident(**alarm.incident)
    return AlarmOut(device_id=alarm.device_id, at=alarm.at, reading=alarm.reading,
                    outcome=alarm.outcome, category=alarm.category, threshold=alarm.threshold,
                    unit=alarm.unit, alarm_count=alarm.alarm_count, incident=incident)


def create_router(settings: Settings) -> APIRouter:
    """The sensor routes; the gateway's key from ``settings.open311_keys["sensor"]``."""
    router = APIRouter(prefix="/sensors", tags=["sensors"])
    keys = dict(settings.open311_keys)
    enabled = list(settings.channels)

    def gateway(api_key: Annotated[str | None, Security(_api_key)] = None) -> None:
        """Let only the sensor channel's key through (403 otherwise, or when disabled)."""
        if not key_matches(api_key, keys, Source.SENSOR.value):
            raise AccessDeniedError("X-Api-Key 缺失或无效 / the X-Api-Key header is missing or "
                                    "not the sensor channel's api_key")
        check_enabled(Source.SENSOR, enabled)

    gate = [Depends(gateway)]
    bounded_limit = Depends(limit_query(default=settings.incidents_limit_default,
                                        maximum=settings.incidents_limit_max))

    @router.post("/{device_id}/alarms", status_code=201, response_model=AlarmOut,
                 dependencies=gate, responses=problem_responses(400, 403, 404, 413, 422, 503))
    def alarm(sensors: Sensors, device_id: str, body: AlarmIn) -> AlarmOut:
        """A device's reading: over its threshold it raises an incident or folds into one.

        Alarms of a device within ``GRIDGIS_SENSOR_FOLD_MINUTES`` of its last,
        while that incident is open, fold into it (counted: no alarm storm);
        ``outcome`` and ``incident`` say which.
        """
        return _alarm_out(sensors.alarm(device_id, body.reading, body.at))

    @router.post("/{device_id}/heartbeat", response_model=Sensor, dependencies=gate,
                 responses=problem_responses(400, 403, 404, 413, 422, 503))
    def heartbeat(sensors: Sensors, device_id: str, body: HeartbeatIn | None = None) -> Sensor:
        """A device is alive: its state afterwards."""
        sensors.heartbeat(device_id, body.at if body else None)
        return Sensor(**sensors.device_status(device_id))

    @router.get("", response_model=SensorPage, responses=problem_responses(401, 422, 503))
    def list_sensors(
        person: SignedIn,
        request: Request,
        sensors: Sensors,
        kind: Annotated[str | None, Query(description=f"comma-separated: "
                                                      f"{','.join(SENSOR_KINDS)}")] = None,
        silent: bool | None = None,
        limit: int = bounded_limit,
        offset: Offset = 0,
    ) -> SensorPage:
        """The devices of your jurisdiction with their state, by id."""
        kinds = comma_list(kind)
        if set(kinds) - set(SENSOR_KINDS):
            raise RequestValidationError([{"loc": ("query", "kind"), "type": "value_error",
                                           "msg": f"kind is one of {', '.join(SENSOR_KINDS)}"}])
        items = sensors.devices(person=person, kind=kinds, silent=silent)
        page = items[offset: offset + limit]
        links = [Link(**link) for link in page_links(request, offset=offset, limit=limit,
                                                      matched=len(items),
                                                      media_type="application/json")]
        return SensorPage(items=[Sensor(**s) for s in page], matched=len(items),
                          returned=len(page), links=links)

    @router.post("/maintenance-sweep", response_model=list[Incident],
                 responses=problem_responses(401, 403, 503))
    def sweep(person: Annotated[StaffMember, Depends(require_roles(*SUPERVISION))],
              sensors: Sensors) -> list[Incident]:
        """Raise a maintenance matter for each device silent past twice its heartbeat.

        Not again for a device whose matter is still open; the answer lists the
        matters raised now.
        """
        return [Incident(**i) for i in sensors.raise_maintenance(run_by=person.staff_id)]

    return router
