"""POST /mediation/cases, …/sessions, …/outcome: desks only, jurisdiction, 4xx, fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgis.mediation import MediationStore


@pytest.fixture
def loaded(store, mediation_sample):
    """The sample's registries and cases in the service's store."""
    MediationStore(store.engine).load(mediation_sample.frames())
    return mediation_sample


def _mediator(sample, org_id: str) -> str:
    m = sample.mediators
    return str(m.loc[(m["org_id"] == org_id) & m["active"], "mediator_id"].iloc[0])


def _body(sample, grid: str, **extra) -> dict:
    org = f"TW{grid[:12]}"
    return {"grid_code": grid, "dispute_type": "M01", "title": "楼上漏水致天花板霉变",
            "facts": "楼上卫生间漏水，楼下天花板霉变，双方多次协商未果。",
            "claim": "要求修复并赔偿损失 3000 元", "amount": 3000, "org_id": org,
            "mediator_id": _mediator(sample, org),
            "parties": [{"side": "applicant", "kind": "person", "name": "王小明",
                         "phone": "13812345678"},
                        {"side": "respondent", "kind": "person", "name": "李大海",
                         "phone": "13900001111"}], **extra}


@pytest.fixture
def grid(small_layers, loaded):
    """A grid whose community has an active mediator on its committee."""
    m = loaded.mediators
    for code in small_layers.grids["code"]:
        if ((m["org_id"] == f"TW{code[:12]}") & m["active"]).any():
            return str(code)
    pytest.skip("no community committee with an active mediator")


def test_a_community_desk_registers_mediates_and_closes_a_case(client, loaded, grid):
    desk = client.desk.headers(f"sq{grid[:12]}")
    r = client.post("/mediation/cases", json=_body(loaded, grid),
                    headers={**desk, "Idempotency-Key": "k-1"})
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["grid_code"] == grid and case["outcome"] is None and case["source"] == "walk_in"
    assert {p["name"] for p in case["parties"]} == {"王小明", "李大海"}
    assert not any(p["masked"] for p in case["parties"])
    again = client.post("/mediation/cases", json=_body(loaded, grid),
                        headers={**desk, "Idempotency-Key": "k-1"})
    assert again.status_code == 200 and again.json()["case_id"] == case["case_id"]
    assert len(again.json()["parties"]) == 2  # not written twice
    # a grid worker of the grid reads it masked
    seen = client.get(f"/mediation/cases/{case['case_id']}",
                      headers=client.desk.headers(f"wg{grid}")).json()
    assert all(p["masked"] and p["name"].endswith("**") for p in seen["parties"])
    url = f"/mediation/cases/{case['case_id']}"
    first = client.post(f"{url}/sessions", json={"seq": 1, "note": "首次调解，双方同意现场查看"},
                        headers=desk)
    assert first.status_code == 201, first.text
    taken = client.post(f"{url}/sessions", json={"seq": 1, "note": "重复提交"}, headers=desk)
    assert taken.status_code == 409 and taken.json()["field"] == "seq"
    assert "第 1 次" in taken.json()["detail"]
    assert client.post(f"{url}/sessions", json={"seq": 3, "note": "跳号"},
                       headers=desk).status_code == 409
    closed = client.post(f"{url}/outcome", headers=desk, json={
        "outcome": "failed", "to": "court", "reason": "被申请人拒绝赔偿，告知可诉讼"})
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["outcome_name"] == "调解不成" and body["referral"]["to_kind"] == "court"
    assert [f["kind"] for f in body["followups"]] == ["revisit", "track", "stabilise"]
    detail = client.get(url, headers=desk).json()
    assert detail["outcome"] == "failed" and len(detail["followups"]) == 3
    assert [s["seq"] for s in detail["sessions"]] == [1]
    twice = client.post(f"{url}/outcome", headers=desk, json={
        "outcome": "failed", "to": "court", "reason": "重复提交"})
    assert twice.status_code == 409 and "已结案" in twice.json()["detail"]
    assert len(client.get(url, headers=desk).json()["followups"]) == 3
    assert client.post(f"{url}/sessions", json={"seq": 2, "note": "结案后"},
                       headers=desk).status_code == 409


def test_agreement_and_withdrawal(client, loaded, grid):
    town = client.desk.headers(f"jd{grid[:9]}")
    a = client.post("/mediation/cases", json=_body(loaded, grid), headers=town).json()
    r = client.post(f"/mediation/cases/{a['case_id']}/outcome", headers=town, json={
        "outcome": "agreement", "terms": "李大海于十日内修复漏点并赔偿 2000 元",
        "agreed_amount": 2000})
    assert r.status_code == 200, r.text
    got = client.get(f"/mediation/cases/{a['case_id']}", headers=town).json()
    assert got["outcome"] == "agreement" and got["fulfilment"] == "pending"
    assert got["agreed_amount"] == 2000 and got["closed_at"]
    b = client.post("/mediation/cases", json=_body(loaded, grid, title="另一起漏水"),
                    headers=town).json()
    assert b["case_id"] != a["case_id"]
    w = client.post(f"/mediation/cases/{b['case_id']}/outcome", headers=town,
                    json={"outcome": "withdrawn", "reason": "双方自行和解"})
    assert w.status_code == 200
    assert client.get(f"/mediation/cases/{b['case_id']}", headers=town).json()["outcome"] \
        == "withdrawn"


def test_a_failure_referred_to_petition_becomes_sensitive(client, loaded, grid):
    desk = client.desk.headers(f"sq{grid[:12]}")
    c = client.post("/mediation/cases", json=_body(loaded, grid), headers=desk).json()
    r = client.post(f"/mediation/cases/{c['case_id']}/outcome", headers=desk, json={
        "outcome": "failed", "to": "petition", "reason": "申请人坚持上访"})
    assert r.status_code == 200
    # sensitive now: the community no longer reads it, the county does
    assert client.get(f"/mediation/cases/{c['case_id']}", headers=desk).status_code == 404
    assert client.get(f"/mediation/cases/{c['case_id']}").json()["sensitive"] is True


def test_a_case_from_an_incident(client, loaded, small_layers):
    grids = small_layers.grids
    m = loaded.mediators
    row = next(g for g in grids.itertuples()
               if ((m["org_id"] == f"TW{g.code[:12]}") & m["active"]).any())
    p = row.geometry.representative_point()
    inc = client.post("/incidents", json={"lon": p.x, "lat": p.y, "category": "D06",
                                          "description": "患者术后感染，家属要求医院赔偿"})
    assert inc.status_code in (200, 201), inc.text
    incident = inc.json()
    grid = incident["grid_code"]
    body = _body(loaded, grid, incident_id=incident["incident_id"])
    for k in ("grid_code", "dispute_type", "facts"):
        del body[k]
    r = client.post("/mediation/cases", json=body, headers=client.desk.headers(f"sq{grid[:12]}"))
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["incident_id"] == incident["incident_id"] and case["dispute_type"] == "M06"
    assert case["source"] == "incident" and "术后感染" in case["facts"]
    other = next(c for c in small_layers.communities["code"] if c != grid[:12])
    r = client.post("/mediation/cases", json=body, headers=client.desk.headers(f"sq{other}"))
    assert r.status_code == 404 and "辖区" in r.json()["detail"]


def test_jurisdiction_and_roles(client, anonymous, loaded, grid, small_layers):
    own = client.desk.headers(f"sq{grid[:12]}")
    other = next(c for c in small_layers.communities["code"] if c != grid[:12])
    r = client.post("/mediation/cases", json=_body(loaded, grid),
                    headers=client.desk.headers(f"sq{other}"))
    assert r.status_code == 403 and "辖区" in r.json()["detail"]
    worker = client.post("/mediation/cases", json=_body(loaded, grid),
                         headers=client.desk.headers(f"wg{grid}"))
    assert worker.status_code == 403 and "调解窗口" in worker.json()["detail"]
    assert client.post("/mediation/cases", json=_body(loaded, grid),
                       headers=client.desk.headers("fx01")).status_code == 403
    assert anonymous.post("/mediation/cases", json=_body(loaded, grid)).status_code == 401
    c = client.post("/mediation/cases", json=_body(loaded, grid), headers=own).json()
    url = f"/mediation/cases/{c['case_id']}"
    theirs = client.desk.headers(f"sq{other}")
    assert client.post(f"{url}/sessions", json={"seq": 1, "note": "越权"},
                       headers=theirs).status_code == 404
    assert client.post(f"{url}/outcome", json={"outcome": "withdrawn"},
                       headers=theirs).status_code == 404
    assert anonymous.post(f"{url}/outcome", json={"outcome": "withdrawn"}).status_code == 401
    assert client.post("/mediation/cases/TJ000/sessions", json={"seq": 1, "note": "无"},
                       headers=own).status_code == 404
    assert client.get(url, headers=own).json()["outcome"] is None


def _bad_bodies(sample, grid):
    org = f"TW{grid[:12]}"
    good = _body(sample, grid)
    foreign = sample.mediators.loc[sample.mediators["org_id"] != org, "mediator_id"].iloc[0]
    parties = good["parties"]
    return [
        {**good, "dispute_type": "M99"}, {**good, "dispute_type": "D06"},
        {**good, "org_id": "NOPE"}, {**good, "mediator_id": "NOPE"},
        {**good, "mediator_id": str(foreign)}, {**good, "grid_code": grid[:12] + "999"},
        {**good, "grid_code": "abc"}, {**good, "amount": -1}, {**good, "title": "   "},
        {**good, "parties": [parties[0], {**parties[0], "name": "张三"}]},
        {**good, "parties": [parties[0], {**parties[1], "kind": "alien"}]},
        {**good, "parties": [parties[0], {**parties[1], "phone": "call me"}]},
        {**good, "extra": 1}, {k: v for k, v in good.items() if k != "claim"},
        {k: v for k, v in good.items() if k != "grid_code"},
        {**good, "claim": ""}, {**good, "org_id": f"TW{grid[:12]}", "grid_code": None},
    ]


def test_bad_registrations_are_422_with_a_reason(client, loaded, grid):
    desk = client.desk.headers(f"sq{grid[:12]}")
    for body in _bad_bodies(loaded, grid):
        r = client.post("/mediation/cases", json=body, headers=desk)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"]
    assert client.post("/mediation/cases", content=b"{", headers={
        **desk, "Content-Type": "application/json"}).status_code in (400, 422)


@pytest.mark.parametrize("body", [
    {"outcome": "agreement"}, {"outcome": "agreement", "terms": ""},
    {"outcome": "failed", "reason": "无"}, {"outcome": "failed", "to": "moon", "reason": "x"},
    {"outcome": "failed", "to": "court"}, {"outcome": "done"}, {},
    {"outcome": "agreement", "terms": "赔偿", "fulfilment": "maybe"},
    {"outcome": "agreement", "terms": "赔偿", "agreed_amount": -5}])
def test_bad_outcomes_are_422_and_leave_the_case_open(client, loaded, grid, body):
    desk = client.desk.headers(f"sq{grid[:12]}")
    c = client.post("/mediation/cases", json=_body(loaded, grid), headers=desk).json()
    r = client.post(f"/mediation/cases/{c['case_id']}/outcome", json=body, headers=desk)
    assert r.status_code == 422, (body, r.text)
    assert r.json()["detail"]
    got = client.get(f"/mediation/cases/{c['case_id']}", headers=desk).json()
    assert got["outcome"] is None and got["followups"] == []


def test_bad_sessions_are_422(client, loaded, grid, clock):
    desk = client.desk.headers(f"sq{grid[:12]}")
    c = client.post("/mediation/cases", json=_body(loaded, grid), headers=desk).json()
    url = f"/mediation/cases/{c['case_id']}/sessions"
    for body in ({"seq": 0, "note": "x"}, {"seq": 1, "note": ""}, {"seq": 1},
                 {"seq": 1, "note": "x", "held_at": "2001-01-01T08:00:00+08:00"},
                 {"seq": 1, "note": "x", "held_at": "2999-01-01T08:00:00+08:00"},
                 {"seq": 1, "note": "x", "mediator_id": "NOPE"}):
        r = client.post(url, json=body, headers=desk)
        assert r.status_code == 422, (body, r.text)
    assert client.get(f"/mediation/cases/{c['case_id']}", headers=desk).json()["sessions"] == []


@pytest.fixture(scope="module")
def fuzz_service(small_layers, mediation_sample, tmp_path_factory):
    """One service and a community desk for the fuzzing (reused across examples)."""
    import datetime as dt

    from fastapi.testclient import TestClient

    from api import create_app
    from api.settings import Settings
    from gridgis.people import StaffMember
    from gridgis.store import SQLiteStore

    base = SQLiteStore(tmp_path_factory.mktemp("fuzzw") / "s.sqlite")
    MediationStore(base.engine).load(mediation_sample.frames())
    m = mediation_sample.mediators
    grid = next(str(c) for c in small_layers.grids["code"]
                if ((m["org_id"] == f"TW{c[:12]}") & m["active"]).any())
    person = StaffMember(f"sq{grid[:12]}", "社区", "community", grid[:12])
    base.staff.save(person)
    service = create_app(Settings(), layers=small_layers, store=base,
                         clock=lambda: dt.datetime(2026, 11, 2, 9))
    with TestClient(service, raise_server_exceptions=False, headers={
            "Authorization": f"Bearer {service.state.tokens.issue(person)}"}) as c:
        good = _body(mediation_sample, grid)
        case_id = c.post("/mediation/cases", json=good).json()["case_id"]
        yield c, good, case_id
    base.close()


ANY = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(),
                st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3),
                st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))
OK = (200, 201, 404, 409, 422)


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(changes=st.dictionaries(st.sampled_from(
    ["grid_code", "dispute_type", "title", "facts", "claim", "amount", "org_id", "mediator_id",
     "source", "parties", "incident_id", "idempotency_key", "junk"]), ANY, max_size=4),
    drop=st.lists(st.sampled_from(["title", "claim", "parties", "org_id"]), max_size=2))
def test_fuzzed_registrations_never_fail_the_server(fuzz_service, changes, drop):
    c, good, _ = fuzz_service
    body = {k: v for k, v in {**good, **changes}.items() if k not in drop}
    r = c.post("/mediation/cases", json=body)
    assert r.status_code in OK, (body, r.status_code, r.text)
    assert r.status_code in (200, 201) or r.json()["detail"]


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(which=st.sampled_from(["sessions", "outcome"]),
       body=st.one_of(ANY, st.dictionaries(st.sampled_from(
           ["seq", "note", "held_at", "mediator_id", "outcome", "terms", "agreed_amount",
            "fulfilment", "to", "to_unit", "reason"]), ANY, max_size=5)),
       case=st.one_of(st.just(None), st.text(max_size=40)))
def test_fuzzed_sessions_and_outcomes_never_fail_the_server(fuzz_service, which, body, case):
    from urllib.parse import quote

    c, _, case_id = fuzz_service
    target = case_id if case is None else quote(case, safe="") or "x"
    r = c.post(f"/mediation/cases/{target}/{which}", json=body)
    assert r.status_code in (*OK, 405), (which, body, case, r.status_code, r.text)


def test_written_cases_are_found_by_the_similar_search(client, store, loaded, grid,
                                                       mediation_store, case_index):
    MediationStore(store.engine).save_words(mediation_store.words())  # segmented once
    desk = client.desk.headers(f"sq{grid[:12]}")
    body = _body(loaded, grid, title="鹦鹉夜间啼叫扰民", facts="邻居饲养的鹦鹉夜间啼叫扰民")
    c = client.post("/mediation/cases", json=body, headers=desk).json()
    found = client.get("/mediation/similar", params={"q": "鹦鹉 啼叫", "limit": 3},
                       headers=desk).json()["items"]
    assert found and found[0]["case_id"] == c["case_id"] and found[0]["outcome"] is None
    client.post(f"/mediation/cases/{c['case_id']}/outcome", headers=desk, json={
        "outcome": "agreement", "terms": "鹦鹉移至室内饲养，夜间加盖遮光布"})
    found = client.get("/mediation/similar", params={"q": "遮光布 鹦鹉", "limit": 3},
                       headers=desk).json()["items"]
    assert found[0]["case_id"] == c["case_id"] and found[0]["outcome"] == "agreement"
    assert "遮光布" in found[0]["terms"]
    conflict = client.post(f"/mediation/cases/{c['case_id']}/outcome", headers=desk,
                           json={"outcome": "withdrawn"})
    assert conflict.status_code == 409
