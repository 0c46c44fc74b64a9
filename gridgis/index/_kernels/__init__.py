"""Compiled point-in-polygon kernels over flat edge arrays (numba).

Polygons are flattened into edge arrays; each polygon's edges are also
grouped into horizontal bands, so a crossing-number test or a nearest-edge
search touches only the edges near the point's latitude. A uniform cell table
(with finer tables in busy cells) answers most points outright (cells lying
wholly inside one polygon); a point in a cell crossed by edges is answered from
that cell's record: the polygon at the cell's centre and the few edges in the
cell, by counting crossings of the segment from the centre to the point. Only
degenerate cases (a point on an edge's line, a segment through a vertex) run the
full test on the cell's candidate polygons. Batches are compiled parallel loops,
visited tile by tile and in stages so that memory loads overlap.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np

INSIDE, BOUNDARY, NONE = 0, 1, 2
FAR = 3  # in no polygon, and none within snapping reach (batch passes only)


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


# -- the packed index: three flat arrays, so a call passes few arguments ---------------------
# ``I`` starts with nx, ny, n, then (start, stop) of each part in I, F and C; ``F`` starts
# with x0, y0, dx, dy. Parts are read back as views (no copies) by the helpers below.
#
# Cells of the table (and of the finer tables) hold a polygon id (>= 0), -1 (no polygon)
# or -2 - o, where o is the offset in ``rec`` of the cell's record, laid out so that a point
# touches one short run of memory:
#   a busy cell:     -1, x0, y0, dx, dy, m, offset of its m x m finer table in sub_cells
#   a boundary cell: k (its candidate list), polygon at the centre (or -1, or FALLBACK),
#                    whether that polygon has no edge in the cell, centre x, centre y,
#                    half width, half height, n, then n edges (x0, y0, x1, y1, code) where
#                    code = 2 * polygon + (1 if the centre lies left of the edge else 0)
I_PARTS = ("cand_ptr", "band_n", "band_off", "band_ptr")
F_PARTS = ("band_lo", "band_h", "band_xy", "rec")
C_PARTS = ("cells", "sub_cells", "cand_ids")
_HDR = 3
_IF = _HDR + 2 * len(I_PARTS)
_FF = _IF + 2 * len(F_PARTS)
HEADER = _FF + 2 * len(C_PARTS)
FALLBACK = -3  # a cell whose points take the full exact test
REC_HEAD = 8
CHAIN_BITS = 10  # a chain's head: polygon id << CHAIN_BITS | number of its edges
CHAIN_MAX = (1 << CHAIN_BITS) - 1  # edges in one chain at most


@nb.njit(cache=True, inline="always")
def _ip(pi: np.ndarray, k: int) -> np.ndarray:
    return pi[pi[_HDR + 2 * k]:pi[_HDR + 2 * k + 1]]


@nb.njit(cache=True, inline="always")
def _fp(pf: np.ndarray, pi: np.ndarray, k: int) -> np.ndarray:
    return pf[pi[_IF + 2 * k]:pi[_IF + 2 * k + 1]]


@nb.njit(cache=True, inline="always")
def _cp(pc: np.ndarray, pi: np.ndarray, k: int) -> np.ndarray:
    return pc[pi[_FF + 2 * k]:pi[_FF + 2 * k + 1]]


@nb.njit(cache=True, fastmath={"nnan", "nsz"})
def _band_min(xy: np.ndarray, t0: int, t1: int, px: float, py: float, kx: float, ky: float,
              best2: float) -> float:
    """Least squared distance (m²) to edges ``t0:t1``, at most ``best2``.

    The arithmetic of :func:`edge_distance`, written without branches; the flags only
    allow assuming no NaN and unsigned zeros (no reassociation, no fused multiply-add),
    so every value is the same.
    """
    for t in range(t0, t1):
        ax = (xy[t, 0] - px) * kx
        ay = (xy[t, 1] - py) * ky
        bx = (xy[t, 2] - px) * kx
        by = (xy[t, 3] - py) * ky
        dx, dy = bx - ax, by - ay
        ll = dx * dx + dy * dy
        q = -(ax * dx + ay * dy) / (ll if ll != 0.0 else 1.0)
        s = 0.0 if ll == 0.0 else max(0.0, min(1.0, q))
        cx, cy = ax + s * dx, ay + s * dy
        d2 = cx * cx + cy * cy
        best2 = d2 if d2 < best2 else best2
    return best2


@nb.njit(cache=True)
def edge_distance(pid: int, px: float, py: float, kx: float, ky: float, band_lo: np.ndarray,
                  band_h: np.ndarray, band_n: np.ndarray, band_off: np.ndarray,
                  band_ptr: np.ndarray, band_xy: np.ndarray, best2: float = math.inf
                  ) -> float:
    """Distance in metres from the point to polygon ``pid``'s boundary.

    ``kx``/``ky`` are metres per degree of longitude/latitude at the point; bands
    are searched outwards until they lie farther than the best edge. ``best2`` is the
    squared distance (m²) to an edge of the polygon already measured, when the caller
    has one: the search starts from it (the same result, found sooner).
    """
    n = band_n[pid]
    h = band_h[pid]
    lo = band_lo[pid]
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
            k = band_off[pid] + b
            best2 = _band_min(band_xy, band_ptr[k], band_ptr[k + 1], px, py, kx, ky, best2)
            best = math.sqrt(best2)
        if done and step > 0:
            break
    return best


@nb.njit(cache=True, inline="always")
def _rec_dist2(rec: np.ndarray, b: int, px: float, py: float, kx: float, ky: float) -> float:
    """Squared distance (m²) from the point to the edge stored at ``rec[b:b + 4]``.

    The arithmetic of :func:`edge_distance` (so the same bits); the projection is
    divided out only when it falls inside the edge.
    """
    ax = (rec[b] - px) * kx
    ay = (rec[b + 1] - py) * ky
    bx = (rec[b + 2] - px) * kx
    by = (rec[b + 3] - py) * ky
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
def _chain(rec: np.ndarray, c: int) -> tuple[int, int, int]:
    """The chain of edges at ``rec[c]`` (see :func:`build_records`).

    Returns its polygon, its number of edges and where the next chain starts; edge
    ``e`` of the chain is ``rec[c + 1 + 2e : c + 5 + 2e]`` (x0, y0, x1, y1).
    """
    head = int(rec[c])
    n_edges = head & CHAIN_MAX
    return head >> CHAIN_BITS, n_edges, c + 2 * n_edges + 3


@nb.njit(cache=True, inline="always")
def _cross_test(rec: np.ndarray, o: int, px: float, py: float) -> int:
    """Polygon containing the point, by crossings of the segment from the cell's centre.

    Returns the lowest-numbered candidate containing the point, -1 for none, or
    ``FALLBACK`` when the cell or the point is degenerate (on an edge's line, the
    segment through a vertex): then the full exact test decides. Each edge's
    orientation test is exact when not reported as zero, so a polygon contains the
    point exactly when it contains the centre and the segment crosses its edges an
    even number of times.
    """
    ref = int(rec[o + 1])
    if ref == FALLBACK:
        return FALLBACK
    rx, ry = rec[o + 3], rec[o + 4]
    cur = -1
    parity = False
    best = -1
    c = o + REC_HEAD
    for _ in range(int(rec[o + 7])):
        pid, n_edges, after = _chain(rec, c)
        if pid != cur:
            if cur >= 0 and ((cur == ref) != parity):
                best = cur  # groups come in ascending order: the first hit is the lowest
                break
            cur = pid
            parity = False
        for e in range(n_edges):
            b = c + 1 + 2 * e
            ax, ay, bx, by = rec[b], rec[b + 1], rec[b + 2], rec[b + 3]
            sp = _orient(ax, ay, bx, by, px, py)
            if sp == 0.0:
                return FALLBACK
            # the point and the centre on opposite sides of the edge's line (the centre
            # is on neither: such cells take the full test)
            if (sp > 0.0) != (_orient(ax, ay, bx, by, rx, ry) > 0.0):
                o1 = _orient(rx, ry, px, py, ax, ay)
                o2 = _orient(rx, ry, px, py, bx, by)
                if o1 == 0.0 or o2 == 0.0:
                    return FALLBACK
                if (o1 > 0.0) != (o2 > 0.0):
                    parity = not parity
        c = after
    if best < 0 and cur >= 0 and ((cur == ref) != parity):
        best = cur
    if rec[o + 2] != 0.0 and ref >= 0 and (best < 0 or ref < best):
        return ref  # the centre's polygon has no edge in the cell: it holds the point
    return best


@nb.njit(cache=True, inline="always")
def unpack(pf: np.ndarray, pi: np.ndarray, pc: np.ndarray) -> tuple:
    """The packed arrays as the argument tuple of :func:`locate_core` (views, no copies)."""
    return (pf[0], pf[1], pf[2], pf[3], pi[0], pi[1], _cp(pc, pi, 0), _cp(pc, pi, 1),
            _fp(pf, pi, 3), _ip(pi, 0), _cp(pc, pi, 2), _fp(pf, pi, 0), _fp(pf, pi, 1),
            _ip(pi, 1), _ip(pi, 2), _ip(pi, 3), _fp(pf, pi, 2).reshape((-1, 4)))


@nb.njit(cache=True, inline="always")
def _table(px: float, py: float, x0: float, y0: float, dx: float, dy: float, nx: int,
           ny: int, cells: np.ndarray) -> int:
    """The table cell holding the point (-1: none)."""
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
def _finer(v: int, px: float, py: float, sub_cells: np.ndarray, rec: np.ndarray) -> int:
    """A busy cell's value is looked up again in its finer table."""
    if v < -1 and rec[-v - 2] < 0.0:  # a busy cell: look the point up in its finer table
        o = -v - 2
        m = int(rec[o + 5])
        ii = min(max(int(math.floor((px - rec[o + 1]) / rec[o + 3])), 0), m - 1)
        jj = min(max(int(math.floor((py - rec[o + 2]) / rec[o + 4])), 0), m - 1)
        v = sub_cells[int(rec[o + 6]) + jj * m + ii]
    return v


