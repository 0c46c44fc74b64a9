"""Extreme input answers 4xx naming the field, never 500 (issue 15, item 7)."""

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.deps import MAX_OFFSET
from api.settings import Settings
from gridgis.store import SQLiteStore
from tests.conftest import county_headers
from tests.service.conftest import OPEN311_KEYS
from tests.service.test_incidents import act, report

PROBLEM = "application/problem+json"
# converting these to China time (UTC+8) leaves the years 1 to 9999
OVERFLOWING = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]


def assert_problem(r, status, field):
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["field"] == field


def assert_georeport(r, field):
    assert r.status_code == 400, r.text
    [error] = r.json()
    assert error["code"] == 400 and field in error["description"]


@pytest.fixture
def roomy(small_layers, tmp_path, clock):
    """A client whose body limit lets a 30,000-deep JSON document through."""
    store = SQLiteStore(tmp_path / "roomy.sqlite")
    app = create_app(Settings(max_body_bytes=100_000), layers=small_layers, store=store,
                     clock=clock)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    store.close()


@pytest.mark.parametrize("value", OVERFLOWING)
@pytest.mark.parametrize("param", ["from", "to"])
def test_listing_times_beyond_the_calendar(client, param, value):
    assert_problem(client.get("/incidents", params={param: value}), 422, param)


@pytest.mark.parametrize("value", OVERFLOWING)
@pytest.mark.parametrize("param", ["start_date", "end_date"])
def test_open311_times_beyond_the_calendar(client, param, value):
    assert_georeport(client.get("/open311/v2/requests.json", params={param: value}), param)


@pytest.mark.parametrize("value", [*OVERFLOWING, "0001-01-01T00:00:00", "0001-01-01",
                                   "9999-12-31T23:59:59"])
def test_report_times_beyond_the_calendar(client, inside_point, value):
    assert_problem(report(client, inside_point, reported_at=value), 422, "reported_at")


def test_blank_description_and_future_time_name_their_field(client, inside_point, clock):
    assert_problem(report(client, inside_point, description="  \n "), 422, "description")
    future = (clock.now + dt.timedelta(hours=1)).isoformat()
    r = report(client, inside_point, reported_at=future)
    assert_problem(r, 422, "reported_at")
    assert "future" in r.json()["detail"]


def test_oldest_report_is_a_setting(small_layers, tmp_path, clock, inside_point):
    store = SQLiteStore(tmp_path / "old.sqlite")
    app = create_app(Settings(oldest_report_days=30), layers=small_layers, store=store,
                     clock=clock)
    with TestClient(app, raise_server_exceptions=False, headers=county_headers(app)) as c:
        too_old = (clock.now - dt.timedelta(days=31)).isoformat()
        r = report(c, inside_point, reported_at=too_old)
        assert_problem(r, 422, "reported_at")
        assert "30" in r.json()["detail"]
        ok = report(c, inside_point, reported_at=(clock.now - dt.timedelta(days=29)).isoformat())
        assert ok.status_code == 201, ok.text
    store.close()


def test_the_default_bound_admits_five_years(client, inside_point, clock):
    def days_back(days):
        return (clock.now - dt.timedelta(days=days)).isoformat()

    ok = report(client, inside_point, reported_at=days_back(1800))
    assert ok.status_code == 201, ok.text
    old = report(client, inside_point, reported_at=days_back(1831))
    assert_problem(old, 422, "reported_at")


@pytest.mark.parametrize(("path", "status"), [("/incidents", 422),
                                              ("/collections/grids/items", 400)])
def test_offset_is_bounded_on_every_listing(client, path, status):
    # OGC API Features answers a malformed parameter with 400, the service's own listing 422
    for offset in (2**63, 2**64, MAX_OFFSET + 1):
        assert_problem(client.get(path, params={"offset": offset}), status, "offset")
    r = client.get(path, params={"offset": MAX_OFFSET})
    assert r.status_code == 200, r.text
    assert r.json()["numberReturned" if "collections" in path else "returned"] == 0


def test_open311_json_nested_30000_deep(roomy):
    deep = "[" * 30_000 + "]" * 30_000
    r = roomy.post("/open311/v2/requests.json", content=deep,
                   headers={"content-type": "application/json"})
    assert_georeport(r, "body")
    inner = '{"service_code": "D01", "lat": ' + deep + "}"
    r = roomy.post("/open311/v2/requests.json", content=inner,
                   headers={"content-type": "application/json"})
    assert_georeport(r, "body")


def test_json_nested_too_deep_elsewhere_names_the_body(roomy, inside_point):
    deep = '{"lon": ' + "[" * 30_000 + "]" * 30_000 + "}"
    for path in ("/incidents", "/incidents/E20261102-0001/transitions"):
        r = roomy.post(path, content=deep, headers={"content-type": "application/json"})
        assert_problem(r, 400, "body")


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("field", ["lat", "long"])
def test_open311_coordinates_must_be_finite(client, inside_point, field, value):
    body = {"service_code": "D01", "lat": str(inside_point["lat"]),
            "long": str(inside_point["lon"]), "description": "井盖缺失",
            "api_key": OPEN311_KEYS["app"]}
    raw = json.dumps(body).replace(f'"{body[field]}"', value)
    r = client.post("/open311/v2/requests.json", content=raw,
                    headers={"content-type": "application/json"})
    assert_georeport(r, field)
    r = client.post("/open311/v2/requests.json", data=body | {field: value})
    assert_georeport(r, field)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_report_and_transition_numbers_must_be_finite(client, inside_point, value):
    raw = json.dumps({"lon": inside_point["lon"], "lat": 0.0, "category": "D01",
                      "description": "井盖缺失"}).replace("0.0", value)
    r = client.post("/incidents", content=raw, headers={"content-type": "application/json"})
    assert_problem(r, 422, "lat")
    iid = report(client, inside_point).json()["incident_id"]
    for field in ("hours", "satisfaction"):
        raw = json.dumps({"action": "close", "actor": "t", "role": "community", field: 1.5}
                         ).replace("1.5", value)
        r = client.post(f"/incidents/{iid}/transitions", content=raw,
                        headers={"content-type": "application/json"})
        assert_problem(r, 422, field)
    assert_problem(act(client, iid, "request_extension", "unit", hours=1e308), 422, "hours")


def test_huge_bbox_and_limit_name_their_field(client):
    for path, status in (("/incidents", 422), ("/collections/grids/items", 400)):
        assert_problem(client.get(path, params={"bbox": "-1e400,-90,1e400,90"}), status,
                       "bbox")
        assert_problem(client.get(path, params={"bbox": "nan,nan,nan,nan"}), status, "bbox")
    assert_problem(client.get("/incidents", params={"limit": 2**70}), 422, "limit")
    # OGC API Features serves a limit above the maximum as the maximum
    r = client.get("/collections/grids/items", params={"limit": 2**70})
    assert r.status_code == 200 and r.json()["numberReturned"] > 0
