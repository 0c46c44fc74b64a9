import datetime as dt
import json

import pytest

from api.models import Incident, IncidentDetail, IncidentPage, LocateResponse
from gridgis.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests.service.conftest import upload_site_photo


def report(client, point, **over):
    body = {"lon": point["lon"], "lat": point["lat"], "category": "D01",
            "description": "楼上噪音扰民", "source": "hotline"} | over
    return client.post("/incidents", json=body)


def act(client, incident_id, action, role, **over):
    """Take ``action`` as the person of ``role`` responsible for the incident."""
    seen = client.get(f"/incidents/{incident_id}")
    who = client.desk.person_for(role, seen.json()) if seen.status_code == 200 else role
    headers = client.desk.headers(who) if who in client.desk.people else {}
    body = {"action": action} | over
    return client.post(f"/incidents/{incident_id}/transitions", json=body, headers=headers)


def test_locate(client, inside_point):
    r = client.get("/locate", params={"lon": inside_point["lon"], "lat": inside_point["lat"]})
    assert r.status_code == 200
    body = LocateResponse.model_validate(r.json())
    assert body.grid_code == inside_point["grid_code"]
    assert body.community_code == inside_point["community_code"]
    assert body.match == "inside" and body.edge_distance_m > 0
    assert body.township_name and body.worker_names and body.workers >= 1
    assert len({u.kind for u in body.units}) == len(body.units) > 5  # one per kind


@pytest.mark.parametrize(("crs", "convert"), [("gcj02", wgs84_to_gcj02),
                                              ("bd09", wgs84_to_bd09)])
def test_locate_phone_coordinates(client, inside_point, crs, convert):
    lon, lat = convert(inside_point["lon"], inside_point["lat"])
    r = client.get("/locate", params={"lon": float(lon), "lat": float(lat), "crs": crs})
    assert r.status_code == 200
    body = r.json()
    assert body["grid_code"] == inside_point["grid_code"]
    assert abs(body["lon"] - inside_point["lon"]) < 1e-6
    assert body["input_crs"] == crs


def test_locate_with_category_suggests_its_units(client, inside_point):
    r = client.get("/locate", params={"lon": inside_point["lon"], "lat": inside_point["lat"],
                                      "category": "S01"})
    kinds = {u["kind"] for u in r.json()["units"]}
    assert kinds == {"power_supply"}
    dist = [u["distance_m"] for u in r.json()["units"]]
    assert dist == sorted(dist)


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"lon": 0.0, "lat": 0.0}, 422, "lon/lat"),  # far outside the district
    ({"lon": 500, "lat": 28}, 422, "lon"),
    ({"lat": 28}, 422, "lon"),
    ({"lon": "east", "lat": 28}, 422, "lon"),
    ({"lon": 120.6, "lat": 28, "crs": "mars"}, 422, "crs"),
    ({"lon": 120.6, "lat": 28, "category": "ZZZ"}, 422, "category"),
])
def test_locate_bad_input(client, params, status, field):
    r = client.get("/locate", params=params)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    assert "Traceback" not in r.text


def test_report_locates_routes_and_sets_deadlines(client, inside_point, clock):
    r = report(client, inside_point)
    assert r.status_code == 201
    inc = Incident.model_validate(r.json())
    assert r.headers["location"] == f"/incidents/{inc.incident_id}"
    assert inc.grid_code == inside_point["grid_code"]
    assert inc.status == "reported" and inc.light == "green"
    assert inc.platform == "comprehensive_governance"
    assert inc.respond_by.replace(tzinfo=None) == clock.now + dt.timedelta(days=1)
    assert inc.resolve_by.replace(tzinfo=None) == clock.now + dt.timedelta(days=15)
    assert {u.kind for u in inc.candidate_units} <= {"mediation_committee", "community_service"}
    # the county may accept or reject; escalating is the holding community's, and nothing
    # is overdue to supervise
    assert inc.allowed_actions == ["accept", "reject"]
    assert r.json()["reported_at"].endswith("+08:00")


