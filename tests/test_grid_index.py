"""GridIndex against shapely: random points, and the adversarial ones."""

import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridgis import CoordinateError, OutsideDistrictError
from gridgis.crs import wgs84_to_bd09, wgs84_to_gcj02
from gridgis.index.grid import GridIndex, Location
from gridgis.index.polygon import BOUNDARY, INSIDE, NONE, PolygonIndex


def _grids(geoms, codes=None):
    codes = codes or [f"330399001001{i + 1:03d}" for i in range(len(geoms))]
    return gpd.GeoDataFrame({"code": codes, "community_code": [c[:12] for c in codes],
                             "workers": 2, "worker_names": "张三、李四"},
                            geometry=geoms, crs=4326)


@pytest.fixture(scope="module")
def index(sample_layers):
    return GridIndex.from_layers(sample_layers)


def test_random_points_agree_with_geopandas_sjoin(index, sample_layers):
    rng = np.random.default_rng(11)
    b = sample_layers.grids.total_bounds
    n = 200_000
    lon = rng.uniform(b[0] - 0.02, b[2] + 0.02, n)
    lat = rng.uniform(b[1] - 0.02, b[3] + 0.02, n)
    got = index.assign(lon=lon, lat=lat)
    pts = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs=4326)
    ref = gpd.sjoin(pts, sample_layers.grids[["code", "geometry"]], predicate="within",
                    how="left")
    assert not ref.index.duplicated().any()  # no point within two grids: a clean layer
    inside = got["match"] == "inside"
    assert (got.loc[inside, "grid_code"] == ref.loc[inside, "code"]).all()
    assert ref.loc[~inside & (got["match"] != "snapped"), "code"].isna().all()
    assert len(got) == n and (got.index == pts.index).all()
    assert set(got["match"]) <= {"inside", "snapped", "outside"}
    assert (got.loc[inside, "community_code"] == got.loc[inside, "grid_code"].str[:12]).all()


def test_points_on_shared_edges_and_vertices_get_one_grid_by_the_rule(index, sample_layers):
    grids = sample_layers.grids.sort_values("code")
    geoms = grids.geometry.values
    coords = shapely.get_coordinates(shapely.get_exterior_ring(geoms[:50]))
    vertices = np.unique(coords, axis=0)
    got = index.assign(lon=vertices[:, 0], lat=vertices[:, 1])
    for (x, y), row in zip(vertices, got.itertuples(), strict=True):
        p = shapely.Point(x, y)
        touching = grids["code"][shapely.intersects(geoms, p)].tolist()
        assert row.grid_code == min(touching)
        assert row.match == ("boundary" if len(touching) > 1 or
                             shapely.touches(geoms[grids["code"] == row.grid_code][0], p)
                             else "inside")
        assert row.edge_distance_m == 0.0


def test_points_exactly_on_axis_parallel_edges():
    # two unit squares sharing the edge x = 1: points on it are exactly representable
    idx = GridIndex(_grids([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]))
    got = idx.assign(lon=[1.0, 1.0, 1.0, 0.5, 1.5, 2.0, 0.0], lat=[0.5, 0.0, 1.0, 1.0, 0.5,
                                                                   0.3, 0.0])
    assert got["grid_code"].tolist() == ["330399001001001"] * 4 + ["330399001001002"] * 2 + \
        ["330399001001001"]
    assert got["match"].tolist() == ["boundary"] * 4 + ["inside", "boundary", "boundary"]


