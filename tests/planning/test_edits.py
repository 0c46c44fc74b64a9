"""Edits: split, merge and move buildings return new plans that still validate."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from gridgis.errors import PlanError
from gridgis.planning.edits import merge_grids, move_buildings, reissue_codes, split_grid
from gridgis.planning.validate import validate
from tests.planning.broken_layers import neighbours


def _community_households(layers, community):
    return int(layers.grids.loc[layers.grids["community_code"] == community, "households"].sum())


def test_merge_keeps_the_larger_code_and_sums(small_layers):
    a, b = neighbours(small_layers.grids)
    plan = merge_grids(small_layers, [a, b])
    assert validate(plan).ok
    areas = small_layers.grids.loc[[a, b]].to_crs(3857).area
    keep = areas.idxmax()
    gone = b if keep == a else a
    assert keep in plan.grids.index and gone not in plan.grids.index
    merged = plan.grids.loc[keep]
    assert merged["households"] == small_layers.grids.loc[[a, b], "households"].sum()
    assert merged["workers"] == small_layers.grids.loc[[a, b], "workers"].sum()
    assert not plan.buildings["grid_code"].eq(gone).any()
    assert plan.patrol_zones["grid_code"].isin(plan.grids.index).all()
    assert gone in small_layers.grids.index  # input untouched


def test_split_by_a_line_gives_pieces_that_tile_the_grid(small_layers):
    code = small_layers.grids.index[0]
    geom = small_layers.grids.loc[code, "geometry"]
    x0, y0, x1, y1 = geom.bounds
    cut = [((x0 + x1) / 2, y0 - 0.01), ((x0 + x1) / 2, y1 + 0.01)]
    plan = split_grid(small_layers, code, cut)
    assert validate(plan).ok
    community = code[:12]
    assert len(plan.grids) == len(small_layers.grids) + 1
    new = sorted(set(plan.grids.index) - set(small_layers.grids.index))
    assert len(new) == 1
    used = [int(c[12:]) for c in small_layers.grids.index if c.startswith(community)]
    assert int(new[0][12:]) == max(used) + 1  # the next free sequence number
    pieces = plan.grids.loc[[*new, code] if code in plan.grids.index else new]
    rebuilt = shapely.union_all(pieces.geometry.to_numpy())
    assert shapely.area(shapely.symmetric_difference(rebuilt, geom)) < 1e-12
    assert _community_households(plan, community) == \
        _community_households(small_layers, community)
    with pytest.raises(PlanError, match="does not cut"):
        split_grid(small_layers, code, [(x0 - 1, y0 - 1), (x0 - 0.5, y0 - 0.5)])


def test_move_buildings_moves_households_and_redraws_both_grids(small_layers):
    a, b = neighbours(small_layers.grids)
    buildings = small_layers.buildings
    mine = buildings[buildings["grid_code"] == a].copy()
    mine["d"] = shapely.distance(mine.geometry.to_numpy(), small_layers.grids.loc[b, "geometry"])
    chosen = mine.nsmallest(2, "d")
    plan = move_buildings(small_layers, chosen["building_id"], b)
    assert validate(plan).ok
    moved = plan.buildings.set_index("building_id").loc[chosen["building_id"], "grid_code"]
    assert (moved == b).all()
    gained = plan.grids.loc[b, "households"] - small_layers.grids.loc[b, "households"]
    assert gained == chosen["households"].sum()
    for building in chosen.itertuples():
        assert plan.grids.loc[b, "geometry"].covers(building.geometry)
    untouched = small_layers.grids.drop(index=[a, b])
    assert plan.grids.loc[untouched.index].geometry.geom_equals(untouched.geometry).all()


def test_edits_refuse_what_makes_no_sense(small_layers):
    grids = small_layers.grids
    other = grids[grids["community_code"] != grids["community_code"].iloc[0]].index[0]
    with pytest.raises(PlanError, match="different communities"):
        merge_grids(small_layers, [grids.index[0], other])
    with pytest.raises(PlanError, match="at least two"):
        merge_grids(small_layers, [grids.index[0]])
    with pytest.raises(PlanError, match="no grid"):
        merge_grids(small_layers, [grids.index[0], "330399999999999"])
    far = small_layers.buildings[small_layers.buildings["grid_code"] == other]["building_id"]
    with pytest.raises(PlanError, match="outside community"):
        move_buildings(small_layers, far[:1], grids.index[0])
    a, b = neighbours(grids)
    inner = small_layers.buildings[small_layers.buildings["grid_code"] == a].copy()
    inner["d"] = shapely.distance(inner.geometry.to_numpy(), grids.loc[b, "geometry"])
    with pytest.raises(PlanError, match="do not border"):
        move_buildings(small_layers, inner.nlargest(1, "d")["building_id"], b)


def test_reissue_keeps_codes_by_mutual_majority(small_layers):
    a, b = neighbours(small_layers.grids)
    old = small_layers.grids.loc[[a, b]]
    same = reissue_codes(old, old.assign(code=["x", "y"]))
    assert list(same["code"]) == [a, b]
    union = shapely.union(old.geometry.iloc[0], old.geometry.iloc[1])
    shifted = gpd.GeoDataFrame({"community_code": [a[:12]]},
                               geometry=[shapely.affinity.translate(union, 1.0)], crs=4326)
    far = reissue_codes(old, shifted, used=small_layers.grids["code"])
    assert far["code"].iloc[0] not in small_layers.grids.index


def test_reissue_refuses_when_a_community_has_no_code_left():
    old = gpd.GeoDataFrame({"code": ["330399001001999"], "community_code": ["330399001001"]},
                           geometry=[shapely.box(120.0, 28.0, 120.01, 28.01)], crs=4326)
    new = gpd.GeoDataFrame({"code": ["a"], "community_code": ["330399001001"]},
                           geometry=[shapely.box(120.02, 28.0, 120.03, 28.01)], crs=4326)
    with pytest.raises(PlanError, match="run out of grid codes"):
        reissue_codes(old, new)
    kept = reissue_codes(old, old.assign(code="b"))  # the same grid keeps its code
    assert list(kept["code"]) == ["330399001001999"]
