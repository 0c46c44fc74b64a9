"""The device registry: the sensors layer checked, grids filled by location, optional."""

import pytest

from gridgis import LayerError, read_layers, write_layers
from gridgis.dispatch import Dispatcher
from gridgis.errors import DeviceNotFoundError
from gridgis.index.grid import GridIndex
from gridgis.sensors import SensorRegistry, SensorService, load_sensor_kinds
from gridgis.store import SQLiteStore


@pytest.fixture(scope="module")
def kinds():
    return load_sensor_kinds()


def test_grids_are_filled_by_location(small_layers, kinds):
    layer = small_layers.sensors
    index = GridIndex.from_layers(small_layers)
    registry = SensorRegistry(layer.drop(columns="grid_code").assign(grid_code=None), kinds,
                              index=index)
    assert {d.device_id: d.grid_code for d in registry} == dict(
        zip(layer["device_id"], layer["grid_code"], strict=True))
    assert SensorRegistry(layer.assign(grid_code=None), kinds).get(
        layer.index[0]).grid_code is None  # no index: left empty


def test_bad_devices_are_refused(small_layers, kinds):
    layer = small_layers.sensors
    with pytest.raises(LayerError, match="heartbeat_minutes") as caught:
        SensorRegistry(layer.assign(heartbeat_minutes=0), kinds)
    assert caught.value.layer == "sensors" and len(caught.value.rows) == 10
    with pytest.raises(LayerError, match="gas"):
        SensorRegistry(layer, kinds[kinds.index != "gas"])


def test_unknown_devices_are_named(small_layers, kinds):
    registry = SensorRegistry(small_layers.sensors, kinds)
    assert len(registry) == len(small_layers.sensors)
    with pytest.raises(DeviceNotFoundError, match="XX9") as caught:
        registry.get("XX9")
    assert isinstance(caught.value, LookupError)


def test_a_district_without_sensors_stays_valid(small_layers, tmp_path):
    from dataclasses import replace

    path = write_layers(replace(small_layers, sensors=None), tmp_path / "old.gpkg")
    layers = read_layers(path)
    assert layers.sensors is None
    store = SQLiteStore(":memory:")
    sensors = SensorService(Dispatcher(layers, store))
    assert len(sensors.registry) == 0 and sensors.devices() == []
    assert sensors.raise_maintenance() == []
    with pytest.raises(DeviceNotFoundError):
        sensors.alarm("YG0001", 1.0)
    store.close()


def test_the_layer_round_trips(small_gpkg, small_layers):
    back = read_layers(small_gpkg).sensors
    assert list(back["device_id"]) == list(small_layers.sensors["device_id"])
    assert (back["installed_at"] == small_layers.sensors["installed_at"]).all()
