"""locate/assign answer `overlap`, with every grid involved, for points where grids overlap."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridgis.index import MATCHES, GridIndex
from gridgis.index.overlaps import Overlaps
from tests.planning import broken_layers


@pytest.fixture(scope="module")
def overlapping(small_layers):
    broken, pair = broken_layers.overlap(small_layers)  # grid a grown 20 m into b
    a, b = pair.split(",")
    shared = shapely.intersection(broken.grids.loc[a, "geometry"],
                                  broken.grids.loc[b, "geometry"])
    return broken, (a, b), shared


def test_a_point_in_an_overlap_is_reported_with_both_grids(overlapping):
    broken, (a, b), shared = overlapping
    index = GridIndex.from_layers(broken)
    p = shapely.point_on_surface(shared)
    loc = index.locate(p.x, p.y)
    assert loc.match == "overlap"
    assert loc.overlap_codes == tuple(sorted((a, b)))
    assert loc.grid_code == min(a, b)  # still one grid: the lowest code, as on a boundary
    elsewhere = shapely.point_on_surface(shapely.difference(broken.grids.loc[b, "geometry"],
                                                            shapely.buffer(shared, 1e-4)))
    plain = index.locate(elsewhere.x, elsewhere.y)
    assert plain.match == "inside" and plain.overlap_codes is None and plain.grid_code == b


def test_assign_marks_the_points_in_overlaps(overlapping):
    broken, (a, b), shared = overlapping
    index = GridIndex.from_layers(broken)
    inside = shapely.point_on_surface(shared)
    other = broken.grids.geometry.iloc[-1].representative_point()
    out = index.assign(lon=[inside.x, other.x, np.nan], lat=[inside.y, other.y, 28.0])
    assert out["match"].tolist() == ["overlap", "inside", "invalid"]
    assert out["overlap_codes"].iloc[0] == f"{min(a, b)},{max(a, b)}"
    assert out["overlap_codes"].iloc[1:].isna().all()
    assert "overlap" in MATCHES


def test_a_clean_layer_has_no_overlaps_and_no_extra_column(small_layers):
    index = GridIndex.from_layers(small_layers)
    assert len(index._overlaps()) == 0
    p = small_layers.grids.geometry.iloc[0].representative_point()
    assert index.locate(p.x, p.y).overlap_codes is None
    assert "overlap_codes" not in index.assign(lon=[p.x], lat=[p.y]).columns


def test_slivers_below_the_width_tolerance_are_no_overlap():
    a = shapely.box(120.60, 28.00, 120.61, 28.01)
    b = shapely.box(120.61 - 2e-7, 28.00, 120.62, 28.01)  # about 2 cm into a
    assert len(Overlaps([a, b], ["a", "b"])) == 0
    c = shapely.box(120.61 - 2e-5, 28.00, 120.62, 28.01)  # about 2 m into a
    found = Overlaps([a, c], ["a", "c"])
    assert len(found) == 1 and found.members == [("a", "c")]
    assert found.codes_at([120.61 - 1e-5], [28.005]) == [("a", "c")]


def test_only_points_near_an_overlap_are_looked_up():
    found = Overlaps([shapely.box(0, 0, 1, 1), shapely.box(0.5, 0, 2, 1)], ["a", "b"])
    assert found.near([0.7, 1.5, 5.0], [0.5, 0.5, 0.5]).tolist() == [True, False, False]
    assert found.codes_at([0.7, 1.5], [0.5, 0.5]) == [("a", "b"), None]
    assert not Overlaps([shapely.box(0, 0, 1, 1)], ["a"]).near([0.5], [0.5]).any()
