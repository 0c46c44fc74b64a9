"""A busy store stalls only the requests that wait for it, and a locked one answers 503."""

import inspect
import threading

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from gridgis.store import SQLiteStore
from tests.conftest import county_headers
from tests.service.conftest import OPEN311_KEYS
from tests.service.test_incidents import report
from tests.test_store_limits import write_lock

WAIT = 60  # seconds: generous bounds on waits for conditions, never asserted as timings


def serve(small_layers, clock, store):
    app = create_app(Settings(open311_keys=OPEN311_KEYS), layers=small_layers, store=store,
                     clock=clock)
    return TestClient(app, raise_server_exceptions=False, headers=county_headers(app))


def api_routes(routes):
    """Every API route, also those of included routers."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # FastAPI includes lazily
        if included is not None:
            yield from api_routes(included.routes)


# routes allowed on the event loop, each for a reason the tests below check
ON_THE_EVENT_LOOP = {
    "/locate": "compiled lookups and one staff read, which WAL never blocks",
    "/patrols/gpx": "awaits the upload, then records in a worker thread",
    "/events/ticket": "signs a ticket; sign-in is a dependency that runs in a worker thread",
    "/events/stream": "an open stream: its staff read and every store poll run in worker "
                      "threads (run_in_threadpool)",
}


def test_no_route_waits_for_the_store_on_the_event_loop(client):
    routes = list(api_routes(client.app.routes))
    assert ("/open311/v2/requests.json", "POST") in {(r.path, m) for r in routes
                                                      for m in r.methods}
    on_loop = {r.path for r in routes if inspect.iscoroutinefunction(r.endpoint)}
    assert on_loop == set(ON_THE_EVENT_LOOP)


def test_a_waiting_open311_report_leaves_other_requests_alone(small_layers, tmp_path, clock,
                                                               inside_point):
    path = tmp_path / "busy.sqlite"
    store = SQLiteStore(path, busy_timeout=600)  # waits far longer than this test does
    entered = threading.Event()

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _signal(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            entered.set()  # the report has reached the store: it now waits for the lock

    answers = {}

    def ask(name, method, url, **kw):
        answers[name] = getattr(c, method)(url, **kw)

    with serve(small_layers, clock, store) as c:
        with write_lock(path):
            writer = threading.Thread(target=ask, args=("open311", "post",
                                                        "/open311/v2/requests.json"), kwargs={
                "data": {"service_code": "D01", "lat": inside_point["lat"],
                         "long": inside_point["lon"], "description": "路灯不亮",
                         "api_key": OPEN311_KEYS["app"]}})
            writer.start()
            assert entered.wait(WAIT)
            for name, url in (("categories", "/categories"), ("locate", (
                    f"/locate?lon={inside_point['lon']}&lat={inside_point['lat']}"))):
                reader = threading.Thread(target=ask, args=(name, "get", url))
                reader.start()
                reader.join(WAIT)
                assert not reader.is_alive(), f"GET {url} stalled behind the locked store"
                assert answers[name].status_code == 200, answers[name].text
            assert writer.is_alive()  # still waiting for the lock we hold
        writer.join(WAIT)
        assert not writer.is_alive()
        assert answers["open311"].status_code == 201, answers["open311"].text
    store.close()


@pytest.fixture
def impatient(small_layers, tmp_path, clock):
    path = tmp_path / "locked.sqlite"
    store = SQLiteStore(path, busy_timeout=0.2)
    with serve(small_layers, clock, store) as c:
        yield c, path
    store.close()


def test_a_locked_store_answers_503_with_retry_after(impatient, inside_point):
    c, path = impatient
    before = report(c, inside_point).json()["incident_id"]
    with write_lock(path):
        r = report(c, inside_point)
        assert r.status_code == 503, r.text
        # readers never take the write lock: they read the last commit meanwhile
        listed = c.get("/incidents")
        assert listed.status_code == 200 and listed.json()["matched"] == 1
        assert c.get(f"/incidents/{before}").status_code == 200
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["Retry-After"]) >= 1
        assert "locked" in r.json()["detail"]
        r = c.post("/open311/v2/requests.json", data={
            "service_code": "D01", "lat": inside_point["lat"], "long": inside_point["lon"],
            "description": "路灯不亮", "api_key": OPEN311_KEYS["app"]})
        assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1
    r = report(c, inside_point)
    assert r.status_code == 201, r.text
