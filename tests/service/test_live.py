"""Live updates across service processes: a step taken on one reaches streams on another.

Two ``gridgis serve`` processes share one store (a SQLite file, then a PostGIS
database); a dispatcher acts through the first while others listen on the second.
Every wait is on a message arriving, bounded by a generous timeout.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from gridgis import sample_district, write_layers
from gridgis.people.passwords import hash_password
from tests.conftest import serving
from tests.service.conftest import district_roster
from tests.sse_reader import Stream, open_stream

PASSWORD = "网格2026-grid"


def _call(base, path, *, token=None, body=None, form=None, headers=None):
    """(status, JSON answer) of one request."""
    sent = {"Authorization": f"Bearer {token}"} if token else {}
    sent |= headers or {}
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
    elif body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, headers=sent,
                                     method="POST" if data is not None or path.endswith(
                                         "/ticket") else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


class Site:
    """Two service processes on one store, and the people who sign in to them."""

    def __init__(self, bases: list[str], layers) -> None:
        self.bases = bases
        roster = {p.staff_id: p for p in district_roster(layers)}
        grids = layers.grids
        self.grid = grids.iloc[3]
        township = self.grid["code"][:9]  # a grid's code begins with its township's
        other = grids[grids["code"].str[:9] != township].iloc[0]
        self.other_grid = other
        self.people = {
            "community": roster[f"sq{self.grid['community_code']}"],
            "township": roster[f"jd{township}"],
            "other_township": roster[f"jd{other['code'][:9]}"],
            "county": next(p for p in roster.values() if p.role == "command_centre"),
        }
        self._tokens: dict[tuple[str, str], str] = {}
        self.streams: list[Stream] = []

    def token(self, who: str, base: str) -> str:
        key = (who, base)
        if key not in self._tokens:
            status, answer = _call(base, "/auth/token", form={
                "username": self.people[who].staff_id, "password": PASSWORD})
            assert status == 200, answer
            self._tokens[key] = answer["access_token"]
        return self._tokens[key]

    def listen(self, who: str, base: str, *, after: str | None = None) -> Stream:
        status, answer = _call(base, "/events/ticket", token=self.token(who, base))
        assert status == 200, answer
        assert answer["expires_in"] == 60 and answer["stream"].endswith(answer["ticket"])
        headers = {"Last-Event-ID": after} if after is not None else None
        status, stream = open_stream(base, answer["stream"], headers)
        assert status == 200, stream
        self.streams.append(stream)
        return stream

    def report(self, base: str, grid) -> str:
        p = grid.geometry.representative_point()
        status, made = _call(base, "/incidents", token=self.token("county", base), body={
            "lon": p.x, "lat": p.y, "category": "E02",
            "description": "路口垃圾堆放三天无人清理", "reporter": {
                "name": "王小明", "phone": "13800138000"}})
        assert status == 201, made
        return made["incident_id"]


@contextlib.contextmanager
def _site(spec, gpkg, layers, tmp_path, open_store):
    store = open_store()
    site = Site([], layers)
    for person in site.people.values():
        store.staff.save(person, password_hash=hash_password(PASSWORD))
    store.close()
    with contextlib.ExitStack() as stack:
        for name in ("a", "b"):
            site.bases.append(stack.enter_context(
                serving(gpkg, spec, tmp_path / f"server-{name}.log")))
        try:
            yield site
        finally:
            for stream in site.streams:
                stream.close()
    for name in ("a", "b"):
        assert "Traceback" not in (tmp_path / f"server-{name}.log").read_text()


@pytest.fixture(scope="module")
def towns(tmp_path_factory):
    """A sample district of two townships (the small one has one), written once."""
    layers = sample_district(scale=0.15, seed=7)
    assert layers.grids["code"].str[:9].nunique() == 2
    return layers, write_layers(layers, tmp_path_factory.mktemp("towns") / "towns.gpkg")


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def site(request, towns, tmp_path_factory):
    """Two services on one store of each backend, started once for this module's tests."""
    from tests.pgcluster import Backend

    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        backend = Backend("sqlite", str(folder / "district.incidents.sqlite"), folder)
    else:
        cluster = request.getfixturevalue("postgres_cluster")
        backend = Backend("postgis", cluster.new_database(), folder)
    layers, gpkg = towns
    with _site(backend.spec, gpkg, layers, folder, backend.open) as s:
        yield s
    if request.param == "postgis":
        cluster.drop_database(backend.spec)


