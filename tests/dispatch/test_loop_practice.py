"""The loop as the seeds run it (DESIGN §1): 1-3-0, 吹哨报到, escalation, 督办, 核查, 回访.

Each test takes the steps a command centre takes, through the library, and
checks what the practice says should follow, with the people of the sample
roster where who may act matters.
"""

from __future__ import annotations

import datetime as dt

import pytest

from gridgis import load_categories
from gridgis.attachments.service import upload
from gridgis.dispatch import Dispatcher, DispatchSettings, WorkingCalendar
from gridgis.errors import AccessDeniedError, CategoryError, MissingInputError, TransitionError
from gridgis.people.access import check_action, in_scope, permitted_actions
from gridgis.people.staff import StaffMember
from gridgis.store import IncidentQuery, SQLiteStore
from tests.attachments.media import jpeg

MONDAY = dt.datetime(2026, 11, 2, 9)


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
    """A point inside the first grid, its codes, and two units of its township."""
    grid = small_layers.grids.iloc[0]
    p = grid.geometry.representative_point()
    units = small_layers.units[small_layers.units["township_code"] == grid.code[:9]]
    return {"lon": p.x, "lat": p.y, "grid": grid.code, "community": grid.code[:12],
            "township": grid.code[:9], "units": list(units["unit_id"][:3])}


def _people(spot):
    return {
        "worker": StaffMember("wg1", "王网格", "grid_worker", spot["community"],
                              grade="full_time", grids=(spot["grid"],)),
        "community": StaffMember("sq1", "李社区", "community", spot["community"]),
        "township": StaffMember("jd1", "张街道", "township", spot["township"]),
        "county": StaffMember("qx1", "赵区", "command_centre", spot["township"][:6]),
        "unit": StaffMember("dw1", "钱单位", "unit", None, unit_id=spot["units"][0]),
        "called": StaffMember("dw2", "孙单位", "unit", None, unit_id=spot["units"][1]),
    }


def _report(d, spot, category="D01", **kw):
    inc, _ = d.report(lon=spot["lon"], lat=spot["lat"], category=category,
                      description="楼上漏水", actor="test", **kw)
    return inc["incident_id"]


def _step(d, iid, action, role="command_centre", **kw):
    return d.transition(iid, action=action, actor="test", role=role, **kw)


# -- 1-3-0 ------------------------------------------------------------------------------
def test_a_dispatched_matter_turns_red_when_its_progress_report_is_late(dispatcher, spot,
                                                                        clock):
    iid = _report(dispatcher, spot)  # D01: deploy 1 day, progress 3 days, resolve 15 days
    _step(dispatcher, iid, "accept")
    out = _step(dispatcher, iid, "dispatch", unit_id=spot["units"][0])
    assert out["stage"] == "progress" and out["due_at"] == MONDAY + dt.timedelta(hours=72)
    clock.advance(hours=73)  # the case: green 73 h after the report
    seen = dispatcher.incident(iid)
    assert seen["light"] == "red" and seen["stage"] == "progress"
    out = _step(dispatcher, iid, "progress", role="unit", note="已约双方调解，待物业维修")
    assert out["stage"] == "resolve" and out["progress_reports"] == 1
    assert out["progress_at"] == clock.now and out["light"] == "green"
    assert out["due_at"] == MONDAY + dt.timedelta(days=15)


def test_an_undeployed_matter_is_red_after_a_day_whatever_its_priority(dispatcher, spot,
                                                                       clock):
    normal, high = _report(dispatcher, spot, "D01"), _report(dispatcher, spot, "D04")
    _step(dispatcher, normal, "accept")  # accepting is not deploying: dispatching is
    clock.advance(hours=5)  # D04 (high): deploy within 4 h
    assert dispatcher.incident(high)["light"] == "red"
    assert dispatcher.incident(normal)["light"] == "green"
    clock.advance(hours=20)
    assert dispatcher.incident(normal)["light"] == "red"
    assert dispatcher.incident(normal)["stage"] == "deploy"


def test_past_its_resolve_limit_a_matter_stays_on_the_board_until_cleared(dispatcher, spot,
                                                                          clock):
    iid = _report(dispatcher, spot, "S02")  # resolve within 3 days
    _step(dispatcher, iid, "accept")
    _step(dispatcher, iid, "dispatch", unit_id=spot["units"][0])
    _step(dispatcher, iid, "progress", role="unit", note="已围挡")
    clock.advance(days=40)
    page = dispatcher.incidents(light=("red",))
    assert iid in {i["incident_id"] for i in page.items}
    assert dispatcher.incident(iid)["status"] == "in_progress"  # never closed by the clock