def test_idempotency_key_never_creates_two(client, inside_point):
    a = report(client, inside_point, idempotency_key="phone-42-0001")
    b = report(client, inside_point, idempotency_key="phone-42-0001", description="again")
    assert a.status_code == 201 and b.status_code == 200
    assert a.json()["incident_id"] == b.json()["incident_id"]
    c = client.post("/incidents", headers={"Idempotency-Key": "hdr-1"},
                    json={"lon": inside_point["lon"], "lat": inside_point["lat"],
                          "category": "E02", "description": "垃圾"})
    d = client.post("/incidents", headers={"Idempotency-Key": "hdr-1"},
                    json={"lon": inside_point["lon"], "lat": inside_point["lat"],
                          "category": "E02", "description": "垃圾"})
    assert c.json()["incident_id"] == d.json()["incident_id"]
    assert client.get("/incidents").json()["matched"] == 2


def test_duplicate_suspicion(client, inside_point):
    first = report(client, inside_point).json()
    second = report(client, inside_point, description="又有噪音").json()
    other = report(client, inside_point, category="E02").json()
    assert second["duplicate_of"] == [first["incident_id"]]
    assert other["duplicate_of"] == []


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"category": "Q99"}, 422, "category"),
    ({"lat": 95}, 422, "lat"),
    ({"lon": 0.0, "lat": 0.0}, 422, "lon/lat"),
    ({"description": ""}, 422, "description"),
    ({"description": "x" * 4001}, 422, "description"),
    ({"source": "pigeon"}, 422, "source"),
    ({"colour": "red"}, 422, "colour"),
    ({"reported_at": "2030-01-01T00:00:00+08:00"}, 422, "reported_at"),
])
def test_report_bad_input(client, inside_point, body, status, field):
    r = report(client, inside_point, **body)
    assert r.status_code == status, r.text
    assert r.json()["field"] == field


