"""The Open311 GeoReport v2 facade: services, requests in and out, open/closed mapping."""

from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from tests.service.conftest import OPEN311_KEYS
from tests.service.test_incidents import act, report

APP_KEY = OPEN311_KEYS["app"]


def test_services_are_the_categories(client):
    r = client.get("/open311/v2/services.json")
    assert r.status_code == 200
    codes = {s["service_code"] for s in r.json()}
    assert {"D01", "E02", "S01"} <= codes
    assert all(s["type"] == "realtime" for s in r.json())


def test_a_request_in_form_data_is_reported_and_read_back(client, anonymous, inside_point):
    r = anonymous.post("/open311/v2/requests.json", data={
        "service_code": "E02", "lat": inside_point["lat"], "long": inside_point["lon"],
        "description": "垃圾堆放，联系 13812345678", "email": "a@example.org",
        "first_name": "三", "last_name": "张", "phone": "13812345678", "api_key": APP_KEY})
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    assert r.json()[0]["service_notice"] == "received"
    one = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert one["service_request_id"] == rid and one["status"] == "open"
    assert one["status_notes"] == "received" and one["address_id"] == inside_point["grid_code"]
    assert one["requested_datetime"].endswith("+08:00")
    assert one["description"] == "垃圾堆放，联系 13812345678"  # staff see it as it is
    public = anonymous.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert public["description"] == "垃圾堆放，联系 138****5678"
    assert public["lat"] == round(one["lat"], 3) and public["long"] == round(one["long"], 3)
    assert "13812345678" not in anonymous.get("/open311/v2/requests.json").text
    detail = client.get(f"/incidents/{rid}").json()
    assert detail["source"] == "app"
    assert detail["events"][0]["actor"] == "open311:app"  # never the citizen's e-mail
    assert detail["reporter"] == {"name": "张三", "phone": "13812345678",
                                  "email": "a@example.org", "channel": "app", "masked": False}
    many = client.get("/open311/v2/requests.json",
                      params={"service_request_id": f"{rid},E20000101-0001"}).json()
    assert [m["service_request_id"] for m in many] == [rid]


def test_open_and_closed_follow_the_states(client, inside_point):
    kept = report(client, inside_point).json()["incident_id"]
    gone = report(client, inside_point, category="E02").json()["incident_id"]
    act(client, gone, "reject", "community", note="重复上报")
    open_ = client.get("/open311/v2/requests.json", params={"status": "open"}).json()
    closed = client.get("/open311/v2/requests.json", params={"status": "closed"}).json()
    assert [x["service_request_id"] for x in open_] == [kept]
    assert [x["service_request_id"] for x in closed] == [gone]
    assert closed[0]["status"] == "closed" and closed[0]["status_notes"] == "not accepted"
    both = client.get("/open311/v2/requests.json").json()
    assert {x["service_request_id"] for x in both} == {kept, gone}


def test_errors_are_georeport_lists(client, inside_point):
    r = client.get("/open311/v2/requests.json", params={"status": "pending"})
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    r = client.get("/open311/v2/requests/E20000101-0001.json")
    assert r.status_code == 404 and "E20000101-0001" in r.json()[0]["description"]
    r = client.post("/open311/v2/requests.json", data={"service_code": "E02", "lat": "x",
                                                        "long": "y", "description": "d",
                                                        "api_key": APP_KEY})
    assert r.status_code == 400
    r = client.post("/open311/v2/requests.json", data={
        "service_code": "Q99", "lat": inside_point["lat"], "long": inside_point["lon"],
        "description": "d", "api_key": APP_KEY})
    assert r.status_code == 400 and "Q99" in r.json()[0]["description"]


def test_intake_needs_a_channels_key_and_is_limited(anonymous, inside_point, small_layers,
                                                    store):
    body = {"service_code": "E02", "lat": inside_point["lat"], "long": inside_point["lon"],
            "description": "垃圾"}
    for key in (None, "", "app-key-0123456789abcdeX", OPEN311_KEYS["app"][:-1]):
        data = body if key is None else body | {"api_key": key}
        r = anonymous.post("/open311/v2/requests.json", data=data)
        assert r.status_code == 403 and r.json()[0]["code"] == 403, key
    r = anonymous.post("/open311/v2/requests.json",
                       json=body | {"api_key": OPEN311_KEYS["hotline"]})
    assert r.status_code == 201
    rid = r.json()[0]["service_request_id"]
    assert anonymous.app.state.dispatcher.incident(rid)["source"] == "hotline"
    closed = create_app(Settings(open311_keys={}), layers=small_layers, store=store)
    with TestClient(closed, raise_server_exceptions=False) as c:  # no keys: intake closed
        assert c.post("/open311/v2/requests.json", data=body | {"api_key": ""}
                      ).status_code == 403
    tight = create_app(Settings(open311_keys=OPEN311_KEYS, intake_per_minute=2),
                       layers=small_layers, store=store)
    with TestClient(tight, raise_server_exceptions=False) as c:
        codes = [c.post("/open311/v2/requests.json",
                        data=body | {"api_key": OPEN311_KEYS["app"]}).status_code
                 for _ in range(3)]
        assert codes == [201, 201, 429]


def test_staff_read_their_jurisdiction_through_open311(client, inside_point):
    rid = report(client, inside_point).json()["incident_id"]
    worker = client.desk.headers(f"wg{inside_point['grid_code']}")
    assert [x["service_request_id"] for x in client.get(
        "/open311/v2/requests.json", headers=worker).json()] == [rid]
    other = next(p for p in client.desk.people.values()
                 if p.role == "grid_worker" and inside_point["grid_code"] not in p.grids)
    elsewhere = client.desk.headers(other.staff_id)
    assert client.get("/open311/v2/requests.json", headers=elsewhere).json() == []
    r = client.get(f"/open311/v2/requests/{rid}.json", headers=elsewhere)
    assert r.status_code == 403 and r.json()[0]["code"] == 403
