"""Compiled point-in-polygon kernels over flat edge arrays (numba).

Polygons are flattened into edge arrays; each polygon's edges are also
grouped into horizontal bands, so a crossing-number test or a nearest-edge
search touches only the edges near the point's latitude. A uniform cell table
answers most points outright (cells lying wholly inside one polygon); only
points in cells crossed by an edge run the exact test, on the few candidate
polygons of that cell.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

INSIDE, BOUNDARY, NONE = 0, 1, 2


@nb.njit(cache=True, inline="always")
def _orient(ax: float, ay: float, bx: float, by: float, px: float, py: float) -> float:
    # Sign of the cross product (b - a) x (p - a). Values within the rounding-error
    # bound count as zero: such a point lies within ~1e-15 (relative) of the edge's line,
    # i.e. nanometres, and is reported on the boundary (documented in PolygonIndex).
    left = (bx - ax) * (py - ay)
    right = (by - ay) * (px - ax)
    det = left - right
    if abs(det) <= 4e-16 * (abs(left) + abs(right)):
        return 0.0
    return det


@nb.njit(cache=True)
def polygon_state(pid: int, px: float, py: float, band_lo: np.ndarray, band_h: np.ndarray,
                  band_n: np.ndarray, band_off: np.ndarray, band_ptr: np.ndarray,
                  band_xy: np.ndarray) -> int:
    """INSIDE, BOUNDARY or NONE for point (px, py) and polygon ``pid``."""
    n = band_n[pid]
    b = int(math.floor((py - band_lo[pid]) / band_h[pid]))
    if b < 0 or b >= n:
        if b == n and py == band_lo[pid] + n * band_h[pid]:
            b = n - 1
        elif b == -1 and py == band_lo[pid]:
            b = 0
        else:
            return NONE
    k = band_off[pid] + b
    inside = False
    for t in range(band_ptr[k], band_ptr[k + 1]):
        ax, ay, bx, by = band_xy[t, 0], band_xy[t, 1], band_xy[t, 2], band_xy[t, 3]
        if (ay > py) != (by > py):
            o = _orient(ax, ay, bx, by, px, py)
            if o == 0.0:
                return BOUNDARY
            # the ray to +x crosses the edge when the point is left of an upward edge
            if (o > 0.0) == (by > ay):
                inside = not inside
        elif ay == py and by == py:
            if min(ax, bx) <= px <= max(ax, bx):
                return BOUNDARY
        elif (ay == py and ax == px) or (by == py and bx == px):
            return BOUNDARY
    return INSIDE if inside else NONE


@nb.njit(cache=True)
def edge_distance(pid: int, px: float, py: float, kx: float, ky: float, band_lo: np.ndarray,
                  band_h: np.ndarray, band_n: np.ndarray, band_off: np.ndarray,
                  band_ptr: np.ndarray, band_xy: np.ndarray) -> float:
    """Distance in metres from the point to polygon ``pid``'s boundary.

    ``kx``/``ky`` are metres per degree of longitude/latitude at the point;
    bands are searched outwards until they lie farther than the best edge.
    """
    n = band_n[pid]
    h = band_h[pid]
    lo = band_lo[pid]
    b0 = int(math.floor((py - lo) / h))
    b0 = min(max(b0, 0), n - 1)
    best = np.inf
    for step in range(n):
        done = True
        for b in (b0 - step, b0 + step):
            if b < 0 or b >= n or (step == 0 and b != b0):
                continue
            # vertical gap between the point and this band, in metres
            gap = 0.0
            if py < lo + b * h:
                gap = (lo + b * h - py) * ky
            elif py > lo + (b + 1) * h:
                gap = (py - lo - (b + 1) * h) * ky
            if gap >= best:
                continue
            done = False
            k = band_off[pid] + b
            for t in range(band_ptr[k], band_ptr[k + 1]):
                ax = (band_xy[t, 0] - px) * kx
                ay = (band_xy[t, 1] - py) * ky
                bx = (band_xy[t, 2] - px) * kx
                by = (band_xy[t, 3] - py) * ky
                dx, dy = bx - ax, by - ay
                ll = dx * dx + dy * dy
                s = 0.0 if ll == 0.0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / ll))
                cx, cy = ax + s * dx, ay + s * dy
                d = math.sqrt(cx * cx + cy * cy)
                if d < best:
                    best = d
        if done and step > 0:
            break
    return best


@nb.njit(cache=True, inline="always")
def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and latitude on the WGS84/CGCS2000 ellipsoid."""
    a = 6378137.0
    e2 = 0.00669438002290
    s = math.sin(math.radians(lat))
    w = math.sqrt(1.0 - e2 * s * s)
    n_radius = a / w
    m_radius = a * (1.0 - e2) / (w * w * w)
    return math.radians(1.0) * n_radius * math.cos(math.radians(lat)), \
        math.radians(1.0) * m_radius


