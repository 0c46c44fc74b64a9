"""The sensor routes: the gateway's key, alarms that fold, the devices of one's area."""

import datetime as dt
import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from api.routes.sensors import AlarmOut, Sensor, SensorPage
from api.settings import Settings
from gridgis.store import SQLiteStore
from tests.service.conftest import OPEN311_KEYS, Desk, ManualClock, district_roster

SENSOR_KEY = OPEN311_KEYS["sensor"]
GATEWAY = {"X-Api-Key": SENSOR_KEY}
PROBLEM = "application/problem+json"


def make_app(layers, store, clock, **over):
    store.staff.save_many(district_roster(layers))
    settings = {"open311_keys": OPEN311_KEYS} | over
    return create_app(Settings(**settings), layers=layers, store=store, clock=clock)


@pytest.fixture
def sensor_app(small_layers, store, clock):
    return make_app(small_layers, store, clock)


@pytest.fixture
def gateway(sensor_app):
    """The sensor gateway: no one signed in, the sensor channel's key."""
    with TestClient(sensor_app, raise_server_exceptions=False, headers=GATEWAY) as c:
        yield c


@pytest.fixture
def staff(sensor_app, small_layers):
    """A client and the desk of the roster's tokens (no key)."""
    with TestClient(sensor_app, raise_server_exceptions=False) as c:
        c.desk = Desk(sensor_app, district_roster(small_layers))
        yield c


def device(layers, kind):
    return layers.sensors[layers.sensors["kind"] == kind].iloc[0]


def alarm(client, device_id, reading, **over):
    return client.post(f"/sensors/{device_id}/alarms", json={"reading": reading} | over)


def test_alarms_raise_an_incident_then_fold_into_it(gateway, staff, small_layers, clock):
    gas = device(small_layers, "gas")
    answers = []
    for k in range(10):  # ten alarms in five minutes
        r = alarm(gateway, gas["device_id"], 25 + k)
        assert r.status_code == 201, r.text
        answers.append(AlarmOut.model_validate(r.json()))
        clock.advance(seconds=30)
    assert [a.outcome for a in answers] == ["raised"] + ["folded"] * 9
    assert [a.alarm_count for a in answers] == list(range(1, 11))
    incident = answers[0].incident
    assert incident.category == "S04" and incident.source == "sensor"
    assert incident.grid_code == gas["grid_code"] and "燃气报警" in incident.description
    assert {a.incident.incident_id for a in answers} == {incident.incident_id}
    county = staff.desk.headers(staff.desk.county.staff_id)
    listed = staff.get("/incidents", params={"category": "S04"}, headers=county).json()
    assert [i["incident_id"] for i in listed["items"]] == [incident.incident_id]
    detail = staff.get(f"/incidents/{incident.incident_id}", headers=county).json()
    assert detail["events"][0]["actor"] == f"sensor:{gas['device_id']}"
    one = staff.get("/sensors", params={"kind": "gas"}, headers=county).json()["items"]
    mine = next(s for s in one if s["device_id"] == gas["device_id"])
    assert mine["alarm_count"] == 10 and mine["alarm_incident_id"] == incident.incident_id


def test_a_reading_under_the_threshold_raises_nothing(gateway, small_layers):
    smoke = device(small_layers, "smoke")
    r = alarm(gateway, smoke["device_id"], 0.05)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["outcome"] == "normal" and body["incident"] is None and body["alarm_count"] == 0
    assert body["unit"] == "dB/m"


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": ""}, {"X-Api-Key": SENSOR_KEY[:-1]},
                                     {"X-Api-Key": SENSOR_KEY + "x"},
                                     {"X-Api-Key": OPEN311_KEYS["app"]},
                                     {"X-Api-Key": OPEN311_KEYS["hotline"]}])
def test_bad_keys_are_refused(staff, small_layers, headers):
    smoke = device(small_layers, "smoke")["device_id"]
    for path, body in ((f"/sensors/{smoke}/alarms", {"reading": 1.0}),
                       (f"/sensors/{smoke}/heartbeat", None), ("/sensors/NOPE/alarms", {})):
        r = staff.post(path, json=body, headers=headers)
        assert r.status_code == 403, r.text
        assert r.headers["content-type"] == PROBLEM and "X-Api-Key" in r.json()["detail"]
    county = staff.desk.headers(staff.desk.county.staff_id)  # signing in is no key
    assert staff.post(f"/sensors/{smoke}/alarms", json={"reading": 1.0},
                      headers=county | headers).status_code == 403


