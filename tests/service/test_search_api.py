"""搜索: GET /incidents?q= matches ids, grid codes, addresses, text, area names; scoped, paged."""

from __future__ import annotations

import pytest

from gridgis.dispatch.search import named_areas
from tests.service.test_incidents import report


@pytest.fixture
def reported(client, small_layers):
    """Five incidents in two grids of different communities, with addresses in the text."""
    grids = small_layers.grids.sort_values("code")
    first = grids.iloc[0]
    other = grids[grids["community_code"] != first["community_code"]].iloc[0]
    out = {"grid": first, "other": other, "ids": []}
    for grid, text in ((first, "瓯江路12号 楼道堆物"), (first, "瓯江路14号 噪音扰民"),
                       (first, "学院路3号 路灯不亮"), (other, "瓯江路88号 污水外溢"),
                       (other, "望江路5号 占道经营")):
        p = grid.geometry.representative_point()
        r = report(client, {"lon": p.x, "lat": p.y}, description=text)
        assert r.status_code == 201, r.text
        out["ids"].append(r.json()["incident_id"])
    return out


def _ids(r):
    assert r.status_code == 200, r.text
    return {i["incident_id"] for i in r.json()["items"]}


def test_search_by_address_text_id_and_grid_code(client, reported):
    ids = reported["ids"]
    assert _ids(client.get("/incidents", params={"q": "瓯江路"})) == {ids[0], ids[1], ids[3]}
    assert _ids(client.get("/incidents", params={"q": "路灯"})) == {ids[2]}
    # an id, whole or in part, in any case
    assert _ids(client.get("/incidents", params={"q": ids[4].lower()})) == {ids[4]}
    assert _ids(client.get("/incidents", params={"q": ids[4][-4:]})) >= {ids[4]}
    # a grid code (a community's too) finds what lies in it
    assert _ids(client.get("/incidents", params={"q": reported["grid"]["code"]})) == set(ids[:3])
    r = client.get("/incidents", params={"q": reported["other"]["community_code"]})
    assert _ids(r) == set(ids[3:])
    assert _ids(client.get("/incidents", params={"q": "没有这样的事"})) == set()
    # with other filters: an AND
    assert _ids(client.get("/incidents", params={"q": "瓯江路", "grid": reported["other"]["code"]
                                                 })) == {ids[3]}


def test_search_by_area_name(client, reported, small_layers):
    community = small_layers.communities.set_index("code").loc[
        reported["other"]["community_code"], "name"]
    assert _ids(client.get("/incidents", params={"q": community})) == set(reported["ids"][3:])


def test_search_is_paged_like_the_list(client, reported):
    r = client.get("/incidents", params={"q": "瓯江路", "limit": 2})
    body = r.json()
    assert body["matched"] == 3 and body["returned"] == 2
    following = [link for link in body["links"] if link["rel"] == "next"]
    assert following and "q=" in following[0]["href"]
    nxt = client.get(following[0]["href"])
    assert nxt.status_code == 200 and nxt.json()["returned"] == 1
    assert not _ids(r) & _ids(nxt)


def test_search_keeps_to_the_jurisdiction(client, reported):
    grid = reported["grid"]
    worker = client.desk.headers(f"wg{grid['code']}")
    r = client.get("/incidents", params={"q": "瓯江路"}, headers=worker)
    assert _ids(r) == set(reported["ids"][:2])  # not the one in the other community
    r = client.get("/incidents", params={"q": reported["ids"][3]}, headers=worker)
    assert _ids(r) == set()


@pytest.mark.parametrize("q", ["x" * 101])
def test_a_too_long_search_is_refused_with_its_field(client, q):
    r = client.get("/incidents", params={"q": q})
    assert r.status_code == 422 and r.json()["field"] == "q"


def test_named_areas_keep_the_outermost_code():
    names = {"330399001": "柳亭街道", "330399001002": "柳亭康社区",
             "330399001002003": "柳亭康第3网格", "330399002": "白埠街道"}
    assert named_areas("柳亭康", names) == ("330399001002",)
    assert named_areas("白埠", names) == ("330399002",)
    assert named_areas("无此名", names) == ()