def test_working_calendar_counts_1_3_0_in_working_days(small_layers):
    friday = dt.datetime(2026, 11, 6, 10)
    store = SQLiteStore(":memory:")
    d = Dispatcher(small_layers, store, clock=lambda: friday,
                   settings=DispatchSettings(calendar=WorkingCalendar()))
    p = small_layers.grids.geometry.iloc[0].representative_point()
    inc, _ = d.report(lon=p.x, lat=p.y, category="D01", description="噪音", actor="t")
    assert inc["respond_by"] == dt.datetime(2026, 11, 9, 10)  # Monday: the weekend is skipped
    assert inc["progress_by"] == dt.datetime(2026, 11, 11, 10)  # three working days
    store.close()


def test_a_category_table_breaking_1_3_0_is_refused(tmp_path):
    table = load_categories().reset_index(drop=True)
    rows = ["code,name,name_zh,platform,unit_kinds,priority,respond_hours,progress_hours,"
            "resolve_hours"]
    rows.append("Z01,slow,慢,public_service,community_service,normal,48,72,360")
    (tmp_path / "slow.csv").write_text("\n".join(rows), encoding="utf-8")
    with pytest.raises(CategoryError, match="1-3-0"):
        load_categories(tmp_path / "slow.csv")
    rows[1] = "Z01,slow,慢,public_service,community_service,normal,24,96,360"
    (tmp_path / "slow.csv").write_text("\n".join(rows), encoding="utf-8")
    with pytest.raises(CategoryError, match="progress_hours must be ≤ 72"):
        load_categories(tmp_path / "slow.csv")
    assert len(table) == 24  # the design's 19, S05 (a silent sensor) and emergencies X02–X05


# -- escalation moves authority -----------------------------------------------------------
def test_escalation_moves_the_holder_and_the_deadlines(dispatcher, spot, clock):
    people = _people(spot)
    iid = _report(dispatcher, spot, "D03")
    _step(dispatcher, iid, "accept")
    _step(dispatcher, iid, "dispatch", unit_id=spot["units"][0])
    clock.advance(hours=30)
    with pytest.raises(TransitionError, match="needs a note"):
        dispatcher.transition(iid, action="escalate", by=people["community"])
    out = dispatcher.transition(iid, action="escalate", by=people["community"],
                                note="涉及宅基地审批，社区无权处理")
    assert out["escalated_to"] == "township" and out["status"] == "accepted"
    assert out["unit_id"] is None  # the township dispatches to its own departments
    assert out["respond_by"] == clock.now + dt.timedelta(days=1)
    assert out["resolve_by"] == clock.now + dt.timedelta(days=15)
    assert out["light"] == "green" and out["stage"] == "deploy"
    event = dispatcher.incident(iid)["events"][-1]
    assert event["data"]["to"] == "township" and event["data"]["from_unit"] == spot["units"][0]
    # the community watches now; the township acts
    row = dispatcher.store.get(iid)
    with pytest.raises(AccessDeniedError):
        check_action(people["community"], "dispatch", row)
    assert in_scope(people["community"], row)
    assert "dispatch" in permitted_actions(people["township"], row, ["dispatch"])
    dispatcher.transition(iid, action="escalate", by=people["township"], note="跨乡镇协调")
    row = dispatcher.store.get(iid)
    with pytest.raises(AccessDeniedError):  # held by the county: only the county acts
        check_action(people["township"], "dispatch", row)
    with pytest.raises(AccessDeniedError, match="may not escalate"):  # nothing above
        dispatcher.transition(iid, action="escalate", by=people["county"], note="再升")


def test_a_matter_held_by_the_county_is_closed_by_the_county_only(dispatcher, spot, clock):
    people = _people(spot)
    iid = _report(dispatcher, spot, "D04")
    _step(dispatcher, iid, "escalate", role="community", note="涉及多个乡镇")
    _step(dispatcher, iid, "escalate", role="township", note="需县级协调")
    _step(dispatcher, iid, "dispatch", unit_id=spot["units"][0])
    _step(dispatcher, iid, "start", role="unit")
    _step(dispatcher, iid, "resolve", role="unit")
    _step(dispatcher, iid, "verify", role="grid_worker", lon=spot["lon"], lat=spot["lat"])
    row = dispatcher.store.get(iid)
    for who in ("community", "township", "worker"):
        with pytest.raises(AccessDeniedError):
            check_action(people[who], "close", row)
        with pytest.raises(AccessDeniedError):
            check_action(people[who], "callback", row)
    out = dispatcher.transition(iid, action="callback", by=people["county"], satisfaction=4)
    assert out["status"] == "closed"


