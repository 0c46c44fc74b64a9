"""OGC API Features: collections, items paged with next/prev links, bounds on limit."""

from urllib.parse import parse_qs, urlsplit


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


def test_items_default_limit_and_bounds(client):
    assert client.get("/collections/grids/items").json()["numberReturned"] == 10
    r = client.get("/collections/grids/items", params={"limit": 10_001})
    assert r.status_code == 422 and r.json()["field"] == "limit"
    assert client.get("/collections/grids/items", params={"limit": 0}).status_code == 422
    assert client.get("/collections/nothing/items").status_code == 404


def test_incidents_limit_bounds(client):
    assert client.get("/incidents", params={"limit": 1000}).status_code == 200
    r = client.get("/incidents", params={"limit": 1001})
    assert r.status_code == 422 and r.json()["field"] == "limit"
