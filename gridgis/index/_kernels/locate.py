"""Locating one point: its table cell, its finer cell, and the answer of its cell.

A uniform cell table (with finer tables in busy cells) answers most points
outright (cells lying wholly inside one polygon); a point in a cell crossed by
edges is answered from that cell's record: the polygon at the cell's centre and
the few edges in the cell, by counting crossings of the segment from the centre
to the point (:func:`cross_test`). Only degenerate cases (a point on an edge's
line, a segment through a vertex) run the full test on the cell's candidate
polygons (:func:`full_test`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from gridgis.index._kernels.geometry import (
    edge_distance,
    metres_per_degree,
    orient,
    polygon_state,
    segment_dist2,
)
from gridgis.index._kernels.layout import (
    BOUNDARY,
    BUSY_M,
    BUSY_SUB,
    FALLBACK,
    INSIDE,
    NONE,
    REC_ALONE,
    REC_HEAD,
    REC_LIST,
    REC_N_CHAINS,
    REC_REF,
    Bands,
    Table,
    bands_of,
    busy_geometry,
    cell_box,
    chain,
    sub_box,
    sub_index,
    table_of,
)

__all__ = ["cell_at", "cross_test", "edge_distance_packed", "finer_slot", "full_test",
           "locate_core", "locate_full", "locate_packed", "point_box", "resolve",
           "resolve_bound", "table_cell"]


@nb.njit(cache=True, inline="always")
def cell_at(px: float, py: float, x0: float, y0: float, dx: float, dy: float, nx: int,
            ny: int) -> int:
    """The cell holding the point in a table of nx x ny cells from (x0, y0) (-1: none)."""
    if not (math.isfinite(px) and math.isfinite(py)):
        return -1
    i = int(math.floor((px - x0) / dx))
    j = int(math.floor((py - y0) / dy))
    if i < 0 or j < 0 or i >= nx or j >= ny:
        # on the far border of the table a point may still touch a polygon
        if (i == nx and px == x0 + nx * dx) or (j == ny and py == y0 + ny * dy):
            i = min(i, nx - 1)
            j = min(j, ny - 1)
        else:
            return -1
    return j * nx + i


@nb.njit(cache=True, inline="always")
def table_cell(px: float, py: float, t: Table) -> int:
    """The table cell holding the point (-1: none)."""
    return cell_at(px, py, t.x0, t.y0, t.dx, t.dy, t.nx, t.ny)


@nb.njit(cache=True, inline="always")
def finer_slot(rec: np.ndarray, o: int, c: int, px: float, py: float, x0: float, y0: float,
               dx: float, dy: float, nx: int) -> int:
    """Where in ``sub_cells`` the point's cell lies, in the finer table of busy record ``o``
    (over table cell ``c``)."""
    m = rec[o + BUSY_M]
    sx0, sy0, sdx, sdy = busy_geometry(c, m, x0, y0, dx, dy, nx)
    ii, jj = sub_index(px, py, sx0, sy0, sdx, sdy, m)
    return rec[o + BUSY_SUB] + jj * m + ii


@nb.njit(cache=True, inline="always")
def point_box(c: int, px: float, py: float, x0: float, y0: float, dx: float, dy: float,
              nx: int, cells: np.ndarray, rec: np.ndarray) -> tuple[float, float, float, float]:
    """Centre and half sizes of the finest cell holding the point, in table cell ``c``."""
    v = cells[c]
    if v < -1 and rec[-v - 2] < 0:
        m = rec[-v - 2 + BUSY_M]
        sx0, sy0, sdx, sdy = busy_geometry(c, m, x0, y0, dx, dy, nx)
        ii, jj = sub_index(px, py, sx0, sy0, sdx, sdy, m)
        return sub_box(sx0, sy0, sdx, sdy, ii, jj)
    return cell_box(c, x0, y0, dx, dy, nx)


@nb.njit(cache=True, inline="always")
def _finer(c: int, px: float, py: float, t: Table) -> int:
    """The value of table cell ``c``, or for a busy cell the value of the point's finer cell."""
    v = t.cells[c]
    if v < -1 and t.rec[-v - 2] < 0:
        return t.sub_cells[finer_slot(t.rec, -v - 2, c, px, py, t.x0, t.y0, t.dx, t.dy, t.nx)]
    return v


