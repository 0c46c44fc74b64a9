"""Experts, fulfilment, model cases, quality assessments and material through the API."""

# ruff: noqa: F811 - the fixtures come from test_api_writes and are named as parameters
from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.mediation.test_api_writes import ANY, _body, grid, loaded  # noqa: F401

EXPERT = {"name": "周明远", "field": "医学", "title": "主任医师", "employer": "区人民医院",
          "phone": "13700001234"}


def _case(client, sample, grid, headers, **extra) -> str:
    r = client.post("/mediation/cases", json=_body(sample, grid, **extra), headers=headers)
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


def _agreed(client, sample, grid, headers, title="楼上漏水") -> str:
    case_id = _case(client, sample, grid, headers, title=title)
    r = client.post(f"/mediation/cases/{case_id}/outcome", headers=headers, json={
        "outcome": "agreement", "terms": "十日内修复漏点并赔偿 2000 元", "agreed_amount": 2000})
    assert r.status_code == 200, r.text
    return case_id


def test_the_county_keeps_the_expert_pool_and_a_desk_consults(client, anonymous, loaded,
                                                              grid):
    r = client.post("/mediation/experts", json=EXPERT)
    assert r.status_code == 201, r.text
    expert = r.json()
    assert expert["expert_id"].startswith("ZJW")
    assert client.post("/mediation/experts", json=EXPERT).status_code == 200
    other = client.post("/mediation/experts", json={**EXPERT, "title": "副主任医师"})
    assert other.status_code == 409 and other.json()["field"] == "name"
    desk = client.desk.headers(f"sq{grid[:12]}")
    refused = client.post("/mediation/experts", json=EXPERT, headers=desk)
    assert refused.status_code == 403 and "县级" in refused.json()["detail"]
    assert anonymous.post("/mediation/experts", json=EXPERT).status_code == 401
    bad = client.post("/mediation/experts", json={**EXPERT, "field": "占卜"})
    assert bad.status_code == 422 and bad.json()["field"] == "field"
    # the pool: whole for a desk, masked for a grid worker
    seen = client.get("/mediation/experts", headers=desk).json()["items"]
    assert any(e["name"] == "周明远" and e["phone"] == "13700001234" for e in seen)
    masked = client.get("/mediation/experts", params={"field": "医学"},
                        headers=client.desk.headers(f"wg{grid}")).json()["items"]
    mine = next(e for e in masked if e["expert_id"] == expert["expert_id"])
    assert mine["name"] == "周**" and "1234" in mine["phone"] and "0000" not in mine["phone"]
    case_id = _case(client, loaded, grid, desk)
    url = f"/mediation/cases/{case_id}/experts"
    body = {"expert_id": expert["expert_id"], "opinion": "建议委托医疗损害鉴定"}
    first = client.post(url, json=body, headers=desk)
    assert first.status_code == 201 and first.json()["name"] == "周明远"
    assert client.post(url, json=body, headers=desk).status_code == 200
    changed = client.post(url, json={**body, "opinion": "另一种意见"}, headers=desk)
    assert changed.status_code == 409 and changed.json()["field"] == "expert_id"
    unknown = client.post(url, json={**body, "expert_id": "ZJ999"}, headers=desk)
    assert unknown.status_code == 422 and unknown.json()["field"] == "expert_id"
    assert "专家库" in unknown.json()["detail"]
    other_desk = next(p for p in client.desk.people if p.startswith("sq")
                      and p != f"sq{grid[:12]}")
    assert client.post(url, json=body, headers=client.desk.headers(other_desk)
                       ).status_code == 404
    detail = client.get(f"/mediation/cases/{case_id}", headers=desk).json()
    assert [e["expert_id"] for e in detail["experts"]] == [expert["expert_id"]]


