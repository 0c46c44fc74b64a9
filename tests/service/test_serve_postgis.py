"""``gridgis serve --store postgresql://…``: the service on PostGIS, with two workers."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

from fastapi.testclient import TestClient

from api.main import app_from_environment
from gridgis.people.passwords import hash_password
from gridgis.store import IncidentQuery
from tests.conftest import serving
from tests.service.conftest import district_roster

PASSWORD = "网格2026-grid"


def _call(base, path, *, token=None, body=None, form=None):
    """(status, JSON answer) of one request."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _people(layers):
    roster = district_roster(layers)
    grid = layers.grids.iloc[3]
    community = next(p for p in roster if p.role == "community"
                     and p.area_code == grid["community_code"])
    county = next(p for p in roster if p.role == "command_centre")
    return grid, community, county


def test_two_workers_on_postgis_answer_as_one(small_gpkg, small_layers, postgis, tmp_path):
    grid, community, county = _people(small_layers)
    store = postgis.open()
    for person in (community, county):
        store.staff.save(person, password_hash=hash_password(PASSWORD))
    store.close()
    with serving(small_gpkg, postgis.spec, tmp_path / "server.log", "--workers", "2") as base:
        tokens = {}
        for person in (community, county):
            status, answer = _call(base, "/auth/token", form={"username": person.staff_id,
                                                              "password": PASSWORD})
            assert status == 200, answer
            tokens[person.role] = answer["access_token"]
        p = grid.geometry.representative_point()
        status, made = _call(base, "/incidents", token=tokens["command_centre"], body={
            "lon": p.x, "lat": p.y, "category": "E02", "description": "路口垃圾堆放三天无人清理"})
        assert status == 201, made
        iid = made["incident_id"]
        moves = [_call(base, f"/incidents/{iid}/transitions", token=tokens["community"],
                       body={"action": "accept", "version": 1}) for _ in range(2)]
        # whichever worker answers, the second step on version 1 is refused
        assert [m[0] for m in moves] == [200, 409], moves
        box = f"{p.x - 0.001},{p.y - 0.001},{p.x + 0.001},{p.y + 0.001}"
        for _ in range(10):  # every worker lists it from the database, by the GiST index
            status, page = _call(base, f"/incidents?bbox={box}", token=tokens["command_centre"])
            assert status == 200 and [i["incident_id"] for i in page["items"]] == [iid], page
    log = (tmp_path / "server.log").read_text()
    assert "2 workers" in log and "Traceback" not in log
    store = postgis.open()
    assert store.get(iid)["version"] == 2 and store.get(iid)["status"] == "accepted"
    assert store.audit() == (2, [])
    assert store.query(IncidentQuery(now=store.get(iid)["updated_at"])).matched == 1
    store.close()


def test_the_store_setting_names_a_postgis_database(small_gpkg, postgis, monkeypatch):
    monkeypatch.setenv("GRIDGIS_LAYERS", str(small_gpkg))
    monkeypatch.setenv("GRIDGIS_STORE", postgis.spec)
    with TestClient(app_from_environment()) as client:
        store = client.app.state.dispatcher.store
        assert type(store).__name__ == "PostGISStore"
        assert store.attachments.folder == small_gpkg.with_name("small.attachments")
        assert client.get("/conformance").status_code == 200
        store.close()


def test_a_database_that_cannot_be_used_is_one_line(postgres_cluster):
    url = postgres_cluster.url("no_such_database")
    result = subprocess.run([sys.executable, "-m", "gridgis", "serve", "--store", url,
                             "--port", "1"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert "no_such_database" in lines[0] and "无法使用" in lines[0]