@nb.njit(cache=True)
def _resolve(v: int, px: float, py: float, rec: np.ndarray, cand_ptr: np.ndarray,
             cand_ids: np.ndarray, band_lo: np.ndarray, band_h: np.ndarray,
             band_n: np.ndarray, band_off: np.ndarray, band_ptr: np.ndarray,
             band_xy: np.ndarray, with_distance: bool) -> tuple[int, int, float]:
    """The answer for a point whose (finest) cell value is ``v``."""
    pid, state, d, bound2 = _resolve_bound(v, px, py, rec, cand_ptr, cand_ids, band_lo,
                                           band_h, band_n, band_off, band_ptr, band_xy,
                                           with_distance)
    if bound2 >= 0.0:
        kx, ky = metres_per_degree(py)
        d = edge_distance(pid, px, py, kx, ky, band_lo, band_h, band_n, band_off,
                               band_ptr, band_xy, bound2)
    return pid, state, d


@nb.njit(cache=True)
def _full_test(k: int, px: float, py: float, cand_ptr: np.ndarray, cand_ids: np.ndarray,
               band_lo: np.ndarray, band_h: np.ndarray, band_n: np.ndarray,
               band_off: np.ndarray, band_ptr: np.ndarray, band_xy: np.ndarray
               ) -> tuple[int, int]:
    """The exact test on every candidate of list ``k``: lowest id inside, else on the edge.

    Kept out of line: only degenerate points need it.
    """
    pid = -1
    state = NONE
    for t in range(cand_ptr[k], cand_ptr[k + 1]):
        q = cand_ids[t]  # sorted: the first boundary hit is the lowest id
        s = polygon_state(q, px, py, band_lo, band_h, band_n, band_off, band_ptr, band_xy)
        if s == INSIDE:
            return q, INSIDE
        if s == BOUNDARY and pid < 0:
            pid, state = q, BOUNDARY
    return pid, state


