"""Replay one day of the sample district's archive through the API and check the rules."""

import datetime as dt

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from gridgis import load_categories
from gridgis.dispatch import light_of
from gridgis.store import SQLiteStore

from .conftest import Desk, ManualClock, district_roster, upload_site_photo

DAY = dt.datetime(2026, 10, 20)
END = DAY + dt.timedelta(days=1)
STAGES = [("accepted_at", "accept", "community"), ("dispatched_at", "dispatch", "township"),
          ("dispatched_at", "start", "unit"), ("resolved_at", "resolve", "unit"),
          ("verified_at", "verify", "grid_worker"), ("closed_at", "close", "grid_worker")]


def _events(day: pd.DataFrame) -> list[tuple]:
    events = []
    for inc in day.itertuples():
        events.append((inc.reported_at, 0, "report", inc))
        if inc.status == "rejected":
            events.append((inc.reported_at + pd.Timedelta(hours=1), 1, "reject", inc))
            continue
        for order, (column, action, _) in enumerate(STAGES, start=1):
            t = getattr(inc, column)
            if pd.notna(t) and t < END:
                events.append((t, order, action, inc))
    events = [e for e in events if e[0] < END]
    return sorted(events, key=lambda e: (e[0], e[3].incident_id, e[1]))


def _expected_state(inc) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """State at the end of the day, and the stage's start and deadline, from the archive."""
    def seen(col):
        t = getattr(inc, col)
        return pd.notna(t) and t < END
    if inc.status == "rejected" and inc.reported_at + pd.Timedelta(hours=1) < END:
        return "rejected", None, None
    if seen("closed_at"):
        return "closed", None, None
    if seen("verified_at"):
        return "verified", inc.verified_at, inc.verified_at + pd.Timedelta(hours=72)
    if seen("resolved_at"):
        return "resolved", inc.resolved_at, inc.resolved_at + pd.Timedelta(hours=24)
    if seen("dispatched_at"):  # 1-3-0: progress is due three days (or less) after the report
        progress_by = inc.reported_at + load_categories().loc[inc.category, "progress"]
        return "in_progress", inc.dispatched_at, progress_by
    # accepted or not, the matter is to be deployed (dispatched) by its respond limit, from
    # the report: the replay does not escalate (the archive's respond_by of an escalated
    # matter counts from its escalation)
    respond_by = inc.reported_at + load_categories().loc[inc.category, "respond"]
    return ("accepted" if seen("accepted_at") else "reported"), inc.reported_at, respond_by


@pytest.fixture(scope="module")
def replay(sample_layers, tmp_path_factory):
    archive = sample_layers.incidents
    day = archive[(archive["reported_at"] >= DAY) & (archive["reported_at"] < END)]
    clock = ManualClock(DAY)
    store = SQLiteStore(tmp_path_factory.mktemp("replay") / "incidents.sqlite")
    people = district_roster(sample_layers)
    for person in people:
        store.staff.save(person)
    app = create_app(Settings(), layers=sample_layers, store=store, clock=clock)
    desk = Desk(app, people)
    ids: dict[str, str] = {}
    with TestClient(app, raise_server_exceptions=False,
                    headers=desk.headers(desk.county.staff_id)) as client:
        for when, _, action, inc in _events(day):
            clock.now = when.to_pydatetime()
            if action == "report":
                r = client.post("/incidents", json={
                    "lon": inc.geometry.x, "lat": inc.geometry.y, "category": inc.category,
                    "description": inc.description, "source": "grid_worker",
                    "reported_at": when.isoformat(), "idempotency_key": inc.incident_id})
                assert r.status_code == 201, r.text
                ids[inc.incident_id] = r.json()["incident_id"]
                continue
            role = {"accept": "community", "dispatch": "township", "start": "unit",
                    "resolve": "unit", "verify": "grid_worker", "close": "grid_worker",
                    "reject": "community"}[action]
            body = {"action": action}
            seen = client.get(f"/incidents/{ids[inc.incident_id]}").json()
            if action == "dispatch":
                body["unit_id"] = inc.unit_id
            if action == "close":
                body["satisfaction"] = inc.satisfaction
            headers = desk.headers(desk.person_for(role, seen))
            if action == "verify":  # on site, at the incident's point, with a photo of it
                body |= {"lon": inc.geometry.x, "lat": inc.geometry.y}
                upload_site_photo(client, ids[inc.incident_id], headers)
            if action == "reject":
                body["note"] = "重复上报"
            r = client.post(f"/incidents/{ids[inc.incident_id]}/transitions", json=body,
                            headers=headers)
            assert r.status_code == 200, (action, r.text)
        clock.now = END
        listing = client.get("/incidents", params={"limit": 1000}).json()
        supervised = client.post("/supervision").json()
        again = client.post("/supervision").json()
        assert again == []  # each overdue stage is supervised once
        after = {i["incident_id"]: i for i in
                 client.get("/incidents", params={"limit": 1000}).json()["items"]}
    store.close()
    return day, ids, listing, supervised, after


def test_every_report_of_the_day_arrived_in_its_grid(replay):
    day, ids, listing, _, after = replay
    assert listing["matched"] == len(day) > 40
    for inc in day.itertuples():
        assert after[ids[inc.incident_id]]["grid_code"] == inc.grid_code


def test_states_and_lights_follow_the_rules(replay):
    day, ids, listing, _, _ = replay
    got = {i["incident_id"]: i for i in listing["items"]}
    expected_counts: dict[str, int] = {}
    for inc in day.itertuples():
        state, start, due = _expected_state(inc)
        expected_counts[state] = expected_counts.get(state, 0) + 1
        item = got[ids[inc.incident_id]]
        assert item["status"] == state, inc.incident_id
        light = "none" if due is None else light_of(END, start, due.to_pydatetime())
        assert item["light"] == light, (inc.incident_id, state)
    statuses = pd.Series([i["status"] for i in listing["items"]]).value_counts().to_dict()
    assert statuses == expected_counts
    lights = pd.Series([i["light"] for i in listing["items"]]).value_counts().to_dict()
    assert {k: v for k, v in listing["lights"].items() if v} == lights
    order = [i["light"] for i in listing["items"]]
    rank = {"red": 0, "yellow": 1, "green": 2, "none": 3}
    assert order == sorted(order, key=rank.get)  # red pinned on top


def test_overdue_work_is_supervised_once_and_stays_with_its_holder(replay):
    _, _, listing, supervised, after = replay
    red = {i["incident_id"] for i in listing["items"] if i["light"] == "red"}
    assert red and {i["incident_id"] for i in supervised} == red
    for iid, item in after.items():
        assert item["supervisions"] == (1 if iid in red else 0)
        assert item["escalation_level"] == 0  # supervision moves nothing: escalation does
