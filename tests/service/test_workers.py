"""Several service workers: one grid index file mapped by all, one store, one clock, one key."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.main import app_from_environment
from api.settings import Settings
from gridgis.cli.serve import _worker_environment
from gridgis.index import GridIndex
from gridgis.index.cache import cached_index, index_cache_path
from gridgis.people.passwords import hash_password
from gridgis.store import SQLiteStore
from tests.conftest import serving
from tests.service.conftest import district_roster

PASSWORD = "网格2026-grid"


def _file_backed(array: np.ndarray) -> bool:
    base = array
    while getattr(base, "base", None) is not None:
        if isinstance(base, np.memmap) or type(base).__name__ == "mmap":
            return True
        base = base.base
    return type(base).__name__ == "mmap"


def test_the_index_file_is_mapped_not_read(small_gpkg, small_layers):
    built = cached_index(small_gpkg, small_layers)
    mapped = GridIndex.load(index_cache_path(small_gpkg))
    read = GridIndex.load(index_cache_path(small_gpkg), mmap=False)
    arrays = [v for v in vars(mapped.grid_index).values() if isinstance(v, np.ndarray)]
    assert arrays and all(_file_backed(a) for a in arrays if a.size)
    assert not any(_file_backed(a) for a in vars(read.grid_index).values()
                   if isinstance(a, np.ndarray) and a.size)
    # the same answers, and the geometries decoded only when asked for
    pts = small_layers.incidents.geometry
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    assert mapped._geoms is None
    for other in (built, read):
        assert np.array_equal(mapped.assign(lon=lon, lat=lat).grid_code.to_numpy(na_value=""),
                              other.assign(lon=lon, lat=lat).grid_code.to_numpy(na_value=""))
    assert len(mapped.geoms) == len(small_layers.grids)


@pytest.fixture
def worker_env(small_gpkg, tmp_path, monkeypatch):
    """The environment ``serve --workers`` hands its workers, restored afterwards."""
    for key in [k for k in os.environ if k.startswith("GRIDGIS_")]:
        monkeypatch.delenv(key)
    store = tmp_path / "shared.sqlite"
    settings = Settings(layers=small_gpkg, store=str(store), clock="2026-11-01T09:00:00",
                        clock_since="2026-11-20T08:00:00")
    saved = dict(os.environ)
    _worker_environment(settings, str(store))
    yield store
    os.environ.clear()
    os.environ.update(saved)


def test_two_workers_share_sign_in_store_and_clock(worker_env, small_layers):
    one, two = TestClient(app_from_environment()), TestClient(app_from_environment())
    county = next(p for p in district_roster(small_layers) if p.role == "command_centre")
    one.app.state.dispatcher.store.staff.save(county, password_hash=hash_password(PASSWORD))
    answer = one.post("/auth/token", data={"username": county.staff_id, "password": PASSWORD})
    assert answer.status_code == 200
    bearer = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    assert two.get("/auth/me", headers=bearer).status_code == 200  # one signing key
    p = small_layers.grids.geometry.iloc[3].representative_point()
    made = one.post("/incidents", headers=bearer, json={
        "lon": p.x, "lat": p.y, "category": "E02", "description": "路口垃圾堆放三天无人清理"})
    assert made.status_code == 201, made.text
    iid = made.json()["incident_id"]
    seen = two.get(f"/incidents/{iid}", headers=bearer)  # one store
    assert seen.status_code == 200 and seen.json()["category"] == "E02"
    clocks = [c.app.state.dispatcher.clock() for c in (one, two)]
    assert abs((clocks[0] - clocks[1]).total_seconds()) < 60  # one running clock
    assert clocks[0].year == 2026 and clocks[0].month == 11


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found += [int(c) for c in children]
    return found


def test_serve_with_two_workers_answers_as_one(small_gpkg, small_layers, tmp_path):
    store = SQLiteStore(tmp_path / "served.sqlite")
    county = next(p for p in district_roster(small_layers) if p.role == "command_centre")
    store.staff.save(county, password_hash=hash_password(PASSWORD))
    store.close()
    procs: list = []
    with serving(small_gpkg, tmp_path / "served.sqlite", tmp_path / "server.log",
                 "--workers", "2", process=procs) as base:
        assert len(_children(procs[0].pid)) >= 2  # the supervisor and its two workers
        form = urllib.parse.urlencode({"username": county.staff_id,
                                       "password": PASSWORD}).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{base}/auth/token", data=form),
                                    timeout=60) as r:
            token = json.loads(r.read())["access_token"]
        p = small_layers.grids.geometry.iloc[0].representative_point()
        for _ in range(30):  # whichever worker answers, the token and the grid are the same
            req = urllib.request.Request(f"{base}/locate?lon={p.x}&lat={p.y}",
                                         headers={"Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=60) as r:
                assert json.loads(r.read())["grid_code"] == small_layers.grids["code"].iloc[0]
    log = (tmp_path / "server.log").read_text()
    assert "2 workers" in log and "Traceback" not in log
