"""改派: a returned matter goes to another department, under another category if need be."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgis.dispatch import Dispatcher, allowed_actions, check_transition
from gridgis.errors import (
    AccessDeniedError,
    CategoryError,
    InputError,
    MissingInputError,
    TransitionError,
)
from gridgis.people.access import check_action, permitted_actions
from gridgis.people.staff import StaffMember
from gridgis.store import SQLiteStore

MONDAY = dt.datetime(2026, 11, 2, 9)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


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
    units = small_layers.units
    of = {k: list(units.loc[units["kind"] == k, "unit_id"]) for k in set(units["kind"])}
    return {"lon": p.x, "lat": p.y, "grid": grid.code, "of": of}


def _returned(d, spot, clock, category="E01", kind="sanitation"):
    """A matter dispatched to a unit of ``kind`` that returned it an hour later."""
    inc, _ = d.report(lon=spot["lon"], lat=spot["lat"], category=category,
                      description="路边井盖冒水，旁边电线垂落", actor="test")
    iid = inc["incident_id"]
    d.transition(iid, action="accept", actor="t", role="community")
    d.transition(iid, action="dispatch", actor="t", role="community",
                 unit_id=spot["of"][kind][0])
    clock.now += dt.timedelta(hours=1)
    d.transition(iid, action="return", actor="u", role="unit", note="电线掉落，不属环卫职责")
    clock.now += dt.timedelta(minutes=10)
    return iid


def test_the_state_machine_offers_reroute_after_a_return_to_the_holder_only():
    assert check_transition("accepted", "reroute", "community").target == "dispatched"
    assert "reroute" in allowed_actions("accepted", "township")
    with pytest.raises(TransitionError, match="承办单位不能改派") as err:
        check_transition("accepted", "reroute", "unit")
    assert "may not reroute" in str(err.value)
    with pytest.raises(TransitionError, match="事项已派遣，不能改派") as err:
        check_transition("dispatched", "reroute", "community")
    assert "cannot reroute an incident that is dispatched" in str(err.value)


def test_a_returned_matter_is_rerouted_to_another_category_with_fresh_deadlines(
        dispatcher, spot, clock):
    iid = _returned(dispatcher, spot, clock)
    assert "reroute" in dispatcher.incident(iid)["allowed_actions"]
    power = spot["of"]["power_supply"][0]
    out = dispatcher.transition(iid, action="reroute", actor="t", role="community",
                                category="S01", unit_id=power, note="实为电线掉落，改供电所")
    assert out["status"] == "dispatched" and out["unit_id"] == power
    assert (out["category"], out["priority"], out["platform"]) == (
        "S01", "urgent", "law_enforcement")
    # S01 (urgent, calendar time): progress within 4 h, resolve within a day, from the reroute
    assert out["progress_by"] == clock.now + dt.timedelta(hours=4)
    assert out["resolve_by"] == clock.now + dt.timedelta(hours=24)
    assert out["stage"] == "progress" and out["due_at"] == out["progress_by"]
    assert out["dispatched_at"] == clock.now
    event = dispatcher.incident(iid)["events"][-1]
    assert (event["action"], event["from_state"], event["to_state"]) == (
        "reroute", "accepted", "dispatched")
    assert event["note"] == "实为电线掉落，改供电所"
    assert event["data"]["from_unit"] == spot["of"]["sanitation"][0]
    assert (event["data"]["from_category"], event["data"]["category"]) == ("E01", "S01")
    assert event["data"]["kind"] == "power_supply"


def test_a_returned_matter_is_rerouted_to_another_department_of_its_category(
        dispatcher, spot, clock):
    iid = _returned(dispatcher, spot, clock)
    works = spot["of"]["municipal_works"][0]
    out = dispatcher.transition(iid, action="reroute", actor="t", role="township",
                                kind="municipal_works", unit_id=works, note="管网破损，归市政")
    assert out["unit_id"] == works and out["category"] == "E01"
    assert out["resolve_by"] == dispatcher.deadlines(clock.now, "E01").resolve_by


@pytest.mark.parametrize(("inputs", "error", "words"), [
    ({"category": "S01", "note": "改派"}, MissingInputError, "改派缺少承办单位"),
    ({"category": "S01", "unit": ("power_supply", 0)}, MissingInputError, "须填写说明"),
    ({"category": "S01", "unit": ("sanitation", 1), "note": "改派"}, InputError,
     "须改派给供电"),
    ({"category": "Z99", "unit": ("power_supply", 0), "note": "改派"}, CategoryError,
     "未知事件类别"),
    ({"kind": "fire_station", "unit": ("municipal_works", 0), "note": "改派"}, InputError,
     "不承办类别"),
    ({"unit": ("sanitation", 0), "kind": "sanitation", "note": "改派"}, InputError,
     "退回该事项的单位"),
    ({"unit": ("sanitation", 1), "note": "改派"}, InputError, "须变更事件类别或责任部门"),
])
def test_a_reroute_is_refused_with_the_reason(dispatcher, spot, clock, inputs, error, words):
    iid = _returned(dispatcher, spot, clock)
    kw = {k: v for k, v in inputs.items() if k != "unit"}
    if "unit" in inputs:
        kind, i = inputs["unit"]
        kw["unit_id"] = spot["of"][kind][i]
    with pytest.raises(error, match=words):
        dispatcher.transition(iid, action="reroute", actor="t", role="community", **kw)
    assert dispatcher.incident(iid)["status"] == "accepted"


def test_a_matter_never_returned_is_dispatched_not_rerouted(dispatcher, spot):
    inc, _ = dispatcher.report(lon=spot["lon"], lat=spot["lat"], category="E01",
                               description="污水", actor="test")
    accepted = dispatcher.transition(inc["incident_id"], action="accept", actor="t",
                                     role="community")
    assert "dispatch" in accepted["allowed_actions"]
    assert "reroute" not in accepted["allowed_actions"]  # offered after a return only
    with pytest.raises(TransitionError, match="只有被退回"):
        dispatcher.transition(inc["incident_id"], action="reroute", actor="t",
                              role="community", unit_id=spot["of"]["power_supply"][0],
                              category="S01", note="改派")


def test_who_may_reroute_is_who_may_dispatch(dispatcher, spot, clock, small_layers):
    iid = _returned(dispatcher, spot, clock)
    row = dispatcher.store.get(iid)
    community = StaffMember("sq1", "李社区", "community", spot["grid"][:12])
    other = StaffMember("sq2", "周社区", "community", "330399999999")
    unit = StaffMember("dw1", "钱单位", "unit", None, unit_id=spot["of"]["sanitation"][0])
    assert "reroute" in permitted_actions(community, row, ["reroute"])
    for person in (other, unit):
        with pytest.raises(AccessDeniedError):
            check_action(person, "reroute", row)
    out = dispatcher.transition(iid, action="reroute", by=community, category="S01",
                                unit_id=spot["of"]["power_supply"][0], note="改供电所")
    assert dispatcher.store.events(iid)[-1]["actor"] == "sq1" and out["status"] == "dispatched"