@nb.njit(cache=True, inline="always")
def _resolve_bound(v: int, px: float, py: float, rec: np.ndarray, cand_ptr: np.ndarray,
                   cand_ids: np.ndarray, band_lo: np.ndarray, band_h: np.ndarray,
                   band_n: np.ndarray, band_off: np.ndarray, band_ptr: np.ndarray,
                   band_xy: np.ndarray, with_distance: bool
                   ) -> tuple[int, int, float, float]:
    """:func:`_resolve` up to the search of the polygon's edges, which it leaves to the caller.

    Returns the polygon, its state, the edge distance when known, and a squared bound
    (m²) that is >= 0 when the distance still needs :func:`edge_distance` from it.
    """
    if v == -1:
        return -1, NONE, np.nan, -1.0
    best2 = np.inf
    if v >= 0:
        pid, state = v, INSIDE
    else:
        o = -v - 2
        pid = _cross_test(rec, o, px, py)
        state = INSIDE if pid >= 0 else NONE
        if pid == FALLBACK:
            pid, state = _full_test(int(rec[o]), px, py, cand_ptr, cand_ids, band_lo,
                                    band_h, band_n, band_off, band_ptr, band_xy)
        elif pid >= 0 and with_distance:
            # the nearest edge lies in the cell when it is nearer than the cell's border
            kx, ky = metres_per_degree(py)
            c = o + REC_HEAD
            for _ in range(int(rec[o + 7])):
                owner, n_edges, after = _chain(rec, c)
                if owner == pid:
                    for e in range(n_edges):
                        d2 = _rec_dist2(rec, c + 1 + 2 * e, px, py, kx, ky)
                        if d2 < best2:
                            best2 = d2
                c = after
            border = min((rec[o + 5] - abs(px - rec[o + 3])) * kx,
                         (rec[o + 6] - abs(py - rec[o + 4])) * ky) * (1.0 - 1e-9)
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
def locate_core(px: float, py: float, x0: float, y0: float, dx: float, dy: float, nx: int,
                ny: int, cells: np.ndarray, sub_cells: np.ndarray, rec: np.ndarray,
                cand_ptr: np.ndarray, cand_ids: np.ndarray, band_lo: np.ndarray,
                band_h: np.ndarray, band_n: np.ndarray, band_off: np.ndarray,
                band_ptr: np.ndarray, band_xy: np.ndarray, with_distance: bool
                ) -> tuple[int, int, float]:
    """(polygon id or -1, INSIDE/BOUNDARY/NONE, edge distance in m) for one point.

    The exact crossing-number test of :func:`polygon_state` (lowest id inside, else
    lowest id on the boundary) and :func:`edge_distance`, bit for bit; most points
    in cells crossed by edges are answered from the cell's record (its own short list
    of edges). Arguments as given by :func:`unpack`.
    """
    c = _table(px, py, x0, y0, dx, dy, nx, ny, cells)
    if c < 0:
        return -1, NONE, np.nan
    v = _finer(cells[c], px, py, sub_cells, rec)
    return _resolve(v, px, py, rec, cand_ptr, cand_ids, band_lo, band_h, band_n, band_off,
                    band_ptr, band_xy, with_distance)


@nb.njit(cache=True)
def locate_packed(px: float, py: float, pf: np.ndarray, pi: np.ndarray, pc: np.ndarray,
                  with_distance: bool) -> tuple[int, int, float]:
    """:func:`locate_core` on the packed arrays."""
    return locate_core(px, py, *unpack(pf, pi, pc), with_distance)


@nb.njit(cache=True, inline="always")
def _same_bits(a: float, b: float) -> bool:
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@nb.njit(cache=True)
def _chain_lengths(lst_xy: np.ndarray, lst_pid: np.ndarray, e0: int, e1: int,
                   out: np.ndarray) -> int:
    """Cut edges ``e0:e1`` of a list into chains; their lengths go to ``out``.

    An edge continues the chain before it when it is of the same polygon and starts
    exactly where that one ends (consecutive edges of a ring), up to ``CHAIN_MAX``
    edges. Returns the number of chains.
    """
    n = 0
    for e in range(e0, e1):
        if n > 0 and out[n - 1] < CHAIN_MAX and lst_pid[e] == lst_pid[e - 1] and \
                _same_bits(lst_xy[e, 0], lst_xy[e - 1, 2]) and \
                _same_bits(lst_xy[e, 1], lst_xy[e - 1, 3]):
            out[n - 1] += 1
        else:
            out[n] = 1
            n += 1
    return n


