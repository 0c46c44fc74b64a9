"""Every role × action × jurisdiction case through the API: allowed, or 403 with the reason.

The expected answers are written out by hand below from the rules of the
command centre (DESIGN §2b: who holds a matter may act, escalation moves
authority up; verification only by the incident's own grid; closing only by
the level that holds the matter), not computed from the access table.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from gridgis.dispatch import Dispatcher
from gridgis.layers import Layers
from gridgis.sample import sample_district
from gridgis.store import SQLiteStore
from tests.service.conftest import Desk, ManualClock, district_roster, upload_site_photo

OWN_WORKER, OTHER_WORKER = "grid worker of the grid", "grid worker of a neighbour grid"
OWN_COMMUNITY, OTHER_COMMUNITY = "its community", "another community of the township"
OWN_TOWNSHIP, OTHER_TOWNSHIP = "its township", "another township"
COUNTY = "the county"
OWN_UNIT, OTHER_UNIT = "staff of the unit it is dispatched to", "staff of another unit"
ANALYST, PLANNER, ADMIN = "analyst", "planner", "admin"
EVERYONE = (OWN_WORKER, OTHER_WORKER, OWN_COMMUNITY, OTHER_COMMUNITY, OWN_TOWNSHIP,
            OTHER_TOWNSHIP, COUNTY, OWN_UNIT, OTHER_UNIT, ANALYST, PLANNER, ADMIN)

# who may act, by the level holding the matter (0 community, 1 township, 2 county)
DISPATCHING = {0: {OWN_COMMUNITY, OWN_TOWNSHIP, COUNTY}, 1: {OWN_TOWNSHIP, COUNTY},
               2: {COUNTY}}
SUPERVISING = {0: {OWN_TOWNSHIP, COUNTY}, 1: {OWN_TOWNSHIP, COUNTY}, 2: {COUNTY}}
HANDLING = {level: {OWN_UNIT} for level in range(3)}
HOLDING = {0: {OWN_COMMUNITY}, 1: {OWN_TOWNSHIP}, 2: {COUNTY}}
EXPECTED: dict[str, dict[int, set[str]]] = {
    # an escalated matter arrives accepted at the level above: accepting is the community's
    "accept": {0: DISPATCHING[0]}, "reject": {0: DISPATCHING[0]}, "dispatch": DISPATCHING,
    # only the level holding the matter moves it up (nothing above the county)
    "escalate": {0: HOLDING[0], 1: HOLDING[1]},
    # 吹哨 by the holding community or township; it keeps the matter
    "whistle": {0: HOLDING[0], 1: HOLDING[1]},
    "report_in": HANDLING,  # the unit whistled for (the case whistles for the own unit)
    # 督办: the level above the holder (the county supervises what it holds itself)
    "supervise": {0: {OWN_TOWNSHIP, COUNTY}, 1: {COUNTY}, 2: {COUNTY}},
    "return": HANDLING, "start": HANDLING, "progress": HANDLING,
    "request_extension": HANDLING, "resolve": HANDLING,
    "grant_extension": SUPERVISING, "deny_extension": SUPERVISING, "shelve": SUPERVISING,
    "unshelve": SUPERVISING, "review": SUPERVISING,
    "verify": {level: {OWN_WORKER} for level in range(3)},
    "reopen": {level: {OWN_WORKER} | DISPATCHING[level] for level in range(3)},
    "close": {0: {OWN_WORKER, OWN_COMMUNITY}, 1: {OWN_TOWNSHIP}, 2: {COUNTY}},
    "callback": HOLDING,
}
# the steps (as the library's replay takes them) that bring a matter to the action's state
# (an escalated matter is accepted already: its "accept" step is skipped)
BEFORE = {"accept": [], "reject": [], "escalate": [], "dispatch": ["accept"],
          "whistle": [], "supervise": [], "report_in": ["whistle"],
          "return": ["accept", "dispatch"], "start": ["accept", "dispatch"],
          "progress": ["accept", "dispatch"],
          "request_extension": ["accept", "dispatch"],
          "resolve": ["accept", "dispatch", "start"],
          "shelve": ["accept", "dispatch", "start"],
          "grant_extension": ["accept", "dispatch", "start", "request_extension"],
          "deny_extension": ["accept", "dispatch", "start", "request_extension"],
          "unshelve": ["accept", "dispatch", "start", "shelve"],
          "review": ["accept", "dispatch", "start", "shelve"],
          "verify": ["accept", "dispatch", "start", "resolve"],
          "reopen": ["accept", "dispatch", "start", "resolve"],
          "close": ["accept", "dispatch", "start", "resolve", "verify"],
          "callback": ["accept", "dispatch", "start", "resolve", "verify"]}
ROLE_OF_STEP = {"accept": "command_centre", "dispatch": "command_centre", "start": "unit",
                "request_extension": "unit", "shelve": "command_centre", "resolve": "unit",
                "verify": "grid_worker", "escalate": "command_centre",
                "whistle": "township"}


@pytest.fixture(scope="module")
def small_layers() -> Layers:
    """A district of two townships (the tests' usual small one has one)."""
    return sample_district(scale=0.15, seed=7)


@pytest.fixture(scope="module")
def app(small_layers, tmp_path_factory):
    """One service for the module (every case prepares its own incidents)."""
    store = SQLiteStore(tmp_path_factory.mktemp("matrix") / "incidents.sqlite")
    store.staff.save_many(district_roster(small_layers))  # one transaction
    yield create_app(Settings(), layers=small_layers, store=store,
                     clock=ManualClock(dt.datetime(2026, 11, 2, 9)))
    store.close()


@pytest.fixture(scope="module")
def desk(app, small_layers) -> Desk:
    return Desk(app, district_roster(small_layers))


@pytest.fixture(scope="module")
def place(small_layers, desk):
    """The people around one grid: its own and those next door or elsewhere."""
    grids, communities = small_layers.grids, small_layers.communities
    by_community = grids.groupby("community_code").size()
    community = by_community[by_community >= 2].index[0]
    mine, neighbour = grids[grids["community_code"] == community].iloc[:2].itertuples()
    township = communities.loc[community, "township_code"]
    other_community = communities[(communities["township_code"] == township)
                                  & (communities.index != community)].index[0]
    other_township = next(t for t in small_layers.townships.index if t != township)
    units = list(small_layers.units["unit_id"][:2])
    people = {OWN_WORKER: f"wg{mine.code}", OTHER_WORKER: f"wg{neighbour.code}",
              OWN_COMMUNITY: f"sq{community}", OTHER_COMMUNITY: f"sq{other_community}",
              OWN_TOWNSHIP: f"jd{township}", OTHER_TOWNSHIP: f"jd{other_township}",
              COUNTY: desk.county.staff_id, OWN_UNIT: f"dw{units[0]}",
              OTHER_UNIT: f"dw{units[1]}", ANALYST: "fx01", PLANNER: "gh01", ADMIN: "gl01"}
    point = mine.geometry.representative_point()
    return {"people": people, "lon": point.x, "lat": point.y, "unit": units[0],
            "grid": mine.code}


def _prepared(dispatcher: Dispatcher, place: dict, action: str, level: int) -> str:
    """A matter held at ``level`` and standing where ``action`` can be taken.

    For supervision the report is two days old (its deploy limit of a day is
    past); escalating gives fresh deadlines, so a matter to supervise at a
    higher level is escalated back then.
    """
    now = dispatcher.clock()
    back = dt.timedelta(days=2 + 2 * level) if action == "supervise" else dt.timedelta()
    inc, _ = dispatcher.report(lon=place["lon"], lat=place["lat"], category="D01",
                               description="矩阵测试", actor="test", source="hotline",
                               reported_at=now - back)
    iid = inc["incident_id"]
    assert inc["grid_code"] == place["grid"]
    for i in range(level):
        dispatcher.transition(iid, action="escalate", actor="test", role="command_centre",
                              note="提级", at=now - back + dt.timedelta(days=i + 1) if back
                              else None)
    for step in BEFORE[action]:
        if step == "accept" and level > 0:
            continue
        dispatcher.transition(iid, action=step, actor="test", role=ROLE_OF_STEP[step],
                              unit_id=place["unit"], unit_ids=[place["unit"]], note="理由",
                              hours=24.0, lon=place["lon"], lat=place["lat"])
    return iid


def _inputs(action: str, place: dict) -> dict:
    body: dict = {"action": action, "note": "理由"}
    if action == "dispatch":
        body["unit_id"] = place["unit"]
    if action == "request_extension":
        body["hours"] = 24
    if action in ("close", "callback"):
        body["satisfaction"] = 5
    if action == "verify":
        body |= {"lon": place["lon"], "lat": place["lat"]}
    if action == "whistle":
        body["unit_ids"] = [place["unit"]]
    if action == "report_in":
        body |= {"place": "社区综治中心", "staff": "张三、李四"}
    return body


CASES = [(action, level) for action, by_level in EXPECTED.items() for level in by_level]


@pytest.mark.parametrize(("action", "level"), CASES, ids=[f"{a}@{lv}" for a, lv in CASES])
def test_who_may_take_each_action_at_each_level(app, desk, place, action, level):
    dispatcher = app.state.dispatcher
    allowed = EXPECTED[action][level]
    url = "/incidents/{}/transitions"
    with TestClient(app, raise_server_exceptions=False) as client:
        shared = _prepared(dispatcher, place, action, level)
        for who in EVERYONE:
            if who in allowed:
                continue
            r = client.post(url.format(shared), json=_inputs(action, place),
                            headers=desk.headers(place["people"][who]))
            assert r.status_code == 403, (who, r.text)
            body = r.json()
            assert body["detail"] and " / " in body["detail"], body  # Chinese / English
        after = dispatcher.incident(shared)
        steps = [s for s in BEFORE[action] if not (s == "accept" and level > 0)]
        assert after["version"] == 1 + level + len(steps)  # refusals wrote nothing
        for who in allowed:
            iid = _prepared(dispatcher, place, action, level)
            headers = desk.headers(place["people"][who])
            seen = client.get(f"/incidents/{iid}", headers=headers).json()
            assert action in seen["allowed_actions"], (who, seen["allowed_actions"])
            if action == "verify":  # on site, with a photo of it
                upload_site_photo(client, iid, headers)
            r = client.post(url.format(iid), json=_inputs(action, place), headers=headers)
            assert r.status_code == 200, (who, r.text)
            last = r.json()["events"][-1]
            assert (last["action"], last["actor"]) == (action, place["people"][who])


def test_each_person_reads_only_their_jurisdiction(app, desk, place, small_layers):
    dispatcher = app.state.dispatcher
    iid = _prepared(dispatcher, place, "resolve", 0)  # dispatched to the own unit
    elsewhere = small_layers.grids[~small_layers.grids["code"].str.startswith(
        place["grid"][:9])].iloc[0].geometry.representative_point()
    far, _ = dispatcher.report(lon=elsewhere.x, lat=elsewhere.y, category="E02",
                               description="另一乡镇的垃圾", actor="test")
    sees = {OWN_WORKER, OWN_COMMUNITY, OWN_TOWNSHIP, COUNTY, OWN_UNIT, ANALYST, PLANNER, ADMIN}
    with TestClient(app, raise_server_exceptions=False) as client:
        for who in EVERYONE:
            headers = desk.headers(place["people"][who])
            r = client.get(f"/incidents/{iid}", headers=headers)
            assert r.status_code == (200 if who in sees else 403), who
            listed = {i["incident_id"] for i in
                      client.get("/incidents", params={"limit": 1000},
                                 headers=headers).json()["items"]}
            assert (iid in listed) == (who in sees), who
            sees_far = who in {COUNTY, ANALYST, PLANNER, ADMIN, OTHER_TOWNSHIP}
            assert (far["incident_id"] in listed) == sees_far, who
        assert client.get("/incidents").status_code == 401
        assert client.get(f"/incidents/{iid}").status_code == 401


def test_only_the_county_runs_supervision(app, desk, place):
    with TestClient(app, raise_server_exceptions=False) as client:
        for who in EVERYONE:
            r = client.post("/supervision", headers=desk.headers(place["people"][who]))
            assert r.status_code == (200 if who in {COUNTY, ADMIN} else 403), who
        assert client.post("/supervision").status_code == 401


def test_reports_only_within_ones_jurisdiction(app, desk, place, small_layers):
    body = {"lon": place["lon"], "lat": place["lat"], "category": "D01", "description": "噪音"}
    may = {OWN_WORKER, OTHER_WORKER, OWN_COMMUNITY, OWN_TOWNSHIP, COUNTY}
    with TestClient(app, raise_server_exceptions=False) as client:
        for who in EVERYONE:
            r = client.post("/incidents", json=body, headers=desk.headers(place["people"][who]))
            assert r.status_code == (201 if who in may else 403), (who, r.text)
        assert client.post("/incidents", json=body).status_code == 401
        r = client.post("/incidents", json=body | {"actor": "区长"},
                        headers=desk.headers(desk.county.staff_id))
        assert r.status_code == 422 and r.json()["field"] == "actor"
