"""Compile the engine's kernels once, up front, and say so when it takes a while.

The kernels are compiled by numba on first use and kept in its disk cache; a
later process loads them in a moment. :func:`compile_kernels` does that first use
on purpose, on a tiny index (a set-up step calls it). Any other first use on a
cold cache (:func:`ensure_compiled`, called whenever an index is built or
loaded) prints one line on stderr before compiling, and how long it took after.
"""

from __future__ import annotations

import contextlib
import sys
import time

import numpy as np

from gridgis.index import _kernels

__all__ = ["compile_kernels", "ensure_compiled", "kernels_cached"]

_MESSAGE = ("gridgis: 首次使用，正在编译分配内核（约需一两分钟），以后直接从缓存加载 / "
            "compiling the assignment kernels once (a minute or two); later runs load them "
            "from the cache")
_checked = False


def kernels_cached() -> bool:
    """Whether numba's cache holds the kernels of these very sources (no compiling needed)."""
    return not _kernels.cold()


def ensure_compiled() -> None:
    """On a cold cache, say so on stderr and compile every kernel now (once a process)."""
    global _checked
    if _checked:
        return
    _checked = True
    if _kernels.cold():
        print(_MESSAGE, file=sys.stderr, flush=True)
        seconds = compile_kernels()
        print(f"gridgis: 内核编译完成，用时 {seconds:.0f} 秒 / kernels compiled in {seconds:.0f} s",
              file=sys.stderr, flush=True)


def compile_kernels() -> float:
    """Compile (or load from the cache) every kernel the engine uses.

    Builds a tiny index of grids and patrol zones and runs each path on it: build,
    single-point locate and snapping, batch assignment with and without distances
    and zones, queries and the column lookups.

    Returns
    -------
    float
        Seconds it took: a minute or two when compiling, well under a second when
        the kernels load from the cache.

    Examples
    --------
    >>> from gridgis.index import compile_kernels
    >>> compile_kernels() >= 0.0
    True
    """
    global _checked
    _checked = True  # the tiny index below must not start this again
    import geopandas as gpd
    import shapely

    from gridgis.errors import OutsideDistrictError
    from gridgis.index._kernels.batch import gather
    from gridgis.index.grid import GridIndex

    start = time.perf_counter()
    # four squares whose finely cut shared edges crowd some cells: finer tables too
    squares = [shapely.segmentize(shapely.box(x, y, x + 1, y + 1), 0.002)
               for y in (0, 1) for x in (0, 1)]
    grids = gpd.GeoDataFrame({"code": ["G1", "G2", "G3", "G4"],
                              "community_code": ["C1", "C1", "C2", "C2"],
                              "workers": [1, 2, 3, 4]}, geometry=squares, crs=4326)
    zones = gpd.GeoDataFrame({"level": ["high", "low"]},
                             geometry=[shapely.box(0, 0, 1, 2), shapely.box(1, 0, 2, 2)],
                             crs=4326)
    index = GridIndex(grids, patrol_zones=zones)
    plain = GridIndex(grids)
    lon = np.array([0.5, 1.0, 1.5, 2.0001, 3.0, np.nan])
    lat = np.array([0.5, 0.5, 1.5, 1.0, 3.0, 1.0])
    for idx in (index, plain):
        for x, y in ((0.5, 0.5), (1.0, 0.5), (2.0001, 1.0), (5.0, 5.0)):
            with contextlib.suppress(OutsideDistrictError):
                idx.locate(x, y)
        for with_distance in (True, False):
            idx.assign(lon=lon, lat=lat, with_distance=with_distance)
        idx._snap_near(lon[3:4], lat[3:4])
    poly = index.grid_index
    poly.query(lon, lat)
    poly.query_one(0.5, 0.5)
    ids = np.array([0, -1], np.int32)
    for table, missing, out in ((np.zeros(4, np.int32), -1, np.int8),
                                (np.zeros(4, np.int32), -1, np.int16),
                                (np.zeros(4, np.int32), -1, np.int32),
                                (np.zeros(4, np.int32), -1, np.int64),
                                (np.zeros(4, np.int64), 0, np.int64),
                                (np.zeros(4, np.int32), 0, np.int32),
                                (np.zeros(4, np.bool_), True, np.bool_)):
        gather(ids, table, missing, np.empty(2, out))
    from gridgis.crs import bd09_to_wgs84

    bd09_to_wgs84(120.6, 28.0)  # the phone systems' inverses (gridgis._crs_kernels)
    return time.perf_counter() - start


# an index announces its first use of the kernels to them; on a cold cache, this runs
_kernels.on_first_use(ensure_compiled)
