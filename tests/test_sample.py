"""The sample district keeps its promises, checked with shapely on the geometry itself."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridgis import sample_district
from gridgis.sample import SAMPLE_DISTRICT_CODE, SAMPLE_END, SAMPLE_START

PLANE = 4549  # CGCS2000 Gauss-Krüger, central meridian 120°E: areas in m²


@pytest.fixture(scope="module")
def projected(sample_layers):
    return {name: frame.to_crs(PLANE) for name, frame in sample_layers.items()}


def test_counts_are_those_of_a_real_district(sample_layers):
    counts = {name: len(frame) for name, frame in sample_layers.items()}
    assert 12 <= counts["townships"] <= 16
    assert 130 <= counts["communities"] <= 175
    assert 650 <= counts["grids"] <= 850
    assert 45_000 <= counts["buildings"] <= 75_000
    assert 100 <= counts["units"] <= 140
    assert 27_000 <= counts["incidents"] <= 33_000
    assert counts["patrol_zones"] > counts["grids"]


def test_grids_tile_each_community_without_gap_or_overlap(projected):
    grids, comms = projected["grids"], projected["communities"]
    for code, community in comms.set_index("code").geometry.items():
        mine = grids.geometry[grids["community_code"] == code].values
        union = shapely.union_all(mine)
        gap = shapely.difference(community, union).area
        outside = shapely.difference(union, community).area
        overlap = shapely.area(mine).sum() - union.area
        assert gap < 1e-3, (code, gap)
        assert outside < 1e-3, (code, outside)
        assert overlap < 1e-3, (code, overlap)


def test_no_two_grids_overlap_anywhere(projected):
    geoms = projected["grids"].geometry.values
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    shared = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
    assert shared.max() < 1e-3
    assert pairs.sum() > len(geoms)  # neighbours touch: the test did look at pairs


def test_hierarchy_nests_exactly(projected):
    comms, towns = projected["communities"], projected["townships"]
    for code, town in towns.set_index("code").geometry.items():
        mine = comms.geometry[comms["township_code"] == code].values
        assert shapely.symmetric_difference(town, shapely.union_all(mine)).area < 1e-3
    district = shapely.union_all(towns.geometry.values)
    assert shapely.get_num_geometries(district) == 1
    assert len(district.interiors) == 0  # no holes: every place is in some township
    assert 300e6 < district.area < 600e6  # a district of a few hundred km²


def test_codes_are_consistent(sample_layers):
    t, c, g = sample_layers.townships, sample_layers.communities, sample_layers.grids
    assert (t["district_code"] == SAMPLE_DISTRICT_CODE).all()
    assert t["code"].str.startswith(SAMPLE_DISTRICT_CODE).all()
    assert c["township_code"].isin(t["code"]).all()
    assert (c["code"].str.slice(0, 9) == c["township_code"]).all()
    assert g["community_code"].isin(c["code"]).all()
    assert (g["code"].str.slice(0, 12) == g["community_code"]).all()
    assert g["code"].is_unique and c["code"].is_unique
    # villages are numbered from 201, urban communities from 001 (statistical division codes)
    seq = c["code"].str.slice(9).astype(int)
    assert (seq[c["kind"] == "rural"] >= 201).all() and (seq[c["kind"] == "urban"] < 200).all()


def test_every_grid_is_one_piece_and_valid(sample_layers):
    g = sample_layers.grids
    assert (g.geom_type == "Polygon").all()
    assert shapely.is_valid(g.geometry.values).all()


def test_households(sample_layers):
    g = sample_layers.grids
    kind = g["community_code"].map(sample_layers.communities.set_index("code")["kind"])
    urban = g[kind == "urban"]
    assert urban["households"].between(300, 500).all()
    assert len(urban) > 0.8 * len(g)
    b = sample_layers.buildings
    assert b.groupby("grid_code")["households"].sum().reindex(g["code"]).tolist() == \
        g["households"].tolist()
    assert (g["population"] > g["households"]).all()
    assert (g["workers"] >= 1).all()


def test_buildings_and_units_lie_where_they_say(sample_layers):
    g = sample_layers.grids
    b = sample_layers.buildings
    hit = gpd.sjoin(b, g[["code", "geometry"]], predicate="within")
    assert len(hit) == len(b)
    assert (hit["grid_code"] == hit["code"]).all()
    u = sample_layers.units
    hit = gpd.sjoin(u, sample_layers.townships[["code", "geometry"]], predicate="within")
    assert (hit["township_code"] == hit["code"]).all()


def test_incidents_are_located_in_their_grid(sample_layers):
    inc = sample_layers.incidents
    hit = gpd.sjoin(inc[["grid_code", "geometry"]], sample_layers.grids[["code", "geometry"]],
                    predicate="intersects")
    first = hit[~hit.index.duplicated()]
    assert len(first) == len(inc)
    assert (first["grid_code"] == first["code"]).mean() == 1.0


def test_patrol_zones_cover_each_grid_once(projected):
    zones, grids = projected["patrol_zones"], projected["grids"]
    assert set(zones["level"]) == {"high", "medium", "low"}
    area = zones.assign(a=zones.area).groupby("grid_code")["a"].sum()
    grid_area = grids.set_index("code").area
    assert np.allclose(area.reindex(grid_area.index), grid_area, rtol=1e-6)


def test_incident_lifecycle_looks_like_a_platform(sample_layers):
    inc = sample_layers.incidents
    assert inc["reported_at"].min() >= pd.Timestamp(SAMPLE_START)
    assert inc["reported_at"].max() <= pd.Timestamp(SAMPLE_END)
    closed = inc["status"] == "closed"
    assert 0.9 < closed.mean() < 0.99
    for stage in ("accepted_at", "dispatched_at", "resolved_at", "verified_at", "closed_at"):
        t = inc.loc[closed, stage]
        assert t.notna().all(), stage
    order = inc.loc[closed, ["reported_at", "accepted_at", "dispatched_at", "resolved_at",
                             "verified_at", "closed_at"]].to_numpy()
    assert (np.diff(order.astype("int64"), axis=1) >= 0).all()
    on_time = (inc.loc[closed, "resolved_at"] <= inc.loc[closed, "resolve_by"]).mean()
    assert 0.85 < on_time < 0.99  # most on time, some overdue
    assert {"rejected", "shelved", "in_progress"} <= set(inc["status"])
    assert (inc["escalation_level"] == 1).sum() > 100 and (inc["escalation_level"] == 2).sum() > 10
    assert 0 < inc["reopened"].mean() < 0.1
    reached = closed & (inc["callback_outcome"] == "reached")
    assert inc.loc[reached, "satisfaction"].between(3, 5).all()  # a lower rating reopened it
    assert inc.loc[closed & ~reached, "satisfaction"].isna().all()  # unreachable: no rating
    assert inc.loc[~closed, "closed_at"].isna().all()
    assert (inc.loc[inc["source"] == "app", "input_crs"] == "gcj02").all()


def test_seasons_typhoon_and_surge(sample_layers):
    inc = sample_layers.incidents
    month = inc["reported_at"].dt.month
    by = inc.groupby(["category", month]).size().unstack(fill_value=0)
    assert by.loc["D04", 1] > 2 * by.loc["D04", 7]  # wages before the Spring Festival
    assert by.loc["E03", 7] > 1.5 * by.loc["E03", 1]  # fumes in summer
    day = inc["reported_at"].dt.normalize()
    s01 = inc[inc["category"] == "S01"].groupby(day).size()
    assert s01.idxmax() in pd.date_range("2026-08-04", "2026-08-06")
    d06 = inc[inc["category"] == "D06"]
    late = d06["reported_at"] >= pd.Timestamp(SAMPLE_END) - pd.Timedelta(days=42)
    share_late = d06.loc[late, "township_code"].value_counts(normalize=True)
    share_before = d06.loc[~late, "township_code"].value_counts(normalize=True)
    top = share_late.idxmax()
    assert share_late[top] > 2 * share_before.get(top, 0)


def test_the_same_seed_gives_the_same_district():
    a = sample_district(scale=0.05, seed=3)
    b = sample_district(scale=0.05, seed=3)
    c = sample_district(scale=0.05, seed=4)
    for name, frame in a.items():
        pd.testing.assert_frame_equal(frame.drop(columns="geometry"),
                                      b[name].drop(columns="geometry"))
        assert shapely.equals_exact(frame.geometry.values, b[name].geometry.values, 0).all()
    assert not a.grids.geometry.values[0].equals(c.grids.geometry.values[0])


def test_bad_scale():
    with pytest.raises(ValueError, match="scale must lie between"):
        sample_district(scale=0)
