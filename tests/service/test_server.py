"""The service as a real uvicorn process on loopback, started by the test itself."""

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import serving


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        with e:
            return e.code, json.loads(e.read())


@pytest.fixture
def server(small_gpkg, tmp_path):
    with serving(small_gpkg, tmp_path / "served.sqlite", tmp_path / "server.log") as base:
        yield base


def test_real_server_locates_reports_and_answers_errors(server, small_layers, tmp_path):
    p = small_layers.grids.geometry.iloc[0].representative_point()
    status, body = _get(f"{server}/locate?lon={p.x}&lat={p.y}")
    assert status == 200 and body["grid_code"] == small_layers.grids["code"].iloc[0]
    req = urllib.request.Request(
        f"{server}/incidents", method="POST",
        data=json.dumps({"lon": p.x, "lat": p.y, "category": "E02",
                         "description": "垃圾堆放"}).encode(),
        headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        created = json.loads(r.read())
        assert r.status == 201
    status, body = _get(f"{server}/incidents/{created['incident_id']}")
    assert status == 200 and body["events"][0]["action"] == "report"
    status, body = _get(f"{server}/locate?lon=0&lat=0")
    assert status == 422 and body["field"] == "lon/lat"
    assert (tmp_path / "served.sqlite").exists()
