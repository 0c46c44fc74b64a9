"""GET /statistics: the figures of one's own jurisdiction, a period, and no 5xx for any input."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api import create_app
from api.routes.statistics import Statistics
from api.settings import Settings
from gridgis import sample_district
from gridgis.store import SQLiteStore
from tests.service.conftest import Desk, ManualClock, district_roster

NOW = dt.datetime(2026, 11, 2, 9, 0)


@pytest.fixture(scope="module")
def two_towns():
    """A small district of two townships."""
    layers = sample_district(scale=0.15, seed=7)
    assert len(layers.townships) == 2
    return layers


@pytest.fixture
def played(two_towns, tmp_path):
    """Three matters in the first township (one dispatched, one whistled), one in the second,
    and one reported in the previous half-month."""
    store = SQLiteStore(tmp_path / "s.sqlite")
    store.staff.save_many(district_roster(two_towns))
    clock = ManualClock(NOW)
    app = create_app(Settings(), layers=two_towns, store=store, clock=clock)
    d = app.state.dispatcher
    first, second = two_towns.townships["code"]
    grids = two_towns.grids
    in_first = grids[grids["code"].str.startswith(first)]
    in_second = grids[grids["code"].str.startswith(second)]
    units = two_towns.units
    unit = units.loc[units["township_code"] == first, "unit_id"].iloc[0]
    called = units.loc[units["township_code"] == first, "unit_id"].iloc[1]

    def report(grid, hours, category="D01"):
        p = grid.geometry.representative_point()
        inc, _ = d.report(lon=p.x, lat=p.y, category=category, description="测试",
                          reported_at=NOW - dt.timedelta(hours=hours))
        return inc["incident_id"]

    def act(iid, action, hours, **kw):
        d.transition(iid, action=action, actor="t", at=NOW - dt.timedelta(hours=hours), **kw)

    a = report(in_first.iloc[0], 30)
    act(a, "accept", 29, role="community")
    act(a, "dispatch", 28, role="community", unit_id=unit)
    b = report(in_first.iloc[0], 20)
    act(b, "accept", 19, role="community")
    act(b, "whistle", 18, role="community", unit_ids=[called], note="请到场")
    act(b, "report_in", 17, role="unit", unit_id=called, place="社区", staff="李四")
    report(in_first.iloc[1], 10)
    report(in_second.iloc[0], 5)
    report(in_second.iloc[0], 24 * 5)  # 2026-10-28: the half-month before
    with TestClient(app, raise_server_exceptions=False) as client:
        client.desk = Desk(app, district_roster(two_towns))
        client.facts = {"first": first, "second": second, "grid": in_first.iloc[0]["code"],
                        "unit": unit, "called": called}
        yield client
    store.close()


def get(client, who, **params):
    r = client.get("/statistics", params=params, headers=client.desk.headers(who))
    assert r.status_code == 200, r.text
    Statistics.model_validate(r.json())  # the body is what the OpenAPI document says
    return r.json()


def test_anonymous_is_asked_to_sign_in(played):
    r = played.get("/statistics")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_the_county_and_a_township_see_their_own_numbers(played):
    f = played.facts
    county = get(played, played.desk.county.staff_id)
    assert (county["from"], county["to"], county["label"]) == ("2026-11-01", "2026-11-15",
                                                               "2026年11月上半月")
    assert county["figures"]["matters"] == 4  # the current half-month by default
    assert {t["code"]: t["matters"] for t in county["townships"]} == {f["first"]: 3,
                                                                      f["second"]: 1}
    assert sorted(t["rank"] for t in county["townships"]) == [1, 2]
    first = get(played, f"jd{f['first']}")
    assert first["figures"]["matters"] == 3 and first["area_codes"] == [f["first"]]
    assert [t["code"] for t in first["townships"]] == [f["first"]]
    assert first["communities"] and all(c["code"].startswith(f["first"])
                                        for c in first["communities"] + first["grids"])
    assert first["figures"]["calls"] == 1 and first["figures"]["report_in_rate"] == 1.0
    second = get(played, f"jd{f['second']}")
    assert second["figures"]["matters"] == 1 and second["figures"]["calls"] == 0
    assert {c["code"][:9] for c in second["communities"]} == {f["second"]}


def test_a_grid_worker_and_a_unit_see_only_their_own(played):
    f = played.facts
    worker = get(played, f"wg{f['grid']}")
    assert worker["figures"]["matters"] == 2
    assert [g["code"] for g in worker["grids"]] == [f["grid"]]
    assert worker["townships"] == [] and worker["communities"] == []
    unit = get(played, f"dw{f['unit']}")
    assert unit["unit_ids"] == [f["unit"]] and unit["townships"] == []
    assert unit["figures"]["matters"] == 1
    assert [u["unit_id"] for u in unit["units"]] == [f["unit"]]
    called = get(played, f"dw{f['called']}")
    assert called["figures"]["matters"] == 0 and called["figures"]["calls"] == 1
    assert called["units"][0]["report_in_rate"] == 1.0


def test_a_period_is_chosen_with_from_and_to(played):
    county = played.desk.county.staff_id
    wide = get(played, county, **{"from": "2026-10-16", "to": "2026-11-02"})
    assert wide["figures"]["matters"] == 5 and wide["label"] == "2026-10-16 至 2026-11-02"
    before = get(played, county, **{"from": "2026-10-16", "to": "2026-10-31"})
    assert before["figures"]["matters"] == 1 and before["label"] == "2026年10月下半月"
    since = get(played, county, **{"from": "2026-10-28"})  # to today
    assert since["to"] == "2026-11-02" and since["figures"]["matters"] == 5


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-11-02", "to": "2026-11-01"}, "to"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
    ({"from": "2026-12-01"}, "to"),  # after today: the default end comes before it
    ({"to": "0001-01-01"}, "to"),
    ({"from": "x" * 33}, "from"),
])
def test_bad_periods_are_422_naming_the_field(client, params, field):
    r = client.get("/statistics", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == field


@settings(max_examples=60, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.one_of(st.none(), st.text(max_size=40), st.dates().map(str)),
       end=st.one_of(st.none(), st.text(max_size=40), st.dates().map(str)))
def test_no_input_gives_a_server_error(client, start, end):
    params = {k: v for k, v in (("from", start), ("to", end)) if v is not None}
    r = client.get("/statistics", params=params)
    assert r.status_code in (200, 422), (params, r.status_code, r.text)
