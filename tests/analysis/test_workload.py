from __future__ import annotations

import numpy as np
import pytest

from gridgis.analysis import grid_workload

from .conftest import NOW


def test_workload_by_hand(tiny_grids, tiny_incidents, tiny_zones):
    load = grid_workload(tiny_grids, incidents=tiny_incidents, zones=tiny_zones, now=NOW)
    assert load.index.equals(tiny_grids.index)
    assert load["households_per_worker"].tolist() == [100, 100, 300, 200]
    assert load["area_km2_per_worker"].tolist() == pytest.approx([1, 0.5, 1, 0.5], rel=1e-6)
    assert load["patrol_visits_per_week"].tolist() == [7, 2, 1, 1]
    assert load["patrol_km2_per_week_per_worker"].tolist() == pytest.approx(
        [7, 1, 1, 0.5], rel=1e-6)
    assert load["incidents"].tolist() == [4, 2, 1, 0]
    assert load["incidents_per_worker"].tolist() == [4, 1, 1, 0]
    assert load["discovered"].tolist() == [1, 1, 0, 0]
    # G1: verified after 12 h (on time) and 48 h (late); G3: resolved 15 days ago, unverified
    assert load["verify_due"].tolist() == [2, 1, 1, 0]
    assert load["verified_on_time"].tolist() == [1, 1, 0, 0]
    rate = load["verification_on_time_rate"].to_numpy()
    assert rate[:3] == pytest.approx([0.5, 1.0, 0.0]) and np.isnan(rate[3])
    assert load.loc[load.index[0], "median_verify_hours"] == pytest.approx(30)


def test_verify_limit_is_configurable(tiny_grids, tiny_incidents):
    load = grid_workload(tiny_grids, incidents=tiny_incidents, verify_within="48h", now=NOW)
    assert load["verified_on_time"].tolist() == [2, 1, 0, 0]
    assert "patrol_visits_per_week" not in load.columns
    with pytest.raises(ValueError, match="positive"):
        grid_workload(tiny_grids, verify_within="0h")


def test_load_index_is_relative_to_the_median(tiny_grids):
    load = grid_workload(tiny_grids)
    # households/worker [100, 100, 300, 200] (median 150), km²/worker [1, .5, 1, .5] (.75)
    expected = np.sqrt(np.array([100, 100, 300, 200]) / 150 * np.array([1, .5, 1, .5]) / .75)
    assert load["load_index"].to_numpy() == pytest.approx(expected, rel=1e-6)
