"""The sample district's road layer: one noded, connected network that reaches every house."""

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import gridgis.sample as sample_module
from gridgis import read_layers, sample_district, write_layers
from gridgis.errors import LayerError
from gridgis.roads import default_speeds, load_road_classes
from gridgis.schemas import ROAD_CLASSES, SCHEMAS

PLANE = 4549  # CGCS2000 Gauss-Krüger, central meridian 120°E: metres


def _node_graph(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Start and end node of each line, nodes being exactly equal end vertices."""
    first = shapely.get_coordinates(shapely.get_point(roads.geometry.values, 0))
    last = shapely.get_coordinates(shapely.get_point(roads.geometry.values, -1))
    nodes, inverse = np.unique(np.vstack([first, last]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return inverse[: len(roads)], inverse[len(roads):], len(nodes)


def _components(roads: gpd.GeoDataFrame, *, directed: bool = False) -> int:
    u, v, n = _node_graph(roads)
    if directed:
        two = ~roads["oneway"].to_numpy()
        u, v = np.concatenate([u, v[two]]), np.concatenate([v, u[two]])
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    return connected_components(graph, directed=directed, connection="strong")[0]


@pytest.fixture(scope="module")
def roads_m(sample_layers):
    return sample_layers.roads.to_crs(PLANE)


def test_roads_follow_the_schema_and_the_class_table(sample_layers):
    roads = sample_layers.roads
    assert roads.crs.to_epsg() == 4326
    assert list(roads.columns[:-1]) == list(SCHEMAS["roads"].column_names)
    assert (roads.geom_type == "LineString").all()
    assert shapely.is_valid(roads.geometry.values).all()
    assert roads["road_id"].is_unique
    assert set(roads["road_class"]) == set(ROAD_CLASSES)  # every class occurs
    speeds = default_speeds()
    assert (roads["speed_kmh"] == roads["road_class"].map(speeds)).all()
    assert (roads["speed_kmh"] > 0).all()
    classes = load_road_classes()
    assert classes.loc["village", "name_zh"] == "村道"
    assert classes["speed_kmh"].is_monotonic_decreasing  # the faster classes first


def test_size_and_lengths_by_class_are_those_of_a_district(sample_layers, roads_m):
    assert 2_000 <= len(roads_m) <= 20_000
    km = roads_m.length.groupby(roads_m["road_class"]).sum() / 1000
    area_km2 = sample_layers.townships.to_crs(PLANE).area.sum() / 1e6
    assert 1.5 < km.sum() / area_km2 < 8  # km of road per km², city and country together
    assert km["arterial"] > 30 and km["expressway"] > 10
    assert km["street"] > km["arterial"]


def test_arterials_are_named_and_reach_every_township(sample_layers):
    roads = sample_layers.roads
    arterials = roads[roads["road_class"] == "arterial"]
    assert (arterials["name"].str.len() > 0).all()
    assert {"瓯江路", "学院路"} <= set(arterials["name"])
    assert arterials["name"].str.fullmatch(r"[\u4e00-\u9fff]+(路|大道)").all()
    fast = roads[roads["road_class"].isin(["arterial", "expressway"])].geometry.values
    for code, town in sample_layers.townships.set_index("code").geometry.items():
        assert shapely.intersects(town, fast).any(), code


def test_the_network_is_one_connected_component(sample_layers, small_layers):
    for layers in (sample_layers, small_layers):
        assert _components(layers.roads) == 1
        # one-way streets keep every junction reachable from every other
        assert _components(layers.roads, directed=True) == 1


def test_the_component_count_sees_a_road_cut_off(small_layers):
    roads = small_layers.roads
    u, v, n = _node_graph(roads)
    degree = np.bincount(np.concatenate([u, v]), minlength=n)
    lane = np.flatnonzero(degree[v] == 1)[0]  # a dead-end lane
    others = ((u == u[lane]) | (v == u[lane])) & (np.arange(len(roads)) != lane)
    assert _components(roads[~others]) > 1


@pytest.mark.parametrize("which", ["sample_layers", "small_layers"])
def test_lines_meet_only_at_shared_end_vertices(which, request):
    roads = request.getfixturevalue(which).roads
    geoms = roads.geometry.values
    ends = {tuple(p) for p in np.vstack([
        shapely.get_coordinates(shapely.get_point(geoms, 0)),
        shapely.get_coordinates(shapely.get_point(geoms, -1))])}
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    meet = shapely.intersection(geoms[left[keep]], geoms[right[keep]])
    assert len(meet) > len(roads)  # the test did look at junctions
    kinds = set(shapely.get_type_id(meet).tolist())
    assert kinds <= {0, 4}, kinds  # points only: no overlapping stretches
    points = shapely.get_coordinates(meet)
    off = [tuple(p) for p in points if tuple(p) not in ends]
    assert not off, f"{len(off)} crossings or T-junctions without a shared end vertex"


def test_every_building_and_unit_lies_near_a_road(sample_layers, roads_m):
    tree = shapely.STRtree(roads_m.geometry.values)
    for layer in (sample_layers.buildings, sample_layers.units):
        pts = layer.to_crs(PLANE).geometry.values
        (which, _), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
        assert len(which) == len(pts)
        assert dist.max() <= 300, dist.max()


def test_a_few_one_way_streets_in_the_core(sample_layers, roads_m):
    oneway = roads_m[roads_m["oneway"]]
    assert 2 <= len(oneway) <= 12
    assert (oneway["road_class"] == "street").all()
    city = sample_layers.townships.to_crs(PLANE)
    core = city[city["code"].str.slice(6, 9).astype(int) < 100].union_all()
    assert shapely.within(oneway.geometry.values, core).all()


def test_other_layers_do_not_depend_on_the_roads(monkeypatch):
    full = sample_district(scale=0.05, seed=11)

    def no_roads(*args, **kwargs):
        return gpd.GeoDataFrame(
            {"road_id": pd.Series([], dtype=object), "name": pd.Series([], dtype=object),
             "road_class": pd.Series([], dtype=object), "speed_kmh": pd.Series([], dtype=float),
             "oneway": pd.Series([], dtype=bool)}, geometry=gpd.GeoSeries([]))

    monkeypatch.setattr(sample_module, "build_roads", no_roads)
    bare = sample_district(scale=0.05, seed=11)
    assert len(bare.roads) == 0 and len(full.roads) > 100
    for name, frame in bare.items():
        if name == "roads":
            continue
        pd.testing.assert_frame_equal(frame.drop(columns="geometry"),
                                      full[name].drop(columns="geometry"))
        assert shapely.equals_exact(frame.geometry.values, full[name].geometry.values, 0).all()


def test_a_seed_gives_its_own_roads_every_time():
    a = sample_district(scale=0.05, seed=3).roads
    b = sample_district(scale=0.05, seed=3).roads
    c = sample_district(scale=0.05, seed=4).roads
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, 0).all()
    assert len(a) != len(c) or not shapely.equals_exact(a.geometry.values,
                                                         c.geometry.values, 0).all()


def test_the_roads_survive_a_geopackage(small_layers, tmp_path):
    path = write_layers(small_layers, tmp_path / "d.gpkg")
    back = read_layers(path).roads
    mine = small_layers.roads
    pd.testing.assert_frame_equal(back.drop(columns="geometry"), mine.drop(columns="geometry"))
    assert back["oneway"].dtype == bool and back["oneway"].sum() == mine["oneway"].sum()
    assert shapely.equals_exact(back.geometry.values, mine.geometry.values, 1e-9).all()


@pytest.mark.parametrize(("column", "value", "message"), [
    ("speed_kmh", 0.0, "greater than 0"),
    ("speed_kmh", -20.0, "greater than 0"),
    ("road_class", "highway", "not one of"),
    ("oneway", "maybe", "not true/false"),
])
def test_the_schema_refuses_bad_roads(small_layers, column, value, message):
    roads = small_layers.roads.copy()
    if column == "oneway":
        roads["oneway"] = roads["oneway"].astype(object)
    roads.iloc[3, roads.columns.get_loc(column)] = value
    with pytest.raises(LayerError, match=message) as caught:
        replace(small_layers, roads=roads).check()
    assert caught.value.column == column