@nb.njit(cache=True, inline="always")
def cross_test(rec: np.ndarray, o: int, px: float, py: float, xy: np.ndarray, rx: float,
               ry: float) -> int:
    """Polygon containing the point, by crossings of the segment from the cell's centre.

    Returns the lowest-numbered candidate containing the point, -1 for none, or
    ``FALLBACK`` when the cell or the point is degenerate (on an edge's line, the
    segment through a vertex): then the full exact test decides. Each edge's
    orientation test is exact when not reported as zero, so a polygon contains the
    point exactly when it contains the centre and the segment crosses its edges an
    even number of times.
    """
    ref = int(rec[o + REC_REF])
    if ref == FALLBACK:
        return FALLBACK
    cur = -1
    parity = False
    best = -1
    c = o + REC_HEAD
    for _ in range(int(rec[o + REC_N_CHAINS])):
        pid, n_edges, v0, after = chain(rec, c)
        if pid != cur:
            if cur >= 0 and ((cur == ref) != parity):
                best = cur  # groups come in ascending order: the first hit is the lowest
                break
            cur = pid
            parity = False
        for v in range(v0, v0 + n_edges):
            ax, ay, bx, by = xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1]
            sp = orient(ax, ay, bx, by, px, py)
            if sp == 0.0:
                return FALLBACK
            # the point and the centre on opposite sides of the edge's line (the centre
            # is on neither: such cells take the full test)
            if (sp > 0.0) != (orient(ax, ay, bx, by, rx, ry) > 0.0):
                o1 = orient(rx, ry, px, py, ax, ay)
                o2 = orient(rx, ry, px, py, bx, by)
                if o1 == 0.0 or o2 == 0.0:
                    return FALLBACK
                if (o1 > 0.0) != (o2 > 0.0):
                    parity = not parity
        c = after
    if best < 0 and cur >= 0 and ((cur == ref) != parity):
        best = cur
    if rec[o + REC_ALONE] != 0 and ref >= 0 and (best < 0 or ref < best):
        return ref  # the centre's polygon has no edge in the cell: it holds the point
    return best


@nb.njit(cache=True)
def full_test(k: int, px: float, py: float, cand_ptr: np.ndarray, cand_ids: np.ndarray,
              bands: Bands) -> tuple[int, int]:
    """The exact test on every candidate of list ``k``: lowest id inside, else on the edge.

    Kept out of line: only degenerate points need it.
    """
    pid = -1
    state = NONE
    for t in range(cand_ptr[k], cand_ptr[k + 1]):
        q = cand_ids[t]  # sorted: the first boundary hit is the lowest id
        s = polygon_state(q, px, py, bands)
        if s == INSIDE:
            return q, INSIDE
        if s == BOUNDARY and pid < 0:
            pid, state = q, BOUNDARY
    return pid, state


@nb.njit(cache=True, inline="always")
def _in_cell_dist2(rec: np.ndarray, o: int, pid: int, px: float, py: float, kx: float,
                   ky: float, xy: np.ndarray) -> float:
    """Least squared distance (m²) from the point to polygon ``pid``'s edges in record ``o``."""
    best2 = np.inf
    c = o + REC_HEAD
    for _ in range(int(rec[o + REC_N_CHAINS])):
        owner, n_edges, v0, after = chain(rec, c)
        if owner == pid:
            for v in range(v0, v0 + n_edges):
                d2 = segment_dist2(xy, v, px, py, kx, ky)
                if d2 < best2:
                    best2 = d2
        c = after
    return best2


