from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gridgis.analysis import area_rates, counts_over_time, incident_metrics
from gridgis.errors import LayerError

from .conftest import G1, G2, G3, G4, NOW


def test_metrics_per_grid_by_hand(tiny_incidents):
    m = incident_metrics(tiny_incidents, by="grid_code", now=NOW)
    g1 = m.loc[G1]
    assert g1["incidents"] == 4 and g1["valid"] == 3  # one rejected
    assert g1["closure_rate"] == pytest.approx(2 / 3)
    # due: two resolved + one open past its deadline; only the first on time
    assert g1["due"] == 3 and g1["on_time"] == 1 and g1["overdue_open"] == 1
    assert g1["on_time_rate"] == pytest.approx(1 / 3)
    assert g1["median_handling_hours"] == pytest.approx((24 + 408) / 2)
    assert g1["escalation_rate"] == pytest.approx(1 / 3)
    assert g1["satisfaction"] == pytest.approx(3.5)
    assert g1["satisfied_rate"] == pytest.approx(0.5)
    g2 = m.loc[G2]
    assert (g2["incidents"], g2["due"], g2["on_time_rate"]) == (2, 1, 1.0)  # one not yet due
    assert g2["closure_rate"] == 0.5 and g2["median_handling_hours"] == pytest.approx(36)
    g3 = m.loc[G3]
    assert g3["closure_rate"] == 0.0 and np.isnan(g3["satisfaction"])


def test_metrics_overall_and_by_category_and_month(tiny_incidents):
    total = incident_metrics(tiny_incidents, now=NOW)
    assert list(total.index) == ["all"]
    assert total.loc["all", "incidents"] == 7
    assert total.loc["all", "closure_rate"] == pytest.approx(3 / 6)
    assert total.loc["all", "median_handling_hours"] == pytest.approx(30)  # 24, 24, 36, 408
    by = incident_metrics(tiny_incidents, by=["category", "month"], now=NOW)
    assert by.loc[("D01", "2026-01"), "incidents"] == 3
    assert by["incidents"].sum() == 7


def test_now_decides_what_is_overdue(tiny_incidents):
    early = incident_metrics(tiny_incidents, by="grid_code", now="2026-01-10 12:00")
    # at that moment the open S01 incident (due 01-11) is not yet late: only the two
    # resolved incidents are due, one of them on time
    assert early.loc[G1, "due"] == 2 and early.loc[G1, "on_time_rate"] == 0.5
    assert early.loc[G1, "overdue_open"] == 0


def test_area_rates_grids_keep_index_and_geometry(tiny_incidents, tiny_grids):
    out = area_rates(tiny_incidents, tiny_grids, now=NOW)
    assert isinstance(out, gpd.GeoDataFrame)
    assert out.index.equals(tiny_grids.index)
    assert out.geometry.equals(tiny_grids.geometry)
    assert out["incidents"].tolist() == [4, 2, 1, 0]
    assert out["per_1000_households"].tolist() == pytest.approx([40, 10, 1000 / 300, 0])
    assert out["area_km2"].tolist() == pytest.approx([1, 1, 1, 1], rel=1e-6)
    assert out["incidents_per_km2"].tolist() == pytest.approx([4, 2, 1, 0], rel=1e-6)
    assert np.isnan(out.loc[G4, "closure_rate"])


def test_area_rates_communities_and_townships(tiny_incidents, tiny_grids, tiny_communities,
                                              tiny_townships):
    comm = area_rates(tiny_incidents, tiny_communities, grids=tiny_grids, now=NOW)
    assert comm["households"].tolist() == [300, 700]
    assert comm["incidents"].tolist() == [6, 1]
    assert comm["per_1000_households"].tolist() == pytest.approx([20, 1000 / 700])
    assert comm.loc[G1[:12], "on_time_rate"] == pytest.approx(2 / 4)
    assert comm.loc[G1[:12], "median_handling_hours"] == pytest.approx(36)
    town = area_rates(tiny_incidents, tiny_townships, grids=tiny_grids, now=NOW)
    assert town.iloc[0]["per_1000_households"] == pytest.approx(7.0)
    assert town.iloc[0]["area_km2"] == pytest.approx(4.0, rel=1e-6)


def test_area_rates_filters(tiny_incidents, tiny_grids):
    d01 = area_rates(tiny_incidents, tiny_grids, category="D01", now=NOW)
    assert d01["incidents"].tolist() == [3, 0, 0, 0]
    window = area_rates(tiny_incidents, tiny_grids, start="2026-01-05", end="2026-01-16",
                        now=NOW)
    assert window["incidents"].tolist() == [2, 1, 1, 0]


def test_missing_column_names_it(tiny_incidents, tiny_grids):
    with pytest.raises(LayerError) as err:
        incident_metrics(tiny_incidents.drop(columns="resolve_by"))
    assert err.value.column == "resolve_by" and "read_layers" in str(err.value)
    with pytest.raises(LayerError, match="no such column"):
        incident_metrics(tiny_incidents, by="nothing")
    with pytest.raises(ValueError, match="level must be one of"):
        area_rates(tiny_incidents, tiny_grids, level="county")


def test_counts_over_time(tiny_incidents):
    weekly = counts_over_time(tiny_incidents, freq="W-MON", by="category")
    assert weekly.to_numpy().sum() == 7
    assert set(weekly.columns) == {"D01", "S01", "E02", "D06"}
    daily = counts_over_time(tiny_incidents, freq="D")
    assert daily["incidents"].sum() == 7
    assert daily.loc[pd.Timestamp("2026-01-02"), "incidents"] == 0  # empty days are 0