@nb.njit(cache=True)
def build_records(cells: np.ndarray, list_sub: np.ndarray, sub_geo: np.ndarray,
                  sub_int: np.ndarray, sub_cells: np.ndarray, lst_ptr: np.ndarray,
                  lst_xy: np.ndarray, lst_box: np.ndarray, lst_pid: np.ndarray,
                  lst_ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tables with record offsets instead of list ids, and the records themselves.

    A cell's record: its list id, the polygon at its centre (or ``FALLBACK``) and
    whether that polygon has no edge in the cell, the centre and half sizes, the
    number of chains, then the chains of its edges (see ``_chain_lengths``): a head
    (polygon id << ``CHAIN_BITS`` | edges) and the chain's vertices, x and y in turn,
    so that edge ``e`` of a chain at ``c`` is ``rec[c + 1 + 2e : c + 5 + 2e]``. A busy
    cell's record gives its finer table instead (-1, its origin and cell size, its
    size and offset).
    """
    nk = lst_box.shape[0]
    off = np.empty(nk + 1, np.int64)
    off[0] = 0
    most = 1
    for k in range(nk):
        most = max(most, lst_ptr[k + 1] - lst_ptr[k])
    lengths = np.empty(most, np.int64)
    for k in range(nk):
        if k < list_sub.shape[0] and list_sub[k] >= 0:
            size = 7
        else:
            n_chains = _chain_lengths(lst_xy, lst_pid, lst_ptr[k], lst_ptr[k + 1], lengths)
            size = REC_HEAD + 3 * n_chains + 2 * (lst_ptr[k + 1] - lst_ptr[k])
        off[k + 1] = off[k] + size
    if off[nk] >= 2**31 - 2:
        raise ValueError("the index is too large for 32-bit record offsets")
    rec = np.empty(off[nk], np.float64)
    for k in range(nk):
        o = off[k]
        if k < list_sub.shape[0] and list_sub[k] >= 0:
            r = list_sub[k]
            rec[o] = -1.0
            for f in range(4):
                rec[o + 1 + f] = sub_geo[r, f]
            rec[o + 5] = sub_int[r, 0]
            rec[o + 6] = sub_int[r, 1]
            continue
        rec[o] = k
        rec[o + 1] = lst_ref[2 * k]
        rec[o + 2] = lst_ref[2 * k + 1]
        for f in range(4):
            rec[o + 3 + f] = lst_box[k, f]
        n_chains = _chain_lengths(lst_xy, lst_pid, lst_ptr[k], lst_ptr[k + 1], lengths)
        rec[o + 7] = n_chains
        c = o + REC_HEAD
        e = lst_ptr[k]
        for i in range(n_chains):
            n_edges = lengths[i]
            rec[c] = (np.int64(lst_pid[e]) << CHAIN_BITS) | n_edges
            rec[c + 1] = lst_xy[e, 0]
            rec[c + 2] = lst_xy[e, 1]
            for j in range(n_edges):
                rec[c + 3 + 2 * j] = lst_xy[e + j, 2]
                rec[c + 4 + 2 * j] = lst_xy[e + j, 3]
            c += 2 * n_edges + 3
            e += n_edges
    out_cells = cells.copy()
    for c in range(cells.shape[0]):
        if cells[c] < -1:
            out_cells[c] = -2 - off[-cells[c] - 2]
    out_sub = sub_cells.copy()
    for c in range(sub_cells.shape[0]):
        if sub_cells[c] < -1:
            out_sub[c] = -2 - off[-sub_cells[c] - 2]
    return out_cells, out_sub, rec


@nb.njit(cache=True, inline="always")
def _valid(x: float, y: float) -> bool:
    return math.isfinite(x) and math.isfinite(y) and abs(x) <= 180.0 and abs(y) <= 90.0


TILE = 4  # points are visited tile by tile (TILE x TILE table cells): the tile's data stays cached
SPAN = 1 << 20  # points sorted at a time: the order array stays small


@nb.njit(cache=True, parallel=True)
def counting_sort(keys: np.ndarray, m: int, nt: int, order: np.ndarray, workers: int) -> int:
    """Stable counting sort of positions ``q < m`` by ``keys[q]`` (below ``nt``) into ``order``.

    Positions with a negative key are left out; returns how many were sorted. Each
    of ``workers`` threads counts its share of the positions; the offsets run over
    keys, and within a key over threads in turn, so equal keys keep their order.
    """
    counts = np.zeros((workers, nt), np.int64)
    for w in nb.prange(workers):
        for q in range(m * w // workers, m * (w + 1) // workers):
            if keys[q] >= 0:
                counts[w, keys[q]] += 1
    total = 0
    for k in range(nt):
        for w in range(workers):
            c = counts[w, k]
            counts[w, k] = total
            total += c
    for w in nb.prange(workers):
        for q in range(m * w // workers, m * (w + 1) // workers):
            k = keys[q]
            if k >= 0:
                order[counts[w, k]] = q
                counts[w, k] += 1
    return total


@nb.njit(cache=True, parallel=True)
def tile_order_parallel(px: np.ndarray, py: np.ndarray, start: int, stop: int,
                        pf: np.ndarray, pi: np.ndarray, order: np.ndarray, keys: np.ndarray,
                        workers: int) -> None:
    """Points ``start:stop`` sorted by table tile (``TILE`` x ``TILE`` cells) into ``order``.

    Offsets from ``start``; a tile keeps its points in input order, and points off
    the table come last. ``keys`` receives each point's tile.
    """
    x0, y0, dx, dy = pf[0], pf[1], pf[2] * TILE, pf[3] * TILE
    nx, ny = (pi[0] + TILE - 1) // TILE, (pi[1] + TILE - 1) // TILE
    m = stop - start
    for q in nb.prange(m):
        keys[q] = _tile_key(px[start + q], py[start + q], x0, y0, dx, dy, nx, ny)
    counting_sort(keys, m, nx * ny + 1, order, workers)


@nb.njit(cache=True, inline="always")
def _tile_key(x: float, y: float, x0: float, y0: float, dx: float, dy: float, nx: int,
              ny: int) -> int:
    if math.isfinite(x) and math.isfinite(y):
        i = int(math.floor((x - x0) / dx))
        j = int(math.floor((y - y0) / dy))
        if 0 <= i < nx and 0 <= j < ny:
            return j * nx + i
    return nx * ny


GROUP = 16  # points taken through each stage together: their memory loads overlap


@nb.njit(cache=True)
def _locate_span(px: np.ndarray, py: np.ndarray, lo: int, hi: int, g: tuple,
                 with_distance: bool, out_pid: np.ndarray, out_state: np.ndarray,
                 out_dist: np.ndarray, out_bound: np.ndarray, lonely: np.ndarray) -> None:
    """:func:`locate_core` for points ``lo:hi`` (already in tile order), in stages.

    Edge distances that need a search of the polygon's edges are left to the caller:
    ``out_bound`` gets the squared bound to start it from (-1 where none is needed).

    Each stage (table cell, finer-table cell, the cell's record) loads memory for
    ``GROUP`` points at once, so the processor waits for all their cache misses
    together instead of one after another. NaN/out-of-table points give -1.
    A point in a table cell flagged in ``lonely`` (see :func:`lonely_cells`; an empty
    array: none) gets the state ``FAR`` instead of ``NONE``.
    """
    (x0, y0, dx, dy, nx, ny, cells, sub_cells, rec, cand_ptr, cand_ids, band_lo, band_h,
     band_n, band_off, band_ptr, band_xy) = g
    vals = np.empty(GROUP, np.int64)
    sidx = np.empty(GROUP, np.int64)
    far = np.zeros(GROUP, np.bool_)
    check_far = lonely.shape[0] > 0
    for q0 in range(lo, hi, GROUP):
        m = min(hi, q0 + GROUP) - q0
        for u in range(m):
            sidx[u] = _table(px[q0 + u], py[q0 + u], x0, y0, dx, dy, nx, ny, cells)
        for u in range(m):
            vals[u] = cells[sidx[u]] if sidx[u] >= 0 else -1
            if check_far:
                far[u] = vals[u] == -1 and sidx[u] >= 0 and lonely[sidx[u]]
        for u in range(m):  # busy cells: the record's finer table, then its cell
            v = vals[u]
            sidx[u] = -1
            if v < -1:
                o = -v - 2
                if rec[o] < 0.0:
                    t = q0 + u
                    mm = int(rec[o + 5])
                    ii = min(max(int(math.floor((px[t] - rec[o + 1]) / rec[o + 3])), 0),
                             mm - 1)
                    jj = min(max(int(math.floor((py[t] - rec[o + 2]) / rec[o + 4])), 0),
                             mm - 1)
                    sidx[u] = int(rec[o + 6]) + jj * mm + ii
        touch = 0.0
        for u in range(m):
            if sidx[u] >= 0:
                vals[u] = sub_cells[sidx[u]]
            v = vals[u]
            if v < -1:
                touch += rec[-v - 2 + 7]  # bring each record's head in
            elif v >= 0 and with_distance:
                touch += band_lo[v]
        # points answered by their cell first, then those in cells crossed by edges,
        # each kind in a loop of its own
        for u in range(m):
            v = vals[u]
            if v >= -1:
                t = q0 + u
                out_pid[t] = v
                out_state[t] = INSIDE if v >= 0 else (FAR if far[u] else NONE)
                out_dist[t] = np.nan
                out_bound[t] = np.inf if (v >= 0 and with_distance) else -1.0
        for u in range(m):
            v = vals[u]
            if v < -1:
                t = q0 + u
                pid, s, d, b2 = _resolve_bound(v, px[t], py[t], rec, cand_ptr, cand_ids,
                                               band_lo, band_h, band_n, band_off, band_ptr,
                                               band_xy, with_distance)
                out_pid[t] = pid
                out_state[t] = s
                out_dist[t] = d
                out_bound[t] = b2
        if touch == 1e300:  # never (a sum of a few coordinates): keeps the loads above
            out_dist[q0] = touch


CHUNK = 1024  # points per work unit of a thread


@nb.njit(cache=True, parallel=True)
def _gather_xy(px: np.ndarray, py: np.ndarray, order: np.ndarray, start: int, m: int,
               sx: np.ndarray, sy: np.ndarray) -> None:
    """Points ``start + order[:m]`` copied, in that order, into ``sx``/``sy``."""
    for q in nb.prange(m):
        t = start + order[q]
        sx[q] = px[t]
        sy[q] = py[t]


BRUTE_EDGES = 160  # a polygon with at most this many rows in its bands is measured row by row
RUN_MIN = 2  # ... for a run of at least this many of its points (fewer: the band search)
LANES = 8  # runs are padded to whole vectors of this many points


@nb.njit(cache=True, fastmath={"nnan", "nsz"}, inline="always")
def _edge_min_run(ex0: float, ey0: float, ex1: float, ey1: float, rx: np.ndarray,
                  ry: np.ndarray, rkx: np.ndarray, rky: np.ndarray, rbest: np.ndarray,
                  n: int) -> None:
    """``rbest[i]`` lowered to the squared distance (m²) from point ``i`` to one edge.

    The arithmetic of :func:`_band_min` with the loop over points instead of edges,
    so that it runs on several points at once (same flags, so the same bits).
    """
    for i in range(n):
        ax = (ex0 - rx[i]) * rkx[i]
        ay = (ey0 - ry[i]) * rky[i]
        bx = (ex1 - rx[i]) * rkx[i]
        by = (ey1 - ry[i]) * rky[i]
        dx, dy = bx - ax, by - ay
        ll = dx * dx + dy * dy
        q = -(ax * dx + ay * dy) / (ll if ll != 0.0 else 1.0)
        s = 0.0 if ll == 0.0 else max(0.0, min(1.0, q))
        cx, cy = ax + s * dx, ay + s * dy
        d2 = cx * cx + cy * cy
        rbest[i] = d2 if d2 < rbest[i] else rbest[i]


@nb.njit(cache=True)
def _measure_run(order: np.ndarray, r0: int, r1: int, sx: np.ndarray, sy: np.ndarray,
                 sbound: np.ndarray, t0: int, t1: int, band_xy: np.ndarray, rx: np.ndarray,
                 ry: np.ndarray, rkx: np.ndarray, rky: np.ndarray, rbest: np.ndarray,
                 sdist: np.ndarray) -> None:
    """Edge distances of the points ``order[r0:r1]`` (one polygon) from its rows ``t0:t1``.

    The points are copied into the buffers ``rx`` … ``rbest`` and padded to whole
    vectors with copies of the first; every row is measured, so an edge kept in two
    bands is measured twice (the minimum is the same; no check for its first time).
    """
    n_run = r1 - r0
    for i in range(n_run):
        q = order[r0 + i]
        rx[i] = sx[q]
        ry[i] = sy[q]
        rkx[i], rky[i] = metres_per_degree(sy[q])
        rbest[i] = sbound[q]
    n_pad = (n_run + LANES - 1) // LANES * LANES
    for i in range(n_run, n_pad):
        rx[i], ry[i], rkx[i], rky[i], rbest[i] = rx[0], ry[0], rkx[0], rky[0], rbest[0]
    for t in range(t0, t1):
        _edge_min_run(band_xy[t, 0], band_xy[t, 1], band_xy[t, 2], band_xy[t, 3], rx, ry,
                      rkx, rky, rbest, n_pad)
    for i in range(n_run):
        sdist[order[r0 + i]] = math.sqrt(rbest[i])


@nb.njit(cache=True, parallel=True)
def _distances_by_polygon(sx: np.ndarray, sy: np.ndarray, spid: np.ndarray,
                          sbound: np.ndarray, m: int, n_poly: int, g: tuple,
                          sdist: np.ndarray, workers: int) -> None:
    """Edge distances of the points ``q < m`` with ``sbound[q] >= 0``, polygon by polygon.

    The points are counted out by polygon, so each polygon's edges are read from
    memory once for all its points. A run of points of one polygon with few edges
    is measured against every edge, several points at a time; other points take
    :func:`edge_distance` from their bound. Both give the least distance over
    the polygon's edges, computed alike.
    """
    band_lo, band_h, band_n, band_off, band_ptr, band_xy = g[11], g[12], g[13], g[14], \
        g[15], g[16]
    keys = np.empty(m, np.int32)
    for q in nb.prange(m):
        keys[q] = spid[q] if sbound[q] >= 0.0 else -1
    order = np.empty(m, np.int32)
    total = counting_sort(keys, m, n_poly, order, workers)
    nchunks = (total + CHUNK - 1) // CHUNK
    for w in nb.prange(workers):
        rx = np.empty(CHUNK + LANES)
        ry = np.empty(CHUNK + LANES)
        rkx = np.empty(CHUNK + LANES)
        rky = np.empty(CHUNK + LANES)
        rbest = np.empty(CHUNK + LANES)
        for c in range(w, nchunks, workers):
            r0, r1 = c * CHUNK, min(total, (c + 1) * CHUNK)
            while r0 < r1:
                pid = spid[order[r0]]
                r = r0 + 1
                while r < r1 and spid[order[r]] == pid:
                    r += 1
                k = band_off[pid]
                n_edges = band_ptr[k + band_n[pid]] - band_ptr[k]
                if r - r0 >= RUN_MIN and n_edges <= BRUTE_EDGES:
                    _measure_run(order, r0, r, sx, sy, sbound, band_ptr[k],
                                 band_ptr[k + band_n[pid]], band_xy, rx, ry, rkx, rky, rbest,
                                 sdist)
                else:
                    for i in range(r0, r):
                        q = order[i]
                        x, y = sx[q], sy[q]
                        kx, ky = metres_per_degree(y)
                        sdist[q] = edge_distance(pid, x, y, kx, ky, band_lo, band_h,
                                                      band_n, band_off, band_ptr, band_xy,
                                                      sbound[q])
                r0 = r


def written_empty(size: int, dtype: Any = np.float64) -> np.ndarray:
    """A new array, every page of it written once here, by this one thread.

    The compiled passes first write their buffers and answers from several threads at
    once; on a virtual machine such first writes to new memory (each a page fault)
    contend, and their cost varies from call to call. Written here, each page is
    faulted in once, in sequence.
    """
    out = np.empty(size, dtype)
    out.fill(0)
    return out


def workspace(size: int) -> tuple:
    """Buffers for :func:`assign_points` on up to ``size`` points a call."""
    size = max(1, min(size, SPAN))
    return tuple(written_empty(size, t) for t in (np.int32, np.int32, np.float64,
                                                  np.float64, np.int32, np.int8, np.int8,
                                                  np.float64, np.float64))


@nb.njit(cache=True, parallel=True)
def assign_points(px: np.ndarray, py: np.ndarray, gf: np.ndarray, gi: np.ndarray,
                  gc: np.ndarray, zf: np.ndarray, zi: np.ndarray, zc: np.ndarray,
                  zone_code: np.ndarray, with_distance: bool, snap_m: float,
                  out_pid: np.ndarray, out_match: np.ndarray, out_level: np.ndarray,
                  out_dist: np.ndarray, workers: int, work: tuple, lonely: np.ndarray
                  ) -> None:
    """Grid, match code, patrol level code and edge distance of every point, in one pass.

    Match codes: 0 inside, 1 boundary, 2 snapped (the nearest polygon within ``snap_m``
    metres, see :func:`snap_one`), 3 outside, 4 invalid, 5 outside but undecided
    (a cell within reach keeps no edges: the caller snaps these few).
    ``zone_code`` maps a zone id to its level code (an empty array: no zones). Points
    are taken ``SPAN`` at a time and copied in tile order into contiguous buffers, so
    that neighbours share cached index data and the buffers are read and written in
    sequence; the answers are then put back in input order. Work is dealt to
    ``workers`` threads (``numba.get_num_threads()``) chunk by chunk. ``work`` holds
    the buffers (see :func:`workspace`), so that calls on successive chunks of a
    large input reuse them. ``lonely`` flags the table cells with no polygon within
    reach of any of their points (:func:`lonely_cells`): their points need no snapping.
    """
    n = px.shape[0]
    has_zone = zone_code.shape[0] > 0
    order, keys, sx, sy, spid, smatch, slevel, sdist, sbound = work
    reach_x, reach_y = snap_reach(snap_m, max(abs(gf[1]), abs(gf[1] + gi[1] * gf[3])))
    if snap_m <= 0.0 or reach_x > gf[2] or reach_y > gf[3]:  # flags only for a near reach
        lonely = lonely[:0]
    for start in range(0, n, SPAN):
        stop = min(n, start + SPAN)
        m = stop - start
        tile_order_parallel(px, py, start, stop, gf, gi, order, keys, workers)
        _gather_xy(px, py, order, start, m, sx, sy)
        nchunks = (m + CHUNK - 1) // CHUNK
        # chunks dealt round-robin: each thread gets a share of every region of the map
        for w in nb.prange(workers):
            for c in range(w, nchunks, workers):
                g = unpack(gf, gi, gc)  # views made once a chunk, not once a point
                lo, hi = c * CHUNK, min(m, (c + 1) * CHUNK)
                # the state goes to smatch for now, and becomes the match code below
                _locate_span(sx, sy, lo, hi, g, with_distance, spid, smatch, sdist, sbound,
                             lonely)
                # 6: in no grid, to be snapped (becomes 2, 3 or 5 below)
                to_snap = 6 if snap_m > 0.0 else 3
                for q in range(lo, hi):
                    s = smatch[q]
                    smatch[q] = 0 if s == INSIDE else (1 if s == BOUNDARY else (
                        3 if s == FAR else to_snap))
                    if not _valid(sx[q], sy[q]):
                        spid[q] = -1
                        smatch[q] = 4
                        sdist[q] = np.nan
                # the few points in no grid are snapped, and every point gets its zone,
                # each in a loop of its own
                if snap_m > 0.0:
                    for q in range(lo, hi):
                        if smatch[q] != 6:
                            continue
                        smatch[q] = 3
                        x, y = sx[q], sy[q]
                        near, gap = snap_one(x, y, g[6], g[7], g[8], g[0], g[1], g[2], g[3],
                                             g[4], g[5], snap_m)
                        if near >= 0:
                            spid[q] = near
                            smatch[q] = 2
                            sdist[q] = gap
                        elif near == -2:
                            smatch[q] = 5
                if has_zone:
                    z = unpack(zf, zi, zc)
                    for q in range(lo, hi):
                        lv = -1
                        if smatch[q] != 4:
                            zid, _, _ = locate_core(sx[q], sy[q], *z, False)
                            if zid >= 0:
                                lv = zone_code[zid]
                        slevel[q] = lv
        if with_distance:
            _distances_by_polygon(sx, sy, spid, sbound, m, gi[2], unpack(gf, gi, gc), sdist,
                                  workers)
        if not has_zone:  # no zones: every level is -1, written in sequence
            out_level[start:stop] = -1
        if not with_distance:  # distances only where snapped: NaN in sequence first
            out_dist[start:stop] = np.nan
        for q in nb.prange(m):  # back in input order
            t = start + order[q]
            out_pid[t] = spid[q]
            out_match[t] = smatch[q]
            if has_zone:
                out_level[t] = slevel[q]
            if with_distance or smatch[q] == 2:
                out_dist[t] = sdist[q]


@nb.njit(cache=True, parallel=True)
def gather(pid: np.ndarray, table: np.ndarray, missing: int, out: np.ndarray) -> None:
    """``out[t] = table[pid[t]]``, or ``missing`` where ``pid[t] < 0``."""
    for t in nb.prange(pid.shape[0]):
        p = pid[t]
        out[t] = table[p] if p >= 0 else missing


@nb.njit(cache=True)
def _rect_touch(ax: float, ay: float, bx: float, by: float, x0: float, y0: float,
                x1: float, y1: float) -> bool:
    """Whether segment ab may touch the rectangle (conservative: true when unsure)."""
    if max(ax, bx) < x0 or min(ax, bx) > x1 or max(ay, by) < y0 or min(ay, by) > y1:
        return False
    ex, ey = bx - ax, by - ay
    pos = neg = False
    for cx, cy in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
        d = ex * (cy - ay) - ey * (cx - ax)
        if d > 0.0:
            pos = True
        elif d < 0.0:
            neg = True
        else:
            return True
    return pos and neg


@nb.njit(cache=True, parallel=True)
def build_lists(box: np.ndarray, skip: np.ndarray, cand_ptr: np.ndarray,
                cand_ids: np.ndarray, edge_ptr: np.ndarray, exy: np.ndarray,
                band_lo: np.ndarray, band_h: np.ndarray, band_n: np.ndarray,
                band_off: np.ndarray, band_ptr: np.ndarray, band_xy: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each boundary cell's edges and the polygon at its centre.

    ``box`` rows are (centre x, centre y, half width, half height). Returns
    ``lst_ptr``, ``lst_xy``, ``lst_pid`` and ``lst_ref`` (pairs: the polygon at the
    centre or -1, or ``FALLBACK``; and whether that polygon has no edge in the cell).
    """
    nk = box.shape[0]
    count = np.zeros(nk + 1, np.int64)
    ref = np.full(2 * nk, -1, np.int32)
    ref[1::2] = 0
    for k in nb.prange(nk):
        if skip[k]:
            continue
        rx, ry, hw, hh = box[k, 0], box[k, 1], box[k, 2], box[k, 3]
        eps = 1e-6 * max(hw, hh) + 1e-12
        x0, y0, x1, y1 = rx - hw - eps, ry - hh - eps, rx + hw + eps, ry + hh + eps
        c = 0
        inside = 0
        bad = False
        own = -1
        for t in range(cand_ptr[k], cand_ptr[k + 1]):
            q = cand_ids[t]
            s = polygon_state(q, rx, ry, band_lo, band_h, band_n, band_off, band_ptr,
                              band_xy)
            if s == BOUNDARY:
                bad = True
            elif s == INSIDE:
                inside += 1
                own = q
            for e in range(edge_ptr[q], edge_ptr[q + 1]):
                if _rect_touch(exy[e, 0], exy[e, 1], exy[e, 2], exy[e, 3], x0, y0, x1, y1):
                    c += 1
                    if _orient(exy[e, 0], exy[e, 1], exy[e, 2], exy[e, 3], rx, ry) == 0.0:
                        bad = True
        if bad or inside > 1:
            ref[2 * k] = FALLBACK
            c = 0
        else:
            ref[2 * k] = own
        count[k + 1] = c
    ptr = np.cumsum(count)
    m = ptr[-1]
    lst_xy = np.empty((m, 4), np.float64)
    lst_pid = np.empty(m, np.int32)
    for k in nb.prange(nk):
        if ptr[k + 1] == ptr[k]:
            if ref[2 * k] >= 0:
                ref[2 * k + 1] = 1
            continue
        rx, ry, hw, hh = box[k, 0], box[k, 1], box[k, 2], box[k, 3]
        eps = 1e-6 * max(hw, hh) + 1e-12
        x0, y0, x1, y1 = rx - hw - eps, ry - hh - eps, rx + hw + eps, ry + hh + eps
        w = ptr[k]
        own_has = False
        for t in range(cand_ptr[k], cand_ptr[k + 1]):
            q = cand_ids[t]
            for e in range(edge_ptr[q], edge_ptr[q + 1]):
                if _rect_touch(exy[e, 0], exy[e, 1], exy[e, 2], exy[e, 3], x0, y0, x1, y1):
                    for f in range(4):
                        lst_xy[w, f] = exy[e, f]
                    lst_pid[w] = q
                    if q == ref[2 * k]:
                        own_has = True
                    w += 1
        if ref[2 * k] >= 0 and not own_has:
            ref[2 * k + 1] = 1
    return ptr, lst_xy, lst_pid, ref


@nb.njit(cache=True)
def edge_distance_packed(pid: int, px: float, py: float, pf: np.ndarray, pi: np.ndarray
                         ) -> float:
    """:func:`edge_distance` on the packed arrays."""
    kx, ky = metres_per_degree(py)
    return edge_distance(pid, px, py, kx, ky, _fp(pf, pi, 0), _fp(pf, pi, 1),
                              _ip(pi, 1), _ip(pi, 2), _ip(pi, 3),
                              _fp(pf, pi, 2).reshape((-1, 4)), np.inf)


@nb.njit(cache=True, parallel=True)
def query_points(px: np.ndarray, py: np.ndarray, pf: np.ndarray, pi: np.ndarray,
                 pc: np.ndarray, with_distance: bool, out_ids: np.ndarray,
                 out_state: np.ndarray, out_dist: np.ndarray,
                 workers: int) -> None:
    """:func:`locate_packed` for every point (NaN distances when not asked for).

    Points go through in tile order, in contiguous buffers, as in :func:`assign_points`.
    """
    n = px.shape[0]
    size = min(n, SPAN)
    order = np.empty(size, np.int32)
    keys = np.empty(size, np.int32)
    sx = np.empty(size, np.float64)
    sy = np.empty(size, np.float64)
    sid = np.empty(size, np.int32)
    sst = np.empty(size, np.int8)
    sd = np.empty(size, np.float64)
    sb = np.empty(size, np.float64)
    for start in range(0, n, SPAN):
        stop = min(n, start + SPAN)
        m = stop - start
        tile_order_parallel(px, py, start, stop, pf, pi, order, keys, workers)
        _gather_xy(px, py, order, start, m, sx, sy)
        nchunks = (m + CHUNK - 1) // CHUNK
        for w in nb.prange(workers):  # chunks dealt round-robin, as in assign_points
            for c in range(w, nchunks, workers):
                g = unpack(pf, pi, pc)
                _locate_span(sx, sy, c * CHUNK, min(m, (c + 1) * CHUNK), g, with_distance,
                             sid, sst, sd, sb, np.zeros(0, np.bool_))
        if with_distance:
            _distances_by_polygon(sx, sy, sid, sb, m, pi[2], unpack(pf, pi, pc), sd, workers)
        for q in nb.prange(m):
            t = start + order[q]
            out_ids[t] = sid[q]
            out_state[t] = sst[q]
            out_dist[t] = sd[q]


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
def _grow(a: np.ndarray, need: int) -> np.ndarray:
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), a.dtype)
    b[:a.shape[0]] = a
    return b


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