def test_fulfilment_and_its_follow_up(client, loaded, grid, clock):
    desk = client.desk.headers(f"sq{grid[:12]}")
    case_id = _agreed(client, loaded, grid, desk)
    url = f"/mediation/cases/{case_id}/fulfilment"
    clock.advance(days=12)
    r = client.post(url, headers=desk, json={"status": "unfulfilled",
                                             "note": "被申请人未按期赔偿"})
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["fulfilment_name"] == "未履行" and got["followup"]["kind"] == "fulfil"
    again = client.post(url, headers=desk, json={"status": "unfulfilled", "note": "重复提交"})
    assert again.status_code == 200 and again.json()["followup"] is None
    detail = client.get(f"/mediation/cases/{case_id}", headers=desk).json()
    assert detail["fulfilment"] == "unfulfilled" and len(detail["fulfilment_checks"]) == 1
    assert [f["kind"] for f in detail["followups"]] == ["fulfil"]
    clock.advance(days=5)
    done = client.post(url, headers=desk, json={"status": "fulfilled", "note": "已足额支付"})
    assert done.status_code == 201 and done.json()["followup"] is None
    detail = client.get(f"/mediation/cases/{case_id}", headers=desk).json()
    assert detail["fulfilment_name"] == "已履行" and len(detail["fulfilment_checks"]) == 2
    for body, field in (({"status": "pending", "note": "x"}, "status"),
                        ({"status": "fulfilled", "note": "x", "checked_on": "2999-01-01"},
                         "checked_on"),
                        ({"status": "fulfilled", "note": "x", "checked_on": "2001-01-01"},
                         "checked_on"),
                        ({"status": "fulfilled", "note": " "}, "note")):
        bad = client.post(url, headers=desk, json=body)
        assert bad.status_code == 422 and bad.json()["field"] == field, (body, bad.text)
    open_case = _case(client, loaded, grid, desk, title="另一起")
    r = client.post(f"/mediation/cases/{open_case}/fulfilment", headers=desk,
                    json={"status": "fulfilled", "note": "x"})
    assert r.status_code == 409 and "未达成调解协议" in r.json()["detail"]
    worker = client.post(url, headers=client.desk.headers(f"wg{grid}"),
                         json={"status": "fulfilled", "note": "x"})
    assert worker.status_code == 403


def test_the_county_marks_and_unmarks_a_model_case(client, loaded, grid, store,
                                                   mediation_store):
    from gridgis.mediation import MediationStore

    MediationStore(store.engine).save_words(mediation_store.words())  # segmented once
    desk = client.desk.headers(f"sq{grid[:12]}")
    case_id = _agreed(client, loaded, grid, desk, title="鹦鹉夜间啼叫扰民")
    url = f"/mediation/cases/{case_id}/model"
    text = "本案调解员现场查看鹦鹉笼舍，促成双方约定夜间遮光，具有示范意义。"
    refused = client.put(url, json={"commentary": text}, headers=client.desk.headers(
        f"jd{grid[:9]}"))
    assert refused.status_code == 403 and "县级" in refused.json()["detail"]
    r = client.put(url, json={"commentary": text})
    assert r.status_code == 200 and r.json()["changed"] is True, r.text
    assert client.put(url, json={"commentary": text}).json()["changed"] is False
    detail = client.get(f"/mediation/cases/{case_id}", headers=desk).json()
    assert detail["model_case"] is True and detail["commentary"] == text
    found = client.get("/mediation/materials", params={"q": "鹦鹉 遮光", "kind": "commentary"},
                       headers=desk).json()["items"]
    assert found[0]["case_id"] == case_id and found[0]["body"] == text
    similar = client.get("/mediation/similar", params={"q": "鹦鹉 啼叫", "limit": 3},
                         headers=desk).json()["items"]
    assert similar[0]["case_id"] == case_id and similar[0]["model_case"] is True
    revised = client.put(url, json={"commentary": text + "（修订）"}).json()
    assert revised["changed"] is True and revised["material"]["revision"] == 2
    gone = client.delete(url)
    assert gone.status_code == 200 and gone.json()["changed"] is True
    assert client.delete(url).json()["changed"] is False
    detail = client.get(f"/mediation/cases/{case_id}", headers=desk).json()
    assert detail["model_case"] is False and detail["commentary"] is None
    assert client.get("/mediation/materials", params={"q": "鹦鹉 遮光", "kind": "commentary"},
                      headers=desk).json()["items"] == []
    open_case = _case(client, loaded, grid, desk, title="未结案")
    r = client.put(f"/mediation/cases/{open_case}/model", json={"commentary": text})
    assert r.status_code == 409 and r.json()["field"] == "case_id"
    assert client.put("/mediation/cases/TJ000/model",
                      json={"commentary": text}).status_code == 404


