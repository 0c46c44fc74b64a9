"""Coordinate reference systems: China's map offsets, CGCS2000 and local projections.

Geometry is stored in lon/lat (EPSG:4326, or EPSG:4490 CGCS2000, which agrees
with WGS84 to centimetres); distances and areas are measured in the CGCS2000
3-degree Gauss-Krüger zone of the area (EPSG:4534-4554, chosen automatically).
Phones with Amap or Tencent maps report GCJ-02 and Baidu reports BD-09: convert
them at the edge with :func:`to_wgs84`, naming the source system every time.

The GCJ-02 offset uses the public formulas (Krasovsky ellipsoid) and, as every
common library does, leaves points outside a rough rectangle around China
unchanged (:func:`in_china_rough`; the rectangle also covers Seoul, so the
caller must know the source system). The BD-09 step on top of GCJ-02 is applied
everywhere, as in coordTransform and its ports. Both inverses are iterative,
point by point (compiled; a point converges on its own, so its answer does not
depend on its batch), and exact to about 1e-9 degrees; over China the published
one-step inverses are off by up to about 5 m (GCJ-02, median 0.4 m) and 0.2 m
(BD-09).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pyproj

from gridgis.errors import CoordinateError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_lonlat",
    "from_wgs84",
    "gauss_kruger_epsg",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china_rough",
    "local_crs",
    "measuring_crs",
    "normalize_crs_name",
    "pipeline_transformer",
    "to_lonlat",
    "to_projected",
    "to_wgs84",
    "transformer",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_A = 6378245.0  # Krasovsky semi-major axis
_EE = 0.00669342162296594323  # Krasovsky first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_CHINA = (72.004, 137.8347, 0.8293, 55.8271)  # lon min, lon max, lat min, lat max
_TOL = 1e-9  # degrees, stopping rule of the iterative inverses
_MAX_ITER = 30

_ALIASES = {
    "wgs84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84",
    "cgcs2000": "cgcs2000", "epsg:4490": "cgcs2000", "4490": "cgcs2000",
    "gcj02": "gcj02", "gcj-02": "gcj02", "amap": "gcj02", "tencent": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "baidu": "bd09",
}  # fmt: skip
_GEOGRAPHIC_EPSG = (4326, 4490)

Array = np.ndarray
LonLat = tuple[np.ndarray, np.ndarray]
_Geo = TypeVar("_Geo", "gpd.GeoDataFrame", "gpd.GeoSeries")


def _as_lonlat(lon: Any, lat: Any) -> LonLat:
    try:
        x, y = np.broadcast_arrays(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
    except (TypeError, ValueError) as exc:
        raise CoordinateError(
            f"lon and lat must be numbers or arrays of one shape ({exc}); "
            "pass numeric arrays, with NaN for missing values"
        ) from exc
    return x.copy(), y.copy()


def _gcj_offset(x: Array, y: Array) -> LonLat:
    """GCJ-02 offset in degrees of WGS84 points, without the China test."""
    u, v = x - 105.0, y - 35.0
    s = np.sqrt(np.abs(u))
    shared = (20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * u + 3.0 * v + 0.2 * v * v + 0.1 * u * v + 0.2 * s + shared
    dlat += (20.0 * np.sin(v * np.pi) + 40.0 * np.sin(v / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(v / 12.0 * np.pi) + 320.0 * np.sin(v * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + u + 2.0 * v + 0.1 * u * u + 0.1 * u * v + 0.1 * s + shared
    dlon += (20.0 * np.sin(u * np.pi) + 40.0 * np.sin(u / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(u / 12.0 * np.pi) + 300.0 * np.sin(u / 30.0 * np.pi)) * 2.0 / 3.0
    rad = y / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / (_A * (1.0 - _EE) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return x + dlon, y + dlat


def _bd_forward(x: Array, y: Array) -> LonLat:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(kind: str, x: Array, y: Array, tol: float, max_iter: int) -> LonLat:
    """Solve the forward formula of ``kind`` ("gcj02" or "bd09") point by point (compiled).

    Each point iterates until its own correction is below ``tol``: its answer
    does not depend on the other points of the batch (see :mod:`gridgis._crs_kernels`).
    """
    from gridgis import _crs_kernels  # numba loads on first use: ``import gridgis`` stays cheap

    if not (tol > 0.0):
        raise CoordinateError(f"tol must be a positive number of degrees, not {tol!r}")
    if int(max_iter) < 1:
        raise CoordinateError(f"max_iter must be at least 1, not {max_iter!r}")
    kernel = _crs_kernels.gcj02_inverse if kind == "gcj02" else _crs_kernels.bd09_inverse
    flat_x, flat_y = x.ravel(), y.ravel()
    out_x, out_y = np.empty_like(flat_x), np.empty_like(flat_y)
    kernel(flat_x, flat_y, float(tol), int(max_iter), out_x, out_y)
    return out_x.reshape(x.shape), out_y.reshape(y.shape)


def in_china_rough(lon: Any, lat: Any) -> np.ndarray:
    """Tell which points fall in the rough rectangle where the GCJ-02 offset applies.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of one shape (or broadcastable).

    Returns
    -------
    numpy.ndarray of bool
        True inside lon 72.004..137.8347, lat 0.8293..55.8271; False for NaN.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> in_china_rough([120.6, -0.13], [28.0, 51.5]).tolist()
    [True, False]
    """
    x, y = _as_lonlat(lon, lat)
    return (x >= _CHINA[0]) & (x <= _CHINA[1]) & (y >= _CHINA[2]) & (y <= _CHINA[3])


def check_lonlat(lon: Any, lat: Any) -> np.ndarray:
    """Tell which rows hold valid lon/lat: finite, lon in -180..180, lat in -90..90.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees.

    Returns
    -------
    numpy.ndarray of bool
        True for valid rows, in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> check_lonlat([120.6, 200.0, float("nan")], [28.0, 28.0, 28.0]).tolist()
    [True, False, False]
    """
    x, y = _as_lonlat(lon, lat)
    return np.isfinite(x) & np.isfinite(y) & (np.abs(x) <= 180.0) & (np.abs(y) <= 90.0)


def wgs84_to_gcj02(lon: Any, lat: Any) -> LonLat:
    """Shift WGS84 lon/lat to GCJ-02 (Amap, Tencent); points outside China pass unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitudes and latitudes in degrees; NaN rows stay NaN.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 coordinates as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(116.598333, 40.073333)
    >>> print(f"{lon:.5f} {lat:.5f}")
    116.60414 40.07438
    """
    x, y = _as_lonlat(lon, lat)
    rows = in_china_rough(x, y)
    x[rows], y[rows] = _gcj_offset(x[rows], y[rows])
    return x, y


def gcj02_to_wgs84(lon: Any, lat: Any, *, tol: float = _TOL, max_iter: int = _MAX_ITER) -> LonLat:
    """Convert GCJ-02 lon/lat back to WGS84 by iterating the forward offset.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees; NaN rows stay NaN. Points
        outside :func:`in_china_rough` (tested on the GCJ-02 input, as the usual
        libraries do) are returned unchanged.
    tol : float, default 1e-9
        Each point stops when its own correction is below this, in degrees: its
        answer is the same alone or in any batch.
    max_iter : int, default 30
        Maximum number of iterations (about four are needed).

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS84 coordinates as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.604140, 40.074380)
    >>> print(f"{lon:.5f} {lat:.5f}")
    116.59833 40.07333
    """
    x, y = _as_lonlat(lon, lat)
    return _invert("gcj02", x, y, tol, max_iter)


def gcj02_to_bd09(lon: Any, lat: Any) -> LonLat:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu), everywhere as the usual libraries do.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees; NaN rows stay NaN.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 coordinates as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.604140, 40.074380)
    >>> print(f"{lon:.5f} {lat:.5f}")
    116.61067 40.08027
    """
    x, y = _as_lonlat(lon, lat)
    rows = np.isfinite(x) & np.isfinite(y)
    x[rows], y[rows] = _bd_forward(x[rows], y[rows])
    return x, y


