"""The service as a real uvicorn process on loopback, started by the test itself."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from gridgis.people.passwords import hash_password
from gridgis.store import SQLiteStore
from tests.conftest import serving
from tests.service.conftest import district_roster


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read())


PASSWORD = "网格2026-grid"


@pytest.fixture
def server(small_gpkg, small_layers, tmp_path):
    store = SQLiteStore(tmp_path / "served.sqlite")  # a roster with one password set
    county = next(p for p in district_roster(small_layers) if p.role == "command_centre")
    store.staff.save(county, password_hash=hash_password(PASSWORD))
    store.close()
    with serving(small_gpkg, tmp_path / "served.sqlite", tmp_path / "server.log") as base:
        yield base, county.staff_id


def _sign_in(server: str, staff_id: str, password: str) -> tuple[int, dict]:
    form = urllib.parse.urlencode({"username": staff_id, "password": password}).encode()
    req = urllib.request.Request(f"{server}/auth/token", data=form, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read())


def test_real_server_locates_reports_and_answers_errors(server, small_layers, tmp_path):
    server, staff_id = server
    p = small_layers.grids.geometry.iloc[0].representative_point()
    status, body = _get(f"{server}/locate?lon={p.x}&lat={p.y}")
    assert status == 401 and body["status"] == 401  # nothing for anonymous readers
    assert _sign_in(server, staff_id, "wrong-password1")[0] == 401
    status, body = _sign_in(server, staff_id, PASSWORD)
    assert status == 200 and body["token_type"] == "bearer"
    assert body["me"]["role"] == "command_centre"
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    status, body = _get(f"{server}/locate?lon={p.x}&lat={p.y}", bearer)
    assert status == 200 and body["grid_code"] == small_layers.grids["code"].iloc[0]
    req = urllib.request.Request(
        f"{server}/incidents", method="POST",
        data=json.dumps({"lon": p.x, "lat": p.y, "category": "E02",
                         "description": "垃圾堆放"}).encode(),
        headers={"content-type": "application/json", **bearer})
    with urllib.request.urlopen(req, timeout=30) as r:
        created = json.loads(r.read())
        assert r.status == 201
    status, body = _get(f"{server}/incidents/{created['incident_id']}", bearer)
    assert status == 200 and body["events"][0]["action"] == "report"
    assert body["events"][0]["actor"] == staff_id and body["events"][0]["client"] == "127.0.0.1"
    status, body = _get(f"{server}/locate?lon=0&lat=0", bearer)
    assert status == 422 and body["field"] == "lon/lat"
    assert (tmp_path / "served.sqlite").exists()