def test_holes_and_multipolygons():
    outer = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    island = shapely.box(1.5, 1.5, 2.5, 2.5)
    multi = shapely.MultiPolygon([shapely.box(5, 0, 6, 1), shapely.box(7, 0, 8, 1)])
    idx = GridIndex(_grids([outer, island, multi]), snap_tolerance_m=0)
    got = idx.assign(lon=[0.5, 1.2, 2.0, 5.5, 7.5, 6.5, 1.0], lat=[0.5, 1.2, 2.0, 0.5, 0.5,
                                                                   0.5, 2.0])
    codes = [None if pd.isna(c) else c for c in got["grid_code"]]
    assert codes[:5] == ["330399001001001", None, "330399001001002", "330399001001003",
                         "330399001001003"]
    assert codes[5] is None and got["match"].iloc[5] == "outside"  # between the parts
    assert got["match"].iloc[1] == "outside"  # in the hole, not in the island
    assert got["match"].iloc[6] == "boundary"  # on the hole's edge


def test_huge_vertex_counts():
    t = np.linspace(0, 2 * np.pi, 20_001)[:-1]
    r = 1 + 0.3 * np.sin(37 * t)
    wiggly = shapely.Polygon(np.column_stack([r * np.cos(t), r * np.sin(t)]))
    idx = PolygonIndex([wiggly])
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-1.4, 1.4, 50_000), rng.uniform(-1.4, 1.4, 50_000)
    ids, state, _ = idx.query(x, y, with_distance=False)
    ref = shapely.contains_xy(wiggly, x, y)
    assert ((ids == 0) == ref).all()
    assert set(state.tolist()) <= {INSIDE, NONE}


def test_snapping_and_outside(index, sample_layers):
    grid = sample_layers.grids.iloc[0]
    district = shapely.union_all(sample_layers.townships.geometry.values)
    minx, miny, _, _ = district.bounds
    # a point 20 m west of the westernmost vertex, and one 5 km away
    coords = shapely.get_coordinates(district.exterior)
    west = coords[np.argmin(coords[:, 0])]
    near = index.assign(lon=[west[0] - 20 / 98_000, minx - 0.05], lat=[west[1], miny])
    assert near["match"].tolist() == ["snapped", "outside"]
    assert 15 < near["edge_distance_m"].iloc[0] < 25
    assert pd.isna(near["grid_code"].iloc[1])
    with pytest.raises(OutsideDistrictError, match="outside the district"):
        index.locate(minx - 0.05, miny)
    assert index.locate(west[0] - 20 / 98_000, west[1]).match == "snapped"
    assert grid["code"]  # the sample has grids


def test_invalid_coordinates_in_batch_and_single_mode(index):
    got = index.assign(lon=[np.nan, 200.0, 120.6, np.inf], lat=[28.0, 28.0, np.nan, 28.0])
    assert got["match"].tolist() == ["invalid"] * 4
    assert got["grid_code"].isna().all()
    for bad in [(np.nan, 28.0), (200.0, 28.0), (120.6, 95.0)]:
        with pytest.raises(CoordinateError, match="not a lon/lat position"):
            index.locate(*bad)
    with pytest.raises(CoordinateError):
        index.locate(120.6, 28.0, crs="mars")


@pytest.mark.parametrize(("crs", "convert"), [("gcj02", wgs84_to_gcj02),
                                              ("bd09", wgs84_to_bd09)])
def test_phone_coordinates_are_converted(index, sample_layers, crs, convert):
    pts = sample_layers.grids.geometry.representative_point()
    gx, gy = convert(pts.x.to_numpy(), pts.y.to_numpy())
    got = index.assign(lon=gx, lat=gy, crs=crs)
    assert (got["grid_code"].to_numpy() == sample_layers.grids["code"].to_numpy()).all()
    raw = index.assign(lon=gx, lat=gy)  # the same numbers taken as WGS84 land elsewhere
    assert (raw["grid_code"].to_numpy() != sample_layers.grids["code"].to_numpy()).mean() > 0.3
    loc = index.locate(float(gx[0]), float(gy[0]), crs=crs)
    assert loc.grid_code == sample_layers.grids["code"].iloc[0]
    assert abs(loc.lon - pts.x.iloc[0]) < 1e-7