def bd09_to_gcj02(lon: Any, lat: Any, *, tol: float = _TOL, max_iter: int = _MAX_ITER) -> LonLat:
    """Convert BD-09 lon/lat to GCJ-02 by iterating the forward formula.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees; NaN rows stay NaN.
    tol : float, default 1e-9
        Each point stops when its own correction is below this, in degrees: its
        answer is the same alone or in any batch.
    max_iter : int, default 30
        Maximum number of iterations.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 coordinates as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.610670, 40.080272)
    >>> print(f"{lon:.5f} {lat:.5f}")
    116.60414 40.07438
    """
    x, y = _as_lonlat(lon, lat)
    return _invert("bd09", x, y, tol, max_iter)


def wgs84_to_bd09(lon: Any, lat: Any) -> LonLat:
    """Convert WGS84 lon/lat to BD-09: :func:`wgs84_to_gcj02`, then :func:`gcj02_to_bd09`.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitudes and latitudes in degrees; NaN rows stay NaN.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 coordinates as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(116.598333, 40.073333)
    >>> print(f"{lon:.5f} {lat:.5f}")
    116.61067 40.08027
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: Any, lat: Any) -> LonLat:
    """Convert BD-09 lon/lat to WGS84: :func:`bd09_to_gcj02`, then :func:`gcj02_to_wgs84`.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees; NaN rows stay NaN.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS84 coordinates as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If the inputs are not numeric or do not broadcast together.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(116.610670, 40.080272)
    >>> print(f"{lon:.5f} {lat:.5f}")
    116.59833 40.07333
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def normalize_crs_name(name: str) -> str:
    """Map a coordinate-system name to ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"`` or ``"bd09"``.

    Parameters
    ----------
    name : str
        Case-insensitive name: wgs84, epsg:4326, 4326, cgcs2000, epsg:4490, 4490,
        gcj02, gcj-02, amap, tencent, bd09, bd-09 or baidu.

    Returns
    -------
    str
        The canonical name.

    Raises
    ------
    CoordinateError
        If the name is unknown; the message lists the accepted names.

    Examples
    --------
    >>> normalize_crs_name("AMap")
    'gcj02'
    """
    key = str(name).strip().lower()
    if key not in _ALIASES:
        raise CoordinateError(
            f"unknown coordinate system {name!r}; name the source system with one of: "
            + ", ".join(_ALIASES)
        )
    return _ALIASES[key]