def _is_change(incident_id, action=None):
    return lambda m: m.event == "change" and m.data["incident"]["incident_id"] == incident_id \
        and (action is None or m.data["event"]["action"] == action)


def test_a_step_on_one_worker_reaches_streams_on_another(site):
    a, b = site.bases
    township = site.listen("township", b)
    other = site.listen("other_township", b)
    for stream in (township, other):
        stream.wait_for(lambda m: m.event == "ready")
    iid = site.report(a, site.grid)
    seen = township.wait_for(_is_change(iid, "report"))
    assert seen.data["incident"]["status"] == "reported"
    status, moved = _call(a, f"/incidents/{iid}/transitions", token=site.token("community", a),
                          body={"action": "accept", "version": 1})
    assert status == 200, moved
    accepted = township.wait_for(_is_change(iid, "accept"))
    assert accepted.data["incident"]["status"] == "accepted"
    assert accepted.data["incident"]["version"] == 2
    assert accepted.data["event"]["actor"] == site.people["community"].staff_id
    assert int(accepted.id) > int(seen.id)
    # masked as elsewhere: no reporter's details; of the event no note, data or address
    assert "reporter" not in accepted.data["incident"]
    text = json.dumps([m.data for m in township.seen], ensure_ascii=False)
    assert "13800138000" not in text and "王小明" not in text
    assert set(accepted.data["event"]) == {"event_id", "at", "actor", "role", "action",
                                           "from_state", "to_state"}
    # the other township's stream: its own matter arrives, and nothing of the first before
    theirs = site.report(a, site.other_grid)
    other.wait_for(_is_change(theirs, "report"))
    assert other.changes_of(iid) == []
    # and the first township's stream: a later step of its own arrives, the other's never
    status, moved = _call(a, f"/incidents/{iid}/transitions", token=site.token("community", a),
                          body={"action": "escalate", "version": 2, "note": "需街道协调"})
    assert status == 200, moved
    township.wait_for(_is_change(iid, "escalate"))
    assert township.changes_of(theirs) == []


def test_a_stream_resumes_after_its_last_event(site):
    a, b = site.bases
    first = site.listen("township", b)
    ready = first.wait_for(lambda m: m.event == "ready")
    iid = site.report(a, site.grid)
    reported = first.wait_for(_is_change(iid, "report"))
    first.close()  # the console goes away (a train through a tunnel)
    # while nobody listens: two steps through the other worker
    for version, action in ((1, "accept"), (2, "dispatch")):
        body = {"action": action, "version": version}
        if action == "dispatch":
            status, detail = _call(a, f"/incidents/{iid}", token=site.token("community", a))
            body["unit_id"] = detail["candidate_units"][0]["unit_id"]
        status, moved = _call(a, f"/incidents/{iid}/transitions",
                              token=site.token("community", a), body=body)
        assert status == 200, moved
    again = site.listen("township", b, after=reported.id)
    resumed = again.wait_for(lambda m: m.event == "ready")
    assert resumed.data["resumed"] is True and resumed.data["replayed"] == 2
    again.wait_for(_is_change(iid, "dispatch"))
    assert [m.data["event"]["action"] for m in again.changes_of(iid)] == ["accept", "dispatch"]
    assert int(ready.id) < int(reported.id)


def test_the_stream_needs_a_ticket(site):
    a, b = site.bases
    bearer = site.token("township", b)
    for path, headers in (("/events/stream", None),
                          ("/events/stream?ticket=not-a-ticket", None),
                          (f"/events/stream?ticket={bearer}", None),  # a token is no ticket
                          ("/events/stream", {"Authorization": f"Bearer {bearer}"})):
        status, answer = open_stream(b, path, headers)
        assert status == 401, (path, answer)
        assert "凭证" in answer["detail"]
    status, answer = _call(b, "/events/ticket")
    assert status == 401 and "登录" in answer["detail"]
    status, made = _call(b, "/events/ticket", token=bearer)
    assert status == 200
    # a ticket is no sign-in token either
    status, answer = _call(b, "/auth/me", headers={"Authorization": f"Bearer {made['ticket']}"})
    assert status == 401
    # signed with its service's key: a service with another key refuses it, with a reason
    status, answer = open_stream(a, made["stream"])
    assert status == 401 and "凭证" in answer["detail"]
