"""An API client over the small sample district with a clock the tests move."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from gridgis.store import SQLiteStore


class ManualClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 11, 2, 9, 0))


@pytest.fixture
def client(small_layers, tmp_path, clock):
    store = SQLiteStore(tmp_path / "incidents.sqlite")
    app = create_app(Settings(max_body_bytes=16384), layers=small_layers, store=store, clock=clock)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    store.close()


@pytest.fixture
def inside_point(small_layers):
    """A point well inside the first urban grid, with that grid's codes."""
    grids = small_layers.grids
    grid = grids.iloc[len(grids) // 2]
    p = grid.geometry.representative_point()
    return {"lon": p.x, "lat": p.y, "grid_code": grid["code"],
            "community_code": grid["community_code"]}