def to_wgs84(lon: Any, lat: Any, crs: str) -> LonLat:
    """Convert lon/lat from the named system to WGS84 (CGCS2000 is taken as WGS84).

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees; NaN rows stay NaN.
    crs : str
        The system the input is in, see :func:`normalize_crs_name`. There is no
        default: GCJ-02 and WGS84 points look alike, so the caller must say.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS84 coordinates as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If `crs` is unknown or the inputs are not numeric.

    Examples
    --------
    >>> lon, lat = to_wgs84([116.610670], [40.080272], crs="baidu")
    >>> print(f"{lon[0]:.5f} {lat[0]:.5f}")
    116.59833 40.07333
    """
    system = normalize_crs_name(crs)
    if system == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if system == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _as_lonlat(lon, lat)


def from_wgs84(lon: Any, lat: Any, crs: str) -> LonLat:
    """Convert WGS84 lon/lat to the named system (CGCS2000 is taken as WGS84).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 longitudes and latitudes in degrees; NaN rows stay NaN.
    crs : str
        The target system, see :func:`normalize_crs_name`.

    Returns
    -------
    lon, lat : numpy.ndarray
        Coordinates in the target system as float64 arrays in the shape of the inputs.

    Raises
    ------
    CoordinateError
        If `crs` is unknown or the inputs are not numeric.

    Examples
    --------
    >>> lon, lat = from_wgs84(116.598333, 40.073333, crs="gcj-02")
    >>> print(f"{lon:.5f} {lat:.5f}")
    116.60414 40.07438
    """
    system = normalize_crs_name(crs)
    if system == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if system == "bd09":
        return wgs84_to_bd09(lon, lat)
    return _as_lonlat(lon, lat)


