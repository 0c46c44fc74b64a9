"""The plan board over HTTP: a report starts its plan, the force's units act, reads are scoped."""

from __future__ import annotations

import pytest

from api.models import EmergencyPlanOut, Incident, IncidentDetail


def _start(client, point, category="X01"):
    r = client.post("/incidents", json={"lon": point["lon"], "lat": point["lat"],
                                        "category": category, "description": "欠薪务工人员聚集",
                                        "source": "hotline"})
    assert r.status_code == 201, r.text
    return Incident.model_validate(r.json())


def _move(client, iid, who, **body):
    return client.post(f"/incidents/{iid}/transitions", json=body,
                       headers=client.desk.headers(who))


def test_a_report_starts_its_plan_and_the_board_shows_it(client, inside_point):
    inc = _start(client, inside_point)
    assert inc.plan_code == "YA01" and inc.plan_name == "群体性事件应急预案"
    assert {f.kind for f in inc.emergency_forces} == {
        "police_station", "special_police", "labour_inspection", "mediation_committee",
        "volunteer_team"}
    assert all(f.status_name == "待出发" and f.minutes_left == 15 for f in inc.emergency_forces)
    _start(client, inside_point, "D01")  # no plan: not on the board
    board = client.get("/emergencies")
    assert board.status_code == 200
    assert [i["incident_id"] for i in board.json()] == [inc.incident_id]
    assert board.json()[0]["emergency_forces"][0]["kind_name"]


def test_the_board_is_scoped(client, inside_point, small_layers, anonymous):
    inc = _start(client, inside_point)
    desk = client.desk
    own = client.get("/emergencies", headers=desk.headers(f"sq{inside_point['community_code']}"))
    assert [i["incident_id"] for i in own.json()] == [inc.incident_id]
    other = next(c for c in small_layers.communities["code"]
                 if c != inside_point["community_code"])
    assert client.get("/emergencies", headers=desk.headers(f"sq{other}")).json() == []
    sent = inc.emergency_forces[0].unit_id
    assert len(client.get("/emergencies", headers=desk.headers(f"dw{sent}")).json()) == 1
    idle = next(u for u in small_layers.units["unit_id"]
                if u not in {f.unit_id for f in inc.emergency_forces})
    assert client.get("/emergencies", headers=desk.headers(f"dw{idle}")).json() == []
    assert anonymous.get("/emergencies").status_code == 401
    assert client.get("/emergencies", params={"limit": 0}).status_code == 422


def test_the_force_departs_and_arrives_over_http(client, inside_point, small_layers, clock):
    inc = _start(client, inside_point)
    iid = inc.incident_id
    unit = f"dw{inc.emergency_forces[0].unit_id}"
    idle = next(u for u in small_layers.units["unit_id"]
                if u not in {f.unit_id for f in inc.emergency_forces})
    refused = _move(client, iid, f"dw{idle}", action="depart")
    assert refused.status_code == 403 and "职责范围" in refused.json()["detail"]
    clock.advance(minutes=3)
    r = _move(client, iid, unit, action="depart")
    assert r.status_code == 200, r.text
    body = IncidentDetail.model_validate(r.json())
    assert body.emergency_forces[0].status_name == "已出发"
    assert body.events[-1].action == "depart" and body.events[-1].actor == unit
    far = _move(client, iid, unit, action="arrive", lon=inside_point["lon"] + 0.05,
                lat=inside_point["lat"])
    assert far.status_code == 409 and "须到现场" in far.json()["detail"]
    r = _move(client, iid, unit, action="arrive", lon=inside_point["lon"],
              lat=inside_point["lat"])
    assert r.status_code == 200
    assert r.json()["emergency_forces"][0]["status_name"] == "已到场"
    assert _move(client, iid, unit, action="arrive").status_code == 409  # once


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"action": "reinforce"}, 422, "kind"),
    ({"action": "reinforce", "kind": "swat"}, 422, "kind"),
    ({"action": "reinforce", "unit_id": "U9999"}, 409, None),
    ({"action": "release", "unit_id": "U9999"}, 409, None),
])
def test_bad_plan_input_is_a_4xx_in_chinese(client, inside_point, body, status, field):
    inc = _start(client, inside_point)
    holder = f"sq{inside_point['community_code']}"
    r = _move(client, inc.incident_id, holder, **body)
    assert r.status_code == status, r.text
    problem = r.json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"])
    if field:
        assert field in (problem.get("field") or "") + str(problem.get("errors"))


def test_an_empty_kind_is_refused_by_the_model(client, inside_point):
    inc = _start(client, inside_point)
    r = _move(client, inc.incident_id, f"sq{inside_point['community_code']}",
              action="reinforce", kind="")
    assert r.status_code == 422 and r.json()["field"] == "kind"


def test_the_holder_reinforces_and_releases(client, inside_point):
    inc = _start(client, inside_point)
    holder = f"sq{inside_point['community_code']}"
    r = _move(client, inc.incident_id, holder, action="reinforce", kind="volunteer_team")
    assert r.status_code == 200, r.text
    added = r.json()["emergency_forces"][-1]
    assert added["reinforced"] and added["kind_name"] == "志愿者服务队"
    r = _move(client, inc.incident_id, holder, action="release")
    assert r.status_code == 200
    assert {f["status_name"] for f in r.json()["emergency_forces"]} == {"已收队"}


def test_the_plan_table_is_listed(anonymous):
    r = anonymous.get("/emergency-plans")
    assert r.status_code == 200
    plans = [EmergencyPlanOut.model_validate(p) for p in r.json()]
    assert len(plans) >= 5 and plans[0].forces[1].kind_name == "特警大队"
