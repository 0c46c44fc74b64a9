"""Snapping: the nearest polygon within a tolerance of a point that lies in none.

The nearest point of a polygon lies on one of its edges, and each edge is kept in
the record of every cell it touches, so scanning the records of the cells within
reach finds it (:func:`snap_one`). Cells with nothing around them
(:func:`lonely_cells`) settle most far points without a scan.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from gridgis.index._kernels.geometry import metres_per_degree, segment_dist2
from gridgis.index._kernels.layout import (
    BUSY_M,
    BUSY_SUB,
    FALLBACK,
    REC_HEAD,
    REC_N_CHAINS,
    REC_REF,
    Table,
    busy_geometry,
    chain,
    table_of,
)

__all__ = ["lonely_cells", "snap_one", "snap_packed", "snap_reach"]


@nb.njit(cache=True, inline="always")
def snap_reach(tol_m: float, lat: float) -> tuple[float, float]:
    """Degrees of longitude and latitude that surely cover ``tol_m`` metres at ``lat``.

    A degree of latitude is taken as 110 km and one of longitude as 110 km × (1 - r²/2)
    (r the latitude in radians; at most cos r, so less than the ellipsoid's), the
    tolerance widened by 0.1 %.
    """
    tol = tol_m * 1.001
    r = math.radians(min(abs(lat), 90.0))
    cos_floor = max(1.0 - 0.5 * r * r, 1e-6)  # cos r >= 1 - r²/2: no trigonometry
    return tol / (110_000.0 * cos_floor), tol / 110_000.0


@nb.njit(cache=True)
def lonely_cells(cells: np.ndarray, nx: int, ny: int) -> np.ndarray:
    """Table cells with no polygon and no edge, and none in the eight cells around.

    A point in such a cell has no polygon within a reach shorter than a cell, so
    :func:`snap_one` would find none.
    """
    out = np.zeros(nx * ny, np.bool_)
    for j in range(ny):
        for i in range(nx):
            alone = True
            for jj in range(max(0, j - 1), min(ny, j + 2)):
                for ii in range(max(0, i - 1), min(nx, i + 2)):
                    if cells[jj * nx + ii] != -1:
                        alone = False
            out[j * nx + i] = alone
    return out


@nb.njit(cache=True, inline="always")
def _record_nearest(rec: np.ndarray, o: int, x: float, y: float, kx: float, ky: float,
                    best2: float, best: int, xy: np.ndarray) -> tuple[float, int]:
    """The nearest of a record's edges (squared metres, polygon), if nearer than given."""
    c = o + REC_HEAD
    for _ in range(int(rec[o + REC_N_CHAINS])):
        pid, n_edges, v0, after = chain(rec, c)
        for v in range(v0, v0 + n_edges):
            d2 = segment_dist2(xy, v, x, y, kx, ky)
            if d2 < best2 or (d2 == best2 and pid < best):
                best2, best = d2, pid
        c = after
    return best2, best


@nb.njit(cache=True)
def snap_one(x: float, y: float, t: Table, tol_m: float) -> tuple[int, float]:
    """Nearest polygon within ``tol_m`` metres of a point in none, and its distance.

    Scans the edges kept in the records of the cells within reach (see
    :func:`snap_reach`). Distances use the arithmetic of
    :func:`~.geometry.edge_distance` (the same bits); on a tie the lowest id
    wins. Returns ``(-1, nan)`` when nothing is within reach and ``(-2, nan)`` when
    a cell within reach keeps no edges (then the caller decides another way).
    """
    cells, sub_cells, rec, xy = t.cells, t.sub_cells, t.rec, t.bands.xy  # out of the tuple once
    x0, y0, dx, dy, nx, ny = t.x0, t.y0, t.dx, t.dy, t.nx, t.ny
    rx, ry = snap_reach(tol_m, y)
    kx, ky = -1.0, -1.0  # metres per degree, worked out at the first edge in reach
    best2, best = tol_m * tol_m, -1
    i0 = max(0, int(math.floor((x - rx - x0) / dx)))
    i1 = min(nx - 1, int(math.floor((x + rx - x0) / dx)))
    j0 = max(0, int(math.floor((y - ry - y0) / dy)))
    j1 = min(ny - 1, int(math.floor((y + ry - y0) / dy)))
    for j in range(j0, j1 + 1):
        for i in range(i0, i1 + 1):
            v = cells[j * nx + i]
            if v > -2:
                continue  # no polygon, or wholly inside one: no edge in this cell
            o = -v - 2
            if rec[o] >= 0:
                if int(rec[o + REC_REF]) == FALLBACK:
                    return -2, np.nan
                if kx < 0.0:
                    kx, ky = metres_per_degree(y)
                best2, best = _record_nearest(rec, o, x, y, kx, ky, best2, best, xy)
                continue
            m = int(rec[o + BUSY_M])
            sx0, sy0, sdx, sdy = busy_geometry(j * nx + i, m, x0, y0, dx, dy, nx)
            ii0 = min(max(int(math.floor((x - rx - sx0) / sdx)) - 1, 0), m - 1)
            ii1 = min(max(int(math.floor((x + rx - sx0) / sdx)) + 1, 0), m - 1)
            jj0 = min(max(int(math.floor((y - ry - sy0) / sdy)) - 1, 0), m - 1)
            jj1 = min(max(int(math.floor((y + ry - sy0) / sdy)) + 1, 0), m - 1)
            for jj in range(jj0, jj1 + 1):
                for ii in range(ii0, ii1 + 1):
                    w = sub_cells[int(rec[o + BUSY_SUB]) + jj * m + ii]
                    if w <= -2:
                        if int(rec[-w - 2 + REC_REF]) == FALLBACK:
                            return -2, np.nan
                        if kx < 0.0:
                            kx, ky = metres_per_degree(y)
                        best2, best = _record_nearest(rec, -w - 2, x, y, kx, ky, best2,
                                                      best, xy)
    if best < 0:
        return -1, np.nan
    return best, math.sqrt(best2)


@nb.njit(cache=True)
def snap_packed(x: float, y: float, pf: np.ndarray, pi: np.ndarray, pc: np.ndarray,
                tol_m: float) -> tuple[int, float]:
    """:func:`snap_one` on the packed arrays."""
    return snap_one(x, y, table_of(pf, pi, pc), tol_m)
