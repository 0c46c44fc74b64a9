"""The road network's travel times against an independent oracle (networkx), and its edges."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from gridgis.errors import InputError, LayerError
from gridgis.nearest import UnitFinder
from gridgis.roads import RoadNetwork

PLANE = 4549
X0, Y0 = 500_000.0, 3_100_000.0
TO_GEO = Transformer.from_crs(PLANE, 4326, always_xy=True)


def _lonlat(xy):
    xy = np.asarray(xy, dtype=float)
    lon, lat = TO_GEO.transform(X0 + xy[:, 0], Y0 + xy[:, 1])
    return np.column_stack([lon, lat])


def _roads(lines_xy, speed=None, oneway=None):
    n = len(lines_xy)
    return gpd.GeoDataFrame(
        {"speed_kmh": speed if speed is not None else [30.0] * n,
         "oneway": oneway if oneway is not None else [False] * n},
        geometry=[shapely.LineString(_lonlat(p)) for p in lines_xy], crs=4326)


@pytest.fixture(scope="module")
def lattice():
    """A 12 × 12 street lattice (150 m blocks) with random speeds, gaps and one-way streets."""
    rng = np.random.default_rng(7)
    lines, speed, oneway = [], [], []
    for i in range(12):
        for j in range(11):
            for a, b in (((i, j), (i, j + 1)), ((j, i), (j + 1, i))):
                if rng.random() < 0.08:
                    continue  # a missing block edge
                pts = [(a[0] * 150.0, a[1] * 150.0), (b[0] * 150.0, b[1] * 150.0)]
                if rng.random() < 0.5:
                    pts.reverse()
                lines.append(pts)
                speed.append(float(rng.choice([15.0, 25.0, 40.0, 60.0])))
                oneway.append(bool(rng.random() < 0.15))
    return lines, speed, oneway


def _oracle(lines, speed, oneway):
    """networkx graph of the same lines, built from the lines themselves (not the network)."""
    g = nx.DiGraph()
    for pts, v, one in zip(lines, speed, oneway, strict=True):
        (x0, y0), (x1, y1) = pts
        minutes = np.hypot(x1 - x0, y1 - y0) / (v * 1000 / 60)
        a, b = (round(x0), round(y0)), (round(x1), round(y1))
        for u, w in ((a, b),) if one else ((a, b), (b, a)):
            if not g.has_edge(u, w) or g[u][w]["weight"] > minutes:
                g.add_edge(u, w, weight=minutes)
    return g


def test_travel_minutes_between_junctions_equal_networkx(lattice):
    lines, speed, oneway = lattice
    net = RoadNetwork(_roads(lines, speed, oneway))
    oracle = _oracle(lines, speed, oneway)
    rng = np.random.default_rng(3)
    nodes = list(oracle.nodes)
    origins = [nodes[i] for i in rng.choice(len(nodes), 6, replace=False)]
    targets = [nodes[i] for i in rng.choice(len(nodes), 40, replace=False)]
    o, t = _lonlat(origins), _lonlat(targets)
    got = net.travel_minutes(o[:, 0], o[:, 1], t[:, 0], t[:, 1])
    reachable = 0
    for i, a in enumerate(origins):
        lengths = nx.single_source_dijkstra_path_length(oracle, a, weight="weight")
        for j, b in enumerate(targets):
            want = lengths.get(b, np.inf)
            if np.isinf(want):
                assert np.isinf(got[i, j])
            else:
                reachable += 1
                # the only differences: sub-millimetre projection and float32 tables
                assert got[i, j] == pytest.approx(want, abs=2e-4)
    assert reachable > 100


def test_one_way_street_is_driven_only_forward():
    net = RoadNetwork(_roads([[(0, 0), (500, 0)]], speed=[30.0], oneway=[True]))
    (ax, ay), (bx, by) = _lonlat([(0, 0), (500, 0)])
    forward = net.travel_minutes([ax], [ay], [bx], [by])[0, 0]
    backward = net.travel_minutes([bx], [by], [ax], [ay])[0, 0]
    assert forward == pytest.approx(1.0, abs=1e-4)
    assert np.isinf(backward)
    # on the same segment too: a little way back against the flow is not allowed
    (px, py), (qx, qy) = _lonlat([(300, 0), (200, 0)])
    assert np.isinf(net.travel_minutes([px], [py], [qx], [qy])[0, 0])
    assert net.travel_minutes([qx], [qy], [px], [py])[0, 0] == pytest.approx(0.2, abs=1e-4)


def test_off_road_legs_use_the_access_speed():
    net = RoadNetwork(_roads([[(0, 0), (1000, 0)]], speed=[60.0]), access_speed_kmh=6.0)
    (ax, ay), (bx, by) = _lonlat([(0, 50), (1000, -100)])
    # 1 km at 60 km/h = 1 min; 150 m off the road at 6 km/h = 1.5 min
    assert net.travel_minutes([ax], [ay], [bx], [by])[0, 0] == pytest.approx(2.5, abs=1e-3)


def test_a_point_answer_does_not_depend_on_its_batch(lattice):
    lines, speed, oneway = lattice
    net = RoadNetwork(_roads(lines, speed, oneway))
    rng = np.random.default_rng(11)
    pts = _lonlat(rng.uniform(-100, 1750, size=(300, 2)))
    origin = _lonlat([(600.0, 610.0)])
    batch = net.travel_minutes(origin[:, 0], origin[:, 1], pts[:, 0], pts[:, 1])[0]
    for j in rng.choice(len(pts), 25, replace=False):
        alone = net.travel_minutes(origin[:, 0], origin[:, 1], pts[j:j + 1, 0], pts[j:j + 1, 1])
        assert alone[0, 0] == batch[j]


def test_route_follows_the_roads_and_agrees_with_the_table(lattice):
    lines, speed, oneway = lattice
    net = RoadNetwork(_roads(lines, speed, oneway))
    a, b = _lonlat([(20.0, 40.0), (1500.0, 1610.0)])
    minutes, line = net.route(tuple(a), tuple(b))
    assert minutes == pytest.approx(net.travel_minutes([a[0]], [a[1]], [b[0]], [b[1]])[0, 0],
                                    abs=1e-3)
    coords = shapely.get_coordinates(line)
    assert np.allclose(coords[0], a) and np.allclose(coords[-1], b)
    # every inner vertex lies on a street of the lattice (x or y a multiple of 150 m)
    to_plane = Transformer.from_crs(4326, PLANE, always_xy=True)
    x, y = to_plane.transform(coords[2:-2, 0], coords[2:-2, 1])
    on_x = np.isclose((np.array(x) - X0) / 150, np.round((np.array(x) - X0) / 150), atol=1e-3)
    on_y = np.isclose((np.array(y) - Y0) / 150, np.round((np.array(y) - Y0) / 150), atol=1e-3)
    assert (on_x | on_y).all()


def test_isochrones_grow_and_hold_every_node_within_the_limit(lattice):
    lines, speed, oneway = lattice
    net = RoadNetwork(_roads(lines, speed, oneway))
    o = _lonlat([(800.0, 800.0)])
    iso = net.isochrones(o[:, 0], o[:, 1], minutes=(1, 2, 4), ids=["U1"])
    assert iso["origin"].tolist() == ["U1"] * 3
    assert iso["area_km2"].is_monotonic_increasing
    one, two, four = iso.geometry.values
    assert two.buffer(1e-7).contains(one) and four.buffer(1e-7).contains(two)
    reach = net.origins(o[:, 0], o[:, 1]).node_minutes(0)
    inside = reach <= 2
    nodes = shapely.points(np.column_stack(
        Transformer.from_crs(PLANE, 4326, always_xy=True).transform(*net.node_xy.T)))
    assert inside.sum() > 5
    assert shapely.covers(two.buffer(1e-7), nodes[inside]).all()
    # nodes far beyond the limit are outside
    assert not shapely.covers(two, nodes[reach > 4]).any()


def test_separate_components_are_unreachable():
    net = RoadNetwork(_roads([[(0, 0), (100, 0)], [(0, 500), (100, 500)]]))
    assert len(np.unique(net.components())) == 2
    a, b = _lonlat([(50, 0), (50, 500)])
    assert np.isinf(net.travel_minutes([a[0]], [a[1]], [b[0]], [b[1]])[0, 0])
    minutes, line = net.route(tuple(a), tuple(b))
    assert np.isinf(minutes) and line is None


def test_limit_cuts_the_search():
    net = RoadNetwork(_roads([[(0, 0), (5000, 0)]], speed=[30.0]))
    a, b, c = _lonlat([(0, 0), (1000, 0), (5000, 0)])
    got = net.travel_minutes([a[0]], [a[1]], [b[0], c[0]], [b[1], c[1]], limit_min=5)
    # straight in lon/lat as digitised: a few centimetres off the plane's straight line
    assert got[0, 0] == pytest.approx(2.0, abs=2e-3) and np.isinf(got[0, 1])


def test_bad_layers_and_points_are_refused():
    line = shapely.LineString([(120.6, 28.0), (120.61, 28.0)])
    with pytest.raises(LayerError, match="坐标系"):
        RoadNetwork(gpd.GeoDataFrame(geometry=[line]))
    with pytest.raises(LayerError, match="没有线"):
        RoadNetwork(gpd.GeoDataFrame(geometry=[shapely.Point(120.6, 28.0)], crs=4326))
    net = RoadNetwork(gpd.GeoDataFrame(geometry=[line], crs=4326))
    with pytest.raises(InputError):
        net.travel_minutes([np.nan], [28.0], [120.6], [28.0])
    with pytest.raises(InputError):
        net.isochrones([120.6], [28.0], minutes=(0,))


def test_unit_finder_ranks_by_time_and_leaves_out_committed_units():
    # a fast arterial puts the far unit F nearer in time than the near unit N on a lane
    lines = [[(0, 0), (3000, 0)], [(0, 0), (0, 400)]]
    roads = _roads(lines, speed=[80.0, 10.0])
    (nx_, ny_), (fx, fy) = _lonlat([(0, 400), (3000, 0)])
    units = gpd.GeoDataFrame(
        {"unit_id": ["N", "F"], "name": ["近", "远"], "kind": ["fire_station"] * 2,
         "township_code": ["330399001"] * 2},
        geometry=[shapely.Point(nx_, ny_), shapely.Point(fx, fy)], crs=4326)
    finder = UnitFinder(units, roads=roads)
    i = _lonlat([(10, -20)])
    by_time = finder.nearest(i[:, 0], i[:, 1], kinds=["fire_station"], k=2)
    assert by_time["unit_id"].tolist() == ["F", "N"]
    assert by_time["travel_min"].iloc[0] < by_time["travel_min"].iloc[1]
    by_metres = finder.nearest(i[:, 0], i[:, 1], kinds=["fire_station"], k=2, by="distance")
    assert by_metres["unit_id"].tolist() == ["N", "F"]
    busy = finder.nearest(i[:, 0], i[:, 1], kinds=["fire_station"], k=2, exclude=["F"])
    assert busy["unit_id"].tolist() == ["N"]
    with pytest.raises(InputError):
        UnitFinder(units).nearest(i[:, 0], i[:, 1], kinds=["fire_station"], by="time")
    with pytest.raises(InputError):
        finder.nearest(i[:, 0], i[:, 1], kinds=["fire_station"], by="crow")


@pytest.fixture(scope="module")
def long_roads():
    """Long roads cut into pieces (one-way ones mid-road) crossing at shared vertices."""
    rng = np.random.default_rng(5)
    lines, speed, oneway = [], [], []
    for fixed in (0.0, 400.0, 800.0, 1200.0):
        for horizontal in (True, False):
            steps = np.arange(0.0, 1250.0, 50.0)
            pts = [(v, fixed) if horizontal else (fixed, v) for v in steps]
            cut = 0
            while cut < len(pts) - 1:
                stop = min(len(pts) - 1, cut + int(rng.integers(1, 6)))
                piece = pts[cut:stop + 1]
                if rng.random() < 0.5:
                    piece = piece[::-1]
                lines.append(piece)
                speed.append(float(rng.choice([10.0, 20.0, 50.0])))
                oneway.append(bool(rng.random() < 0.25))
                cut = stop
    return lines, speed, oneway


def _point_oracle(net, lines, speed, oneway, o_xy, t_xy):
    """networkx on the pieces, with each origin and target joined where the network snaps it."""
    g = _oracle([[p, q] for line in lines for p, q in itertools.pairwise(line)],
                [v for line, v in zip(lines, speed, strict=True) for _ in line[1:]],
                [o for line, o in zip(lines, oneway, strict=True) for _ in line[1:]])
    o_snap, t_snap = net.snap(o_xy), net.snap(t_xy)

    def key(xy):
        return round(xy[0] - X0), round(xy[1] - Y0)

    def joins(snap, i):
        s = snap.segment[i]
        a, b = key(net.node_xy[net.seg_a[s]]), key(net.node_xy[net.seg_b[s]])
        w = net.seg_min[s]
        t = snap.fraction[i]
        return a, b, w, t, bool(net.seg_oneway[s]), s

    out = np.full((len(o_xy), len(t_xy)), np.inf)
    for i in range(len(o_xy)):
        a, b, w, t, one, s = joins(o_snap, i)
        h = g.copy()
        h.add_edge("O", b, weight=(1 - t) * w)
        if not one or t == 0.0:  # standing on the segment's first node: any way out
            h.add_edge("O", a, weight=t * w)
        for j in range(len(t_xy)):
            a2, b2, w2, t2, one2, s2 = joins(t_snap, j)
            k = ("T", j)
            h.add_edge(a2, k, weight=t2 * w2)
            if not one2 or t2 == 1.0:  # on the segment's last node: any way in
                h.add_edge(b2, k, weight=(1 - t2) * w2)
            if s2 == s and (t2 >= t or not one):
                h.add_edge("O", k, weight=abs(t2 - t) * w)
        lengths = nx.single_source_dijkstra_path_length(h, "O", weight="weight")
        for j in range(len(t_xy)):
            if ("T", j) in lengths:
                out[i, j] = lengths[("T", j)] + (o_snap.offroad_m[i] + t_snap.offroad_m[j]) \
                    / net.access_m_per_min
    return out


def test_points_anywhere_on_long_chains_equal_networkx(long_roads):
    lines, speed, oneway = long_roads
    net = RoadNetwork(_roads(lines, speed, oneway))
    assert net.chains.n_junctions < net.n_nodes / 3  # long chains between few junctions
    rng = np.random.default_rng(9)
    o_xy = np.column_stack([X0, Y0]) + rng.uniform(-30, 1230, size=(12, 2))
    t_xy = np.column_stack([X0, Y0]) + rng.uniform(-30, 1230, size=(150, 2))
    # some points exactly on road vertices and on the same pieces as the origins
    t_xy[:10] = o_xy[:10] + rng.uniform(-40, 40, size=(10, 2)) * [[1, 0]]
    t_xy[10:20] = np.column_stack([X0, Y0]) + 50.0 * rng.integers(0, 25, size=(10, 2)) \
        * [[1, 0]] + [[0, 400.0]]
    lon_o, lat_o = TO_GEO.transform(o_xy[:, 0], o_xy[:, 1])
    lon_t, lat_t = TO_GEO.transform(t_xy[:, 0], t_xy[:, 1])
    got = net.travel_minutes(lon_o, lat_o, lon_t, lat_t)
    # the oracle joins the points where the network snaps them (after the lon/lat round trip)
    want = _point_oracle(net, lines, speed, oneway, net.plane(lon_o, lat_o),
                         net.plane(lon_t, lat_t))
    assert np.array_equal(np.isinf(got), np.isinf(want))
    assert np.isfinite(want).sum() > 1000
    assert np.allclose(got[np.isfinite(want)], want[np.isfinite(want)], atol=2e-4)


def test_nearest_segment_equals_shapely(lattice):
    lines, speed, oneway = lattice
    net = RoadNetwork(_roads(lines, speed, oneway))
    rng = np.random.default_rng(2)
    xy = np.column_stack([X0, Y0]) + rng.uniform(-500, 2200, size=(2000, 2))
    snap = net.snap(xy)
    segs = shapely.linestrings(np.stack([net.node_xy[net.seg_a], net.node_xy[net.seg_b]], 1))
    want = shapely.distance(shapely.points(xy)[:, None], segs[None, :]).min(axis=1)
    assert np.allclose(snap.offroad_m, want, atol=1e-6)
    assert np.allclose(np.hypot(*(snap.xy - xy).T), want, atol=1e-6)