def test_a_reviewer_assesses_a_closed_case(client, loaded, grid):
    desk = client.desk.headers(f"sq{grid[:12]}")
    town = client.desk.headers(f"jd{grid[:9]}")
    case_id = _agreed(client, loaded, grid, desk)
    url = f"/mediation/cases/{case_id}/assessments"
    scores = {"procedure": 92, "legality": 95, "satisfaction": 90, "fulfilment": 88,
              "note": "卷宗齐全"}
    r = client.post(url, json=scores, headers=town)
    assert r.status_code == 201, r.text
    assert r.json()["grade_name"] == "优秀" and r.json()["assessor"] == f"jd{grid[:9]}"
    assert client.post(url, json=scores, headers=town).status_code == 200
    other = client.post(url, json={**scores, "procedure": 50}, headers=town)
    assert other.status_code == 409 and other.json()["field"] == "case_id"
    assert client.post(url, json=scores).status_code == 201  # the county, a second reviewer
    refused = client.post(url, json=scores, headers=desk)
    assert refused.status_code == 403 and "评估" in refused.json()["detail"]
    for bad in ({**scores, "legality": 101}, {**scores, "procedure": -1},
                {k: v for k, v in scores.items() if k != "satisfaction"}):
        assert client.post(url, json=bad, headers=town).status_code == 422
    open_case = _case(client, loaded, grid, desk, title="未结案")
    r = client.post(f"/mediation/cases/{open_case}/assessments", json=scores, headers=town)
    assert r.status_code == 409 and "尚未结案" in r.json()["detail"]
    detail = client.get(f"/mediation/cases/{case_id}", headers=town).json()
    assert len(detail["assessments"]) == 2
    quality = client.get("/mediation/quality", headers=town).json()
    assert quality["criteria"]["procedure"] == "程序规范"
    org = next(i for i in quality["items"] if i["org_id"] == f"TW{grid[:12]}")
    assert org["assessed"] >= 1 and org["kind_name"]


def test_learning_material_and_the_registry(client, loaded, grid):
    body = {"kind": "training", "title": "预付卡纠纷调解要点", "source": "2026 年培训班",
            "body": "核实预付卡余额，联合市场监管部门处置跑路商家。", "tags": ["M08", "预付卡"]}
    town = client.desk.headers(f"jd{grid[:9]}")
    r = client.post("/mediation/materials", json=body, headers=town)
    assert r.status_code == 201, r.text
    assert client.post("/mediation/materials", json=body, headers=town).status_code == 200
    clash = client.post("/mediation/materials", json={**body, "body": "另一段"}, headers=town)
    assert clash.status_code == 409 and clash.json()["field"] == "title"
    worker = client.desk.headers(f"wg{grid}")
    assert client.post("/mediation/materials", json=body, headers=worker).status_code == 403
    assert client.post("/mediation/materials", json={**body, "kind": "commentary"},
                       headers=town).status_code == 422
    long_tags = client.post("/mediation/materials", headers=town, json={
        **body, "title": "标签过长", "tags": [f"{i:02d}" + "词" * 30 for i in range(20)]})
    assert long_tags.status_code == 422 and long_tags.json()["field"] == "tags"
    found = client.get("/mediation/materials", params={"q": "商家跑路"}, headers=worker).json()
    assert found["items"][0]["material_id"] == r.json()["material_id"]
    laws = client.get("/mediation/materials", params={"kind": "law", "tag": "M02"},
                      headers=worker).json()["items"]
    assert laws and all(i["kind_name"] == "法律法规" and "M02" in i["tags"] for i in laws)
    desk = client.desk.headers(f"sq{grid[:12]}")
    reg = client.get("/mediation/registry", params={"grid": grid}, headers=desk).json()
    first = reg["organisations"][0]
    assert first["org_id"] == f"TW{grid[:12]}" and first["mediators"]
    assert {o["kind"] for o in reg["organisations"]} >= {"community", "township"} or \
        {o["kind"] for o in reg["organisations"]} >= {"village", "township"}
    other = next(c for c in client.desk.people if c.startswith("sq") and c != f"sq{grid[:12]}")
    r = client.get("/mediation/registry", params={"grid": grid},
                   headers=client.desk.headers(other))
    assert r.status_code == 422 and "辖区" in r.json()["detail"]