@nb.njit(cache=True)
def locate_one(px: float, py: float, x0: float, y0: float, dx: float, dy: float, nx: int,
               ny: int, cells: np.ndarray, cand_ptr: np.ndarray, cand_ids: np.ndarray,
               list_sub: np.ndarray, sub_geo: np.ndarray, sub_int: np.ndarray,
               sub_cells: np.ndarray, band_lo: np.ndarray, band_h: np.ndarray,
               band_n: np.ndarray, band_off: np.ndarray, band_ptr: np.ndarray,
               band_xy: np.ndarray) -> tuple[int, int]:
    """(polygon id or -1, INSIDE/BOUNDARY/NONE) for one point."""
    if not (math.isfinite(px) and math.isfinite(py)):
        return -1, NONE
    i = int(math.floor((px - x0) / dx))
    j = int(math.floor((py - y0) / dy))
    if i < 0 or j < 0 or i >= nx or j >= ny:
        # on the far border of the table a point may still touch a polygon
        if (i == nx and px == x0 + nx * dx) or (j == ny and py == y0 + ny * dy):
            i = min(i, nx - 1)
            j = min(j, ny - 1)
        else:
            return -1, NONE
    v = cells[j * nx + i]
    if v >= 0:
        return v, INSIDE
    if v == -1:
        return -1, NONE
    k = -v - 2
    r = list_sub[k]
    if r >= 0:  # a busy cell: look the point up in its finer table
        m = sub_int[r, 0]
        ii = min(max(int(math.floor((px - sub_geo[r, 0]) / sub_geo[r, 2])), 0), m - 1)
        jj = min(max(int(math.floor((py - sub_geo[r, 1]) / sub_geo[r, 3])), 0), m - 1)
        v = sub_cells[sub_int[r, 1] + jj * m + ii]
        if v >= 0:
            return v, INSIDE
        if v == -1:
            return -1, NONE
        k = -v - 2
    found = -1
    for t in range(cand_ptr[k], cand_ptr[k + 1]):
        pid = cand_ids[t]  # candidates are sorted: the first boundary hit is the lowest id
        s = polygon_state(pid, px, py, band_lo, band_h, band_n, band_off, band_ptr, band_xy)
        if s == INSIDE:
            return pid, INSIDE
        if s == BOUNDARY and found < 0:
            found = pid
    if found >= 0:
        return found, BOUNDARY
    return -1, NONE


@nb.njit(cache=True)
def classify_points(px: np.ndarray, py: np.ndarray, cands: np.ndarray, band_lo: np.ndarray,
                    band_h: np.ndarray, band_n: np.ndarray, band_off: np.ndarray,
                    band_ptr: np.ndarray, band_xy: np.ndarray) -> np.ndarray:
    """The candidate polygon containing each point (-1: none), by the exact test."""
    out = np.full(px.shape[0], -1, np.int32)
    for t in range(px.shape[0]):
        for pid in cands:
            if polygon_state(pid, px[t], py[t], band_lo, band_h, band_n, band_off, band_ptr,
                             band_xy) != NONE:
                out[t] = pid
                break
    return out


@nb.njit(cache=True)
def _cell_order(px: np.ndarray, py: np.ndarray, x0: float, y0: float, dx: float, dy: float,
                nx: int, ny: int) -> np.ndarray:
    """Counting sort of the points by table cell (points off the table come last)."""
    n = px.shape[0]
    key = np.empty(n, np.int64)
    counts = np.zeros(nx * ny + 2, np.int64)
    for t in range(n):
        k = nx * ny
        if math.isfinite(px[t]) and math.isfinite(py[t]):
            i = int(math.floor((px[t] - x0) / dx))
            j = int(math.floor((py[t] - y0) / dy))
            if 0 <= i < nx and 0 <= j < ny:
                k = j * nx + i
        key[t] = k
        counts[k + 1] += 1
    for k in range(1, nx * ny + 2):
        counts[k] += counts[k - 1]
    order = np.empty(n, np.int64)
    for t in range(n):
        order[counts[key[t]]] = t
        counts[key[t]] += 1
    return order


@nb.njit(cache=True, parallel=True)
def locate_many(px: np.ndarray, py: np.ndarray, x0: float, y0: float, dx: float, dy: float,
                nx: int, ny: int, cells: np.ndarray, cand_ptr: np.ndarray,
                cand_ids: np.ndarray, list_sub: np.ndarray, sub_geo: np.ndarray,
                sub_int: np.ndarray, sub_cells: np.ndarray, band_lo: np.ndarray,
                band_h: np.ndarray, band_n: np.ndarray, band_off: np.ndarray,
                band_ptr: np.ndarray, band_xy: np.ndarray, with_distance: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorized :func:`locate_one` plus the edge distance in metres."""
    n = px.shape[0]
    ids = np.empty(n, np.int32)
    state = np.empty(n, np.int8)
    dist = np.full(n, np.nan)
    order = _cell_order(px, py, x0, y0, dx, dy, nx, ny)
    for q in nb.prange(n):
        t = order[q]  # points visited cell by cell: the cell's edges stay in cache
        pid, s = locate_one(px[t], py[t], x0, y0, dx, dy, nx, ny, cells, cand_ptr, cand_ids,
                            list_sub, sub_geo, sub_int, sub_cells, band_lo, band_h, band_n,
                            band_off, band_ptr, band_xy)
        ids[t] = pid
        state[t] = s
        if with_distance and pid >= 0:
            if s == BOUNDARY:
                dist[t] = 0.0
            else:
                kx, ky = metres_per_degree(py[t])
                dist[t] = edge_distance(pid, px[t], py[t], kx, ky, band_lo, band_h, band_n,
                                        band_off, band_ptr, band_xy)
    return ids, state, dist
