"""Plane geometry in lon/lat: orientation, point-in-polygon by bands, edge distances.

Each polygon's edges are grouped into horizontal bands (:class:`~.layout.Bands`),
so a crossing-number test or a nearest-edge search touches only the edges near
the point's latitude. Distances are in metres on the local plane (the
ellipsoid's radii of curvature at the point).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from gridgis.index._kernels.layout import BOUNDARY, INSIDE, NONE, Bands

__all__ = ["band_min", "edge_columns_in_row", "edge_distance", "edge_rows",
           "metres_per_degree", "orient", "polygon_state", "segment_dist2"]


@nb.njit(cache=True, inline="always")
def orient(ax: float, ay: float, bx: float, by: float, px: float, py: float) -> float:
    """Sign of the cross product (b - a) x (p - a); 0.0 within the rounding-error bound.

    Such a point lies within ~1e-15 (relative) of the edge's line, i.e. nanometres,
    and is reported on the boundary (documented in PolygonIndex).
    """
    left = (bx - ax) * (py - ay)
    right = (by - ay) * (px - ax)
    det = left - right
    if abs(det) <= 4e-16 * (abs(left) + abs(right)):
        return 0.0
    return det


@nb.njit(cache=True)
def polygon_state(pid: int, px: float, py: float, bands: Bands) -> int:
    """INSIDE, BOUNDARY or NONE for point (px, py) and polygon ``pid``."""
    n = bands.n[pid]
    b = int(math.floor((py - bands.lo[pid]) / bands.h[pid]))
    if b < 0 or b >= n:
        if b == n and py == bands.lo[pid] + n * bands.h[pid]:
            b = n - 1
        elif b == -1 and py == bands.lo[pid]:
            b = 0
        else:
            return NONE
    k = bands.off[pid] + b
    xy, ev = bands.xy, bands.ev
    inside = False
    for t in range(bands.ptr[k], bands.ptr[k + 1]):
        v = ev[t]
        ax, ay, bx, by = xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1]
        if (ay > py) != (by > py):
            o = orient(ax, ay, bx, by, px, py)
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


@nb.njit(cache=True, fastmath={"nnan", "nsz"})
def band_min(xy: np.ndarray, ev: np.ndarray, t0: int, t1: int, px: float, py: float,
             kx: float, ky: float, best2: float) -> float:
    """Least squared distance (m²) to the edges ``ev[t0:t1]`` (first vertices, rows of
    ``xy``), at most ``best2``.

    The arithmetic of :func:`edge_distance`, written without branches; the flags only
    allow assuming no NaN and unsigned zeros (no reassociation, no fused multiply-add),
    so every value is the same.
    """
    for t in range(t0, t1):
        v = ev[t]
        ax = (xy[v, 0] - px) * kx
        ay = (xy[v, 1] - py) * ky
        bx = (xy[v + 1, 0] - px) * kx
        by = (xy[v + 1, 1] - py) * ky
        dx, dy = bx - ax, by - ay
        ll = dx * dx + dy * dy
        q = -(ax * dx + ay * dy) / (ll if ll != 0.0 else 1.0)
        s = 0.0 if ll == 0.0 else max(0.0, min(1.0, q))
        cx, cy = ax + s * dx, ay + s * dy
        d2 = cx * cx + cy * cy
        best2 = d2 if d2 < best2 else best2
    return best2


@nb.njit(cache=True)
def edge_distance(pid: int, px: float, py: float, kx: float, ky: float, bands: Bands,
                  best2: float = math.inf) -> float:
    """Distance in metres from the point to polygon ``pid``'s boundary.

    ``kx``/``ky`` are metres per degree of longitude/latitude at the point; bands
    are searched outwards until they lie farther than the best edge. ``best2`` is the
    squared distance (m²) to an edge of the polygon already measured, when the caller
    has one: the search starts from it (the same result, found sooner).
    """
    n = bands.n[pid]
    h = bands.h[pid]
    lo = bands.lo[pid]
    b0 = int(math.floor((py - lo) / h))
    b0 = min(max(b0, 0), n - 1)
    best = math.sqrt(best2)
    for step in range(n):
        done = True
        for side in range(2):
            if step == 0 and side == 1:
                continue
            b = b0 - step if side == 0 else b0 + step
            if b < 0 or b >= n:
                continue
            gap = 0.0
            if py < lo + b * h:
                gap = (lo + b * h - py) * ky
            elif py > lo + (b + 1) * h:
                gap = (py - lo - (b + 1) * h) * ky
            if gap >= best:
                continue
            done = False
            k = bands.off[pid] + b
            best2 = band_min(bands.xy, bands.ev, bands.ptr[k], bands.ptr[k + 1], px, py, kx,
                             ky, best2)
            best = math.sqrt(best2)
        if done and step > 0:
            break
    return best


@nb.njit(cache=True, inline="always")
def segment_dist2(xy: np.ndarray, v: int, px: float, py: float, kx: float, ky: float
                  ) -> float:
    """Squared distance (m²) from the point to the edge from vertex ``v`` to ``v + 1``.

    The arithmetic of :func:`edge_distance` (so the same bits); the projection is
    divided out only when it falls inside the edge.
    """
    ax = (xy[v, 0] - px) * kx
    ay = (xy[v, 1] - py) * ky
    bx = (xy[v + 1, 0] - px) * kx
    by = (xy[v + 1, 1] - py) * ky
    dx, dy = bx - ax, by - ay
    ll = dx * dx + dy * dy
    num = -(ax * dx + ay * dy)
    if ll == 0.0 or num <= 0.0:
        cx, cy = ax, ay
    elif num >= ll:
        cx, cy = ax + dx, ay + dy
    else:
        s = min(1.0, num / ll)
        cx, cy = ax + s * dx, ay + s * dy
    return cx * cx + cy * cy


@nb.njit(cache=True, inline="always")
def edge_rows(ay: float, by: float, y0: float, dy: float, ny: int) -> tuple[int, int]:
    """First and last row of a grid of cells (from ``y0``, ``dy`` high) that edge ab
    may touch: conservatively, closed cells."""
    ylo, yhi = min(ay, by), max(ay, by)
    return (max(0, int(math.floor((ylo - y0) / dy - 1e-9))),
            min(ny - 1, int(math.floor((yhi - y0) / dy + 1e-9))))


@nb.njit(cache=True, inline="always")
def edge_columns_in_row(ax: float, ay: float, bx: float, by: float, j: int, x0: float,
                        y0: float, dx: float, dy: float, nx: int) -> tuple[int, int]:
    """First and last column that edge ab may touch within row ``j`` (closed cells)."""
    ylo, yhi = min(ay, by), max(ay, by)
    r0 = max(ylo, y0 + j * dy)
    r1 = min(yhi, y0 + (j + 1) * dy)
    if by != ay:
        xa = ax + (r0 - ay) * (bx - ax) / (by - ay)
        xb = ax + (r1 - ay) * (bx - ax) / (by - ay)
    else:
        xa, xb = ax, bx
    lo, hi = min(xa, xb), max(xa, xb)
    return (max(0, int(math.floor((lo - x0) / dx - 1e-9))),
            min(nx - 1, int(math.floor((hi - x0) / dx + 1e-9))))