def gauss_kruger_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (no zone prefix) at a longitude.

    The central meridian is the multiple of 3 nearest to `lon` (halfway points go
    east); the code is ``4534 + (central_meridian - 75) / 3``.

    Parameters
    ----------
    lon : float
        Longitude in degrees, within China's zones 73.5..136.5.

    Returns
    -------
    int
        An EPSG code from 4534 (75°E) to 4554 (135°E).

    Raises
    ------
    CoordinateError
        If `lon` is not a finite number in 73.5..136.5.

    Examples
    --------
    >>> gauss_kruger_epsg(120.6)
    4549
    """
    value = float(lon)
    if not 73.5 <= value <= 136.5:  # also False for NaN
        raise CoordinateError(
            f"longitude {lon!r} is outside China's Gauss-Krüger zones (73.5..136.5°E); "
            "check that the coordinates are lon/lat degrees in lon, lat order, "
            "or pass an explicit projected CRS"
        )
    meridian = min(max(3 * int(np.floor(value / 3.0 + 0.5)), 75), 135)
    return 4534 + (meridian - 75) // 3


def _require_crs(gdf: Any) -> pyproj.CRS:
    if gdf.crs is None:
        raise CoordinateError(
            "the layer has no CRS; declare the one its coordinates are in, e.g. "
            "gdf.set_crs('EPSG:4326') for lon/lat (GCJ-02/BD-09 points must first go "
            "through gridgis.crs.to_wgs84)"
        )
    return pyproj.CRS.from_user_input(gdf.crs)


def local_crs(
    bounds_or_gdf: tuple[float, float, float, float] | gpd.GeoDataFrame | gpd.GeoSeries,
) -> pyproj.CRS:
    """Pick the CGCS2000 3-degree Gauss-Krüger CRS for the centre of an extent.

    Parameters
    ----------
    bounds_or_gdf : tuple or GeoDataFrame or GeoSeries
        A lon/lat ``(minx, miny, maxx, maxy)`` tuple, or a layer with a CRS
        (a projected layer's extent is first taken to lon/lat).

    Returns
    -------
    pyproj.CRS
        One of EPSG:4534-4554.

    Raises
    ------
    CoordinateError
        If the layer has no CRS or is empty, the bounds are not valid lon/lat,
        or the centre lies outside China's zones.

    Examples
    --------
    >>> local_crs((120.5, 27.9, 120.8, 28.1)).to_epsg()
    4549
    """
    if hasattr(bounds_or_gdf, "total_bounds"):
        crs = _require_crs(bounds_or_gdf)
        bounds = tuple(float(b) for b in bounds_or_gdf.total_bounds)
        if not crs.is_geographic and np.isfinite(bounds).all():
            bounds = transformer(crs, "EPSG:4326").transform_bounds(*bounds)
    else:
        bounds = tuple(float(b) for b in bounds_or_gdf)
    if len(bounds) != 4 or not check_lonlat(bounds[0::2], bounds[1::2]).all():
        raise CoordinateError(
            f"extent {bounds} is not a lon/lat (minx, miny, maxx, maxy); "
            "pass lon/lat bounds or a non-empty layer with a CRS"
        )
    return pyproj.CRS.from_epsg(gauss_kruger_epsg((bounds[0] + bounds[2]) / 2.0))


def to_projected(gdf: _Geo, crs: Any = None) -> _Geo:
    """Return a copy of a layer in a projected CRS, by default its local Gauss-Krüger zone.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        A layer with a CRS.
    crs : pyproj.CRS, str or int, optional
        Target CRS; by default :func:`local_crs` of the layer.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A reprojected copy, with the index preserved.

    Raises
    ------
    CoordinateError
        If the layer has no CRS or no zone fits its extent.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> pts = gpd.GeoSeries([Point(120.6, 28.0)], crs=4326)
    >>> to_projected(pts).crs.to_epsg()
    4549
    """
    _require_crs(gdf)
    return gdf.to_crs(local_crs(gdf) if crs is None else crs)


def to_lonlat(gdf: _Geo) -> _Geo:
    """Return a copy of a layer in EPSG:4326; one in 4326 or 4490 is copied unchanged.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        A layer with a CRS.

    Returns
    -------
    GeoDataFrame or GeoSeries
        A copy in lon/lat, with the index preserved.

    Raises
    ------
    CoordinateError
        If the layer has no CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> pts = gpd.GeoSeries([Point(500000.0, 3100000.0)], crs=4549)
    >>> to_lonlat(pts).crs.to_epsg()
    4326
    """
    if _require_crs(gdf).to_epsg() in _GEOGRAPHIC_EPSG:
        return gdf.copy()
    return gdf.to_crs(4326)


@lru_cache(maxsize=64)
def transformer(src: Any, dst: Any) -> pyproj.Transformer:
    """Return a cached pyproj transformer between two CRSs, always in x/y (lon/lat) order.

    Parameters
    ----------
    src, dst : pyproj.CRS, str or int
        Source and target CRS, in any hashable form pyproj accepts.

    Returns
    -------
    pyproj.Transformer
        Built with ``always_xy=True``; shared by all callers with the same arguments.

    Raises
    ------
    pyproj.exceptions.CRSError
        If a CRS is not understood.

    Examples
    --------
    >>> x, y = transformer("EPSG:4326", "EPSG:4549").transform(120.0, 28.0)
    >>> round(x)
    500000
    """
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def pipeline_transformer(src: Any, dst: Any) -> pyproj.Transformer:
    """A transformer between two CRSs (x/y order) that each thread builds cheaply.

    pyproj gives every thread that uses a transformer its own copy, built on
    first use the way the original was: from CRS codes that means lookups in
    PROJ's database (seconds on a busy machine, once per thread of a service's
    pool), from the PROJ pipeline of the same operation a fraction of a
    millisecond. The answers are those of ``Transformer.from_crs(src, dst,
    always_xy=True)``, whose pipeline this is.

    Examples
    --------
    >>> x, y = pipeline_transformer("EPSG:4326", "EPSG:4549").transform(120.0, 28.0)
    >>> round(x)
    500000
    """
    chosen = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    if "proj=" not in (chosen.definition or ""):  # pragma: no cover - no pipeline to rebuild
        return chosen
    return pyproj.Transformer.from_pipeline(chosen.definition)


def measuring_crs(lon: float) -> pyproj.CRS:
    """The plane to measure on at a longitude: its CGCS2000 Gauss-Krüger zone in China.

    Outside China's zones (73.5..136.5°E; e.g. a real extract used to test
    a road network) the same construction: a transverse Mercator on the
    nearest 3-degree meridian (GRS80, scale 1, false easting 500 km).

    Examples
    --------
    >>> measuring_crs(120.6).to_epsg()
    4549
    >>> measuring_crs(24.9).to_dict()["lon_0"]
    24
    """
    lon = float(lon)
    if not np.isfinite(lon):
        raise CoordinateError(f"longitude {lon} is not a finite number")
    if 73.5 <= lon <= 136.5:
        return pyproj.CRS.from_epsg(gauss_kruger_epsg(lon))
    meridian = 3.0 * np.floor(lon / 3.0 + 0.5)
    return pyproj.CRS.from_proj4(f"+proj=tmerc +lat_0=0 +lon_0={meridian:g} +k=1 "
                                 "+x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs")
