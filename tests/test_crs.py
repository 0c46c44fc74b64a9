"""Tests of gridgis.crs: GCJ-02/BD-09 offsets, CRS names, Gauss-Krüger zones."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from shapely import Point

from gridgis.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    check_lonlat,
    from_wgs84,
    gauss_kruger_epsg,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china_rough,
    local_crs,
    normalize_crs_name,
    to_lonlat,
    to_projected,
    to_wgs84,
    transformer,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from gridgis.errors import CoordinateError

GEOD = pyproj.Geod(ellps="WGS84")

# Published values (Beijing Capital airport).
WGS = (116.598333, 40.073333)
GCJ = (116.604140, 40.074380)
BD = (116.610670, 40.080272)

OUTSIDE = (  # London, New York, Sydney, Moscow, Jakarta
    np.array([-0.1276, -74.006, 151.2093, 37.6173, 106.8456]),
    np.array([51.5072, 40.7128, -33.8688, 55.7558, -6.2088]),
)


@pytest.fixture(scope="module")
def china_lattice() -> tuple[np.ndarray, np.ndarray]:
    """A 0.25-degree lattice over China, kept inside the rough rectangle."""
    lon, lat = np.meshgrid(np.arange(73.0, 135.001, 0.25), np.arange(18.0, 53.001, 0.25))
    inside = in_china_rough(lon, lat)
    assert inside.sum() > 30_000
    return lon[inside], lat[inside]


def metres(lon0, lat0, lon1, lat1) -> np.ndarray:
    return GEOD.inv(lon0, lat0, lon1, lat1)[2]


# --- published values ---------------------------------------------------------


@pytest.mark.parametrize(
    ("func", "src", "dst"),
    [
        (wgs84_to_gcj02, WGS, GCJ),
        (gcj02_to_bd09, GCJ, BD),
        (wgs84_to_bd09, WGS, BD),
        (gcj02_to_wgs84, GCJ, WGS),
        (bd09_to_gcj02, BD, GCJ),
        (bd09_to_wgs84, BD, WGS),
    ],
)
def test_published_values(func, src, dst):
    lon, lat = func(*src)
    assert lon == pytest.approx(dst[0], abs=1e-5)
    assert lat == pytest.approx(dst[1], abs=1e-5)
    # the published values carry six decimals; we match them to 1.4e-6 degrees
    assert max(abs(lon - dst[0]), abs(lat - dst[1])) < 2e-6


@pytest.mark.parametrize(
    ("name", "src", "wgs"),
    [("gcj02", GCJ, WGS), ("AMap", GCJ, WGS), ("Baidu", BD, WGS), ("bd-09", BD, WGS)],
)
def test_to_and_from_wgs84_by_name(name, src, wgs):
    lon, lat = to_wgs84(src[0], src[1], crs=name)
    assert (lon, lat) == (pytest.approx(wgs[0], abs=1e-5), pytest.approx(wgs[1], abs=1e-5))
    lon, lat = from_wgs84(wgs[0], wgs[1], crs=name)
    assert (lon, lat) == (pytest.approx(src[0], abs=1e-5), pytest.approx(src[1], abs=1e-5))


@pytest.mark.parametrize("name", ["wgs84", "EPSG:4326", "4326", "CGCS2000", "epsg:4490", "4490"])
def test_wgs84_and_cgcs2000_are_not_shifted(name):
    lon, lat = to_wgs84([120.6, 121.0], [28.0, 28.5], crs=name)
    np.testing.assert_array_equal(lon, [120.6, 121.0])
    np.testing.assert_array_equal(lat, [28.0, 28.5])
    assert lon.dtype == np.float64
    lon, lat = from_wgs84(120.6, 28.0, crs=name)
    assert (float(lon), float(lat)) == (120.6, 28.0)


# --- round trips ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("forward", "inverse"), [(wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84)]
)
def test_round_trip_over_china_is_exact(china_lattice, forward, inverse):
    lon, lat = china_lattice
    shifted = forward(lon, lat)
    # the offset is real everywhere on the lattice (tens to hundreds of metres)
    assert metres(lon, lat, *shifted).min() > 10.0
    back_lon, back_lat = inverse(*shifted)
    error = metres(lon, lat, back_lon, back_lat).max()
    # measured: about 2e-6 m; the requirement is < 0.5 m
    assert error < 1e-3


def test_one_step_inverse_is_not_enough(china_lattice):
    # guards the round-trip test: a non-iterative inverse is metres off
    lon, lat = china_lattice
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat), max_iter=1)
    assert metres(lon, lat, *back).max() > 0.05


# --- outside China, NaN, shapes ---------------------------------------------------


def test_points_outside_china_are_not_shifted_by_gcj():
    lon, lat = OUTSIDE
    assert not in_china_rough(lon, lat).any()
    for func in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = func(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_bd09_step_applies_outside_china_and_inverts():
    lon, lat = OUTSIDE
    bd_lon, bd_lat = wgs84_to_bd09(lon, lat)
    np.testing.assert_allclose(bd_lon, gcj02_to_bd09(lon, lat)[0])
    assert np.abs(bd_lon - lon).min() > 1e-3  # the 0.0065 degree offset is there
    back_lon, back_lat = bd09_to_wgs84(bd_lon, bd_lat)
    assert metres(lon, lat, back_lon, back_lat).max() < 1e-3


def test_in_china_rough():
    # the rectangle is rough: Seoul and Singapore count as inside
    lon = [120.6, 87.6, 126.98, 103.82, 72.0, 120.0, np.nan]
    lat = [28.0, 43.8, 37.57, 1.22, 30.0, 56.0, 30.0]
    assert in_china_rough(lon, lat).tolist() == [True] * 4 + [False] * 3


@pytest.mark.parametrize(
    "func",
    [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84],
)
def test_nan_and_inf_rows_propagate_without_error(func):
    lon = np.array([116.6, np.nan, 120.6, np.inf, 121.0])
    lat = np.array([40.07, 28.0, np.nan, 28.0, 28.5])
    out_lon, out_lat = func(lon, lat)
    assert np.isnan(out_lon[1]) and np.isnan(out_lat[2])
    assert np.isfinite(out_lon[[0, 2, 4]]).all() and np.isfinite(out_lat[[0, 1, 4]]).all()
    assert out_lon[0] != lon[0] and out_lat[4] != lat[4]  # finite rows are still shifted
    assert not np.isfinite(out_lon[3])


def test_all_nan_input():
    lon, lat = bd09_to_wgs84([np.nan, np.nan], [np.nan, np.nan])
    assert np.isnan(lon).all() and np.isnan(lat).all()


@pytest.mark.parametrize(
    "func",
    [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84],
)
def test_shapes_are_preserved(func):
    lon = np.array([[116.6, 120.6, 0.0], [87.6, np.nan, 121.0]])
    lat = np.array([[40.07, 28.0, 51.5], [43.8, 30.0, 28.5]])
    out_lon, out_lat = func(lon, lat)
    assert out_lon.shape == out_lat.shape == (2, 3)
    assert out_lon.dtype == out_lat.dtype == np.float64
    for i, j in np.ndindex(2, 3):  # each cell equals the scalar conversion
        s_lon, s_lat = func(lon[i, j], lat[i, j])
        assert s_lon.shape == ()
        np.testing.assert_allclose([s_lon, s_lat], [out_lon[i, j], out_lat[i, j]], atol=1e-9)
    list_lon, _ = func([116.6, 120.6], [40.07, 28.0])
    assert list_lon.shape == (2,)


def test_inputs_are_not_modified():
    lon, lat = np.array([116.6, 120.6]), np.array([40.07, 28.0])
    wgs84_to_bd09(lon, lat)
    bd09_to_wgs84(lon, lat)
    np.testing.assert_array_equal(lon, [116.6, 120.6])
    np.testing.assert_array_equal(lat, [40.07, 28.0])


def test_non_numeric_or_mismatched_input_is_a_coordinate_error():
    with pytest.raises(CoordinateError):
        wgs84_to_gcj02(["a"], [1.0])
    with pytest.raises(CoordinateError):
        wgs84_to_gcj02([1.0, 2.0, 3.0], [1.0, 2.0])


def test_check_lonlat():
    ok = check_lonlat([120.6, 181.0, -180.0, np.nan, 10.0, np.inf], [28.0, 0.0, -90.0, 0, 91, 0])
    assert ok.tolist() == [True, False, True, False, False, False]


# --- names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("WGS84", "wgs84"),
        ("epsg:4326", "wgs84"),
        ("4326", "wgs84"),
        ("cgcs2000", "cgcs2000"),
        ("EPSG:4490", "cgcs2000"),
        ("4490", "cgcs2000"),
        ("GCJ-02", "gcj02"),
        ("gcj02", "gcj02"),
        ("amap", "gcj02"),
        ("Tencent", "gcj02"),
        ("BD09", "bd09"),
        ("bd-09", "bd09"),
        ("baidu", "bd09"),
    ],
)
def test_normalize_crs_name(name, canonical):
    assert normalize_crs_name(name) == canonical


def test_unknown_crs_name_lists_the_accepted_names():
    with pytest.raises(CoordinateError, match="unknown coordinate system") as info:
        to_wgs84(120.6, 28.0, crs="google")
    assert "gcj02" in str(info.value) and "baidu" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(CoordinateError):
        from_wgs84(120.6, 28.0, crs="epsg:3857")


# --- Gauss-Krüger -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "epsg"),
    [(120.6, 4549), (116.4, 4548), (87.6, 4538), (73.5, 4534), (75.0, 4534), (136.5, 4554)],
)
def test_gauss_kruger_epsg(lon, epsg):
    assert gauss_kruger_epsg(lon) == epsg
    meridian = pyproj.CRS.from_epsg(epsg).to_json_dict()["conversion"]["parameters"][1]
    assert meridian["name"] == "Longitude of natural origin"
    assert abs(meridian["value"] - lon) <= 1.5


@pytest.mark.parametrize("lon", [73.4, 136.6, -120.0, np.nan, 28.0])
def test_gauss_kruger_epsg_out_of_range(lon):
    with pytest.raises(CoordinateError, match="Gauss-Krüger"):
        gauss_kruger_epsg(lon)


def test_local_crs_from_bounds_and_layers():
    assert local_crs((120.5, 27.9, 120.8, 28.1)).to_epsg() == 4549
    pts = gpd.GeoSeries([Point(87.5, 43.7), Point(87.7, 43.9)], crs=4326)
    assert local_crs(pts).to_epsg() == 4538
    assert local_crs(gpd.GeoDataFrame(geometry=pts)).to_epsg() == 4538
    assert local_crs(pts.to_crs(3857)).to_epsg() == 4538  # projected layers work too
    with pytest.raises(CoordinateError):
        local_crs((500000.0, 3100000.0, 510000.0, 3110000.0))  # not lon/lat
    with pytest.raises(CoordinateError):
        local_crs(gpd.GeoSeries([], crs=4326))


def test_to_projected_measures_distances():
    pts = gpd.GeoDataFrame(
        {"name": ["a", "b"]},
        geometry=[Point(120.6, 28.0), Point(120.6, 28.01)],
        crs=4326,
        index=[10, 20],
    )
    projected = to_projected(pts)
    assert projected.crs.to_epsg() == 4549
    assert projected.index.tolist() == [10, 20]
    assert pts.crs.to_epsg() == 4326  # the input is untouched
    distance = projected.geometry.iloc[0].distance(projected.geometry.iloc[1])
    assert distance == pytest.approx(1108.2, abs=0.5)
    assert distance == pytest.approx(metres(120.6, 28.0, 120.6, 28.01), rel=1e-4)
    assert to_projected(pts, crs="EPSG:4548").crs.to_epsg() == 4548


def test_to_lonlat():
    pts = gpd.GeoSeries([Point(500000.0, 3100000.0)], crs=4549)
    lonlat = to_lonlat(pts)
    assert lonlat.crs.to_epsg() == 4326
    assert lonlat.iloc[0].x == pytest.approx(120.0, abs=1e-9)
    assert 27.0 < lonlat.iloc[0].y < 29.0
    for epsg in (4326, 4490):
        layer = gpd.GeoSeries([Point(120.6, 28.0)], crs=epsg)
        copy = to_lonlat(layer)
        assert copy is not layer and copy.crs.to_epsg() == epsg
        assert copy.iloc[0].equals(layer.iloc[0])


def test_layer_without_crs_is_an_error():
    bare = gpd.GeoDataFrame(geometry=[Point(120.6, 28.0)])
    for func in (to_projected, to_lonlat, local_crs):
        with pytest.raises(CoordinateError, match="set_crs"):
            func(bare)


def test_transformer_is_cached_and_lon_lat_ordered():
    tr = transformer("EPSG:4326", "EPSG:4549")
    assert tr is transformer("EPSG:4326", "EPSG:4549")
    x, y = tr.transform(120.0, 28.0)
    assert x == pytest.approx(500000.0, abs=1e-3)
    assert 3_000_000 < y < 3_200_000