@nb.njit(cache=True)
def refine_cells(busy: np.ndarray, ms: np.ndarray, geo: np.ndarray, cand_ptr: np.ndarray,
                 cand_ids: np.ndarray, edge_ptr: np.ndarray, exy: np.ndarray,
                 band_lo: np.ndarray, band_h: np.ndarray, band_n: np.ndarray,
                 band_off: np.ndarray, band_ptr: np.ndarray, band_xy: np.ndarray,
                 first_list: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Finer tables for the busy cells ``busy`` (rows of ``geo``: x0, y0, dx, dy; m × m).

    A sub-cell touched by an edge (conservatively) gets a new candidate list: the
    polygons whose edges touch it and the first one covering its centre; any other
    sub-cell takes the first candidate covering its centre, or -1. Returns the
    sub-tables, each one's offset, and the new lists' lengths, ids and boxes.
    """
    nbusy = busy.shape[0]
    offs = np.empty(nbusy, np.int64)
    total = 0
    maxc = 1
    for r in range(nbusy):
        offs[r] = total
        total += ms[r] * ms[r]
        maxc = max(maxc, cand_ptr[busy[r] + 1] - cand_ptr[busy[r]])
    sub = np.full(total, -1, np.int32)
    new_cnt = np.empty(1024, np.int64)
    new_ids = np.empty(4096, np.int32)
    new_box = np.empty(4096, np.float64)
    nl = 0
    ni = 0
    hit = np.zeros((64 * 64, maxc), np.bool_)
    any_hit = np.zeros(64 * 64, np.bool_)
    for r in range(nbusy):
        k, m = busy[r], ms[r]
        c0, nc = cand_ptr[k], cand_ptr[k + 1] - cand_ptr[k]
        sx0, sy0, sdx, sdy = geo[r, 0], geo[r, 1], geo[r, 2], geo[r, 3]
        hit[:m * m, :nc] = False
        any_hit[:m * m] = False
        for a in range(nc):
            q = cand_ids[c0 + a]
            for e in range(edge_ptr[q], edge_ptr[q + 1]):
                ax, ay, bx, by = exy[e, 0], exy[e, 1], exy[e, 2], exy[e, 3]
                j0, j1 = edge_rows(ay, by, sy0, sdy, m)
                for j in range(j0, j1 + 1):
                    i0, i1 = edge_columns_in_row(ax, ay, bx, by, j, sx0, sy0, sdx, sdy, m)
                    for i in range(i0, i1 + 1):
                        hit[j * m + i, a] = True
                        any_hit[j * m + i] = True
        for cell in range(m * m):
            cx = sx0 + (cell % m + 0.5) * sdx
            cy = sy0 + (cell // m + 0.5) * sdy
            cover = -1
            for a in range(nc):
                if polygon_state(cand_ids[c0 + a], cx, cy, band_lo, band_h, band_n, band_off,
                                 band_ptr, band_xy) != NONE:
                    cover = a
                    break
            if not any_hit[cell]:
                sub[offs[r] + cell] = cand_ids[c0 + cover] if cover >= 0 else -1
                continue
            if cover >= 0:
                hit[cell, cover] = True
            new_cnt = _grow(new_cnt, nl + 1)
            new_box = _grow(new_box, 4 * nl + 4)
            new_ids = _grow(new_ids, ni + nc)
            cnt = 0
            for a in range(nc):
                if hit[cell, a]:
                    new_ids[ni] = cand_ids[c0 + a]
                    ni += 1
                    cnt += 1
            new_cnt[nl] = cnt
            new_box[4 * nl], new_box[4 * nl + 1] = cx, cy
            new_box[4 * nl + 2], new_box[4 * nl + 3] = sdx / 2, sdy / 2
            sub[offs[r] + cell] = -2 - (first_list + nl)
            nl += 1
    return (sub, offs, new_cnt[:nl].copy(), new_ids[:ni].copy(),
            new_box[:4 * nl].copy().reshape((nl, 4)))


@nb.njit(cache=True, inline="always")
def _record_nearest(rec: np.ndarray, o: int, x: float, y: float, kx: float, ky: float,
                    best2: float, best: int) -> tuple[float, int]:
    """The nearest of a record's edges (squared metres, polygon), if nearer than given."""
    c = o + REC_HEAD
    for _ in range(int(rec[o + 7])):
        pid, n_edges, after = _chain(rec, c)
        for e in range(n_edges):
            d2 = _rec_dist2(rec, c + 1 + 2 * e, x, y, kx, ky)
            if d2 < best2 or (d2 == best2 and pid < best):
                best2, best = d2, pid
        c = after
    return best2, best


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


@nb.njit(cache=True)
def snap_one(x: float, y: float, cells: np.ndarray, sub_cells: np.ndarray, rec: np.ndarray,
             x0: float, y0: float, dx: float, dy: float, nx: int, ny: int,
             tol_m: float) -> tuple[int, float]:
    """Nearest polygon within ``tol_m`` metres of a point in none, and its distance.

    Scans the edges kept in the records of the cells within reach (see
    :func:`snap_reach`): the nearest point of a polygon lies on one of its edges, and
    each edge is in the record of every cell it touches. Distances use the
    arithmetic of :func:`edge_distance` (the same bits); on a tie the lowest id
    wins. Returns ``(-1, nan)`` when nothing is within reach and ``(-2, nan)`` when
    a cell within reach keeps no edges (then the caller decides another way).
    """
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
            if rec[o] >= 0.0:
                if int(rec[o + 1]) == FALLBACK:
                    return -2, np.nan
                if kx < 0.0:
                    kx, ky = metres_per_degree(y)
                best2, best = _record_nearest(rec, o, x, y, kx, ky, best2, best)
                continue
            m = int(rec[o + 5])
            sx0, sy0, sdx, sdy = rec[o + 1], rec[o + 2], rec[o + 3], rec[o + 4]
            ii0 = min(max(int(math.floor((x - rx - sx0) / sdx)) - 1, 0), m - 1)
            ii1 = min(max(int(math.floor((x + rx - sx0) / sdx)) + 1, 0), m - 1)
            jj0 = min(max(int(math.floor((y - ry - sy0) / sdy)) - 1, 0), m - 1)
            jj1 = min(max(int(math.floor((y + ry - sy0) / sdy)) + 1, 0), m - 1)
            for jj in range(jj0, jj1 + 1):
                for ii in range(ii0, ii1 + 1):
                    w = sub_cells[int(rec[o + 6]) + jj * m + ii]
                    if w <= -2:
                        if int(rec[-w - 2 + 1]) == FALLBACK:
                            return -2, np.nan
                        if kx < 0.0:
                            kx, ky = metres_per_degree(y)
                        best2, best = _record_nearest(rec, -w - 2, x, y, kx, ky, best2,
                                                      best)
    if best < 0:
        return -1, np.nan
    return best, math.sqrt(best2)