def test_geodataframe_input_keeps_index_and_handles_empty(index, sample_layers):
    inc = sample_layers.incidents.iloc[:500].copy()
    inc.loc[inc.index[3], "geometry"] = None
    got = index.assign(inc)
    assert (got.index == inc.index).all()
    assert got["match"].iloc[3] == "invalid"
    ok = got["match"] == "inside"
    assert (got.loc[ok, "grid_code"] == inc.loc[ok, "grid_code"]).all()
    projected = index.assign(inc.to_crs(4549))
    pd.testing.assert_series_equal(projected["grid_code"], got["grid_code"])


def test_edge_distance_matches_shapely_in_gauss_kruger(index, sample_layers):
    pts = sample_layers.incidents.iloc[:1000]
    got = index.assign(pts)
    grids = sample_layers.grids.set_index("code").geometry.to_crs(4549)
    ref = shapely.distance(pts.to_crs(4549).geometry.values,
                           shapely.boundary(grids.loc[got["grid_code"]].values))
    err = np.abs(got["edge_distance_m"].to_numpy() - ref)
    assert np.all(err < 0.002 * ref + 0.05)


def test_patrol_level_and_workers(index, sample_layers):
    zone = sample_layers.patrol_zones.iloc[0]
    p = zone.geometry.representative_point()
    loc = index.locate(p.x, p.y)
    assert loc.patrol_level == zone["level"]
    assert loc.workers >= 1 and loc.worker_names
    assert isinstance(loc, Location) and len(loc) == len(Location._fields)
    assert loc._asdict()["patrol_level"] == zone["level"]
    with pytest.raises(AttributeError):  # a record: it cannot be changed
        loc.grid_code = "x"


def test_cell_edges_are_kept_in_chains_of_ring_order():
    # the record layout itself (not visible through the public API)
    from gridgis.index._kernels.build import chain_lengths
    from gridgis.index._kernels.layout import CHAIN_MAX

    # edges are named by their first vertex (a row of the index's vertices): edge v
    # runs from vertex v to v + 1, so consecutive edges of a ring have consecutive rows
    ev = np.array([0, 1, 2, 3, 0, 1, 3, 10], np.int32)
    pid = np.array([4, 4, 4, 4, 7, 7, 7, 7], np.int32)
    out = np.zeros(8, np.int64)
    # one ring whole; another polygon's first two edges, then a gap; a stray edge
    n = chain_lengths(ev, pid, 0, 8, out)
    assert out[:n].tolist() == [4, 2, 1, 1]
    long = np.arange(CHAIN_MAX + 3, dtype=np.int32)  # a line too long for one chain
    n = chain_lengths(long, np.zeros(len(long), np.int32), 0, len(long), out)
    assert out[:n].tolist() == [CHAIN_MAX, 3]


def test_match_names_follow_the_kernels_codes():
    from gridgis.index import MATCHES
    from gridgis.index._kernels import layout

    got = {name: MATCHES[getattr(layout, f"MATCH_{name.upper()}")] for name in
           ("inside", "boundary", "snapped", "outside", "invalid")}
    assert got == {name: name for name in got}
    assert MATCHES[5:] == ("overlap",)  # set after the compiled pass (see grid.MATCH_OVERLAP)


def test_lonely_cells_have_nothing_in_the_cells_around():
    # a shortcut that changes no answer (such points find no grid to snap to either)
    from gridgis.index._kernels.snap import lonely_cells

    cells = np.full((4, 5), -1, np.int32)  # rows of a 5 x 4 table: one busy cell
    cells[1, 3] = -9
    got = lonely_cells(cells.ravel(), 5, 4).reshape(4, 5)
    want = np.ones((4, 5), bool)
    want[0:3, 2:5] = False  # the busy cell and its eight neighbours
    assert (got == want).all()