def test_without_a_sensor_key_the_gateway_is_shut(small_layers, store, clock):
    keys = {k: v for k, v in OPEN311_KEYS.items() if k != "sensor"}
    app = create_app(Settings(open311_keys=keys), layers=small_layers, store=store, clock=clock)
    smoke = device(small_layers, "smoke")["device_id"]
    with TestClient(app, raise_server_exceptions=False) as c:
        for key in ("", SENSOR_KEY, OPEN311_KEYS["app"]):
            r = c.post(f"/sensors/{smoke}/alarms", json={"reading": 1}, headers={"X-Api-Key": key})
            assert r.status_code == 403


def test_a_disabled_sensor_channel_is_refused_naming_it(small_layers, store, clock):
    app = make_app(small_layers, store, clock, channels=["hotline", "grid_worker"])
    smoke = device(small_layers, "smoke")["device_id"]
    with TestClient(app, raise_server_exceptions=False, headers=GATEWAY) as c:
        r = alarm(c, smoke, 1.0)
        assert r.status_code == 403
        assert "物联感知设备" in r.json()["detail"] and "sensor" in r.json()["detail"]


def test_unknown_devices_and_bad_input(gateway, small_layers, clock):
    r = alarm(gateway, "NOPE", 1.0)
    assert r.status_code == 404 and r.json()["field"] == "device_id"
    assert "NOPE" in r.json()["detail"]
    assert gateway.post("/sensors/NOPE/heartbeat").status_code == 404
    smoke = device(small_layers, "smoke")["device_id"]
    for body in ({"reading": "abc"}, {"reading": True}, {"reading": None}, {},
                 {"reading": 2e9}, {"reading": 1, "unit": "x"}, {"reading": [1]}):
        r = gateway.post(f"/sensors/{smoke}/alarms", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["field"] in ("reading", "unit")
    for raw in ('{"reading": NaN}', '{"reading": Infinity}', '{"reading": 1e400}'):
        r = gateway.post(f"/sensors/{smoke}/alarms", content=raw,
                         headers={"content-type": "application/json"})
        assert r.status_code == 422 and r.json()["field"] == "reading", raw
    future = (clock.now.replace(year=clock.now.year + 1)).isoformat()
    for at in (future, "0001-01-01T00:00:00+14:00", "yesterday"):
        r = alarm(gateway, smoke, 1.0, at=at)
        assert r.status_code == 422 and r.json()["field"] == "at", r.text
        r = gateway.post(f"/sensors/{smoke}/heartbeat", json={"at": at})
        assert r.status_code == 422 and r.json()["field"] == "at", r.text
    r = gateway.post(f"/sensors/{smoke}/alarms", content="[" * 5000 + "]" * 5000,
                     headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500


def test_heartbeats_keep_a_device_alive(gateway, small_layers, clock):
    fume = device(small_layers, "fume")["device_id"]  # every 10 minutes
    r = gateway.post(f"/sensors/{fume}/heartbeat")
    assert r.status_code == 200, r.text
    state = Sensor.model_validate(r.json())
    assert state.silent is False and state.last_heartbeat_at is not None
    clock.advance(minutes=25)
    r = gateway.post(f"/sensors/{fume}/heartbeat",
                     json={"at": clock.now.replace(minute=0).isoformat()})
    assert r.json()["silent"] is True  # a late heartbeat from 25 minutes ago


def test_devices_are_scoped_to_ones_jurisdiction(staff, small_layers):
    layer = small_layers.sensors
    desk = staff.desk
    county = staff.get("/sensors", params={"limit": 1000},
                       headers=desk.headers(desk.county.staff_id))
    assert county.status_code == 200
    page = SensorPage.model_validate(county.json())
    assert page.matched == len(layer) == page.returned
    assert [s.device_id for s in page.items] == sorted(layer["device_id"])
    grid = layer["grid_code"].iloc[0]
    worker = staff.get("/sensors", headers=desk.headers(f"wg{grid}")).json()
    assert {s["device_id"] for s in worker["items"]} == set(
        layer.loc[layer["grid_code"] == grid, "device_id"])
    town = grid[:9]
    township = staff.get("/sensors", params={"limit": 1000},
                         headers=desk.headers(f"jd{town}")).json()
    assert township["matched"] == int(layer["grid_code"].str.startswith(town).sum())
    unit = small_layers.units["unit_id"].iloc[0]
    assert staff.get("/sensors", headers=desk.headers(f"dw{unit}")).json()["matched"] == 0
    assert staff.get("/sensors").status_code == 401
    r = staff.get("/sensors", params={"kind": "gas,fume", "limit": 2},
                  headers=desk.headers(desk.county.staff_id)).json()
    assert r["matched"] == int(layer["kind"].isin(["gas", "fume"]).sum()) and r["returned"] == 2
    assert any(link["rel"] == "next" for link in r["links"])
    bad = staff.get("/sensors", params={"kind": "radar"}, headers=desk.headers(f"wg{grid}"))
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    silent = staff.get("/sensors", params={"silent": True, "limit": 1000},
                       headers=desk.headers(desk.county.staff_id)).json()
    assert silent["matched"] == len(layer)  # the sample's devices were never heard from


def test_the_registry_collection_is_for_staff(staff):
    assert staff.get("/collections/sensors/items").status_code == 401
    names = {c["id"] for c in staff.get("/collections").json()["collections"]}
    assert "sensors" not in names and "grids" in names
    county = staff.desk.headers(staff.desk.county.staff_id)
    r = staff.get("/collections/sensors/items", headers=county)
    assert r.status_code == 200 and r.json()["numberMatched"] > 0


def test_the_maintenance_sweep_is_for_the_county_and_admins(staff, gateway, small_layers):
    desk = staff.desk
    layer = small_layers.sensors
    community = f"sq{layer['grid_code'].iloc[0][:12]}"
    assert staff.post("/sensors/maintenance-sweep").status_code == 401
    r = staff.post("/sensors/maintenance-sweep", headers=desk.headers(community))
    assert r.status_code == 403, r.text
    assert gateway.post("/sensors/maintenance-sweep").status_code == 401  # a key is no sign-in
    heard = layer["device_id"].iloc[1:]
    for d in heard:
        assert gateway.post(f"/sensors/{d}/heartbeat").status_code == 200
    r = staff.post("/sensors/maintenance-sweep", headers=desk.headers(desk.county.staff_id))
    assert r.status_code == 200, r.text
    [matter] = r.json()
    assert matter["category"] == "S05" and layer["device_id"].iloc[0] in matter["description"]
    again = staff.post("/sensors/maintenance-sweep", headers=desk.headers("gl01"))
    assert again.status_code == 200 and again.json() == []


def test_the_routes_are_documented(sensor_app):
    doc = sensor_app.openapi()
    paths = doc["paths"]
    assert {"/sensors", "/sensors/{device_id}/alarms", "/sensors/{device_id}/heartbeat",
            "/sensors/maintenance-sweep"} <= set(paths)
    alarm_doc = paths["/sensors/{device_id}/alarms"]["post"]
    assert {"201", "403", "404", "422"} <= set(alarm_doc["responses"])
    assert alarm_doc["security"] == [{"SensorKey": []}]
    assert doc["components"]["securitySchemes"]["SensorKey"]["name"] == "X-Api-Key"


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(device_id=st.sampled_from(["YG0001", "RQ0001", "NOPE", "%00", "x" * 300]) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20),
       body=JSON | st.fixed_dictionaries({"reading": JSON}, optional={"at": JSON}),
       route=st.sampled_from(["alarms", "heartbeat"]), key=st.booleans())
def test_no_input_answers_5xx(fuzz_client, device_id, body, route, key):
    headers = GATEWAY if key else {}
    r = fuzz_client.post(f"/sensors/{quote(device_id, safe='')}/{route}",
                         content=json.dumps(body),
                         headers=headers | {"content-type": "application/json"})
    assert r.status_code < 500, r.text
    assert r.status_code in (200, 201, 400, 403, 404, 422), r.text


@pytest.fixture(scope="module")
def fuzz_client(small_layers, tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("fuzz-sensors") / "s.sqlite")
    app = create_app(Settings(open311_keys={"sensor": SENSOR_KEY}), layers=small_layers,
                     store=store, clock=ManualClock(dt.datetime(2026, 11, 2, 9)))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    store.close()
