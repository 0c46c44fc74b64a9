"""改派 through the API: the holder reroutes a returned matter; refusals in Chinese."""

from __future__ import annotations

import pytest

from tests.service.test_incidents import act, report


def _units(small_layers, kind):
    units = small_layers.units
    return list(units.loc[units["kind"] == kind, "unit_id"])


@pytest.fixture
def returned(client, inside_point, small_layers):
    """An E01 matter dispatched to a sanitation unit, which returned it."""
    iid = report(client, inside_point, category="E01",
                 description="井盖冒水，电线垂落").json()["incident_id"]
    act(client, iid, "accept", "community")
    act(client, iid, "dispatch", "community", unit_id=_units(small_layers, "sanitation")[0])
    r = act(client, iid, "return", "unit", note="电线掉落，不属环卫")
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    assert "reroute" in client.get(f"/incidents/{iid}").json()["allowed_actions"]
    return iid


def test_the_holder_reroutes_a_returned_matter(client, returned, small_layers):
    power = _units(small_layers, "power_supply")[0]
    r = act(client, returned, "reroute", "community", category="S01", unit_id=power,
            kind="power_supply", note="实为电线掉落")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["unit_id"], body["category"], body["priority"]) == (
        "dispatched", power, "S01", "urgent")
    last = body["events"][-1]
    assert last["action"] == "reroute" and last["note"] == "实为电线掉落"
    assert last["actor"].startswith("sq") and last["data"]["from_category"] == "E01"
    # the new unit sees it and may act on it
    assert act(client, returned, "start", "unit").status_code == 200
    assert client.get(f"/incidents/{returned}").json()["status"] == "in_progress"


@pytest.mark.parametrize(("who", "over", "status", "field", "words"), [
    ("community", {"category": "S01", "unit": "power_supply"}, 422, "note", "改派须填写说明"),
    ("community", {"category": "S01", "note": "改派"}, 422, "unit_id", "改派缺少承办单位"),
    ("community", {"category": "S01", "unit": "sanitation", "note": "改派"}, 422, "unit_id",
     "须改派给"),
    ("community", {"category": "ZZZ", "unit": "power_supply", "note": "改派"}, 422, "category",
     "未知事件类别"),
    ("unit", {"category": "S01", "unit": "power_supply", "note": "改派"}, 403, None, "承办单位"),
])
def test_refusals_are_in_chinese(client, returned, small_layers, who, over, status, field,
                                 words):
    body = {k: v for k, v in over.items() if k != "unit"}
    if "unit" in over:
        body["unit_id"] = _units(small_layers, over["unit"])[0]
    r = act(client, returned, "reroute", who, **body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    detail = r.json()["detail"]
    assert words in detail and detail.split(" / ")[0].strip()
    assert any("\u4e00" <= c <= "\u9fff" for c in detail.split(" / ")[0])
    if field:
        assert r.json()["field"] == field
    assert client.get(f"/incidents/{returned}").json()["status"] == "accepted"


def test_a_matter_in_the_wrong_state_is_refused_in_chinese(client, inside_point, small_layers):
    iid = report(client, inside_point, category="E01").json()["incident_id"]
    r = act(client, iid, "reroute", "community", category="S01", note="改派",
            unit_id=_units(small_layers, "power_supply")[0])
    assert r.status_code == 409 and r.json()["field"] == "action"
    assert r.json()["detail"].startswith("事项待受理，不能改派")
    act(client, iid, "accept", "community")
    r = act(client, iid, "reroute", "community", category="S01", note="改派",
            unit_id=_units(small_layers, "power_supply")[0])
    assert r.status_code == 409 and r.json()["detail"].startswith("只有被退回")