def test_workers_column_is_each_grids_count_and_missing_outside():
    a = shapely.box(120.0, 30.0, 120.01, 30.01)
    b = shapely.box(120.01, 30.0, 120.02, 30.01)
    small = _grids([a, b]).assign(workers=[3, None])
    got = GridIndex(small).assign(lon=[120.005, 120.015, 121.0], lat=[30.005] * 3)
    assert str(got["workers"].dtype) == "Int32"
    assert got["workers"].tolist() == [3, pd.NA, pd.NA]
    huge = GridIndex(_grids([a, b]).assign(workers=[3, 2**40]))
    got = huge.assign(lon=[120.005, 120.015], lat=[30.005] * 2)
    assert str(got["workers"].dtype) == "Int64" and got["workers"].tolist() == [3, 2**40]


def test_pickle_and_disk_cache_answer_the_same(index, tmp_path):
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(120.5, 120.8, 10_000), rng.uniform(27.9, 28.1, 10_000)
    ref = index.assign(lon=lon, lat=lat)
    again = pickle.loads(pickle.dumps(index))
    pd.testing.assert_frame_equal(again.assign(lon=lon, lat=lat), ref)
    path = index.save(tmp_path / "grids.index.npz")
    loaded = GridIndex.load(path)
    pd.testing.assert_frame_equal(loaded.assign(lon=lon, lat=lat), ref)
    assert loaded.locate(lon[0], lat[0]) == index.locate(lon[0], lat[0]) or \
        ref["match"].iloc[0] == "outside"


def test_polygon_index_states():
    idx = PolygonIndex([shapely.box(0, 0, 1, 1)])
    ids, state, dist = idx.query([0.5, 1.0, 2.0], [0.5, 0.5, 0.5])
    assert ids.tolist() == [0, 0, -1]
    assert state.tolist() == [INSIDE, BOUNDARY, NONE]
    assert dist[0] == pytest.approx(0.5 * 110_574, rel=1e-3)


def test_a_polygon_inside_another_keeps_its_surroundings():
    # overlapping layers happen before validation: the outer polygon still covers the cells
    # that only the inner polygon's edges cross
    outer, inner = shapely.box(0, 0, 10, 10), shapely.box(4, 4, 5, 5)
    idx = PolygonIndex([outer, inner])
    rng = np.random.default_rng(9)
    x, y = rng.uniform(3.5, 5.5, 20_000), rng.uniform(3.5, 5.5, 20_000)
    ids, state, _ = idx.query(x, y, with_distance=False)
    assert (ids == 0).all()  # the lowest id wins where both contain the point
    assert set(state.tolist()) <= {INSIDE, BOUNDARY}


def _bands(idx):
    from gridgis.index._kernels.layout import Bands

    return Bands(idx.band_lo, idx.band_h, idx.band_n, idx.band_off, idx.band_ptr, idx.band_ev,
                 idx.verts)


def _random_points(layers, n, seed):
    rng = np.random.default_rng(seed)
    b = layers.grids.total_bounds
    return rng.uniform(b[0] - 0.01, b[2] + 0.01, n), rng.uniform(b[1] - 0.01, b[3] + 0.01, n)


def test_parallel_and_serial_runs_agree(index, sample_layers):
    import numba

    lon, lat = _random_points(sample_layers, 50_000, 21)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = index.assign(lon=lon, lat=lat)
    finally:
        numba.set_num_threads(before)
    pd.testing.assert_frame_equal(index.assign(lon=lon, lat=lat), serial, check_exact=True)


def test_locate_agrees_with_assign(index, sample_layers):
    lon, lat = _random_points(sample_layers, 3000, 22)
    got = index.assign(lon=lon, lat=lat)
    for x, y, row in zip(lon, lat, got.itertuples(), strict=True):
        if row.match == "outside":
            with pytest.raises(OutsideDistrictError):
                index.locate(x, y)
            continue
        loc = index.locate(x, y)
        assert (loc.grid_code, loc.match, loc.community_code, loc.workers) == \
            (row.grid_code, row.match, row.community_code, row.workers)
        assert loc.patrol_level == (None if pd.isna(row.patrol_level) else row.patrol_level)
        assert loc.edge_distance_m == row.edge_distance_m  # the same bits


