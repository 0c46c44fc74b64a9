"""A dispatcher over the small sample district, its sensors and a clock the tests move."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgis.dispatch import Dispatcher
from gridgis.sensors import Device, SensorService
from gridgis.store import SQLiteStore
from tests.service.conftest import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 11, 2, 9, 0))


@pytest.fixture
def dispatcher(small_layers, clock, tmp_path):
    store = SQLiteStore(tmp_path / "incidents.sqlite")
    yield Dispatcher(small_layers, store, clock=clock)
    store.close()


@pytest.fixture
def sensors(dispatcher) -> SensorService:
    return SensorService(dispatcher)


def device_of(sensors: SensorService, kind: str) -> Device:
    """The first device of ``kind``."""
    return next(d for d in sensors.registry if d.kind == kind)


def threshold(sensors: SensorService, kind: str) -> float:
    return float(sensors.kinds.loc[[kind], "threshold"].iloc[0])
