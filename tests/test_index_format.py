"""The saved index: each vertex once, edges by index, mapped from its file, no GEOS copy;
GeoArrow and lon/lat input that skip shapely."""

from __future__ import annotations

import itertools
import mmap

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import shapely

from gridgis.crs import to_wgs84
from gridgis.errors import CoordinateError
from gridgis.index import GridIndex
from gridgis.index.overlaps import Overlaps
from tests.planning import broken_layers


def _wiggly_grids(n_side: int = 12, bends: int = 15, seed: int = 3) -> gpd.GeoDataFrame:
    """A unified layer of ``n_side``² grids whose shared edges bend ``bends`` times.

    Every inner vertex of the lattice is moved a little, and every lattice edge is
    cut into ``bends`` pieces moved sideways, so each grid has about 4 × bends
    vertices like a surveyed grid, and neighbours share their edges exactly.
    """
    rng = np.random.default_rng(seed)
    step = 0.01
    gx, gy = np.meshgrid(np.arange(n_side + 1) * step + 120.6,
                         np.arange(n_side + 1) * step + 28.0)
    inner = (slice(1, -1), slice(1, -1))
    gx[inner] += rng.uniform(-0.2, 0.2, gx[inner].shape) * step
    gy[inner] += rng.uniform(-0.2, 0.2, gy[inner].shape) * step

    def edge(a: tuple[int, int], b: tuple[int, int]) -> np.ndarray:
        key = (min(a, b), max(a, b))
        pts = edges.get(key)
        if pts is None:
            p, q = np.array([gx[key[0]], gy[key[0]]]), np.array([gx[key[1]], gy[key[1]]])
            t = np.linspace(0, 1, bends + 1)[1:-1, None]
            normal = np.array([-(q - p)[1], (q - p)[0]])
            on_border = key[0][0] == key[1][0] in (0, n_side) or \
                key[0][1] == key[1][1] in (0, n_side)
            wiggle = 0 if on_border else rng.uniform(-0.05, 0.05, (bends - 1, 1))
            pts = edges[key] = np.vstack([p, p + t * (q - p) + wiggle * normal, q])
        return pts if key[0] == a else pts[::-1]

    edges: dict = {}
    polys, codes = [], []
    for j in range(n_side):
        for i in range(n_side):
            corners = [(j, i), (j, i + 1), (j + 1, i + 1), (j + 1, i), (j, i)]
            ring = np.vstack([edge(a, b)[:-1] for a, b in itertools.pairwise(corners)])
            polys.append(shapely.Polygon(ring))
            codes.append(f"33030200{j:03d}{i:03d}")
    return gpd.GeoDataFrame({"code": codes, "community_code": [c[:12] for c in codes],
                             "workers": np.arange(len(codes)) % 4},
                            geometry=polys, crs=4326)


@pytest.fixture(scope="module")
def wiggly():
    return _wiggly_grids()


@pytest.fixture(scope="module")
def saved(wiggly, tmp_path_factory):
    path = tmp_path_factory.mktemp("index") / "wiggly.gridindex.npz"
    GridIndex(wiggly).save(path)
    return path


def _mapped(a: np.ndarray) -> bool:
    """Whether an array's memory is a mapping of a file (not a copy read into memory)."""
    while a is not None:
        if isinstance(a, (mmap.mmap, np.memmap)):
            return True
        a = getattr(a, "base", None)
    return False


def test_a_saved_index_is_mapped_from_its_file_and_makes_no_geometry(saved, wiggly):
    index = GridIndex.load(saved)
    for name in ("pf", "pi", "pc"):
        a = getattr(index.grid_index, name)
        assert _mapped(a) and not a.flags.owndata, name
    assert index.grid_index.verts.base is not None  # a view of pf: the vertices, once
    p = wiggly.geometry.iloc[5].representative_point()
    assert index.locate(p.x, p.y).grid_code == wiggly["code"].iloc[5]
    index.assign(lon=[p.x, 0.0], lat=[p.y, 0.0])
    assert index._geoms is None  # neither locate nor assign made a GEOS polygon
    read = GridIndex.load(saved, mmap=False)
    assert not _mapped(read.grid_index.pf)


def test_each_vertex_is_stored_once_and_the_index_stays_small(saved, wiggly):
    """A bound derived from the format, on a layer of ~60-vertex grids with shared edges.

    The coordinates are kept once (16 bytes a vertex); every other reference to an
    edge is a 4-byte index (in the bands, and an 8-byte chain of consecutive edges in
    a cell record of 16 bytes and 8 a chain); the only other floats are two per
    polygon (its bands' origin and height). A layout that copied each edge's
    coordinates into its bands or cells (32 bytes an edge, twice) exceeds 40.
    """
    index = GridIndex.load(saved)
    g = index.grid_index
    n_coords = int(shapely.get_num_coordinates(wiggly.geometry.values).sum())
    assert g.verts.shape == (n_coords, 2)
    # the rings as given, vertex for vertex
    assert np.array_equal(g.verts, shapely.get_coordinates(wiggly.geometry.values))
    edges = n_coords - len(wiggly)  # one edge per vertex but each ring's closing copy
    assert g.band_ev.dtype == np.int32 and len(g.band_ev) < 1.5 * edges
    # nothing but the vertices holds coordinates: the float part outside them is small
    floats_beyond = g.pf.nbytes - g.verts.nbytes
    assert floats_beyond == 8 * (4 + 2 * len(wiggly))  # the table's origin and cell size
    assert g.rec.dtype == np.int32
    with np.load(saved) as data:
        total = sum(data[k].nbytes for k in data.files)
    assert total / n_coords <= 40, total / n_coords