def test_cell_records_match_the_full_exact_test(index, sample_layers):
    # the per-cell shortcut (crossings from the cell's centre, the nearest edge among the
    # cell's own) against the plain crossing-number test and band search on every polygon,
    # bit for bit: two kernel paths
    from gridgis.index._kernels.geometry import edge_distance, metres_per_degree, polygon_state

    g = index.grid_index
    lon, lat = _random_points(sample_layers, 20_000, 23)
    ids, state, dist = g.query(lon, lat)
    band = _bands(g)
    near = shapely.STRtree(index.geoms)
    which, cand = near.query(shapely.points(lon, lat), predicate="intersects")
    ref = np.full(len(lon), -1)
    for w, p in zip(which, cand, strict=True):  # no overlaps in the sample: at most one
        if polygon_state(int(p), lon[w], lat[w], band) == INSIDE:
            ref[w] = p
    assert (ids == ref).all()
    inside = np.flatnonzero(state == INSIDE)
    for t in inside[:3000]:
        kx, ky = metres_per_degree(lat[t])
        assert dist[t] == edge_distance(int(ids[t]), lon[t], lat[t], kx, ky, band)


def test_degenerate_points_take_the_full_test():
    # points on the lines through edges and on the segment from a cell centre through a
    # vertex: the shortcut steps aside and the exact rule still holds
    tri = shapely.Polygon([(0, 0), (2, 0), (1, 1.5)])
    rest = shapely.box(-1, -1, 3, 2.5).difference(tri)
    idx = GridIndex(_grids([tri, rest]), snap_tolerance_m=0)
    t = np.arange(17) / 16  # exactly on the edges: dyadic steps along each
    lon = np.concatenate([2 * t, t, 2 - t, [1.0, 0.0, 2.0]])
    lat = np.concatenate([0 * t, 1.5 * t, 1.5 * t, [0.5, -0.5, 2.0]])
    got = idx.assign(lon=lon, lat=lat)
    assert (got["match"].iloc[:51] == "boundary").all()
    assert (got["grid_code"].iloc[:51] == "330399001001001").all()
    assert (got["edge_distance_m"].iloc[:51] == 0).all()
    assert got["match"].iloc[51:].tolist() == ["inside"] * 3
    assert got["grid_code"].iloc[51:].tolist() == ["330399001001001"] + \
        ["330399001001002"] * 2
    # and points a hair off the edges land on the right side
    eps = 1e-12
    off = idx.assign(lon=np.concatenate([t + eps, t - eps]) + 0.0,
                     lat=np.concatenate([1.5 * t, 1.5 * t]))
    ref = shapely.contains_xy(shapely.Polygon([(0, 0), (2, 0), (1, 1.5)]),
                              np.concatenate([t + eps, t - eps]), np.concatenate([1.5 * t,
                                                                                  1.5 * t]))
    inside = off["match"] == "inside"
    assert ((off["grid_code"] == "330399001001001") == ref)[inside].all()


def test_empty_points_and_old_cache_files(index, sample_layers, tmp_path):
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(), None,
                                     sample_layers.incidents.geometry.iloc[0]], crs=4326)
    got = index.assign(pts)
    assert got["match"].tolist()[:2] == ["invalid", "invalid"]
    assert got["grid_code"].iloc[2] == sample_layers.incidents["grid_code"].iloc[0]
    path = index.save(tmp_path / "g.npz")
    data = dict(np.load(path, allow_pickle=False))
    data["meta"] = np.array([1, 50.0])
    np.savez(tmp_path / "old.npz", **data)
    with pytest.raises(Exception, match="another gridgis version"):
        GridIndex.load(tmp_path / "old.npz")


