"""Web Mercator (EPSG:3857) and the XYZ / TMS tile grid of the basemap.

Layers are stored in WGS84 lon/lat; tiles are cut in spherical Web Mercator
metres, the grid every web map uses: zoom ``z`` has ``2**z`` by ``2**z`` tiles,
``x`` from the west, ``y`` from the north (XYZ). MBTiles stores rows from the
south (TMS): :func:`tms_row` flips one into the other.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

__all__ = ["HALF_WORLD", "MAX_LAT", "lonlat_to_mercator", "tile_bounds", "tile_range",
           "tile_size_m", "tms_row"]

RADIUS = 6378137.0
"""The sphere of Web Mercator (the WGS84 semi-major axis), in metres."""
HALF_WORLD = math.pi * RADIUS
"""Half the width of the Web Mercator square: x and y run from -HALF_WORLD to HALF_WORLD."""
MAX_LAT = 85.0511287798066
"""The latitude at the edge of the Web Mercator square."""


def lonlat_to_mercator(geometry: np.ndarray) -> np.ndarray:
    """Project shapely geometries from lon/lat (WGS84) to Web Mercator metres.

    Parameters
    ----------
    geometry : numpy.ndarray of shapely.Geometry
        Geometries in degrees.

    Returns
    -------
    numpy.ndarray of shapely.Geometry
        The same geometries in EPSG:3857 metres (latitudes clamped to ±85.05°).
    """
    def project(xy: np.ndarray) -> np.ndarray:
        lon = xy[:, 0]
        lat = np.clip(xy[:, 1], -MAX_LAT, MAX_LAT)
        x = np.radians(lon) * RADIUS
        y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * RADIUS
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geometry, dtype=object), project)


def tile_size_m(z: int) -> float:
    """Width of one tile of zoom ``z`` in Web Mercator metres."""
    return 2 * HALF_WORLD / (1 << z)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """Bounds ``(minx, miny, maxx, maxy)`` in Web Mercator metres of XYZ tile ``z/x/y``."""
    size = tile_size_m(z)
    minx = -HALF_WORLD + x * size
    maxy = HALF_WORLD - y * size
    return minx, maxy - size, minx + size, maxy


def tile_range(z: int, bounds: tuple[float, float, float, float]
               ) -> tuple[range, range]:
    """The XYZ columns and rows of zoom ``z`` that cover ``bounds`` (Web Mercator metres).

    Returns
    -------
    tuple of range
        ``(xs, ys)``, clipped to the tile grid.
    """
    n = 1 << z
    size = tile_size_m(z)
    minx, miny, maxx, maxy = bounds

    def col(v: float) -> int:
        return min(n - 1, max(0, math.floor((v + HALF_WORLD) / size)))

    def row(v: float) -> int:
        return min(n - 1, max(0, math.floor((HALF_WORLD - v) / size)))

    return range(col(minx), col(maxx) + 1), range(row(maxy), row(miny) + 1)


def tms_row(z: int, y: int) -> int:
    """The TMS row (from the south, as MBTiles stores it) of XYZ row ``y`` at zoom ``z``.

    The same formula turns a TMS row back into an XYZ row.
    """
    return (1 << z) - 1 - y
