"""The patrol routes: who may record and read, validation in Chinese, GPX, compliance."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import shapely

from gridgis.crs import from_wgs84


@pytest.fixture
def zone(small_layers):
    """A high zone (or any) of a grid and a walk across it: 30 points, 20 s apart."""
    zones = small_layers.patrol_zones
    z = zones[zones["level"] == "high"].iloc[0] if (zones["level"] == "high").any() \
        else zones.iloc[0]
    inner = z.geometry.buffer(-0.0003)
    minx, _, maxx, _ = inner.bounds
    c = inner.representative_point()
    lon = np.linspace(minx, maxx, 30)
    keep = [inner.contains(shapely.Point(x, c.y)) for x in lon]
    lon = lon[keep] if sum(keep) >= 5 else np.full(10, c.x) + np.arange(10) * 1e-5
    return {"zone_id": z["zone_id"], "grid_code": z["grid_code"], "lon": lon,
            "lat": np.full(len(lon), c.y), "community": z["grid_code"][:12]}


def points(lon, lat, start=dt.datetime(2026, 11, 2, 7, 0), step=60):
    return [{"lon": float(x), "lat": float(y), "at": (start + dt.timedelta(seconds=step * i))
             .isoformat()} for i, (x, y) in enumerate(zip(lon, lat, strict=True))]


def post(client, who, body):
    return client.post("/patrols", json=body, headers=client.desk.headers(who))


def test_a_grid_worker_records_a_patrol_under_their_own_name(client, zone):
    worker = f"wg{zone['grid_code']}"
    r = post(client, worker, {"points": points(zone["lon"], zone["lat"]),
                              "note": "person: someone-else"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["person"] == worker and body["grid_code"] == zone["grid_code"]
    assert zone["zone_id"] in [v["zone_id"] for v in body["visits"]]
    assert body["length_m"] > 0 and body["jumps"] == 0 and body["kind"] == "track"
    assert r.headers["Location"] == f"/patrols/{body['patrol_id']}"
    got = client.get(f"/patrols/{body['patrol_id']}", headers=client.desk.headers(worker))
    assert got.status_code == 200 and got.json()["visits"]


def test_gcj02_check_in_and_a_flagged_jump(client, zone):
    worker = f"wg{zone['grid_code']}"
    glon, glat = from_wgs84(zone["lon"][:1], zone["lat"][:1], "gcj02")
    r = post(client, worker, {"points": points(glon, glat), "crs": "gcj02"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "checkin" and body["input_crs"] == "gcj02"
    assert [v["zone_id"] for v in body["visits"]] == [zone["zone_id"]]
    lon = list(zone["lon"][:4])
    lon[2] += 0.05  # five kilometres off for one fix, 20 s apart
    r = post(client, worker, {"points": points(lon, zone["lat"][:4], step=20)})
    assert r.status_code == 201, r.text
    assert r.json()["jump_indices"] == [1, 2] and r.json()["jumps"] == 2


def test_refusals_and_reasons_in_chinese(client, anonymous, zone):
    body = {"points": points(zone["lon"], zone["lat"])}
    assert anonymous.post("/patrols", json=body).status_code == 401
    r = post(client, f"sq{zone['community']}", body)
    assert r.status_code == 403 and "网格员" in r.json()["detail"]
    backwards = {"points": points(zone["lon"], zone["lat"])[::-1]}
    r = post(client, f"wg{zone['grid_code']}", backwards)
    assert r.status_code == 422 and "先后" in r.json()["detail"]
    future = {"points": points(zone["lon"], zone["lat"], start=dt.datetime(2026, 11, 3))}
    r = post(client, f"wg{zone['grid_code']}", future)
    assert r.status_code == 422 and "晚于现在" in r.json()["detail"]
    far = {"points": points([100.0, 100.001], [30.0, 30.0])}
    assert post(client, f"wg{zone['grid_code']}", far).status_code == 422
    assert post(client, f"wg{zone['grid_code']}", {"points": []}).status_code == 422


def test_reads_are_scoped(client, small_layers, zone):
    worker = f"wg{zone['grid_code']}"
    assert post(client, worker, {"points": points(zone["lon"], zone["lat"])}).status_code == 201
    other = next(f"wg{g}" for g in small_layers.grids["code"] if g != zone["grid_code"])
    mine = client.get("/patrols", headers=client.desk.headers(worker)).json()
    assert mine["matched"] == 1 and mine["items"][0]["person"] == worker
    theirs = client.get("/patrols", headers=client.desk.headers(other)).json()
    assert theirs["matched"] == 0
    assert client.get(f"/patrols?person={worker}",
                      headers=client.desk.headers(other)).status_code == 403
    patrol_id = mine["items"][0]["patrol_id"]
    assert client.get(f"/patrols/{patrol_id}",
                      headers=client.desk.headers(other)).status_code == 404
    community = client.get("/patrols", headers=client.desk.headers(f"sq{zone['community']}"))
    assert community.json()["matched"] == 1
    elsewhere = next(f"sq{c}" for c in small_layers.communities["code"]
                     if c != zone["community"])
    assert client.get("/patrols", headers=client.desk.headers(elsewhere)).json()["matched"] == 0
    assert client.get("/patrols?grid=" + zone["grid_code"]).json()["matched"] == 1  # county
    assert client.get("/patrols?from=2026-11-03T00:00:00").json()["matched"] == 0
    unit = next(p for p in client.desk.people.values() if p.role == "unit")
    assert client.get("/patrols", headers=client.desk.headers(unit.staff_id)).status_code == 403


GPX = """<?xml version="1.0"?><gpx version="1.1" creator="test"><trk><name>晨巡</name><trkseg>
{pts}</trkseg></trk></gpx>"""


def test_gpx_upload_and_a_garbled_file(client, zone):
    worker = f"wg{zone['grid_code']}"
    start = dt.datetime(2026, 11, 1, 23, 0)  # UTC: 07:00 China time on 11-02
    pts = "".join(f'<trkpt lat="{y}" lon="{x}"><time>'
                  f'{(start + dt.timedelta(minutes=i)):%Y-%m-%dT%H:%M:%S}Z</time></trkpt>'
                  for i, (x, y) in enumerate(zip(zone["lon"], zone["lat"], strict=True)))
    r = client.post("/patrols/gpx", headers=client.desk.headers(worker),
                    files={"file": ("walk.gpx", GPX.format(pts=pts).encode(),
                                    "application/gpx+xml")})
    assert r.status_code == 201, r.text
    [patrol] = r.json()
    assert patrol["source"] == "gpx" and patrol["started_at"].startswith("2026-11-02T07:00")
    assert zone["zone_id"] in [v["zone_id"] for v in patrol["visits"]]
    for junk in (b"\x89PNG\r\n\x1a\n not a gpx", b"<gpx><trk><trkseg><trkpt lat='x'",
                 GPX.format(pts="").encode()):
        r = client.post("/patrols/gpx", headers=client.desk.headers(worker),
                        files={"file": ("bad.gpx", junk, "application/gpx+xml")})
        assert r.status_code == 422 and "GPX" in r.json()["detail"], r.text


def test_compliance_lights_a_missed_high_zone(client, zone):
    worker = f"wg{zone['grid_code']}"
    r = client.get("/patrols/compliance", headers=client.desk.headers(worker))
    assert r.status_code == 200
    before = {z["zone_id"]: z for z in r.json()["zones"]}
    assert set(before) and all(z["grid_code"] == zone["grid_code"] for z in before.values())
    assert before[zone["zone_id"]]["visits"] == 0
    assert before[zone["zone_id"]]["status"] in ("missed", "behind")
    assert post(client, worker, {"points": points(zone["lon"], zone["lat"])}).status_code == 201
    after = {z["zone_id"]: z for z in client.get(
        "/patrols/compliance", headers=client.desk.headers(worker)).json()["zones"]}
    assert after[zone["zone_id"]]["visits"] == 1
    assert after[zone["zone_id"]]["last_visit_at"].startswith("2026-11-02")
    county = client.get("/patrols/compliance?level=high").json()
    assert [lv["level"] for lv in county["levels"]] in (["high"], [])
    assert {lv["level_name"] for lv in county["levels"]} <= {"高频"}
    assert client.get("/patrols/compliance?level=often").status_code == 422
    assert client.get("/patrols/compliance?from=2026-11-02&to=2026-11-01").status_code == 422


def test_times_outside_the_calendar_are_refused_in_chinese(client, zone):
    worker = f"wg{zone['grid_code']}"
    for query in ("to=0070-12-05T02:12:46Z", "from=2300-01-01T00:00:00"):
        r = client.get(f"/patrols/compliance?{query}", headers=client.desk.headers(worker))
        assert r.status_code == 422 and "1970" in r.json()["detail"], r.text
    old = points(zone["lon"][:2], zone["lat"][:2], start=dt.datetime(1066, 10, 14, 9, 0))
    r = post(client, worker, {"points": old})
    assert r.status_code == 422 and "1970" in r.text, r.text


def test_a_gpx_upload_waiting_for_the_store_leaves_other_requests_alone(
        small_layers, tmp_path, clock, zone):
    import threading

    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from api import create_app
    from api.settings import Settings
    from gridgis.store import SQLiteStore
    from tests.service.conftest import Desk, district_roster
    from tests.test_store_limits import write_lock

    path = tmp_path / "busy.sqlite"
    store = SQLiteStore(path, busy_timeout=600)  # waits far longer than this test does
    store.staff.save_many(district_roster(small_layers))
    app = create_app(Settings(), layers=small_layers, store=store, clock=clock)
    desk = Desk(app, district_roster(small_layers))
    worker = f"wg{zone['grid_code']}"
    entered, answers = threading.Event(), {}

    @sa.event.listens_for(store.engine, "before_cursor_execute")
    def _signal(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            entered.set()

    start = dt.datetime(2026, 11, 1, 23, 0)
    pts = "".join(f'<trkpt lat="{y}" lon="{x}"><time>'
                  f'{(start + dt.timedelta(minutes=i)):%Y-%m-%dT%H:%M:%S}Z</time></trkpt>'
                  for i, (x, y) in enumerate(zip(zone["lon"], zone["lat"], strict=True)))
    with TestClient(app, raise_server_exceptions=False) as c:
        def upload():
            answers["gpx"] = c.post("/patrols/gpx", headers=desk.headers(worker), files={
                "file": ("walk.gpx", GPX.format(pts=pts).encode(), "application/gpx+xml")})

        with write_lock(path):
            writer = threading.Thread(target=upload)
            writer.start()
            assert entered.wait(60)
            reader = threading.Thread(target=lambda: answers.setdefault(
                "categories", c.get("/categories", headers=desk.headers(worker))))
            reader.start()
            reader.join(60)
            assert not reader.is_alive(), "GET /categories stalled behind the GPX upload"
            assert answers["categories"].status_code == 200
            assert writer.is_alive()  # still waiting for the lock we hold
        writer.join(60)
        assert not writer.is_alive()
        assert answers["gpx"].status_code == 201, answers["gpx"].text
    store.close()