def test_reading_in_blocks_gives_the_same_answers(index, sample_layers, monkeypatch):
    import gridgis.index.grid as gi

    lon, lat = _random_points(sample_layers, 20_000, 24)
    gx, gy = wgs84_to_gcj02(lon, lat)
    pts = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs=4326)
    whole = [index.assign(lon=lon, lat=lat), index.assign(lon=gx, lat=gy, crs="gcj02"),
             index.assign(pts)]
    monkeypatch.setattr(gi, "BLOCK", 997)
    parts = [index.assign(lon=lon, lat=lat), index.assign(lon=gx, lat=gy, crs="gcj02"),
             index.assign(pts)]
    for a, b in zip(whole, parts, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_coordinates_read_in_pieces_on_threads(monkeypatch):
    import gridgis.index.grid as gi

    rng = np.random.default_rng(7)
    xy = rng.uniform(100, 120, (5_000, 2))
    values = shapely.points(xy)
    monkeypatch.setattr(gi, "_XY_PIECE", 300)
    x, y = np.full(5_000, 7.0), np.full(5_000, 7.0)
    gi._point_xy(values, x, y, threads=2)  # 17 pieces on two threads, into the buffers
    assert (x == xy[:, 0]).all() and (y == xy[:, 1]).all()
    values[[10, 4_321]] = [shapely.Point(), None]  # a piece fails: read again, NaN there
    gi._point_xy(values, x, y, threads=2)
    assert np.isnan(x[[10, 4_321]]).all() and np.isnan(y[[10, 4_321]]).all()
    keep = np.ones(5_000, bool)
    keep[[10, 4_321]] = False
    assert (x[keep] == xy[keep, 0]).all() and (y[keep] == xy[keep, 1]).all()


def test_snap_filter_keeps_every_snappable_point(index, sample_layers):
    # the compiled filter only looks at edges within reach; unfiltered snapping agrees
    lon, lat = _random_points(sample_layers, 100_000, 25)
    got = index.assign(lon=lon, lat=lat)
    lost = got["match"].isin(["outside", "snapped"]).to_numpy()
    assert lost.any()
    ids, dist = index._snap_near(lon[lost], lat[lost])
    assert ((ids >= 0) == (got["match"][lost] == "snapped").to_numpy()).all()
    snapped = ids >= 0
    assert (got["edge_distance_m"].to_numpy()[lost][snapped] == dist[snapped]).all()


def _wiggly_ring(cx: float, cy: float, r: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    rad = r * (1 + 0.25 * np.sin(7 * t) + 0.05 * rng.standard_normal(n))
    return np.column_stack([cx + rad * np.cos(t) / np.cos(np.radians(cy)), cy + rad * np.sin(t)])


def test_batch_edge_distances_equal_the_plain_search_on_big_polygons():
    # polygons with thousands of vertices, holes, and one spanning 4 degrees of latitude
    # (the scale of a degree of longitude changes along it): each point's edge distance
    # from a tile-ordered batch equals the plain band search over all of its edges (bit for
    # bit: two kernel paths)
    from gridgis.index._kernels.geometry import edge_distance, metres_per_degree


    outer = _wiggly_ring(100.0, 50.0, 0.2, 3000, 1)
    hole = _wiggly_ring(100.0, 50.0, 0.05, 400, 2)
    polys = [shapely.Polygon(outer, [hole]),
             shapely.Polygon(_wiggly_ring(101.0, 48.0, 2.0, 500, 3)),
             shapely.Polygon(_wiggly_ring(99.0, 50.0, 0.01, 64, 4))]
    idx = PolygonIndex(polys)
    rng = np.random.default_rng(5)
    lo, hi = np.array([96.0, 45.0]), np.array([104.0, 51.0])
    pts = rng.uniform(lo, hi, (200_000, 2))
    ids, state, dist = idx.query(pts[:, 0], pts[:, 1])
    band = _bands(idx)
    inside = np.flatnonzero(state == INSIDE)
    assert len(np.unique(ids[inside])) == 3
    for t in inside[:: max(1, len(inside) // 5000)]:
        x, y = pts[t]
        kx, ky = metres_per_degree(y)
        assert dist[t] == edge_distance(int(ids[t]), x, y, kx, ky, band)


def test_runs_of_points_in_one_grid_give_the_plain_search_bits():
    # the points of one small grid are measured against all its edges several at a time,
    # padded to whole vectors; runs of every length from one (the band search) up, and a
    # grid too large for the run path, must all give the plain search's distances
    from gridgis.index._kernels.batch import BRUTE_EDGES
    from gridgis.index._kernels.geometry import edge_distance, metres_per_degree

    polys = [shapely.Polygon(_wiggly_ring(110.0 + 0.05 * k, 30.0, 0.01, 40 + 7 * k, k))
             for k in range(12)]
    polys.append(shapely.Polygon(_wiggly_ring(111.0, 30.0, 0.01, 400, 99)))  # > BRUTE_EDGES
    idx = PolygonIndex(polys)
    rows = np.array([idx.band_ptr[idx.band_off[p] + idx.band_n[p]]
                     - idx.band_ptr[idx.band_off[p]] for p in range(len(polys))])
    assert (rows > BRUTE_EDGES).sum() == 1  # the last one only
    rng = np.random.default_rng(8)
    pts = []
    for k, poly in enumerate(polys):  # grid k gets k * 3 + 1 points: runs of 1, 4, 7, ...
        cx, cy = poly.centroid.x, poly.centroid.y
        pts.append(np.column_stack([cx + rng.normal(0, 0.003, 3 * k + 1),
                                    cy + rng.normal(0, 0.003, 3 * k + 1)]))
    pts = np.vstack(pts)
    ids, state, dist = idx.query(pts[:, 0], pts[:, 1])
    band = _bands(idx)
    inside = np.flatnonzero(state == INSIDE)
    assert len(np.unique(ids[inside])) >= 10
    for t in inside:
        x, y = pts[t]
        kx, ky = metres_per_degree(y)
        assert dist[t] == edge_distance(int(ids[t]), x, y, kx, ky, band)


def test_batches_larger_than_one_sorted_span_come_back_in_input_order(index, sample_layers):
    # points are sorted by tile a span at a time and their answers put back: a batch
    # of more than one span, with NaN among it, must give each point its own answer: the
    # one it gets in a batch of its own and from a single-point query
    from gridgis.index._kernels.batch import SPAN

    g = index.grid_index
    n = SPAN + 50_000
    lon, lat = _random_points(sample_layers, n, 31)
    lon[::997] = np.nan
    ids, state, dist = g.query(lon, lat)
    rng = np.random.default_rng(32)
    some = np.concatenate([rng.choice(n, 2000), np.arange(SPAN - 5, SPAN + 5)])
    for t in some:
        got = g.query(lon[t:t + 1], lat[t:t + 1])
        assert (ids[t], state[t]) == (got[0][0], got[1][0]) == g.query_one(lon[t], lat[t])
        assert dist[t] == got[2][0] or (np.isnan(dist[t]) and np.isnan(got[2][0]))


def test_parallel_tile_order_is_the_serial_one(index, sample_layers):
    # the order points are visited in (no answer shows it)
    from gridgis.index._kernels.batch import TILE, tile_order_parallel

    g = index.grid_index
    lon, lat = _random_points(sample_layers, 30_001, 41)
    lon[::101] = np.nan
    # the reference: a stable sort by tile, points off the table last
    t = TILE
    nx, ny = -(-g.nx // t), -(-g.ny // t)
    with np.errstate(invalid="ignore"):
        i = np.floor((lon[1:] - g.x0) / (g.dx * t))
        j = np.floor((lat[1:] - g.y0) / (g.dy * t))
    on = (i >= 0) & (i < nx) & (j >= 0) & (j < ny)
    key = np.where(on, np.nan_to_num(j) * nx + np.nan_to_num(i), nx * ny)
    serial = np.argsort(key, kind="stable").astype(np.int32)
    for workers in (1, 2, 3):
        got = np.empty(30_000, np.int32)
        tile_order_parallel(lon, lat, 1, 30_001, g.pf, g.pi, got, np.empty(30_000, np.int32),
                            workers)
        assert (got == serial).all()


def test_snapping_takes_the_nearest_grid_in_metres(index, sample_layers):
    # points just outside the district: the snapped grid and distance are those of a
    # search over every grid's edges (lowest id on a tie), within the tolerance
    outline = shapely.union_all(index.geoms).exterior
    rng = np.random.default_rng(51)
    at = shapely.line_interpolate_point(outline, rng.uniform(0, 1, 400), normalized=True)
    bx, by = shapely.get_x(at), shapely.get_y(at)
    ang = rng.uniform(0, 2 * np.pi, 400)
    step = rng.uniform(0, 90, 400) / 111_000.0  # up to ~90 m away, in any direction
    lon = bx + step * np.cos(ang) / np.cos(np.radians(by))
    lat = by + step * np.sin(ang)
    got = index.assign(lon=lon, lat=lat)
    g = index.grid_index
    near = shapely.STRtree(index.geoms)
    checked = 0
    for t in np.flatnonzero(got["match"].isin(["outside", "snapped"]).to_numpy()):
        cand = near.query(shapely.points(lon[t], lat[t]).buffer(0.003))
        dists = [(g.edge_distance(int(p), lon[t], lat[t]), int(p)) for p in cand]
        d, p = min(dists) if dists else (np.inf, -1)
        if d <= index.snap_tolerance_m:
            assert got["match"].iloc[t] == "snapped"
            assert got["grid_code"].iloc[t] == index.codes[p]
            assert got["edge_distance_m"].iloc[t] == d
        else:
            assert got["match"].iloc[t] == "outside"
        checked += 1
    assert checked > 100


def test_without_distances_only_snapped_points_keep_theirs(index, sample_layers):
    lon, lat = _random_points(sample_layers, 50_000, 61)
    lon[::500] = np.nan
    full = index.assign(lon=lon, lat=lat)
    bare = index.assign(lon=lon, lat=lat, with_distance=False)
    pd.testing.assert_frame_equal(full.drop(columns="edge_distance_m"),
                                  bare.drop(columns="edge_distance_m"), check_exact=True)
    snapped = (bare["match"] == "snapped").to_numpy()
    assert snapped.any() and bare["patrol_level"].notna().any()
    d = bare["edge_distance_m"].to_numpy()
    assert (d[snapped] == full["edge_distance_m"].to_numpy()[snapped]).all()
    assert np.isnan(d[~snapped]).all()


@pytest.mark.parametrize(("given", "want"), [(None, "PASSIVE"), ("active", "active")])
def test_openmp_threads_sleep_while_waiting_unless_told_otherwise(given, want):
    # set when the engine loads, before anything can start the OpenMP runtime (a caller
    # setting numba's thread count does: the benchmark does so); `import gridgis` alone
    # leaves the environment alone (tests/test_startup.py); a user's value is kept
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    code = ("import os\n"
            "import gridgis\n"
            "before = os.environ.get('OMP_WAIT_POLICY')\n"
            "from gridgis.index import GridIndex\n"
            "loaded = os.environ.get('OMP_WAIT_POLICY')\n"
            "import numba, shapely\n"
            "import numba.np.ufunc.parallel as par\n"
            "numba.set_num_threads(1)  # starts the runtime, with the policy set above\n"
            "from gridgis.index import PolygonIndex\n"
            "PolygonIndex([shapely.box(0, 0, 1, 1)])\n"
            "assert par._is_initialized\n"
            "print(before, loaded, os.environ['OMP_WAIT_POLICY'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == [str(given), want, want]
