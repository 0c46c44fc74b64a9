"""Compliance figures on a hand-built two-week case, worked out by hand."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from gridgis.analysis.patrol_compliance import (
    compliance_summary,
    worker_compliance,
    zone_compliance,
)

START, END = "2026-10-01", "2026-10-15"  # two weeks; "now" is 10-15 00:00


@pytest.fixture
def zones():
    return gpd.GeoDataFrame(
        {"zone_id": ["H", "M", "L"], "level": ["high", "medium", "low"],
         "grid_code": ["g1", "g1", "g2"]},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(3)], crs=4326)


def visit(zone, day, hour, minutes=30, person="w1"):
    t = pd.Timestamp(f"2026-10-{day:02d} {hour:02d}:00")
    return {"zone_id": zone, "entered_at": t, "left_at": t + pd.Timedelta(minutes=minutes),
            "person": person}


@pytest.fixture
def visits():
    rows = [visit("H", d, 9) for d in range(1, 15) if d != 5]  # daily but 10-05
    rows.append(visit("H", 14, 9, person="w2"))  # w2 walks H with w1: counts once
    rows.append(visit("H", 3, 9, minutes=0) | {"entered_at": pd.Timestamp("2026-10-03 09:45"),
                                                "left_at": pd.Timestamp("2026-10-03 09:50")})
    rows += [visit("M", 2, 10), visit("M", 4, 10), visit("M", 9, 10)]  # week 2: one
    rows += [visit("L", 1, 15), visit("L", 3, 15)]  # nothing after 10-03
    return pd.DataFrame(rows)


def test_zone_figures(zones, visits):
    t = zone_compliance(zones, visits, start=START, end=END).set_index("zone_id")
    # H: 13 occasions (10-05 missed; the 14th's pair and the 3rd's second pass merge)
    assert t.loc["H", "visits"] == 13
    assert t.loc["H", "compliance"] == pytest.approx(13 / 14)
    assert t.loc["H", "weeks_met_share"] == 0.5  # week 1 had six visits, week 2 seven
    # longest gap: 10-04 09:30 → 10-06 09:00
    assert t.loc["H", "longest_gap_h"] == pytest.approx(47.5)
    assert t.loc["H", "visits_last_7d"] == 7  # 10-08 … 10-14: the week is whole again
    assert t.loc["H", "status"] == "on_track"
    assert t.loc["M", "visits"] == 3 and t.loc["M", "compliance"] == pytest.approx(3 / 4)
    assert t.loc["M", "longest_gap_h"] == pytest.approx((pd.Timestamp(END) - pd.Timestamp(
        "2026-10-09 10:30")).total_seconds() / 3600)
    assert t.loc["M", "status"] == "behind"  # one visit in the last 7 days, needs two
    assert t.loc["L", "compliance"] == 1.0 and t.loc["L", "status"] == "behind"
    assert t.loc["L", "weeks_met_share"] == 0.5


def test_last_day_decides_a_high_zone(zones, visits):
    daily = pd.DataFrame([visit("H", d, 9) for d in range(1, 15)])
    t = zone_compliance(zones, daily, start=START, end=END).set_index("zone_id")
    assert t.loc["H", "status"] == "on_track" and t.loc["H", "compliance"] == 1.0
    late = zone_compliance(zones, daily, start=START, end="2026-10-15 12:00")
    assert late.set_index("zone_id").loc["H", "status"] == "missed"  # 26.5 h without a visit


def test_summary_and_workers(zones, visits):
    t = zone_compliance(zones, visits, start=START, end=END)
    s = compliance_summary(t)
    assert s.index.tolist() == ["high", "medium", "low"]
    assert s.loc["high", "required"] == 14 and s.loc["high", "missed"] == 0
    assert s.loc["low", "compliance"] == 1.0  # two visits credited, two needed
    assert s.loc["medium", "behind"] == 1 and s.loc["low", "behind"] == 1
    grid = compliance_summary(t, by="grid_code")
    assert grid.loc["g1", "compliance"] == pytest.approx((13 + 3) / (14 + 4))
    patrols = pd.DataFrame({"person": ["w1", "w1", "w2"], "grid_code": ["g1", "g2", "g1"],
                            "started_at": pd.to_datetime(["2026-10-01 09:00",
                                                          "2026-10-01 15:00",
                                                          "2026-10-14 09:00"]),
                            "ended_at": pd.to_datetime(["2026-10-01 10:00",
                                                        "2026-10-01 15:30",
                                                        "2026-10-14 09:30"]),
                            "length_m": [1500.0, 800.0, 700.0]})
    w = worker_compliance(patrols, visits, t, grids_of={"w1": ("g1",), "w2": ("g1", "g2")})
    assert w.loc["w1", "km"] == pytest.approx(2.3) and w.loc["w1", "days"] == 1
    assert w.loc["w1", "grid_compliance"] == pytest.approx(16 / 18)
    assert w.loc["w2", "grid_compliance"] == pytest.approx((16 + 2) / (18 + 2))


def test_patrol_coverage_uses_real_visits_when_given(zones, visits):
    from gridgis.analysis import patrol_coverage

    zones = zones.set_geometry(zones.translate(120, 28).scale(0.01, 0.01, origin=(120, 28)))
    incidents = gpd.GeoDataFrame({"reported_at": pd.to_datetime(["2026-10-01", "2026-10-15"])},
                                 geometry=[shapely.Point(120.005, 28.005),
                                           shapely.Point(120.025, 28.005)], crs=4326)
    assumed = patrol_coverage(zones, incidents)
    assert assumed["visits_per_week"].tolist() == [7.0, 2.0, 1.0]
    walked = patrol_coverage(zones, incidents, visits=visits)
    # visits from 10-01 to 10-14: two whole weeks; H 15 visits rows, M 3, L 2
    assert walked["visits_per_week"].tolist() == [15 / 2, 3 / 2, 2 / 2]
    assert walked["incidents"].tolist() == assumed["incidents"].tolist() == [1, 0, 1]