@pytest.fixture(scope="module")
def fuzz_records(small_layers, mediation_sample, tmp_path_factory):
    """A service, the county signed in, an agreed and an open case (reused across examples)."""
    import datetime as dt

    from fastapi.testclient import TestClient

    from api import create_app
    from api.settings import Settings
    from gridgis.mediation import MediationStore
    from gridgis.people import StaffMember
    from gridgis.store import SQLiteStore

    base = SQLiteStore(tmp_path_factory.mktemp("fuzzr") / "s.sqlite")
    MediationStore(base.engine).load(mediation_sample.frames())
    county = StaffMember("qx330399", "县指挥中心", "command_centre",
                         small_layers.townships["code"].iloc[0][:6])
    base.staff.save(county)
    service = create_app(Settings(), layers=small_layers, store=base,
                         clock=lambda: dt.datetime(2026, 11, 2, 9))
    cases = mediation_sample.cases
    agreed = cases.loc[cases["outcome"] == "agreement", "case_id"].iloc[0]
    still = cases.loc[cases["outcome"].isna(), "case_id"].iloc[0]
    with TestClient(service, raise_server_exceptions=False, headers={
            "Authorization": f"Bearer {service.state.tokens.issue(county)}"}) as c:
        yield c, [agreed, still]
    base.close()


ROUTES = [("post", "experts"), ("post", "fulfilment"), ("put", "model"),
          ("post", "assessments")]
FIELDS = ["expert_id", "opinion", "status", "checked_on", "note", "commentary", "procedure",
          "legality", "satisfaction", "fulfilment", "junk"]


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(route=st.sampled_from(ROUTES), which=st.integers(0, 2),
       body=st.one_of(ANY, st.dictionaries(st.sampled_from(FIELDS), ANY, max_size=5),
                      st.fixed_dictionaries({"procedure": st.integers(-5, 105),
                                             "legality": st.integers(-5, 105),
                                             "satisfaction": st.integers(-5, 105)})),
       odd=st.text(max_size=30))
def test_fuzzed_record_writes_never_fail_the_server(fuzz_records, route, which, body, odd):
    c, cases = fuzz_records
    method, tail = route
    target = cases[which] if which < 2 else quote(odd, safe="") or "x"
    r = c.request(method, f"/mediation/cases/{target}/{tail}", json=body)
    assert r.status_code in (200, 201, 404, 405, 409, 422), (route, body, r.status_code, r.text)
    if r.status_code >= 400:
        assert r.json()["detail"]


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(["/mediation/experts", "/mediation/materials"]),
       body=st.one_of(ANY, st.dictionaries(st.sampled_from(
           ["name", "field", "title", "employer", "phone", "kind", "source", "body", "tags",
            "junk"]), ANY, max_size=6)),
       q=st.text(max_size=30))
def test_fuzzed_registry_and_material_calls_never_fail_the_server(fuzz_records, path, body,
                                                                  q):
    c, _ = fuzz_records
    r = c.post(path, json=body)
    assert r.status_code in (200, 201, 409, 422), (path, body, r.status_code, r.text)
    got = c.get("/mediation/materials", params={"q": q, "tag": q[:32] or None})
    assert got.status_code in (200, 422), (q, got.text)