# -- 督办 -----------------------------------------------------------------------------------
def test_supervision_notifies_the_level_above_once_per_overdue_stage(dispatcher, spot, clock):
    people = _people(spot)
    iid = _report(dispatcher, spot, "D01")
    clock.advance(hours=25)  # the deploy limit ran out
    assert [i["incident_id"] for i in dispatcher.supervise()] == [iid]
    assert dispatcher.supervise() == []  # no double jumps
    inc = dispatcher.incident(iid)
    assert inc["escalated_to"] == "community" and inc["supervisions"] == 1
    notices = dispatcher.notices(people["township"])
    assert [(n["incident_id"], n["to"]) for n in notices] == [(iid, "township")]
    assert dispatcher.notices(people["county"]) == []  # not the county's to hear of yet
    # a new stage that runs over is supervised again
    _step(dispatcher, iid, "accept")
    _step(dispatcher, iid, "dispatch", unit_id=spot["units"][0])
    clock.advance(hours=72)
    assert [i["incident_id"] for i in dispatcher.supervise()] == [iid]
    assert dispatcher.incident(iid)["supervisions"] == 2


# -- 吹哨报到 -------------------------------------------------------------------------------
def test_whistle_calls_departments_in_and_the_community_keeps_the_matter(dispatcher, spot,
                                                                         clock):
    people = _people(spot)
    iid = _report(dispatcher, spot, "D05")
    dispatcher.transition(iid, action="accept", by=people["community"])
    called = spot["units"][1:3]
    row = dispatcher.store.get(iid)
    assert not in_scope(people["called"], row)
    with pytest.raises(AccessDeniedError):  # the township does not hold it
        dispatcher.transition(iid, action="whistle", by=people["township"], unit_ids=called,
                              note="物业与业主矛盾")
    out = dispatcher.transition(iid, action="whistle", by=people["community"], unit_ids=called,
                                hours=2, note="物业与业主矛盾激化，需多部门到场")
    assert out["status"] == "accepted" and out["escalated_to"] == "community"
    assert [c["unit_id"] for c in out["whistle_calls"]] == called
    assert {c["light"] for c in out["whistle_calls"]} == {"green"}
    # the called department sees the matter and may report in; another may not
    assert dispatcher.incident(iid, person=people["called"])["allowed_actions"] == ["report_in"]
    with pytest.raises(AccessDeniedError):
        dispatcher.transition(iid, action="report_in", by=people["unit"], place="社区",
                              staff="钱")
    listed = dispatcher.incidents(person=people["called"]).items
    assert [i["incident_id"] for i in listed] == [iid]
    with pytest.raises(TransitionError, match="already called"):
        dispatcher.transition(iid, action="whistle", by=people["community"],
                              unit_ids=called[:1], note="再次")
    clock.advance(hours=1)
    out = dispatcher.transition(iid, action="report_in", by=people["called"],
                                place="社区综治中心", staff="孙单位、周队员")
    first = out["whistle_calls"][0]
    assert first["reported_in_at"] == clock.now.isoformat(timespec="seconds")
    assert first["late"] is False and first["light"] == "none"
    with pytest.raises(AccessDeniedError):  # reported in: nothing waits for it
        dispatcher.transition(iid, action="report_in", by=people["called"], place="x",
                              staff="y")
    clock.advance(hours=2)  # the other department did not come
    late = dispatcher.incident(iid)["whistle_calls"][1]
    assert late["light"] == "red" and late["reported_in_at"] is None
    supervised = dispatcher.supervise()
    assert [i["incident_id"] for i in supervised] == [iid]
    assert dispatcher.incident(iid)["events"][-1]["data"]["late_units"] == [called[1]]
    assert dispatcher.supervise() == []
    assert dispatcher.incident(iid)["escalated_to"] == "community"  # the holder never moved


def test_a_whistle_names_real_departments(dispatcher, spot):
    iid = _report(dispatcher, spot, "D05")
    with pytest.raises(TransitionError, match="unknown units"):
        _step(dispatcher, iid, "whistle", role="community", unit_ids=["U9999"], note="x")
    with pytest.raises(TransitionError, match="needs unit_ids"):
        _step(dispatcher, iid, "whistle", role="community", unit_ids=[], note="x")


# -- 核查 and 回访 --------------------------------------------------------------------------
def _resolved(d, spot):
    iid = _report(d, spot, "E02")
    _step(d, iid, "accept")
    _step(d, iid, "dispatch", unit_id=spot["units"][0])
    _step(d, iid, "start", role="unit")
    _step(d, iid, "resolve", role="unit")
    return iid


