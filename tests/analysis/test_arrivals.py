"""Arrival of emergency forces from the incidents' ``emergency_forces``, checked by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gridgis.analysis.arrivals import arrival_summary, force_arrivals
from gridgis.errors import LayerError

T1, T2 = "330399001", "330399002"


def force(kind, dispatched, departed, arrived, limit=15.0, **extra):
    return {"unit_id": f"U-{kind}-{dispatched}", "kind": kind,
            "dispatched_at": f"2026-11-0{dispatched}", "departed_at": departed,
            "arrived_at": arrived, "limit_min": limit, **extra}


@pytest.fixture
def incidents():
    a = [force("police_station", "1T09:00:00", "2026-11-01T09:02:00", "2026-11-01T09:10:00"),
         force("emergency", "1T09:00:00", "2026-11-01T09:05:00", "2026-11-01T09:25:00")]
    b = [force("police_station", "2T10:00:00", "2026-11-02T10:01:00", "2026-11-02T10:14:00"),
         force("emergency", "2T10:00:00", None, None),  # never came
         force("volunteer_team", "2T10:00:00", "2026-11-02T10:10:00", "2026-11-02T10:25:00",
               limit=30.0, reinforced=True)]
    c = [force("police_station", "3T08:00:00", "2026-11-03T08:03:00", "2026-11-03T08:20:00")]
    return pd.DataFrame({
        "incident_id": ["A", "B", "C", "D"],
        "township_code": [T1, T1, T2, T2],
        "category": ["X01", "X01", "X01", "D01"],
        # the store keeps the list as JSON text; a frame may hold the list itself
        "emergency_forces": [a, json.dumps(b), c, []],
    })


def test_one_row_per_unit_with_its_minutes(incidents):
    got = force_arrivals(incidents)
    assert got["incident_id"].tolist() == ["A", "A", "B", "B", "B", "C"]
    assert got["arrival_min"].tolist()[:3] == [10.0, 25.0, 14.0]
    assert np.isnan(got["arrival_min"].iloc[3])
    assert got["departure_min"].tolist()[:3] == [2.0, 5.0, 1.0]
    assert got["travel_min"].iloc[4] == 15.0
    # 25 minutes: late for 15, on time for its own limit of 30
    assert got["within_limit"].tolist() == [True, False, True, False, True, False]
    assert got["reinforced"].tolist() == [False, False, False, False, True, False]


def test_summary_by_township_and_kind(incidents):
    got = arrival_summary(force_arrivals(incidents))
    police = got.loc[(T1, "police_station")]
    assert police["forces"] == 2 and police["arrived"] == 2
    assert police["median_arrival_min"] == 12.0  # 10 and 14
    assert police["within_limit_share"] == 1.0
    emergency = got.loc[(T1, "emergency")]
    # one came after 25 min, one never came: neither within 15 min
    assert emergency["forces"] == 2 and emergency["arrived"] == 1
    assert emergency["median_arrival_min"] == 25.0 and emergency["within_limit_share"] == 0.0
    assert got.loc[(T2, "police_station"), "within_limit_share"] == 0.0  # 20 min
    by_kind = arrival_summary(force_arrivals(incidents), by=("kind",))
    assert by_kind.loc["police_station", "median_arrival_min"] == 14.0  # 10, 14, 20
    assert by_kind.loc["police_station", "p90_arrival_min"] == pytest.approx(18.8)  # 14 + 0.8 × 6
    assert by_kind.loc["police_station", "within_limit_share"] == pytest.approx(2 / 3)
    assert "kind_name" in by_kind.columns


def test_no_forces_and_missing_columns(incidents):
    empty = force_arrivals(incidents[incidents["incident_id"] == "D"])
    assert len(empty) == 0 and "arrival_min" in empty.columns
    with pytest.raises(LayerError):
        force_arrivals(incidents.drop(columns="emergency_forces"))


def test_arrivals_of_a_plan_run_through_the_dispatcher_and_the_store(small_layers):
    import datetime as dt

    from gridgis.dispatch import Dispatcher
    from gridgis.people.staff import StaffMember
    from gridgis.store import SQLiteStore
    from gridgis.store.frame import incident_frame

    now = [dt.datetime(2026, 11, 2, 9)]
    store = SQLiteStore(":memory:")
    try:
        d = Dispatcher(small_layers, store, clock=lambda: now[0])
        grid = small_layers.grids.iloc[0]
        p = grid.geometry.representative_point()
        inc, _ = d.report(lon=p.x, lat=p.y, category="X01", description="欠薪务工人员聚集",
                          actor="test")
        units = [f["unit_id"] for f in inc["emergency_forces"]]
        assert len(units) >= 3

        def unit(u):
            return StaffMember(f"s-{u}", "钱单位", "unit", None, unit_id=u)

        now[0] += dt.timedelta(minutes=2)
        for u in units:
            d.transition(inc["incident_id"], action="depart", by=unit(u))
        now[0] += dt.timedelta(minutes=9)  # 11 minutes after dispatch
        d.transition(inc["incident_id"], action="arrive", by=unit(units[0]))
        now[0] += dt.timedelta(minutes=7)  # 18 minutes: late
        d.transition(inc["incident_id"], action="arrive", by=unit(units[1]))
        frame = incident_frame(store)
    finally:
        store.close()
    got = force_arrivals(frame).set_index("unit_id").loc[units]
    assert got["departure_min"].tolist() == [2.0] * len(units)
    assert got["arrival_min"].iloc[:2].tolist() == [11.0, 18.0]
    assert got["arrival_min"].iloc[2:].isna().all()  # still on the way
    assert got["within_limit"].tolist() == [True] + [False] * (len(units) - 1)
    assert set(got["township_code"]) == {grid.code[:9]}
    summary = arrival_summary(force_arrivals(frame), by=("township_code",))
    assert summary["forces"].iloc[0] == len(units) and summary["arrived"].iloc[0] == 2
    assert summary["median_arrival_min"].iloc[0] == 14.5