def test_malformed_json_and_oversized_body(client):
    r = client.post("/incidents", content=b'{"lon": 120.6,', headers={
        "content-type": "application/json"})
    assert r.status_code == 400 and r.json()["field"] == "body"
    big = b'{"description": "' + b"x" * 20000 + b'"}'
    r = client.post("/incidents", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "exceeds 16384 bytes" in r.json()["detail"]

    def chunks():
        yield b'{"description": "'
        for _ in range(20):
            yield b"y" * 1000
        yield b'"}'

    r = client.post("/incidents", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_unknown_incident_and_route(client):
    r = client.get("/incidents/E20260101-9999")
    assert r.status_code == 404 and r.json()["field"] == "incident_id"
    assert client.get("/nowhere").status_code == 404
    r = act(client, "E20260101-9999", "accept", "community")
    assert r.status_code == 404


def test_the_whole_loop_through_the_api(client, inside_point, clock, small_layers):
    inc = report(client, inside_point).json()
    iid = inc["incident_id"]
    unit = inc["candidate_units"][0]["unit_id"]
    here = {"lon": inside_point["lon"], "lat": inside_point["lat"]}
    steps = [("accept", "community", {}, "deploy"),
             ("dispatch", "township", {"unit_id": unit}, "progress"),
             ("progress", "unit", {"note": "已约谈双方"}, "resolve"),
             ("resolve", "unit", {}, "verify"), ("verify", "grid_worker", here, "callback"),
             ("callback", "community", {"satisfaction": 5}, "done")]
    for action, role, extra, stage in steps:
        clock.advance(hours=2)
        if action == "verify":  # on site, with a photo of it
            seen = client.get(f"/incidents/{iid}").json()
            worker = client.desk.headers(client.desk.person_for("grid_worker", seen))
            r = act(client, iid, action, role, **extra)
            assert r.status_code == 422 and r.json()["field"] == "photo", r.text
            upload_site_photo(client, iid, worker)
        r = act(client, iid, action, role, **extra)
        assert r.status_code == 200, r.text
        assert r.json()["stage"] == stage, action
    final = IncidentDetail.model_validate(r.json())
    assert final.status == "closed" and final.light == "none" and final.satisfaction == 5
    assert final.callback_outcome == "reached" and final.callback_at is not None
    assert final.unit_id == unit and final.progress_reports == 1
    assert [e.action for e in final.events if e.action != "attach"] == ["report"] + [
        s[0] for s in steps]
    assert [e.to_state for e in final.events][-1] == "closed"
    assert final.events[2].data == {"unit_id": unit}
    verified = next(e for e in final.events if e.action == "verify")
    assert verified.data["grid_code"] == inside_point["grid_code"]  # verified on site
    assert verified.data["photo"] is True
    assert final.version == 8  # the photo's event too


def test_disallowed_and_stale_transitions_are_409_with_reason(client, inside_point):
    iid = report(client, inside_point).json()["incident_id"]
    r = act(client, iid, "dispatch", "community", unit_id="U0001")
    assert r.status_code == 409
    assert "cannot dispatch an incident that is reported" in r.json()["detail"]
    r = act(client, iid, "accept", "unit")
    assert r.status_code == 403 and "may not accept" in r.json()["detail"]
    r = act(client, iid, "reject", "community")
    assert r.status_code == 422 and "needs a note" in r.json()["detail"]
    assert r.json()["field"] == "note"
    assert act(client, iid, "accept", "community", version=1).status_code == 200
    r = act(client, iid, "dispatch", "township", version=1, unit_id="U0001")
    assert r.status_code == 409 and r.json()["field"] == "version"
    r = act(client, iid, "dispatch", "township", unit_id="U9999")
    assert r.status_code == 409 and "unknown unit" in r.json()["detail"]
    r = act(client, iid, "accept", "community", satisfaction=9)
    assert r.status_code == 422 and r.json()["field"] == "satisfaction"
    events = client.get(f"/incidents/{iid}").json()["events"]
    assert [e["action"] for e in events] == ["report", "accept"]  # failures left no trace


def test_return_extension_shelve_and_reopen(client, inside_point, clock):
    iid = report(client, inside_point, category="S02").json()["incident_id"]
    act(client, iid, "accept", "community")
    act(client, iid, "dispatch", "community", unit_id="U0001")
    r = act(client, iid, "return", "unit", note="not our road")
    assert r.json()["status"] == "accepted" and r.json()["returned"] == 1, r.text
    act(client, iid, "dispatch", "community", unit_id="U0002")
    act(client, iid, "start", "unit")
    due = client.get(f"/incidents/{iid}").json()["resolve_by"]
    assert act(client, iid, "request_extension", "unit", note="材料未到", hours=48
               ).json()["extension_hours_pending"] == 48
    r = act(client, iid, "grant_extension", "township")
    new_due = r.json()["resolve_by"]
    assert dt.datetime.fromisoformat(new_due) - dt.datetime.fromisoformat(due) == \
        dt.timedelta(hours=48)
    assert r.json()["extensions"] == 1
    r = act(client, iid, "shelve", "township", note="需等待征迁")
    # 1-3-0's "0": a shelved matter stays on the board, watched by its review limit
    assert r.json()["status"] == "shelved" and r.json()["stage"] == "review"
    assert r.json()["light"] == "green"
    clock.advance(days=31)
    assert client.get(f"/incidents/{iid}").json()["light"] == "red"
    act(client, iid, "unshelve", "township")
    act(client, iid, "resolve", "unit")
    r = act(client, iid, "reopen", "grid_worker", note="still broken")
    assert r.json()["status"] == "reopened" and r.json()["reopened"] == 1
    actions = [e["action"] for e in r.json()["events"]]
    assert actions == ["report", "accept", "dispatch", "return", "dispatch", "start",
                       "request_extension", "grant_extension", "shelve", "unshelve",
                       "resolve", "reopen"]


def test_lights_pin_red_first_and_supervision_notifies_once(client, anonymous, inside_point,
                                                           clock):
    urgent = report(client, inside_point, category="S01", description="电线掉落").json()
    normal = report(client, inside_point, category="E02", description="垃圾").json()
    clock.advance(minutes=13)  # S01: respond within 15 min -> yellow at 12 min
    page = IncidentPage.model_validate(client.get("/incidents").json())
    assert [(i.incident_id, i.light) for i in page.items] == [
        (urgent["incident_id"], "yellow"), (normal["incident_id"], "green")]
    clock.advance(minutes=5)
    page = client.get("/incidents").json()
    assert page["items"][0]["light"] == "red" and page["lights"]["red"] == 1
    assert client.get("/incidents", params={"light": "red"}).json()["matched"] == 1
    assert "supervise" in page["items"][0]["allowed_actions"]
    assert "supervise" not in page["items"][1]["allowed_actions"]  # nothing overdue
    supervised = client.post("/supervision").json()
    assert [i["incident_id"] for i in supervised] == [urgent["incident_id"]]
    # 督办 notifies the level above; the community still holds the matter
    assert supervised[0]["escalated_to"] == "community" and supervised[0]["supervisions"] == 1
    assert client.post("/supervision").json() == []  # the same overdue stage: once
    clock.advance(days=4)  # the normal one's deploy limit (a day) runs out too
    supervised = client.post("/supervision").json()
    assert [i["incident_id"] for i in supervised] == [normal["incident_id"]]
    detail = client.get(f"/incidents/{urgent['incident_id']}").json()
    assert [e["action"] for e in detail["events"]] == ["report", "supervise"]
    assert detail["events"][1]["actor"] == "supervision"
    assert detail["events"][1]["data"]["to"] == "township"
    assert client.desk.county.staff_id in detail["events"][1]["note"]  # who started the pass
    township = client.desk.headers(client.desk.person_for("township", detail))
    notices = client.get("/supervision/notices", headers=township).json()
    assert {n["incident_id"] for n in notices} == {urgent["incident_id"],
                                                   normal["incident_id"]}
    assert all(n["to"] == "township" for n in notices)
    community = client.desk.headers(client.desk.person_for("community", detail))
    assert client.get("/supervision/notices", headers=community).json() == []
    assert anonymous.get("/supervision/notices").status_code == 401


def test_listing_filters_and_pages(client, small_layers, clock):
    grids = small_layers.grids.iloc[:6]
    for i, g in enumerate(grids.itertuples()):
        p = g.geometry.representative_point()
        report(client, {"lon": p.x, "lat": p.y}, category="D01" if i % 2 else "E02")
        clock.advance(minutes=1)
    assert client.get("/incidents", params={"category": "E02"}).json()["matched"] == 3
    first = grids.iloc[0]
    r = client.get("/incidents", params={"grid": first["code"]}).json()
    assert r["matched"] == 1 and r["items"][0]["grid_code"] == first["code"]
    r = client.get("/incidents", params={"community": first["community_code"]}).json()
    assert r["matched"] >= 1
    page1 = client.get("/incidents", params={"limit": 4, "sort": "-reported_at"}).json()
    assert page1["returned"] == 4 and page1["matched"] == 6
    nxt = next(link["href"] for link in page1["links"] if link["rel"] == "next")
    page2 = client.get(nxt).json()
    assert page2["returned"] == 2
    ids = [i["incident_id"] for i in page1["items"] + page2["items"]]
    assert len(set(ids)) == 6
    b = first.geometry.bounds
    r = client.get("/incidents", params={"bbox": ",".join(map(str, b))}).json()
    assert r["matched"] >= 1
    assert client.get("/incidents", params={"bbox": "1,2,3"}).status_code == 422
    assert client.get("/incidents", params={"light": "blue"}).json()["field"] == "light"
    when = (clock.now - dt.timedelta(minutes=2)).isoformat()
    assert client.get("/incidents", params={"from": when}).json()["matched"] == 2


def test_missing_inputs_are_422_naming_the_field_in_both_languages(client, inside_point):
    iid = report(client, inside_point).json()["incident_id"]
    act(client, iid, "accept", "community")
    r = act(client, iid, "dispatch", "township")
    assert r.status_code == 422 and r.json()["field"] == "unit_id"
    assert r.json()["detail"].startswith("派遣缺少承办单位 (unit_id) / dispatch needs unit_id")
    assert client.get(f"/incidents/{iid}").json()["status"] == "accepted"


def test_reporters_details_are_kept_apart_and_masked_but_for_the_call_back(client,
                                                                           inside_point):
    caller = {"name": "欧阳春花", "phone": "13912345678", "email": "ouyang@example.cn"}
    r = report(client, inside_point, reporter=caller, description="噪音，电话 13912345678")
    assert r.status_code == 201
    iid = r.json()["incident_id"]
    assert "reporter" not in r.json()  # the listing record carries no personal data
    county = client.get(f"/incidents/{iid}").json()
    assert county["reporter"] == {**caller, "channel": "hotline", "masked": False}
    worker = client.desk.headers(f"wg{inside_point['grid_code']}")
    masked = client.get(f"/incidents/{iid}", headers=worker).json()["reporter"]
    assert masked == {"name": "欧阳**", "phone": "139****5678", "email": "o***@example.cn",
                      "channel": "hotline", "masked": True}
    trail = json.dumps(county["events"], ensure_ascii=False)
    assert "欧阳" not in trail and "ouyang" not in trail
    assert county["events"][0]["actor"] == client.desk.county.staff_id
    listed = client.get("/incidents").json()["items"][0]
    assert "reporter" not in listed
    r = report(client, inside_point, reporter={"phone": "call me"})
    assert r.status_code == 422 and r.json()["field"] == "reporter.phone"
