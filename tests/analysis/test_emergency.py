"""Whether emergency plans can be met: the count-th quickest unit of each kind against its limit."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from gridgis.analysis.emergency import feasibility_summary, plan_feasibility
from gridgis.emergency_plans import Plan, PlanForce
from gridgis.nearest import UnitFinder

DEG_KM = 1 / (111.32 * 0.8829)  # degrees of longitude per km at 28° N


def _units():
    rows = [("U1", "police_station", 1), ("U2", "special_police", 10),
            ("U3", "volunteer_team", 1), ("U4", "volunteer_team", 5)]
    return gpd.GeoDataFrame(
        {"unit_id": [r[0] for r in rows], "name": [r[0] for r in rows],
         "kind": [r[1] for r in rows], "township_code": "330399001"},
        geometry=[shapely.Point(120.6 + r[2] * DEG_KM, 28.0) for r in rows], crs=4326)


PLANS = {"T1": Plan("T1", "测试预案", "test", ("X01",), (
    PlanForce("police_station", 1, 15.0), PlanForce("special_police", 1, 15.0),
    PlanForce("volunteer_team", 2, 15.0)))}


def _incidents():
    return gpd.GeoDataFrame({"category": ["X01", "D01", "X01"]},
                            geometry=[shapely.Point(120.6, 28.0), shapely.Point(120.6, 28.0),
                                      shapely.Point(120.6 + 3 * DEG_KM, 28.0)],
                            index=["a", "b", "c"], crs=4326)


def test_the_slowest_needed_unit_of_each_kind_is_measured():
    table = plan_feasibility(_incidents(), _units(), PLANS)
    assert set(table.index) == {"a", "c"}  # D01 starts no plan
    a = table.loc["a"].set_index("kind")
    assert a.loc["police_station", "eta_min"] == pytest.approx(2.0, abs=0.1)  # 1 km at 30
    assert a.loc["special_police", "eta_min"] == pytest.approx(20.0, abs=0.2)
    # two volunteer teams are needed: the second, 5 km off, completes the force
    assert a.loc["volunteer_team", "unit_id"] == "U4"
    assert a.loc["volunteer_team", "eta_min"] == pytest.approx(10.0, abs=0.1)
    assert a["met"].to_dict() == {"police_station": True, "special_police": False,
                                  "volunteer_team": True}
    assert set(a["eta_source"]) == {"estimate"}
    assert a.loc["special_police", "kind_name"] == "特警大队"
    c = table.loc["c"].set_index("kind")  # 7 km from the special police: 14 min
    assert c["met"].to_dict() == {"police_station": True, "special_police": True,
                                  "volunteer_team": True}
    plans, kinds = feasibility_summary(table)
    assert plans.loc["T1"].to_dict() == {"incidents": 2, "unmet": 1, "unmet_share": 0.5}
    assert kinds.loc[("T1", "special_police"), "only_late"] == 1


def test_a_kind_the_district_lacks_is_never_met():
    units = _units()
    table = plan_feasibility(_incidents(), units[units["kind"] != "special_police"], PLANS)
    lacking = table[table["kind"] == "special_police"]
    assert lacking["unit_id"].isna().all() and not lacking["met"].any()


def test_road_travel_times_are_used_when_the_finder_has_roads():
    units = _units()
    road = gpd.GeoDataFrame(geometry=[shapely.segmentize(shapely.LineString(
        [(120.59, 28.0), (120.75, 28.0)]), 0.0005)],
                            crs=4326)
    finder = UnitFinder(units, roads=road, speed_kmh=60)
    table = plan_feasibility(_incidents(), plans=PLANS, finder=finder)
    a = table.loc["a"].set_index("kind")
    assert set(a["eta_source"]) == {"network"}
    assert a.loc["special_police", "eta_min"] == pytest.approx(10.0, abs=0.2)  # 10 km at 60
    assert a["met"].all()
