"""Emergency plans (应急预案, "1-3-5"): the table, the force a report starts, its units' steps.

A report whose category starts a plan sends, per required kind, the nearest
available units by travel time; the units set out (出发) and arrive (到场), the
holder adds one (增派) or releases the force (收队); a unit not on site in time
lights the matter red and is supervised once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from gridgis.dispatch import Dispatcher, DispatchSettings
from gridgis.emergency_plans import load_emergency_plans, plan_for
from gridgis.errors import (
    AccessDeniedError,
    CategoryError,
    InputError,
    MissingInputError,
    TransitionError,
)
from gridgis.people.staff import StaffMember
from gridgis.store import IncidentQuery, SQLiteStore
from gridgis.store.sqlite import SCHEMA_VERSION, V4_COLUMNS

MONDAY = dt.datetime(2026, 11, 2, 9)
X01_KINDS = ["police_station", "special_police", "labour_inspection", "mediation_committee",
             "volunteer_team"]


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def clock():
    return Clock(MONDAY)


@pytest.fixture
def dispatcher(small_layers, clock):
    store = SQLiteStore(":memory:")
    yield Dispatcher(small_layers, store, clock=clock)
    store.close()


@pytest.fixture
def spot(small_layers):
    grid = small_layers.grids.iloc[0]
    p = grid.geometry.representative_point()
    return {"lon": p.x, "lat": p.y, "grid": grid.code, "community": grid.code[:12],
            "township": grid.code[:9]}


def _report(d, spot, category="X01"):
    inc, _ = d.report(lon=spot["lon"], lat=spot["lat"], category=category,
                      description="欠薪务工人员聚集", actor="test")
    return inc


def _unit(unit_id, staff_id="dw1"):
    return StaffMember(staff_id, "钱单位", "unit", None, unit_id=unit_id)


def _holder(spot):
    return StaffMember("sq1", "李社区", "community", spot["community"])


def _by_kind(inc):
    out = {}
    for f in inc["emergency_forces"]:
        out.setdefault(f["kind"], []).append(f)
    return out


# -- the table -------------------------------------------------------------------------------
def test_the_shipped_table_has_the_five_situations():
    plans = load_emergency_plans()
    assert len(plans) >= 5
    assert [f.kind for f in plan_for(plans, "X01").forces] == X01_KINDS
    names = {p.name_zh for p in plans.values()}
    assert {"群体性事件应急预案", "火灾事故应急预案", "防汛防台应急预案", "燃气泄漏应急预案",
            "突发公共卫生事件应急预案"} <= names
    # an empty arrival limit is the default 15 minutes
    assert plan_for(plans, "X05").force("community_service").arrive_minutes == 15.0
    assert plan_for(plans, "X02").force("fire_station").count == 2


def _write(tmp_path, edit):
    from gridgis._data_tables import read_data_table

    table, _ = read_data_table(None, "emergency_plans.csv")
    path = tmp_path / "plans.csv"
    edit(table).to_csv(path, index=False)
    return path


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.drop(columns="count"), "缺列 count"),
    (lambda t: t.assign(unit_kind=t["unit_kind"].where(t.index != 0, "swat")), "单位类型须为"),
    (lambda t: t.assign(count=t["count"].where(t.index != 1, "0")), "出动数量须为正整数"),
    (lambda t: t.assign(count=t["count"].where(t.index != 1, "1.5")), "出动数量须为正整数"),
    (lambda t: t.assign(arrive_minutes=t["arrive_minutes"].where(t.index != 2, "-5")),
     "到场时限须为正数"),
    (lambda t: t.assign(categories=t["categories"].where(t.index != 0, "Z99")),
     "启动类别"),
    (lambda t: t.assign(categories=t["categories"].where(t["plan"] != "YA02", "X01")),
     "同时启动两个预案"),
    (lambda t: t.assign(name_zh=t["name_zh"].where(t.index != 3, "别的名字")), "中文名称不一致"),
    (lambda t: t.assign(unit_kind=t["unit_kind"].where(t.index != 1, "police_station")),
     "重复列出单位类型"),
    (lambda t: t.assign(plan=t["plan"].where(t.index != 4, "")), "没有预案编号"),
])
def test_a_bad_table_is_refused_naming_the_plan(tmp_path, edit, message):
    with pytest.raises(CategoryError, match=message):
        load_emergency_plans(_write(tmp_path, edit))


def test_a_missing_table_is_refused(tmp_path):
    with pytest.raises(CategoryError, match="不存在"):
        load_emergency_plans(tmp_path / "none.csv")


# -- starting a plan -------------------------------------------------------------------------
def test_a_report_starts_its_plan_with_the_nearest_unit_of_each_kind(dispatcher, spot):
    inc = _report(dispatcher, spot)
    assert inc["plan_code"] == "YA01" and inc["plan_name"] == "群体性事件应急预案"
    assert inc["plan_started_at"] == MONDAY and inc["plan_limit_min"] == 15
    forces = _by_kind(inc)
    assert sorted(forces) == sorted(X01_KINDS)
    assert dispatcher.finder.network is not None  # the sample has roads: minutes by road
    for kind, [force] in forces.items():
        best = dispatcher.finder.nearest([spot["lon"]], [spot["lat"]], kinds=[kind], k=1)
        assert force["unit_id"] == best["unit_id"].iloc[0]
        assert force["dispatched_at"] == MONDAY.isoformat()
        assert force["due_at"] == (MONDAY + dt.timedelta(minutes=15)).isoformat()
        assert force["eta_source"] == "network"
        assert force["eta_min"] == pytest.approx(best["travel_min"].iloc[0], abs=0.05)
        assert force["status"] == "waiting" and force["status_name"] == "待出发"
    assert inc["plan_shortfall"] == []
    report = dispatcher.store.events(inc["incident_id"])[0]
    assert report["data"]["plan"] == "YA01" and len(report["data"]["forces"]) == 5
    other = _report(dispatcher, spot, "D01")
    assert other["plan_code"] is None and other["emergency_forces"] == []
    assert "depart" not in other["allowed_actions"]
    with pytest.raises(TransitionError, match="未启动应急预案"):
        dispatcher.transition(other["incident_id"], action="release", actor="t",
                              role="community")


def test_committed_units_are_skipped_until_released(dispatcher, spot):
    first = _report(dispatcher, spot)
    volunteer = _by_kind(first)["volunteer_team"][0]["unit_id"]
    second = _report(dispatcher, spot)
    ranked = dispatcher.finder.nearest([spot["lon"]], [spot["lat"]],
                                       kinds=["volunteer_team"], k=2)
    assert _by_kind(second)["volunteer_team"][0]["unit_id"] == ranked["unit_id"].iloc[1]
    assert volunteer == ranked["unit_id"].iloc[0]
    # the holder releases the first plan's force: its volunteer station is free again
    dispatcher.transition(first["incident_id"], action="release", by=_holder(spot))
    third = _report(dispatcher, spot)
    assert _by_kind(third)["volunteer_team"][0]["unit_id"] == volunteer


def test_a_kind_without_a_free_unit_is_a_shortfall(dispatcher, spot, small_layers):
    n = int((small_layers.units["kind"] == "special_police").sum())
    for _ in range(n):
        _report(dispatcher, spot)
    short = _report(dispatcher, spot)
    assert "special_police" not in _by_kind(short)
    # every kind with no more units than plans already started comes short by one
    counts = small_layers.units["kind"].value_counts()
    lacking = [k for k in X01_KINDS if counts.get(k, 0) <= n]
    assert "special_police" in lacking and "volunteer_team" not in lacking
    assert short["plan_shortfall"] == [
        {"kind": k, "kind_name": dispatcher.kind_name(k), "count": 1} for k in lacking]
    assert {"kind": "special_police", "kind_name": "特警大队", "count": 1} in \
        short["plan_shortfall"]
    events = dispatcher.store.events(short["incident_id"])
    assert events[0]["data"]["missing"] == [{"kind": k, "count": 1} for k in lacking]


# -- the units' steps and who may take them ----------------------------------------------------
def test_a_force_unit_departs_and_arrives_others_may_not(dispatcher, spot, clock):
    inc = _report(dispatcher, spot)
    iid = inc["incident_id"]
    police = _by_kind(inc)["police_station"][0]["unit_id"]
    stranger = next(u for u in dispatcher.unit_ids if u not in
                    {f["unit_id"] for f in inc["emergency_forces"]})
    unit = _unit(police)
    shown = dispatcher.incident(iid, person=unit)  # a force unit reads the matter
    assert {"depart", "arrive"} <= set(shown["allowed_actions"])
    assert "release" not in shown["allowed_actions"]
    with pytest.raises(AccessDeniedError):
        dispatcher.incident(iid, person=_unit(stranger, "dw9"))
    with pytest.raises(AccessDeniedError):
        dispatcher.transition(iid, action="depart", by=_unit(stranger, "dw9"))
    worker = StaffMember("wg1", "王网格", "grid_worker", spot["community"], grade="full_time",
                         grids=(spot["grid"],))
    with pytest.raises(AccessDeniedError):
        dispatcher.transition(iid, action="arrive", by=worker)
    with pytest.raises(AccessDeniedError):
        dispatcher.transition(iid, action="release", by=unit)
    clock.advance(minutes=2)
    out = dispatcher.transition(iid, action="depart", by=unit)
    mine = _by_kind(out)["police_station"][0]
    assert mine["departed_at"] == clock.now.isoformat() and mine["status_name"] == "已出发"
    assert out["status"] == "reported"  # the loop's state and holder stay
    with pytest.raises(TransitionError, match="已出发"):
        dispatcher.transition(iid, action="depart", by=unit)
    clock.advance(minutes=5)
    with pytest.raises(TransitionError, match="须到现场"):  # 5 km away is not on site
        dispatcher.transition(iid, action="arrive", by=unit, lon=spot["lon"] + 0.05,
                              lat=spot["lat"])
    with pytest.raises(MissingInputError):
        dispatcher.transition(iid, action="arrive", by=unit, lon=spot["lon"])
    out = dispatcher.transition(iid, action="arrive", by=unit, lon=spot["lon"] + 0.001,
                                lat=spot["lat"])
    mine = _by_kind(out)["police_station"][0]
    assert mine["arrived_at"] == clock.now.isoformat() and mine["late"] is False
    assert mine["status_name"] == "已到场"
    event = dispatcher.store.events(iid)[-1]
    assert event["action"] == "arrive" and event["actor"] == "dw1"
    assert 50 < event["data"]["distance_m"] < 150 and event["data"]["minutes"] == 7
    assert "arrive" not in dispatcher.incident(iid, person=unit)["allowed_actions"]


def test_the_holder_reinforces_and_releases(dispatcher, spot):
    inc = _report(dispatcher, spot)
    iid = inc["incident_id"]
    holder = _holder(spot)
    in_force = {f["unit_id"] for f in inc["emergency_forces"]}
    with pytest.raises(AccessDeniedError):  # a unit does not add to the force
        dispatcher.transition(iid, action="reinforce", kind="police_station",
                              by=_unit(next(iter(in_force))))
    with pytest.raises(MissingInputError):
        dispatcher.transition(iid, action="reinforce", by=holder)
    with pytest.raises(InputError, match="未知单位类型"):
        dispatcher.transition(iid, action="reinforce", kind="swat", by=holder)
    out = dispatcher.transition(iid, action="reinforce", kind="volunteer_team", by=holder)
    added = out["emergency_forces"][-1]
    ranked = dispatcher.finder.nearest([spot["lon"]], [spot["lat"]],
                                       kinds=["volunteer_team"], k=2)
    assert added["reinforced"] and added["unit_id"] == ranked["unit_id"].iloc[1]
    assert added["unit_id"] not in in_force and added["limit_min"] == 15
    with pytest.raises(TransitionError, match="已在出动力量中"):
        dispatcher.transition(iid, action="reinforce", unit_id=added["unit_id"], by=holder)
    # release one unit, then the rest (收队)
    out = dispatcher.transition(iid, action="release", unit_id=added["unit_id"], by=holder)
    assert out["emergency_forces"][-1]["status_name"] == "已收队"
    out = dispatcher.transition(iid, action="release", by=holder)
    assert all(f["status"] == "released" for f in out["emergency_forces"])
    assert "release" not in out["allowed_actions"]
    with pytest.raises(TransitionError, match="均已收队"):
        dispatcher.transition(iid, action="release", by=holder)
    # the township above the community may release too; another community may not
    other = StaffMember("sq2", "周社区", "community", spot["township"] + "999")
    with pytest.raises(AccessDeniedError):
        dispatcher.transition(_report(dispatcher, spot)["incident_id"], action="release",
                              by=other)


# -- lights and supervision ----------------------------------------------------------------------
def test_a_unit_late_on_site_lights_red_and_is_supervised_once(dispatcher, spot, clock):
    inc = _report(dispatcher, spot)
    iid = inc["incident_id"]
    step = {"actor": "t", "role": "community"}
    dispatcher.transition(iid, action="accept", **step)
    some = dispatcher.transition(iid, action="dispatch",
                                 unit_id=inc["emergency_forces"][0]["unit_id"], **step)
    assert some["light"] != "red"  # the stage runs to the progress limit (hours away)
    units = [f["unit_id"] for f in inc["emergency_forces"]]
    clock.advance(minutes=10)
    for u in units[:-1]:
        dispatcher.transition(iid, action="arrive", by=_unit(u))
    clock.advance(minutes=6)  # 16 minutes: the last unit has not come
    out = dispatcher.incident(iid)
    assert out["light"] == "red" and out["plan_late"] == [inc["emergency_forces"][-1]["kind"]]
    assert out["emergency_forces"][-1]["status_name"] == "超时未到"
    assert out["emergency_forces"][-1]["minutes_left"] == -1
    red = dispatcher.incidents(light=("red",))
    assert [i["incident_id"] for i in red.items] == [iid] and red.lights["red"] == 1
    swept = dispatcher.supervise()
    assert [i["incident_id"] for i in swept] == [iid]
    assert dispatcher.supervise() == []  # once
    event = dispatcher.store.events(iid)[-1]
    assert event["action"] == "supervise" and event["data"]["late_forces"] == [units[-1]]
    township = StaffMember("jd1", "张街道", "township", spot["township"])
    assert [n["late_forces"] for n in dispatcher.notices(township)] == [[units[-1]]]
    out = dispatcher.transition(iid, action="arrive", by=_unit(units[-1]))
    assert out["emergency_forces"][-1]["late"] is True
    assert out["light"] != "red" and out["plan_late"] == []
    assert dispatcher.incidents(light=("red",)).matched == 0


def test_the_plan_board_lists_open_plans_in_scope(dispatcher, spot):
    inc = _report(dispatcher, spot)
    _report(dispatcher, spot, "D01")
    board = dispatcher.emergencies(person=_holder(spot))
    assert [i["incident_id"] for i in board] == [inc["incident_id"]]
    elsewhere = StaffMember("sq2", "周社区", "community", spot["township"] + "999")
    assert dispatcher.emergencies(person=elsewhere) == []
    police = _by_kind(inc)["police_station"][0]["unit_id"]
    assert len(dispatcher.emergencies(person=_unit(police))) == 1
    assert dispatcher.incidents(person=_unit(police)).matched == 1  # the unit reads it


# -- the store -------------------------------------------------------------------------------------
def test_the_force_round_trips_through_the_store(tmp_path, small_layers, spot):
    path = tmp_path / "plans.sqlite"
    store = SQLiteStore(path)
    d = Dispatcher(small_layers, store, clock=lambda: MONDAY)
    inc = _report(d, spot)
    store.close()
    again = SQLiteStore(path)
    row = again.get(inc["incident_id"])
    assert row["plan_code"] == "YA01" and row["plan_started_at"] == MONDAY
    assert [f["unit_id"] for f in row["emergency_forces"]] == [
        f["unit_id"] for f in inc["emergency_forces"]]
    assert row["emergency_forces"][0]["due_at"] == inc["emergency_forces"][0]["due_at"]
    again.close()


def test_a_version_3_store_is_migrated(tmp_path, small_layers, spot):
    path = tmp_path / "old.sqlite"
    store = SQLiteStore(path)
    d = Dispatcher(small_layers, store, clock=lambda: MONDAY)
    d.report(lon=spot["lon"], lat=spot["lat"], category="D01", description="噪音", actor="t")
    with store.engine.begin() as conn:  # make it a version-3 file: drop the new columns
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_incidents_plan_code")
        for name in V4_COLUMNS:
            conn.exec_driver_sql(f"ALTER TABLE incidents DROP COLUMN {name}")
        conn.exec_driver_sql("UPDATE schema_version SET version = 3")
    store.close()
    again = SQLiteStore(path)
    assert again.schema_version == SCHEMA_VERSION == 4
    row = again.query(IncidentQuery(now=MONDAY)).items[0]
    assert row["emergency_forces"] == [] and row["plan_code"] is None
    assert again.audit()[1] == []
    d = Dispatcher(small_layers, again, clock=lambda: MONDAY)
    assert _report(d, spot)["plan_code"] == "YA01"  # and it takes plans now
    again.close()


def test_a_district_sets_its_own_plans_and_speed(tmp_path, small_layers, spot):
    path = _write(tmp_path, lambda t: t[t["plan"] == "YA01"].assign(
        count="1", arrive_minutes=t["arrive_minutes"].where(t["unit_kind"] != "police_station",
                                                            "5")))
    store = SQLiteStore(":memory:")
    # a district without roads: minutes estimated from the straight line at its own speed
    no_roads = dataclasses.replace(small_layers, roads=None)
    d = Dispatcher(no_roads, store, clock=lambda: MONDAY,
                   settings=DispatchSettings(plans=str(path), plan_speed_kmh=60))
    inc = _report(d, spot)
    police = _by_kind(inc)["police_station"][0]
    assert police["due_at"] == (MONDAY + dt.timedelta(minutes=5)).isoformat()
    assert police["eta_source"] == "estimate"
    assert police["eta_min"] == pytest.approx(police["distance_m"] / 1000, abs=0.1)
    assert _report(d, spot, "X02")["plan_code"] is None  # that district has no fire plan
    store.close()
