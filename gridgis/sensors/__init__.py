"""IoT sensors in the closed loop (物联感知): devices, thresholds, alarms and silence.

- :mod:`gridgis.sensors.kinds`: the table of kinds (smoke 烟感, water level 水位,
  manhole cover 井盖, gas 燃气, fume 油烟), their thresholds and categories;
- :mod:`gridgis.sensors.registry`: the device registry, from the ``sensors`` layer;
- :mod:`gridgis.sensors.service`: :class:`SensorService`: alarms raise or fold
  into incidents, heartbeats keep devices alive, silence raises maintenance;
- :mod:`gridgis.sensors.settings`: the fold window and the silence rule.

The devices' state and readings live in the incident store
(:mod:`gridgis.store.sensors`).
"""

from gridgis.sensors.kinds import alarm_text, level_of, load_sensor_kinds
from gridgis.sensors.registry import Device, SensorRegistry
from gridgis.sensors.service import Alarm, SensorService
from gridgis.sensors.settings import SensorSettings
from gridgis.store.sensors import AlarmOutcome, SensorState

__all__ = [
    "Alarm",
    "AlarmOutcome",
    "Device",
    "SensorRegistry",
    "SensorService",
    "SensorSettings",
    "SensorState",
    "alarm_text",
    "level_of",
    "load_sensor_kinds",
]
