"""The base-information routes: a grid worker finds an address, keeps a household, records a
visit; a township sees its statistics; nobody sees what is not theirs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api import create_app
from api.settings import Settings
from gridgis.baseinfo import load_sample
from gridgis.baseinfo.records import id_check_char
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore


@pytest.fixture(scope="module")
def service(small_layers, small_baseinfo, small_index, tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("api") / "s.sqlite")
    load_sample(store.engine, small_baseinfo)
    people = small_baseinfo.people
    grid = people["grid_code"].value_counts().index[0]  # a grid with people
    staff = [StaffMember("wg1", "王五", "grid_worker", grid[:12], grade="full_time",
                         grids=(grid,)),
             StaffMember("wg2", "赵六", "grid_worker", grid[:12], grade="part_time",
                         grids=(next(g for g in small_layers.grids["code"]
                                     if g != grid and g.startswith(grid[:12])),)),
             StaffMember("jd1", "李敏", "township", grid[:9]),
             StaffMember("dw1", "单位", "unit", unit_id=small_layers.units["unit_id"].iloc[0])]
    store.staff.save_many(staff)
    now = dt.datetime(2026, 12, 2, 9)
    app = create_app(Settings(), layers=small_layers, store=store, clock=lambda: now)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.grid = grid
        client.people = {s.staff_id: s for s in staff}
        yield client
    store.close()


def _as(client, staff_id):
    token = client.app.state.tokens.issue(client.people[staff_id])
    return {"Authorization": f"Bearer {token}"}


def test_a_grid_worker_keeps_a_household(service, small_baseinfo):
    w = _as(service, "wg1")
    # find an address of the grid by its text
    addr = small_baseinfo.addresses
    target = addr[addr["grid_code"] == service.grid].iloc[0]
    r = service.get("/baseinfo/addresses", params={"q": target["full_text"]}, headers=w)
    assert r.status_code == 200, r.text
    assert target["address_id"] in [i["address_id"] for i in r.json()["items"]]
    # its household, whole for the grid worker
    r = service.get("/baseinfo/people", params={"address_id": target["address_id"]}, headers=w)
    body = r.json()
    assert body["matched"] >= 1 and body["items"][0]["masked"] is False
    person = body["items"][0]
    # 变更: a new phone, naming the version read; a stale version is refused
    change = {"fields": {"phone": "13812345678"}, "version": person["version"], "note": "换号"}
    r = service.patch(f"/baseinfo/people/{person['person_id']}", json=change, headers=w)
    assert r.status_code == 200 and r.json()["phone"] == "13812345678"
    assert service.patch(f"/baseinfo/people/{person['person_id']}", json=change,
                         headers=w).status_code == 409
    # 新增 a newborn in the same house
    first = "33039920261101001"
    baby = {"name": "新生儿", "id_number": first + id_check_char(first),
            "residence": "registered", "address_id": target["address_id"],
            "house_id": person["house_id"]}
    r = service.post("/baseinfo/people", json=baby, headers=w)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["grid_code"] == service.grid and r.headers["Location"].endswith(new["person_id"])
    assert service.post("/baseinfo/people", json=baby, headers=w).status_code == 409  # 查重
    # 注销 with a reason; the history shows the three steps
    r = service.post(f"/baseinfo/people/{new['person_id']}/cancel", json={"note": "迁出"},
                     headers=w)
    assert r.json()["status"] == "cancelled"
    r = service.get(f"/baseinfo/people/{new['person_id']}", headers=w)
    assert [h["action"] for h in r.json()["history"]] == ["add", "cancel"]


def test_a_visit_is_recorded_and_the_task_done(service, small_baseinfo):
    w = _as(service, "wg1")
    r = service.get("/baseinfo/tasks", headers=w)
    assert r.status_code == 200, r.text
    tasks = r.json()
    assert tasks["counts"]["due"] > 0 and tasks["day"] == "2026-12-02"
    visit = next(t for t in tasks["items"] if t["target_kind"] == "people")
    body = {"task_code": visit["task_code"], "target_id": visit["target_id"],
            "lon": 120.6, "lat": 28.0, "crs": "gcj02", "place": "家中", "note": "一切正常"}
    r = service.post("/baseinfo/visits", json=body, headers=w)
    assert r.status_code == 201, r.text
    assert r.json()["staff_id"] == "wg1" and r.json()["lon"] != 120.6  # GCJ-02 converted
    after = service.get("/baseinfo/tasks", headers=w).json()
    done = {(t["task_code"], t["target_id"]): t["light"] for t in after["items"]}
    assert done[(visit["task_code"], visit["target_id"])] == "green"
    assert after["counts"]["done"] == tasks["counts"]["done"] + 1
    # another grid's worker may neither visit nor read this grid's people
    other = _as(service, "wg2")
    assert service.post("/baseinfo/visits", json=body, headers=other).status_code == 403
    r = service.get(f"/baseinfo/people/{visit['target_id']}", headers=other)
    assert r.status_code == 404


def test_a_township_sees_its_statistics_masked(service, small_baseinfo):
    t = _as(service, "jd1")
    r = service.get("/baseinfo/statistics", params={"level": "community"}, headers=t)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert all(i["code"].startswith(service.grid[:9]) for i in items)
    people = small_baseinfo.people
    mine = people[people["township_code"] == service.grid[:9]]
    assert sum(i["people"] for i in items) >= len(mine)  # the newborn may be there
    assert r.json()["names"]["tag_elderly_alone"] == "独居老人"
    r = service.get("/baseinfo/people", params={"tag": "elderly_alone", "limit": 5}, headers=t)
    assert all(i["masked"] and i["name"].endswith("**") and i.get("birth_date") is None
               for i in r.json()["items"])
    assert service.post("/baseinfo/addresses", json={"road": "某路", "door_no": "1号",
                                                     "lon": 120.6, "lat": 28.0},
                        headers=t).status_code == 403
    # the grid worker's export of their grid: whole; the statistics sheet first
    r = service.get("/baseinfo/export.xlsx", headers=_as(service, "wg1"))
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content), read_only=True)
    assert book.sheetnames[0] == "统计"


def test_refusals_are_4xx_with_reasons(service):
    w = _as(service, "wg1")
    assert service.get("/baseinfo/people").status_code == 401
    assert service.get("/baseinfo/people", headers=_as(service, "dw1")).status_code == 403
    assert service.get("/baseinfo/things", headers=w).status_code == 422
    r = service.post("/baseinfo/people", json={"name": "x", "id_number": "123"}, headers=w)
    assert r.status_code == 422 and r.json()["field"] in ("id_number", "residence",
                                                          "address_id")
    assert service.post("/baseinfo/houses", json={"bogus": 1}, headers=w).status_code == 422
    r = service.post("/baseinfo/houses", json={"name": "x"}, headers=w)
    assert r.status_code == 422 and r.json()["field"] == "name"
    assert service.get("/baseinfo/people/P404", headers=w).status_code == 404
    assert service.get("/baseinfo/houses", params={"tag": "x"}, headers=w).status_code == 422
    assert service.get("/baseinfo/tasks", params={"person": "jd1"},
                       headers=w).status_code == 403
    assert service.get("/baseinfo/tasks", headers=_as(service, "jd1")).status_code == 403
    r = service.post("/baseinfo/visits", json={"task_code": "V01", "target_id": "P404"},
                     headers=w)
    assert r.status_code == 404
