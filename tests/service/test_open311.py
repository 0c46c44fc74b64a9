"""The Open311 GeoReport v2 facade: services, requests in and out, open/closed mapping."""

from tests.service.test_incidents import act, report


def test_services_are_the_categories(client):
    r = client.get("/open311/v2/services.json")
    assert r.status_code == 200
    codes = {s["service_code"] for s in r.json()}
    assert {"D01", "E02", "S01"} <= codes
    assert all(s["type"] == "realtime" for s in r.json())


def test_a_request_in_form_data_is_reported_and_read_back(client, inside_point):
    r = client.post("/open311/v2/requests.json", data={
        "service_code": "E02", "lat": inside_point["lat"], "long": inside_point["lon"],
        "description": "垃圾堆放", "email": "a@example.org"})
    assert r.status_code == 201, r.text
    rid = r.json()[0]["service_request_id"]
    assert r.json()[0]["service_notice"] == "received"
    one = client.get(f"/open311/v2/requests/{rid}.json").json()[0]
    assert one["service_request_id"] == rid and one["status"] == "open"
    assert one["status_notes"] == "received" and one["address_id"] == inside_point["grid_code"]
    assert one["requested_datetime"].endswith("+08:00")
    detail = client.get(f"/incidents/{rid}").json()
    assert detail["source"] == "open311"
    assert detail["events"][0]["actor"] == "open311:a@example.org"
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
                                                        "long": "y", "description": "d"})
    assert r.status_code == 400
    r = client.post("/open311/v2/requests.json", data={
        "service_code": "Q99", "lat": inside_point["lat"], "long": inside_point["lon"],
        "description": "d"})
    assert r.status_code == 400 and "Q99" in r.json()[0]["description"]
