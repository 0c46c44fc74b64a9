"""OGC API Features: collections, items paged with next/prev links, bounds on limit."""

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api import create_app
from api.settings import Settings
from gridgis.store import SQLiteStore
from tests.service.conftest import district_roster


def _link(body, rel):
    return next((link["href"] for link in body["links"] if link["rel"] == rel), None)


def test_items_are_paged_with_links(client, small_layers):
    n = len(small_layers.grids)
    r = client.get("/collections/grids/items", params={"limit": 3})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert body["numberMatched"] == n and body["numberReturned"] == 3
    assert _link(body, "prev") is None
    nxt = _link(body, "next")
    assert parse_qs(urlsplit(nxt).query) == {"limit": ["3"], "offset": ["3"]}
    second = client.get(nxt).json()
    assert second["numberReturned"] == 3
    assert parse_qs(urlsplit(_link(second, "prev")).query)["offset"] == ["0"]
    ids = [f["id"] for f in body["features"] + second["features"]]
    assert ids == list(small_layers.grids.index[:6].astype(str))
    last = client.get("/collections/grids/items", params={"limit": 3, "offset": n - 2}).json()
    assert last["numberReturned"] == 2 and _link(last, "next") is None


def test_items_default_limit_and_bounds(client, small_layers):
    # the default page is 1,000; a limit above the maximum is served as the maximum (OGC API
    # Features Part 1: "SHALL NOT result in an error"); below one is 400
    buildings = len(small_layers.buildings)
    assert buildings > 1_000
    assert client.get("/collections/buildings/items").json()["numberReturned"] == 1_000
    r = client.get("/collections/buildings/items", params={"limit": 10_001})
    assert r.status_code == 200 and r.json()["numberReturned"] == min(buildings, 10_000)
    r = client.get("/collections/grids/items", params={"limit": 0})
    assert r.status_code == 400 and r.json()["field"] == "limit"
    assert client.get("/collections/nothing/items").status_code == 404


def test_incidents_limit_bounds(client):
    assert client.get("/incidents", params={"limit": 1000}).status_code == 200
    r = client.get("/incidents", params={"limit": 1001})
    assert r.status_code == 422 and r.json()["field"] == "limit"


@pytest.fixture
def tight_client(small_layers, tmp_path):
    store = SQLiteStore(tmp_path / "tight.sqlite")
    settings = Settings(items_limit_default=2, items_limit_max=5, incidents_limit_default=3,
                        incidents_limit_max=4)
    county = next(p for p in district_roster(small_layers) if p.role == "command_centre")
    store.staff.save(county)
    app = create_app(settings, layers=small_layers, store=store)
    token = app.state.tokens.issue(county)
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c
    store.close()


def test_the_limit_bounds_come_from_the_settings(tight_client):
    items = "/collections/grids/items"
    assert tight_client.get(items).json()["numberReturned"] == 2
    assert tight_client.get(items, params={"limit": 5}).json()["numberReturned"] == 5
    r = tight_client.get(items, params={"limit": 6})
    assert r.status_code == 200 and r.json()["numberReturned"] == 5
    assert tight_client.get("/incidents", params={"limit": 4}).status_code == 200
    assert tight_client.get("/incidents", params={"limit": 5}).status_code == 422
    schema = tight_client.get("/openapi.json").json()
    limit = next(p for p in schema["paths"]["/collections/{collection_id}/items"]["get"][
        "parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 5 and limit["schema"]["default"] == 2


def test_a_default_above_its_limit_is_refused():
    with pytest.raises(ValidationError, match=r"items_limit_default \(11\) exceeds"):
        Settings(items_limit_default=11, items_limit_max=10)
    with pytest.raises(ValidationError, match="超出上限"):
        Settings(incidents_limit_max=10)


def test_the_incident_archive_is_for_signed_in_staff_within_their_area(client, anonymous,
                                                                       small_layers):
    archive = small_layers.incidents
    r = anonymous.get("/collections/incidents/items")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    one = archive.index[0]
    assert anonymous.get(f"/collections/incidents/items/{one}").status_code == 401
    everything = client.get("/collections/incidents/items", params={"limit": 10_000}).json()
    assert everything["numberMatched"] == len(archive)
    grid = archive["grid_code"].iloc[0]
    worker = client.desk.headers(f"wg{grid}")
    mine = client.get("/collections/incidents/items", params={"limit": 10_000},
                      headers=worker).json()
    assert mine["numberMatched"] == int((archive["grid_code"] == grid).sum()) > 0
    assert {f["properties"]["grid_code"] for f in mine["features"]} == {grid}
    elsewhere = archive.index[archive["grid_code"] != grid][0]
    r = client.get(f"/collections/incidents/items/{elsewhere}", headers=worker)
    assert r.status_code == 404


def test_the_incident_archive_is_described_to_signed_in_staff(client, anonymous, small_layers):
    # schemathesis found the description refused (401) even to the signed-in county centre
    r = client.get("/collections/incidents")
    assert r.status_code == 200, r.text
    assert r.json()["id"] == "incidents"
    [bbox] = r.json()["extent"]["spatial"]["bbox"]
    assert bbox == [float(v) for v in small_layers.incidents.total_bounds]
    r = anonymous.get("/collections/incidents")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_features_are_answered_as_geojson(client):
    assert client.get("/collections/grids/items").headers["content-type"] == \
        "application/geo+json"
    one = client.get("/collections/grids/items").json()["features"][0]["id"]
    assert client.get(f"/collections/grids/items/{one}").headers["content-type"] == \
        "application/geo+json"
    documented = client.get("/openapi.json").json()["paths"]
    for path in ("/collections/{collection_id}/items",
                 "/collections/{collection_id}/items/{feature_id}"):
        assert list(documented[path]["get"]["responses"]["200"]["content"]) == \
            ["application/geo+json"]


def test_anonymous_readers_see_no_grid_workers_names(client, anonymous):
    public = anonymous.get("/collections/grids/items").json()["features"][0]["properties"]
    assert "worker_names" not in public and "workers" in public
    staff = client.get("/collections/grids/items").json()["features"][0]["properties"]
    assert staff["worker_names"]


def test_the_archive_is_listed_to_staff_with_the_extent_of_their_area(client, anonymous,
                                                                      small_layers):
    public = {c["id"] for c in anonymous.get("/collections").json()["collections"]}
    assert "incidents" not in public and "grids" in public
    listed = {c["id"]: c for c in client.get("/collections").json()["collections"]}
    assert "extent" in listed["incidents"]
    archive = small_layers.incidents
    idle = next(u for u in small_layers.units["unit_id"] if u not in set(archive["unit_id"]))
    r = client.get("/collections/incidents", headers=client.desk.headers(f"dw{idle}"))
    assert r.status_code == 200 and "extent" not in r.json()  # nothing of it is theirs
