"""OGC API Features queries: paging, bbox/datetime/queryable filters, queryables, 400s, scope.

The filters are checked against geopandas/shapely on the layer itself; the live
incidents collection against ``GET /incidents`` for the same person.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.routes.features import CONFORMANCE

ITEMS = "/collections/{}/items"
CJK = re.compile(r"[\u4e00-\u9fff]")
UTC8 = dt.timedelta(hours=8)


def _link(body, rel):
    return next((link["href"] for link in body["links"] if link["rel"] == rel), None)


def _walk(client, url, params, headers=None):
    """Every page from the first by ``next`` links: the pages' ids and the bodies."""
    pages, bodies = [], []
    r = client.get(url, params=params, headers=headers)
    while True:
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["numberReturned"] == len(body["features"])
        pages.append([f["id"] for f in body["features"]])
        bodies.append(body)
        nxt = _link(body, "next")
        if nxt is None:
            return pages, bodies
        assert len(pages) < 1000
        r = client.get(nxt, headers=headers)


def _cst(text: str) -> np.datetime64:
    """An RFC 3339 UTC time (…Z) as the layers' naive China time."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return np.datetime64((moment + UTC8).replace(tzinfo=None), "ms")


# --- paging ------------------------------------------------------------------------------------


def test_next_links_walk_the_whole_set_once_and_prev_links_walk_back(client, small_layers):
    archive = small_layers.incidents
    params = {"limit": 97, "category": "D01", "bbox": ",".join(map(str, archive.total_bounds))}
    pages, bodies = _walk(client, ITEMS.format("incidents"), params)
    expected = list(archive.index[archive["category"] == "D01"])
    assert len(expected) > 3 * 97
    got = [i for page in pages for i in page]
    assert got == expected  # every one, once, in layer order
    assert {b["numberMatched"] for b in bodies} == {len(expected)}
    assert all(len(p) == 97 for p in pages[:-1]) and 0 < len(pages[-1]) <= 97
    # back from the last page by prev links: the same pages, in reverse
    back, body = [], bodies[-1]
    while (prev := _link(body, "prev")) is not None:
        body = client.get(prev).json()
        back.append([f["id"] for f in body["features"]])
    assert back == pages[-2::-1]


def test_the_default_page_is_a_thousand_and_the_maximum_comes_from_the_settings(
        client, small_layers):
    body = client.get(ITEMS.format("buildings")).json()
    assert body["numberReturned"] == 1_000 == len(body["features"])
    assert body["numberMatched"] == len(small_layers.buildings)
    assert "limit=" not in _link(body, "next") and "offset=1000" in _link(body, "next")


# --- filters against geopandas -----------------------------------------------------------------


def _reference(archive, *, bbox=None, start=None, end=None, equals=None):
    keep = np.ones(len(archive), dtype=bool)
    if bbox is not None:
        keep &= shapely.intersects(archive.geometry.values, shapely.box(*bbox))
    t = archive["reported_at"].to_numpy(dtype="datetime64[ms]")
    if start is not None:
        keep &= t >= _cst(start)
    if end is not None:
        keep &= t <= _cst(end)
    for column, value in (equals or {}).items():
        keep &= (archive[column] == value).to_numpy()
    return list(archive.index[keep])


FILTERS = [
    {"bbox": (120.62, 27.95, 120.68, 28.02)},
    {"datetime": "2026-03-01T00:00:00Z/2026-05-01T00:00:00Z"},
    {"datetime": "../2026-01-15T00:00:00Z"},
    {"datetime": "2026-09-01T00:00:00Z/.."},
    {"datetime": "/2026-01-15T00:00:00Z"},
    {"datetime": "0001-01-01T00:00:00Z/.."},  # far from 1970: no overflow of nanoseconds
    {"datetime": "../0100-01-01T00:00:00Z"},
    {"category": "E02", "status": "closed"},
    {"bbox": (120.60, 27.90, 120.70, 28.05),
     "datetime": "2026-02-01T00:00:00Z/2026-08-01T00:00:00Z", "category": "D01"},
    {"escalation_level": 1},
    {"has_photos": "true", "priority": "urgent"},
    {"bbox": (121.5, 29.0, 121.6, 29.1)},  # nothing there
]


@pytest.mark.parametrize("query", FILTERS, ids=[str(sorted(q)) for q in FILTERS])
def test_filters_equal_a_geopandas_reference(client, small_layers, query):
    archive = small_layers.incidents
    params = {"limit": 10_000}
    equals = {}
    start = end = bbox = None
    for name, value in query.items():
        if name == "bbox":
            bbox = value
            params["bbox"] = ",".join(map(str, value))
        elif name == "datetime":
            params["datetime"] = value
            start, end = (None if v in ("", "..") else v for v in value.split("/"))
        else:
            params[name] = value
            equals[name] = {"true": True}.get(value, value)
    expected = _reference(archive, bbox=bbox, start=start, end=end, equals=equals)
    body = client.get(ITEMS.format("incidents"), params=params).json()
    assert [f["id"] for f in body["features"]] == expected
    assert body["numberMatched"] == len(expected)


def test_a_datetime_instant_matches_that_moment_only(client, small_layers):
    archive = small_layers.incidents
    when = archive["reported_at"].iloc[5]
    text = (when - UTC8).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = client.get(ITEMS.format("incidents"), params={"datetime": text}).json()
    expected = list(archive.index[archive["reported_at"] == when])
    assert [f["id"] for f in body["features"]] == expected and len(expected) >= 1
    # the same moment written in China time, and as the closed end of an interval
    local = when.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    assert client.get(ITEMS.format("incidents"), params={"datetime": local}).json()[
        "numberMatched"] == len(expected)
    upto = client.get(ITEMS.format("incidents"), params={"datetime": f"../{local}"}).json()
    assert upto["numberMatched"] == int((archive["reported_at"] <= when).sum())


def test_layers_without_a_time_keep_every_feature_under_datetime(client, small_layers):
    body = client.get(ITEMS.format("grids"),
                      params={"datetime": "2020-01-01T00:00:00Z", "limit": 5}).json()
    assert body["numberMatched"] == len(small_layers.grids)


def test_features_carry_their_times_in_china_time(client, small_layers):
    one = client.get(ITEMS.format("incidents"), params={"limit": 1}).json()["features"][0]
    first = small_layers.incidents.iloc[0]
    assert one["id"] == small_layers.incidents.index[0]
    assert one["properties"]["reported_at"] == first["reported_at"].isoformat() + "+08:00"
    assert one["geometry"]["type"] == "Point"
    assert one["geometry"]["coordinates"] == pytest.approx([first.geometry.x, first.geometry.y],
                                                           abs=1e-7)


# --- queryables --------------------------------------------------------------------------------


def test_queryables_are_json_schema_and_each_filters_the_items(client, small_layers):
    r = client.get("/collections/incidents/queryables")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/schema+json"
    doc = r.json()
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == "http://testserver/collections/incidents/queryables"
    assert doc["type"] == "object"
    props = doc["properties"]
    assert props["geometry"]["format"] == "geometry-point"
    assert props["priority"]["enum"] == ["urgent", "high", "normal"]
    assert props["grid_code"]["pattern"] == r"^\d{15}$"
    assert props["escalation_level"]["type"] == "integer"
    assert "description" not in props and "reported_at" not in props  # free text, the time
    archive = small_layers.incidents
    for name, schema in props.items():
        if name == "geometry":
            continue
        value = archive[name].dropna().iloc[0]
        text = str(value).lower() if schema["type"] == "boolean" else str(value)
        body = client.get(ITEMS.format("incidents"), params={name: text, "limit": 1}).json()
        assert body["numberMatched"] == int((archive[name] == value).sum()), name
    assert any(c.endswith("/queryables-query-parameters") for c in CONFORMANCE)
    collection = client.get("/collections/incidents").json()
    assert any(link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/queryables"
               for link in collection["links"])


def test_queryables_of_a_public_layer_for_anyone_and_of_the_archive_for_staff(anonymous):
    grids = anonymous.get("/collections/grids/queryables").json()["properties"]
    assert {"code", "community_code", "households"} <= set(grids)
    assert "worker_names" not in grids
    assert anonymous.get("/collections/incidents/queryables").status_code == 401
    assert anonymous.get("/collections/nothing/queryables").status_code == 404


# --- 400 with a reason -------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "field"), [
    ({"colour": "red"}, "colour"),
    ({"description": "噪音"}, "description"),  # free text is not queryable
    ({"limit": "ten"}, "limit"), ({"limit": "-1"}, "limit"), ({"limit": "0"}, "limit"),
    ({"offset": "-5"}, "offset"), ({"offset": "1.5"}, "offset"),
    ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "120.7,27,120.6,28"}, "bbox"),
    ({"bbox": "a,b,c,d"}, "bbox"), ({"bbox": "0,91,1,92"}, "bbox"),
    ({"datetime": "2026-05-01"}, "datetime"), ({"datetime": "2026-05-01T00:00:00"}, "datetime"),
    ({"datetime": "../.."}, "datetime"), ({"datetime": "2026-02-30T00:00:00Z"}, "datetime"),
    ({"datetime": "2026-06-01T00:00:00Z/2026-05-01T00:00:00Z"}, "datetime"),
    ({"datetime": "a/b/c"}, "datetime"), ({"f": "html"}, "f"),
    ({"escalation_level": "high"}, "escalation_level"), ({"has_photos": "yes"}, "has_photos"),
])
def test_malformed_or_unknown_parameters_are_400_naming_them(client, params, field):
    r = client.get(ITEMS.format("incidents"), params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field
    assert CJK.search(r.json()["detail"]), r.json()["detail"]


def test_a_parameter_given_twice_is_400(client):
    r = client.get(ITEMS.format("incidents") + "?category=D01&category=E02")
    assert r.status_code == 400 and r.json()["field"] == "category"


NAMES = st.sampled_from(["limit", "offset", "bbox", "datetime", "f", "category",
                         "escalation_level", "has_photos", "grid_code", "x", "LIMIT"])
VALUES = st.one_of(st.text(max_size=40), st.integers(-10**20, 10**20).map(str),
                   st.lists(st.floats(allow_nan=True), max_size=7).map(
                       lambda v: ",".join(map(str, v))),
                   st.datetimes().map(lambda d: d.isoformat() + "Z"),
                   st.tuples(st.datetimes(), st.datetimes()).map(
                       lambda p: f"{p[0].isoformat()}Z/{p[1].isoformat()}Z"))


@settings(max_examples=200, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(NAMES, VALUES, max_size=4))
def test_fuzzed_parameters_answer_200_or_a_400_naming_one_of_them(client, params):
    r = client.get(ITEMS.format("incidents"), params=params)
    assert r.status_code in (200, 400), (params, r.text)
    if r.status_code == 400:
        body = r.json()
        assert body["field"] in params, (params, body)
        assert CJK.search(body["detail"]), body
    else:
        assert r.json()["numberReturned"] <= 10_000


# --- the live incidents collection -------------------------------------------------------------


@pytest.fixture
def live(app, small_layers, clock):
    """Nine incidents in the store in three grids of two communities, one dispatched to a unit."""
    dispatcher = app.state.dispatcher
    grids = small_layers.grids.sort_values("code")
    sizes = grids["community_code"].map(grids["community_code"].value_counts())
    first = grids[sizes >= 2].iloc[0]
    same_community = grids[(grids["community_code"] == first["community_code"])
                           & (grids["code"] != first["code"])].iloc[0]
    other = grids[grids["community_code"] != first["community_code"]].iloc[0]
    made = []
    start = clock.now - dt.timedelta(days=10)
    for k, grid in enumerate([first, same_community, other] * 3):
        p = grid.geometry.representative_point()
        record, _ = dispatcher.report(lon=p.x, lat=p.y, category=("D01", "E02", "S02")[k % 3],
                                      description=f"第{k}件", actor="test",
                                      reported_at=start + dt.timedelta(hours=7 * k))
        made.append(record)
    unit = small_layers.units["unit_id"].iloc[0]
    dispatcher.transition(made[4]["incident_id"], action="accept", actor="t", role="community")
    dispatcher.transition(made[4]["incident_id"], action="dispatch", actor="t",
                          role="community", unit_id=unit)
    return {"records": made, "grids": (first, same_community, other), "unit": unit}


def _people(live):
    first, _, other = live["grids"]
    return [f"qx{first['code'][:6]}", f"jd{first['code'][:9]}", f"sq{other['community_code']}",
            f"sq{first['community_code']}", f"wg{first['code']}", f"dw{live['unit']}",
            "fx01"]


def test_the_live_collection_is_scoped_like_get_incidents(client, live):
    for who in _people(live):
        headers = client.desk.headers(who)
        listed = {i["incident_id"] for i in client.get("/incidents", params={"limit": 1000},
                                                       headers=headers).json()["items"]}
        pages, _ = _walk(client, ITEMS.format("live_incidents"), {"limit": 2}, headers=headers)
        got = [i for page in pages for i in page]
        assert len(got) == len(set(got)) and set(got) == listed, who
    first, _, _ = live["grids"]
    own = {r["incident_id"] for r in live["records"] if r["grid_code"] == first["code"]}
    worker = client.desk.headers(f"wg{first['code']}")
    pages, _ = _walk(client, ITEMS.format("live_incidents"), {}, headers=worker)
    assert {i for page in pages for i in page} == own and len(own) == 3
    unit = client.desk.headers(f"dw{live['unit']}")
    pages, _ = _walk(client, ITEMS.format("live_incidents"), {}, headers=unit)
    assert pages == [[live["records"][4]["incident_id"]]]
    one = live["records"][0]["incident_id"]
    elsewhere = live["records"][2]["incident_id"]  # another community
    assert client.get(f"{ITEMS.format('live_incidents')}/{one}", headers=worker).status_code == 200
    assert client.get(f"{ITEMS.format('live_incidents')}/{elsewhere}",
                      headers=worker).status_code == 404


def test_anonymous_readers_get_no_live_incidents(anonymous, live):
    for path in (ITEMS.format("live_incidents"), "/collections/live_incidents",
                 "/collections/live_incidents/queryables",
                 f"{ITEMS.format('live_incidents')}/{live['records'][0]['incident_id']}"):
        r = anonymous.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", path
    assert "live_incidents" not in {c["id"] for c in
                                    anonymous.get("/collections").json()["collections"]}


def test_live_features_carry_what_get_incidents_shows_and_no_reporter(client, live):
    body = client.get(ITEMS.format("live_incidents")).json()
    listed = {i["incident_id"]: i for i in client.get("/incidents", params={
        "limit": 1000}).json()["items"]}
    assert body["numberMatched"] == len(listed) == 9
    for feature in body["features"]:
        props = feature["properties"]
        assert props == listed[feature["id"]]
        assert "reporter" not in props
        assert feature["geometry"]["coordinates"] == pytest.approx([props["lon"], props["lat"]],
                                                                   abs=1e-7)
    times = [f["properties"]["reported_at"] for f in body["features"]]
    assert times == sorted(times)  # oldest report first: pages stay put as reports arrive


def test_live_filters_datetime_bbox_and_queryables(client, live):
    records = live["records"]
    url = ITEMS.format("live_incidents")

    def ids(**params):
        pages, _ = _walk(client, url, params | {"limit": 4})
        return [i for page in pages for i in page]

    def utc(moment):
        return (moment - UTC8).strftime("%Y-%m-%dT%H:%M:%SZ")

    t = [r["reported_at"] for r in records]
    all_ids = [r["incident_id"] for r in records]
    assert ids() == all_ids
    assert ids(datetime=utc(t[3])) == [all_ids[3]]  # an instant
    assert ids(datetime=f"{utc(t[2])}/{utc(t[5])}") == all_ids[2:6]  # both ends in
    assert ids(datetime=f"../{utc(t[1])}") == all_ids[:2]
    assert ids(datetime=f"{utc(t[7])}/..") == all_ids[7:]
    assert ids(category="E02") == [r["incident_id"] for r in records if r["category"] == "E02"]
    _, _, other = live["grids"]
    assert ids(community_code=other["community_code"]) == all_ids[2::3]
    assert ids(township_code=other["code"][:9]) == all_ids
    assert ids(status="dispatched") == [all_ids[4]]
    light = client.get(f"/incidents/{all_ids[0]}").json()["light"]
    assert all_ids[0] in ids(light=light)
    x, y = records[2]["lon"], records[2]["lat"]
    assert ids(bbox=f"{x - 1e-6},{y - 1e-6},{x + 1e-6},{y + 1e-6}") == all_ids[2::3]
    for bad in ({"status": "lost"}, {"light": "blue"}, {"unit_id": "U1"},
                {"grid_code": "1", "grid_code2": "2"}):
        r = client.get(url, params=bad)
        assert r.status_code == 400 and CJK.search(r.json()["detail"]), bad