def test_verification_is_on_site_by_the_grids_own_worker(dispatcher, spot, small_layers):
    people = _people(spot)
    iid = _resolved(dispatcher, spot)
    far = small_layers.grids.iloc[-1].geometry.representative_point()
    with pytest.raises(TransitionError, match="on site"):
        dispatcher.transition(iid, action="verify", by=people["worker"], lon=far.x, lat=far.y)
    other = StaffMember("wg2", "邻格", "grid_worker", spot["community"], grade="full_time",
                        grids=(small_layers.grids.iloc[1].code,))
    with pytest.raises(AccessDeniedError):
        dispatcher.transition(iid, action="verify", by=other, lon=spot["lon"], lat=spot["lat"])
    with pytest.raises(MissingInputError, match="photo") as refused:
        dispatcher.transition(iid, action="verify", by=people["worker"], lon=spot["lon"],
                              lat=spot["lat"])
    assert refused.value.field == "photo"
    upload(dispatcher, iid, jpeg(lonlat=(spot["lon"], spot["lat"])), stage="before",
           by=people["worker"])
    with pytest.raises(MissingInputError, match="photo"):  # a photo of the verification
        dispatcher.transition(iid, action="verify", by=people["worker"], lon=spot["lon"],
                              lat=spot["lat"])
    upload(dispatcher, iid, jpeg(lonlat=(spot["lon"], spot["lat"])), stage="verify",
           by=people["worker"])
    out = dispatcher.transition(iid, action="verify", by=people["worker"], lon=spot["lon"],
                                lat=spot["lat"])
    assert out["status"] == "verified" and out["stage"] == "callback"
    data = dispatcher.incident(iid)["events"][-1]["data"]
    assert data["grid_code"] == spot["grid"] and data["distance_m"] < 1


def test_a_dissatisfied_call_back_reopens_and_an_unreached_one_closes(dispatcher, spot,
                                                                      clock):
    people = _people(spot)
    iid = _resolved(dispatcher, spot)
    _step(dispatcher, iid, "verify", role="grid_worker", lon=spot["lon"], lat=spot["lat"])
    with pytest.raises(TransitionError, match="satisfaction"):
        dispatcher.transition(iid, action="callback", by=people["community"])
    clock.advance(hours=3)
    out = dispatcher.transition(iid, action="callback", by=people["community"], satisfaction=2)
    assert out["status"] == "reopened" and out["reopened"] == 1
    assert out["satisfaction"] == 2 and out["callback_outcome"] == "reached"
    assert out["resolve_by"] == clock.now + dt.timedelta(days=15)  # handled again, in full
    assert out["resolved_at"] is None and out["light"] == "green"
    _step(dispatcher, iid, "start", role="unit")
    _step(dispatcher, iid, "resolve", role="unit")
    _step(dispatcher, iid, "verify", role="grid_worker", lon=spot["lon"], lat=spot["lat"])
    out = dispatcher.transition(iid, action="callback", by=people["community"],
                                outcome="unreachable")
    assert out["status"] == "closed" and out["callback_outcome"] == "unreachable"
    assert out["satisfaction"] == 2  # the last rating given stays on record
    assert [e["action"] for e in dispatcher.incident(iid)["events"]].count("callback") == 2


def test_an_old_store_is_migrated_to_the_loop_as_practised(tmp_path, small_layers):
    path = tmp_path / "old.sqlite"
    store = SQLiteStore(path)
    d = Dispatcher(small_layers, store, clock=lambda: MONDAY)
    p = small_layers.grids.geometry.iloc[0].representative_point()
    d.report(lon=p.x, lat=p.y, category="D01", description="噪音", actor="t")
    with store.engine.begin() as conn:  # make it a version-2 file: drop the new columns
        for name in ("progress_at", "callback_at", "progress_reports", "supervisions",
                     "supervised_due_at", "whistle_calls", "callback_outcome"):
            conn.exec_driver_sql(f"ALTER TABLE incidents DROP COLUMN {name}")
        conn.exec_driver_sql("UPDATE schema_version SET version = 2")
    store.close()
    again = SQLiteStore(path)
    assert again.schema_version >= 3  # and on to today's version
    row = again.query(IncidentQuery(now=MONDAY)).items[0]
    assert row["whistle_calls"] == [] and row["supervisions"] == 0
    assert again.audit()[1] == []
    again.close()


def test_a_shelved_matter_is_reviewed_and_stays_shelved(dispatcher, spot, clock):
    people = _people(spot)
    iid = _report(dispatcher, spot, "D03")
    _step(dispatcher, iid, "accept")
    _step(dispatcher, iid, "dispatch", unit_id=spot["units"][0])
    _step(dispatcher, iid, "shelve", role="township", note="待土地确权")
    clock.advance(days=31)  # its review limit ran out: red, and supervised once
    assert dispatcher.incident(iid)["light"] == "red"
    assert [i["incident_id"] for i in dispatcher.supervise()] == [iid]
    with pytest.raises(AccessDeniedError):
        dispatcher.transition(iid, action="review", by=people["community"], note="仍待确权")
    out = dispatcher.transition(iid, action="review", by=people["township"],
                                note="确权材料已报县自然资源局，继续挂账")
    assert out["status"] == "shelved" and out["stage"] == "review"
    assert out["light"] == "green" and out["due_at"] == clock.now + dt.timedelta(days=30)
    assert dispatcher.supervise() == []
