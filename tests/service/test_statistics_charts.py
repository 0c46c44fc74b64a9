"""GET /statistics/charts: rates, rankings and the weekly trend as SVG, in one's jurisdiction."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.settings import Settings
from gridgis import sample_district
from gridgis.store import SQLiteStore
from tests.service.conftest import Desk, ManualClock, district_roster

NOW = dt.datetime(2026, 11, 20, 9, 0)  # a Friday


@pytest.fixture(scope="module")
def two_towns():
    layers = sample_district(scale=0.15, seed=7)
    assert len(layers.townships) == 2
    return layers


@pytest.fixture
def played(two_towns, tmp_path):
    """Week of 11-02: two matters, one closed (satisfied); week of 11-09: two open; 11-16: one."""
    store = SQLiteStore(tmp_path / "s.sqlite")
    store.staff.save_many(district_roster(two_towns))
    clock = ManualClock(NOW)
    app = create_app(Settings(), layers=two_towns, store=store, clock=clock)
    d = app.state.dispatcher
    first = two_towns.townships["code"].iloc[0]
    grids = two_towns.grids[two_towns.grids["code"].str.startswith(first)]
    unit = two_towns.units.loc[two_towns.units["township_code"] == first, "unit_id"].iloc[0]

    def report(i, at):
        p = grids.iloc[i].geometry.representative_point()
        inc, _ = d.report(lon=p.x, lat=p.y, category="D01", description="测试", reported_at=at)
        return inc

    closed = report(0, dt.datetime(2026, 11, 3, 9))
    for action, hours, kw in (("accept", 1, {"role": "community"}),
                              ("dispatch", 2, {"role": "community", "unit_id": unit}),
                              ("start", 3, {"role": "unit"}), ("resolve", 20, {"role": "unit"}),
                              ("verify", 22, {"role": "grid_worker", "lon": closed["lon"],
                                              "lat": closed["lat"]}),
                              ("callback", 23, {"role": "community", "satisfaction": 5})):
        d.transition(closed["incident_id"], action=action, actor="t",
                     at=dt.datetime(2026, 11, 3, 9) + dt.timedelta(hours=hours), **kw)
    report(1, dt.datetime(2026, 11, 4, 10))
    report(0, dt.datetime(2026, 11, 10, 10))
    report(2, dt.datetime(2026, 11, 12, 10))
    report(1, dt.datetime(2026, 11, 17, 10))
    desk = Desk(app, district_roster(two_towns))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, desk, first, grids
    store.close()


PARAMS = {"from": "2026-11-01", "to": "2026-11-20", "weeks": 4}


def test_the_county_gets_rates_rankings_and_the_weekly_trend(played):
    client, desk, first, _ = played
    r = client.get("/statistics/charts", params=PARAMS, headers=desk.headers(desk.county.staff_id))
    assert r.status_code == 200, r.text
    body = r.json()
    charts = {c["key"]: c for c in body["charts"]}
    assert list(charts) == ["rates", "townships", "units", "workers", "trend"]
    assert body["figures"]["closure_rate"] == pytest.approx(1 / 5)
    assert body["figures"]["satisfied_rate"] == pytest.approx(1.0)
    for chart in charts.values():
        assert chart["svg"].startswith("<svg") and chart["title"] in chart["svg"]
        assert not re.search(r"href=\"https?:", chart["svg"])  # nothing fetched from elsewhere
    trend = {(row["series"], row["key"]): row["value"] for row in charts["trend"]["rows"]}
    assert trend[("closure_rate", "2026-11-02")] == pytest.approx(0.5)
    assert trend[("closure_rate", "2026-11-09")] == 0.0
    assert trend[("closure_rate", "2026-10-26")] is None  # nothing reported that week
    assert "办结率" in charts["trend"]["svg"] and "11-02" in charts["trend"]["svg"]
    towns = charts["townships"]["rows"]
    assert towns and towns[0]["key"] == first
    values = [row["value"] for row in towns]
    assert values == sorted(values, reverse=True) and all(0 <= v <= 100 for v in values)
    workers = charts["workers"]["rows"]
    assert workers and all(row["key"].startswith("wg") for row in workers)
    assert [row["value"] for row in workers] == sorted((row["value"] for row in workers),
                                                       reverse=True)


def test_a_community_sees_its_own_workers_and_no_township_ranking(played):
    client, desk, _, grids = played
    community = grids.iloc[0]["community_code"]
    r = client.get("/statistics/charts", params=PARAMS, headers=desk.headers(f"sq{community}"))
    charts = {c["key"]: c for c in r.json()["charts"]}
    assert charts["townships"]["rows"] == [] and charts["townships"]["svg"] is None
    workers = charts["workers"]["rows"]
    assert workers and all(row["key"][2:].startswith(community) for row in workers)


def test_english_titles_on_asking(played):
    client, desk, _, _ = played
    r = client.get("/statistics/charts", params={**PARAMS, "lang": "en"},
                   headers=desk.headers(desk.county.staff_id))
    trend = next(c for c in r.json()["charts"] if c["key"] == "trend")
    assert trend["title"].startswith("the last 4 weeks") and "closure rate" in trend["svg"]


@pytest.mark.parametrize(("params", "field"), [
    ({"weeks": 0}, "weeks"), ({"weeks": 53}, "weeks"), ({"lang": "fr"}, "lang"),
    ({"from": "2026-13-01"}, "from"), ({"from": "2026-11-20", "to": "2026-11-01"}, "to"),
])
def test_bad_input_is_refused_with_its_field(played, params, field):
    client, desk, _, _ = played
    r = client.get("/statistics/charts", params=params,
                   headers=desk.headers(desk.county.staff_id))
    assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_signed_in_only(played):
    client, *_ = played
    assert client.get("/statistics/charts").status_code == 401
