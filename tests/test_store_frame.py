"""A store's incidents as one frame: the record's columns and who acted, from the events."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from gridgis.analysis.seed_figures import seed_figures
from gridgis.dispatch import Dispatcher
from gridgis.people import StaffMember
from gridgis.store import IncidentStore
from gridgis.store.frame import EVENT_COLUMNS, incident_frame

NOW = dt.datetime(2026, 11, 2, 9)


def ago(hours: float) -> dt.datetime:
    return NOW - dt.timedelta(hours=hours)


@pytest.fixture
def played(small_layers, backend):
    """Two matters: one through the whole loop with a return, one escalated (each backend)."""
    store = backend.open()
    d = Dispatcher(small_layers, store, clock=lambda: NOW)
    grid = small_layers.grids.iloc[3]
    worker = StaffMember("wg9", "网格员", "grid_worker", grid["community_code"],
                         grade="grid_head", grids=(grid["code"],))
    p = grid.geometry.representative_point()
    first, _ = d.report(lon=p.x, lat=p.y, category="D01", description="噪音扰民",
                        reported_at=ago(60), by=worker)
    units = list(small_layers.units["unit_id"][:2])
    iid = first["incident_id"]

    def step(action, hours, **kw):
        role = {"return": "unit", "start": "unit", "progress": "unit", "resolve": "unit",
                "verify": "grid_worker"}.get(action, "township")
        actor = {"unit": f"dw{units[-1]}", "grid_worker": "wg9"}.get(role, "jd1")
        return d.transition(iid, action=action, actor=actor, role=role, at=ago(hours), **kw)

    step("accept", 59)
    step("dispatch", 58, unit_id=units[0])
    d.transition(iid, action="return", actor=f"dw{units[0]}", role="unit", at=ago(57),
                 note="不属于本单位职责")
    step("dispatch", 56, unit_id=units[1])
    step("progress", 40, note="已联系双方")
    step("resolve", 30)
    step("verify", 20, lon=p.x, lat=p.y)
    step("callback", 10, satisfaction=5)
    second, _ = d.report(lon=p.x, lat=p.y, category="D03", description="宅基地纠纷",
                         reported_at=ago(8))
    iid = second["incident_id"]
    step("accept", 7)
    d.transition(iid, action="escalate", actor="sq1", role="community", at=ago(6),
                 note="社区无权处置")
    yield store, first["incident_id"], second["incident_id"], units
    store.close()


def test_the_frame_has_the_record_and_who_acted(played):
    store, whole, escalated, units = played
    frame = incident_frame(store)
    assert list(frame.index) == [whole, escalated]
    a, b = frame.loc[whole], frame.loc[escalated]
    assert (a["reported_by"], a["reported_role"], a["verified_by"]) == ("wg9", "grid_worker",
                                                                        "wg9")
    assert a["returned_units"] == [units[0]] and a["returned"] == 1
    assert a["unit_id"] == units[1] and a["status"] == "closed"
    assert a["progress_at"] == pd.Timestamp(ago(40)) and a["callback_outcome"] == "reached"
    assert pd.isna(a["escalated_at"]) and b["escalated_at"] == pd.Timestamp(ago(6))
    assert b["escalation_reason"] == "社区无权处置" and b["escalation_level"] == 1
    assert b["reported_role"] == "reporter" and b["returned_units"] == []
    assert pd.api.types.is_datetime64_any_dtype(frame["resolve_by"])
    f = seed_figures(frame, now=NOW)
    assert (f["matters"], f["closed"], f["returns"], f["rated"], f["satisfaction"]) == (
        2, 1, 1, 1, 5.0)


def test_filters_by_period_and_area(played, small_layers):
    store, whole, escalated, _ = played
    assert list(incident_frame(store, reported_from=ago(10)).index) == [escalated]
    assert list(incident_frame(store, reported_to=ago(10)).index) == [whole]
    grid = small_layers.grids.iloc[3]["code"]
    other = next(g for g in small_layers.grids["code"] if g != grid)
    assert len(incident_frame(store, area_codes=[grid[:9]])) == 2
    assert len(incident_frame(store, area_codes=[other, grid])) == 2
    assert incident_frame(store, area_codes=[other]).empty


def test_any_store_gives_the_same_frame_through_its_interface(played):
    store = played[0]

    def delegate(name):
        return lambda self, *a, **k: getattr(store, name)(*a, **k)

    plain = type("PlainStore", (IncidentStore,),
                 {name: delegate(name) for name in IncidentStore.__abstractmethods__})()
    fast, slow = incident_frame(store), incident_frame(plain)
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False)
    assert set(EVENT_COLUMNS) <= set(slow.columns)
