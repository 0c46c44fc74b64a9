"""GET /mediation/similar and /mediation/cases/{id}: scope, masks, filters, 4xx, fuzzed."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgis.mediation import MediationStore


@pytest.fixture
def loaded(store, mediation_sample, mediation_store, case_index):
    """The sample's cases (and their segmented words) in the service's store."""
    target = MediationStore(store.engine)
    target.load(mediation_sample.frames())
    target.save_words(mediation_store.words())
    return mediation_sample


def test_similar_needs_a_signed_in_reader(anonymous, loaded):
    r = anonymous.get("/mediation/similar", params={"q": "漏水"})
    assert r.status_code == 401


def test_similar_ranks_matching_cases_first(client, loaded):
    r = client.get("/mediation/similar", params={"q": "楼上卫生间漏水 天花板霉变", "limit": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["indexed"] == len(loaded.cases) and len(body["items"]) == 5
    scenario = loaded.cases.set_index("case_id")["scenario"]
    assert all(scenario[i["case_id"]] == "leak" for i in body["items"])
    scores = [i["score"] for i in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert body["items"][0]["type_name"] == "邻里纠纷"


def test_similar_filters_by_type_and_area(client, loaded):
    town = loaded.cases["grid_code"].str[:9].value_counts().index[0]
    r = client.get("/mediation/similar", params={"q": "赔偿", "type": "M06", "area": town,
                                                  "limit": 50})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items and all(i["dispute_type"] == "M06" and i["grid_code"].startswith(town)
                         for i in items)


def test_a_community_reads_only_its_cases_and_no_sensitive(client, loaded):
    cases = loaded.cases
    community = cases["grid_code"].str[:12].value_counts().index[0]
    r = client.get("/mediation/similar", params={"q": "纠纷 赔偿 要求", "limit": 50},
                   headers=client.desk.headers(f"sq{community}"))
    assert r.status_code == 200
    sensitive = set(cases.loc[cases["sensitive"], "case_id"])
    items = r.json()["items"]
    assert items
    assert all(i["grid_code"].startswith(community) and i["case_id"] not in sensitive
               for i in items)


def test_case_detail_masks_for_a_grid_worker(client, loaded):
    cases = loaded.cases[~loaded.cases["sensitive"]]
    row = cases.iloc[0]
    ok = client.get(f"/mediation/cases/{row['case_id']}")
    assert ok.status_code == 200 and ok.json()["parties"][0]["masked"] is False
    worker = client.desk.headers(f"wg{row['grid_code']}")
    seen = client.get(f"/mediation/cases/{row['case_id']}", headers=worker).json()
    people = [p for p in seen["parties"] if p["kind"] == "person"]
    assert people and all(p["masked"] and p["name"].endswith("**") for p in people)
    other = cases[cases["grid_code"].str[:12] != row["grid_code"][:12]].iloc[0]
    assert client.get(f"/mediation/cases/{other['case_id']}",
                      headers=worker).status_code == 404
    assert client.get("/mediation/cases/TJ000").status_code == 404


def test_similar_to_an_incident(client, loaded, small_layers):
    disputes = small_layers.incidents[small_layers.incidents["category"] == "D06"]
    if disputes.empty:
        pytest.skip("no medical dispute in the small district")
    # the service's store starts empty of incidents: report one and look it up
    grid = small_layers.grids.iloc[len(small_layers.grids) // 2]
    p = grid.geometry.representative_point()
    r = client.post("/incidents", json={"lon": p.x, "lat": p.y, "category": "D06",
                                        "description": "患者在医院手术后切口感染，家属要求赔偿"})
    assert r.status_code in (200, 201), r.text
    incident_id = r.json()["incident_id"]
    got = client.get("/mediation/similar", params={"incident": incident_id})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["dispute_type"] == "M06" and body["items"]
    assert all(i["dispute_type"] == "M06" for i in body["items"])
    assert client.get("/mediation/similar", params={"incident": "NOPE"}).status_code == 404


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": "x" * 501}, {"q": "漏水", "type": "M99"}, {"q": "漏水", "type": "D06"},
    {"q": "漏水", "area": "abc"}, {"q": "漏水", "limit": 0}, {"q": "漏水", "limit": 51},
    {"q": "漏水", "from": "2026-01-01", "to": "2025-01-01"}, {"q": "漏水", "from": "nope"},
    {"q": "   "}])
def test_bad_input_is_a_4xx_with_a_reason(client, loaded, params):
    r = client.get("/mediation/similar", params=params)
    assert r.status_code == 422, (params, r.text)
    assert r.json()["detail"]


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(q=st.text(max_size=40), dtype=st.one_of(st.none(), st.text(max_size=4),
                                              st.sampled_from(["M01", "M06", "M10"])),
       area=st.one_of(st.none(), st.text(max_size=16), st.from_regex(r"\d{6,15}", fullmatch=True)),
       start=st.one_of(st.none(), st.datetimes().map(lambda d: d.isoformat()),
                       st.text(max_size=12)),
       limit=st.one_of(st.none(), st.integers(-5, 80)))
def test_fuzzed_queries_never_fail_the_server(fuzz_client, q, dtype, area, start, limit):
    params = {k: v for k, v in {"q": q, "type": dtype, "area": area, "from": start,
                                "limit": limit}.items() if v is not None}
    r = fuzz_client.get("/mediation/similar", params=params)
    assert r.status_code in (200, 404, 422), (params, r.status_code, r.text)
    if r.status_code == 200:
        assert isinstance(r.json()["items"], list)


@pytest.fixture(scope="module")
def fuzz_client(small_layers, mediation_sample, mediation_store, case_index,
                tmp_path_factory):
    """One service for the fuzzing (hypothesis reuses it across examples)."""
    import datetime as dt

    from fastapi.testclient import TestClient

    from api import create_app
    from api.settings import Settings
    from gridgis.people import StaffMember
    from gridgis.store import SQLiteStore

    base = SQLiteStore(tmp_path_factory.mktemp("fuzz") / "s.sqlite")
    target = MediationStore(base.engine)
    target.load(mediation_sample.frames())
    target.save_words(mediation_store.words())
    county = small_layers.townships["code"].iloc[0][:6]
    person = StaffMember(f"qx{county}", "县中心", "command_centre", county)
    base.staff.save(person)
    service = create_app(Settings(), layers=small_layers, store=base,
                         clock=lambda: dt.datetime(2026, 11, 2, 9))
    with TestClient(service, raise_server_exceptions=False, headers={
            "Authorization": f"Bearer {service.state.tokens.issue(person)}"}) as c:
        yield c
    base.close()


def test_warnings_of_a_month_within_the_readers_cases(client, loaded):
    town = loaded.cases.loc[loaded.cases["dispute_type"] == "M06", "grid_code"].str[:9] \
        .value_counts().index[0]
    r = client.get("/mediation/warnings", params={"month": "2025-03"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cells"] > 0
    medical = [a for a in body["alerts"] if a["key"] == f"{town}×M06"]
    assert medical and medical[0]["authority"] == "区卫生健康局"
    assert medical[0]["p_adjusted"] < 0.01 and "泊松" in medical[0]["notice"]
    cases = loaded.cases
    march = cases[(cases["received_at"] >= "2025-03-01") & (cases["received_at"] < "2025-04-01")
                  & (cases["dispute_type"] == "M06") & ~cases["sensitive"]]
    community = march["grid_code"].str[:12].value_counts().index[0]
    theirs = client.get("/mediation/warnings", params={"month": "2025-03"},
                        headers=client.desk.headers(f"sq{community}")).json()
    own = int(march["grid_code"].str.startswith(community).sum())
    assert own < medical[0]["observed"]
    for a in theirs["alerts"]:  # counted over the community's own cases only
        if a["key"] == f"{town}×M06":
            assert a["observed"] == own
    assert client.get("/mediation/warnings", params={"month": "2025-13"}).status_code == 422
    assert client.get("/mediation/warnings").status_code == 200  # last month by the clock
