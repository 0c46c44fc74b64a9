"""The device registry (设备台账): the district's ``sensors`` layer, checked and located.

Every device has a point, a kind (:data:`gridgis.schemas.SENSOR_KINDS`), a
heartbeat interval and the grid it lies in. The layer may leave ``grid_code``
empty: the registry fills it by locating the device's point in the grids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from gridgis.errors import DeviceNotFoundError, LayerError
from gridgis.schemas import SCHEMAS

if TYPE_CHECKING:
    from gridgis.index.grid import GridIndex

__all__ = ["Device", "SensorRegistry"]


@dataclass(frozen=True)
class Device:
    """One IoT device of the registry."""

    device_id: str
    kind: str
    name: str
    lon: float
    lat: float
    installed_at: dt.datetime
    heartbeat_minutes: int
    grid_code: str | None

    @property
    def heartbeat(self) -> dt.timedelta:
        """The interval between the device's heartbeats."""
        return dt.timedelta(minutes=self.heartbeat_minutes)


def _empty() -> gpd.GeoDataFrame:
    columns = {c: pd.Series(dtype=object) for c in SCHEMAS["sensors"].column_names}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs="EPSG:4326"))


class SensorRegistry:
    """The devices of a district, by id.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or None
        The checked ``sensors`` layer (``Layers.sensors``); None: no devices.
    kinds : pandas.DataFrame
        The sensor kind table (:func:`gridgis.sensors.load_sensor_kinds`); every
        device's kind must have a row.
    index : GridIndex, optional
        Fills the grid of devices whose ``grid_code`` is empty, by location.

    Raises
    ------
    LayerError
        For a kind the table lacks or a heartbeat interval that is not positive.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> from gridgis.sensors import load_sensor_kinds
    >>> registry = SensorRegistry(sample_district(scale=0.05).sensors, load_sensor_kinds())
    >>> sorted(set(registry.frame["kind"]))
    ['fume', 'gas', 'manhole_cover', 'smoke', 'water_level']
    """

    def __init__(self, frame: gpd.GeoDataFrame | None, kinds: pd.DataFrame, *,
                 index: GridIndex | None = None) -> None:
        frame = _empty() if frame is None else frame.copy()
        unknown = ~frame["kind"].isin(kinds.index)
        if unknown.any():
            raise LayerError(f"传感器图层有类型表中没有的类型 / layer 'sensors': kinds "
                             f"{', '.join(sorted(set(frame.loc[unknown, 'kind'])))} have no row "
                             "in the sensor kind table", layer="sensors", column="kind",
                             rows=list(frame.index[unknown.to_numpy()][:10]))
        bad = pd.to_numeric(frame["heartbeat_minutes"]) <= 0
        if bad.any():
            raise LayerError("传感器心跳间隔须为正数 / layer 'sensors': heartbeat_minutes must be "
                             "positive", layer="sensors", column="heartbeat_minutes",
                             rows=list(frame.index[bad.to_numpy()][:10]))
        lost = frame["grid_code"].isna()
        if index is not None and lost.any():
            found = index.assign(frame.loc[lost, [frame.geometry.name]], with_distance=False)
            frame.loc[lost, "grid_code"] = found["grid_code"].astype(object).where(
                found["grid_code"].notna(), None)
        self.frame = frame
        self.kinds = kinds
        xy = frame.geometry.get_coordinates()
        self._devices = {
            str(r.device_id): Device(
                device_id=str(r.device_id), kind=str(r.kind), name=str(r.name),
                lon=float(x), lat=float(y), installed_at=pd.Timestamp(r.installed_at)
                .to_pydatetime(), heartbeat_minutes=int(r.heartbeat_minutes),
                grid_code=None if pd.isna(r.grid_code) else str(r.grid_code))
            for r, x, y in zip(frame.itertuples(), xy["x"], xy["y"], strict=True)}

    def __len__(self) -> int:
        return len(self._devices)

    def __iter__(self) -> Iterator[Device]:
        return iter(self._devices.values())

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def get(self, device_id: str) -> Device:
        """The device with this id.

        Raises
        ------
        DeviceNotFoundError
            When the registry has no such device.
        """
        device = self._devices.get(device_id)
        if device is None:
            shown = repr(device_id)[:80]
            raise DeviceNotFoundError(f"设备台账中没有 {shown} / no device {shown} in the "
                                      f"sensor registry ({len(self)} devices)")
        return device