def test_the_polygons_are_rebuilt_from_the_index_exactly(saved, wiggly, small_layers):
    index = GridIndex.load(saved)
    assert index._geoms is None
    assert shapely.equals_exact(index.geoms, wiggly.geometry.values, tolerance=0).all()
    # holes and multipolygons too
    hole = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    multi = shapely.MultiPolygon([shapely.box(5, 0, 6, 1), shapely.box(7, 0, 8, 1)])
    single_multi = shapely.MultiPolygon([shapely.box(9, 0, 10, 1)])
    grids = gpd.GeoDataFrame({"code": ["a", "b", "c"], "community_code": ["x", "x", "x"]},
                             geometry=[hole, multi, single_multi], crs=4326)
    rebuilt = GridIndex(grids).grid_index.geometries()
    assert shapely.equals_exact(rebuilt, grids.geometry.values, tolerance=0).all()
    assert shapely.get_type_id(rebuilt).tolist() == [3, 6, 6]


def test_overlaps_found_at_save_are_loaded_without_geometries(small_layers, tmp_path):
    broken, pair = broken_layers.overlap(small_layers)
    a, b = pair.split(",")
    index = GridIndex.from_layers(broken)
    index.save(tmp_path / "o.npz")
    loaded = GridIndex.load(tmp_path / "o.npz")
    assert isinstance(loaded._cache["overlaps"], Overlaps) and len(loaded._overlaps()) > 0
    p = shapely.point_on_surface(shapely.intersection(broken.grids.loc[a, "geometry"],
                                                      broken.grids.loc[b, "geometry"]))
    loc = loaded.locate(p.x, p.y)
    assert loc.match == "overlap" and loc.overlap_codes == tuple(sorted((a, b)))
    assert loaded._geoms is None


def _points(wiggly, n=4000, seed=11):
    rng = np.random.default_rng(seed)
    b = wiggly.total_bounds
    x = rng.uniform(b[0] - 0.002, b[2] + 0.002, n)
    y = rng.uniform(b[1] - 0.002, b[3] + 0.002, n)
    coords = shapely.get_coordinates(wiggly.geometry.values)[::7]  # vertices: boundary
    x, y = np.r_[x, coords[:, 0], np.nan], np.r_[y, coords[:, 1], 28.0]
    return x, y


def test_geoarrow_and_arrays_give_the_answers_of_a_geodataframe(saved, wiggly):
    index = GridIndex.load(saved)
    x, y = _points(wiggly)
    geo = gpd.GeoSeries(shapely.points(x, y), crs=4326)
    geo[len(geo) - 1] = None  # a missing point: invalid either way
    want = index.assign(gpd.GeoDataFrame(geometry=geo))
    assert (want["match"] == "boundary").sum() > 100
    y_arr = y.copy()
    y_arr[-1] = np.nan
    inputs = {
        "interleaved": geo.to_arrow(geometry_encoding="geoarrow"),
        "separated": geo.to_arrow(geometry_encoding="geoarrow", interleaved=False),
        "pyarrow": pa.array(geo.to_arrow(geometry_encoding="geoarrow")),
        "chunked": pa.chunked_array([pa.array(geo.to_arrow(geometry_encoding="geoarrow"))[:100],
                                     pa.array(geo.to_arrow(geometry_encoding="geoarrow"))[100:]]),
        "sliced": pa.concat_arrays([
            pa.array(geo.iloc[:5].to_arrow(geometry_encoding="geoarrow", interleaved=False)),
            pa.array(geo.to_arrow(geometry_encoding="geoarrow", interleaved=False))]).slice(5),
    }
    for name, arrow in inputs.items():
        got = index.assign(arrow)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True),
                                      check_exact=True, obj=name)
    got = index.assign(lon=x, lat=y_arr)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_exact=True)


def test_geoarrow_in_gcj02_is_converted_like_lon_lat(saved, wiggly):
    from gridgis.crs import from_wgs84

    index = GridIndex.load(saved)
    x, y = _points(wiggly, 2000, 12)
    gx, gy = from_wgs84(x[:-1], y[:-1], "gcj02")
    arrow = pa.array(np.c_[gx, gy].ravel()).to_numpy()
    arrow = pa.FixedSizeListArray.from_arrays(pa.array(arrow), 2)
    got = index.assign(arrow, crs="gcj02")
    want = index.assign(lon=gx, lat=gy, crs="gcj02")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    # the compiled converter, point by point: the same answers as converted points
    wx, wy = to_wgs84(gx, gy, "gcj02")
    pd.testing.assert_frame_equal(got, index.assign(lon=wx, lat=wy), check_exact=True)
    assert got["grid_code"].notna().sum() > 1000


def test_arrow_arrays_that_are_not_points_are_refused(saved):
    index = GridIndex.load(saved)
    with pytest.raises(CoordinateError):
        index.assign(pa.array(["a", "b"]))
    with pytest.raises(CoordinateError):
        index.assign(pa.array([[1.0, 2.0]], pa.list_(pa.float64())))