@nb.njit(cache=True, inline="always")
def resolve_bound(v: int, px: float, py: float, rec: np.ndarray, cand_ptr: np.ndarray,
                  cand_ids: np.ndarray, bands: Bands, with_distance: bool, rx: float,
                  ry: float, hw: float, hh: float) -> tuple[int, int, float, float]:
    """The answer for a point whose finest cell value is ``v``, but for the edge search.

    ``rx`` … ``hh``: that cell's centre and half sizes (:func:`point_box`; read only
    for a cell crossed by edges). Returns the polygon, its state, the edge distance
    when known, and a squared bound (m²) that is >= 0 when the distance still needs
    :func:`edge_distance` from it.
    """
    if v == -1:
        return -1, NONE, np.nan, -1.0
    best2 = np.inf
    if v >= 0:
        pid, state = v, INSIDE
    else:
        o = -v - 2
        pid = cross_test(rec, o, px, py, bands.xy, rx, ry)
        state = INSIDE if pid >= 0 else NONE
        if pid == FALLBACK:
            pid, state = full_test(int(rec[o + REC_LIST]), px, py, cand_ptr, cand_ids, bands)
        elif pid >= 0 and with_distance:
            # the nearest edge lies in the cell when it is nearer than the cell's border
            kx, ky = metres_per_degree(py)
            best2 = _in_cell_dist2(rec, o, pid, px, py, kx, ky, bands.xy)
            border = min((hw - abs(px - rx)) * kx, (hh - abs(py - ry)) * ky) * (1.0 - 1e-9)
            if border > 0.0 and best2 <= border * border * (1.0 - 1e-9):
                return pid, INSIDE, math.sqrt(best2), -1.0
    if pid < 0:
        return -1, NONE, np.nan, -1.0
    if state == BOUNDARY:
        return pid, BOUNDARY, 0.0, -1.0
    if not with_distance:
        return pid, INSIDE, np.nan, -1.0
    return pid, INSIDE, np.nan, best2


@nb.njit(cache=True)
def resolve(v: int, c: int, px: float, py: float, t: Table, with_distance: bool
            ) -> tuple[int, int, float]:
    """The answer for a point whose finest cell value is ``v`` (in table cell ``c``):
    polygon, state, distance."""
    rx = ry = hw = hh = 0.0
    if v < -1:
        rx, ry, hw, hh = point_box(c, px, py, t.x0, t.y0, t.dx, t.dy, t.nx, t.cells, t.rec)
    pid, state, d, bound2 = resolve_bound(v, px, py, t.rec, t.cand_ptr, t.cand_ids, t.bands,
                                          with_distance, rx, ry, hw, hh)
    if bound2 >= 0.0:
        kx, ky = metres_per_degree(py)
        d = edge_distance(pid, px, py, kx, ky, t.bands, bound2)
    return pid, state, d


@nb.njit(cache=True)
def locate_core(px: float, py: float, t: Table, with_distance: bool
                ) -> tuple[int, int, float]:
    """(polygon id or -1, INSIDE/BOUNDARY/NONE, edge distance in m) for one point.

    The exact crossing-number test of :func:`polygon_state` (lowest id inside, else
    lowest id on the boundary) and :func:`edge_distance`, bit for bit; most points
    in cells crossed by edges are answered from the cell's record (its own short list
    of edges).
    """
    c = table_cell(px, py, t)
    if c < 0:
        return -1, NONE, np.nan
    v = _finer(c, px, py, t)
    return resolve(v, c, px, py, t, with_distance)


@nb.njit(cache=True)
def locate_packed(px: float, py: float, pf: np.ndarray, pi: np.ndarray, pc: np.ndarray,
                  with_distance: bool) -> tuple[int, int, float]:
    """:func:`locate_core` on the packed arrays."""
    return locate_core(px, py, table_of(pf, pi, pc), with_distance)


@nb.njit(cache=True)
def locate_full(px: float, py: float, gf: np.ndarray, gi: np.ndarray, gc: np.ndarray,
                zf: np.ndarray, zi: np.ndarray, zc: np.ndarray
                ) -> tuple[int, int, float, int]:
    """Grid id, state and edge distance, and zone id (-1: none), of one point, in one call."""
    pid, s, d = locate_packed(px, py, gf, gi, gc, True)
    z = -1
    if zi.shape[0] > 0:
        z, _, _ = locate_packed(px, py, zf, zi, zc, False)
    return pid, s, d, z


@nb.njit(cache=True)
def edge_distance_packed(pid: int, px: float, py: float, pf: np.ndarray, pi: np.ndarray,
                         pc: np.ndarray) -> float:
    """:func:`edge_distance` on the packed arrays."""
    kx, ky = metres_per_degree(py)
    return edge_distance(pid, px, py, kx, ky, bands_of(pf, pi, pc), np.inf)
