"""Building the cell tables: cells touched by edges, finer tables, cell records.

Run once per index, in the order :class:`~gridgis.index.polygon.PolygonIndex`
calls them: :func:`mark_edges` and :func:`runs` fill the table,
:func:`refine_cells` gives busy cells finer tables, :func:`build_lists` finds each
boundary cell's edges and centre polygon, :func:`build_records` lays them into
the records of :mod:`.layout`.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from gridgis.index._kernels.geometry import (
    edge_columns_in_row,
    edge_rows,
    orient,
    polygon_state,
)
from gridgis.index._kernels.layout import (
    BOUNDARY,
    BUSY,
    BUSY_M,
    BUSY_SIZE,
    BUSY_SUB,
    CHAIN_BITS,
    CHAIN_MAX,
    CHAIN_SIZE,
    FALLBACK,
    INSIDE,
    NONE,
    REC_ALONE,
    REC_HEAD,
    REC_LIST,
    REC_N_CHAINS,
    REC_REF,
    Bands,
    busy_geometry,
    cell_box,
    sub_box,
)

__all__ = ["build_lists", "build_records", "busy_geometries", "chain_lengths", "mark_edges",
           "refine_cells", "runs", "table_boxes"]

MAX_SUB = 64  # a finer table has at most MAX_SUB x MAX_SUB cells


@nb.njit(cache=True)
def mark_edges(evert: np.ndarray, verts: np.ndarray, epoly: np.ndarray, x0: float, y0: float,
               dx: float, dy: float, nx: int, ny: int, count_only: bool,
               out_cell: np.ndarray, out_poly: np.ndarray) -> int:
    """Cells each edge touches (conservatively, closed cells), row by row; their number.

    Edge ``e`` runs from vertex ``evert[e]`` to the next (rows of ``verts``).
    """
    k = 0
    for e in range(evert.shape[0]):
        v = evert[e]
        ax, ay, bx, by = verts[v, 0], verts[v, 1], verts[v + 1, 0], verts[v + 1, 1]
        j0, j1 = edge_rows(ay, by, y0, dy, ny)
        for j in range(j0, j1 + 1):
            i0, i1 = edge_columns_in_row(ax, ay, bx, by, j, x0, y0, dx, dy, nx)
            for i in range(i0, i1 + 1):
                if not count_only:
                    out_cell[k] = j * nx + i
                    out_poly[k] = epoly[e]
                k += 1
    return k


@nb.njit(cache=True)
def runs(is_boundary: np.ndarray, nx: int, ny: int) -> np.ndarray:
    """Run id of every non-boundary cell (-1 for boundary cells), runs within rows."""
    run = np.full(nx * ny, -1, np.int64)
    r = -1
    for j in range(ny):
        open_run = False
        for i in range(nx):
            c = j * nx + i
            if is_boundary[c]:
                open_run = False
                continue
            if not open_run:
                r += 1
                open_run = True
            run[c] = r
    return run


@nb.njit(cache=True)
def _grow(a: np.ndarray, need: int) -> np.ndarray:
    """``a``, or a copy at least twice as long when it holds fewer than ``need``."""
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), a.dtype)
    b[:a.shape[0]] = a
    return b


@nb.njit(cache=True)
def _mark_sub_hits(m: int, c0: int, nc: int, sx0: float, sy0: float, sdx: float, sdy: float,
                   cand_ids: np.ndarray, edge_ptr: np.ndarray, evert: np.ndarray,
                   verts: np.ndarray, hit: np.ndarray, any_hit: np.ndarray) -> None:
    """``hit[cell, a]``: an edge of candidate ``a`` may touch sub-cell ``cell`` (m × m)."""
    hit[:m * m, :nc] = False
    any_hit[:m * m] = False
    for a in range(nc):
        q = cand_ids[c0 + a]
        for e in range(edge_ptr[q], edge_ptr[q + 1]):
            v = evert[e]
            ax, ay, bx, by = verts[v, 0], verts[v, 1], verts[v + 1, 0], verts[v + 1, 1]
            j0, j1 = edge_rows(ay, by, sy0, sdy, m)
            for j in range(j0, j1 + 1):
                i0, i1 = edge_columns_in_row(ax, ay, bx, by, j, sx0, sy0, sdx, sdy, m)
                for i in range(i0, i1 + 1):
                    hit[j * m + i, a] = True
                    any_hit[j * m + i] = True


@nb.njit(cache=True)
def refine_cells(busy: np.ndarray, ms: np.ndarray, geo: np.ndarray, cand_ptr: np.ndarray,
                 cand_ids: np.ndarray, edge_ptr: np.ndarray, evert: np.ndarray,
                 bands: Bands, first_list: int
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
    hit = np.zeros((MAX_SUB * MAX_SUB, maxc), np.bool_)
    any_hit = np.zeros(MAX_SUB * MAX_SUB, np.bool_)
    for r in range(nbusy):
        k, m = busy[r], ms[r]
        c0, nc = cand_ptr[k], cand_ptr[k + 1] - cand_ptr[k]
        sx0, sy0, sdx, sdy = geo[r, 0], geo[r, 1], geo[r, 2], geo[r, 3]
        _mark_sub_hits(m, c0, nc, sx0, sy0, sdx, sdy, cand_ids, edge_ptr, evert, bands.xy,
                       hit, any_hit)
        for cell in range(m * m):
            cx, cy, hw, hh = sub_box(sx0, sy0, sdx, sdy, cell % m, cell // m)
            cover = -1
            for a in range(nc):
                if polygon_state(cand_ids[c0 + a], cx, cy, bands) != NONE:
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
            new_box[4 * nl + 2], new_box[4 * nl + 3] = hw, hh
            sub[offs[r] + cell] = -2 - (first_list + nl)
            nl += 1
    return (sub, offs, new_cnt[:nl].copy(), new_ids[:ni].copy(),
            new_box[:4 * nl].copy().reshape((nl, 4)))


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


@nb.njit(cache=True, inline="always")
def _widened(box: np.ndarray, k: int) -> tuple[float, float, float, float, float, float]:
    """Centre of box ``k`` and its rectangle widened by a hair (x0, y0, x1, y1)."""
    rx, ry, hw, hh = box[k, 0], box[k, 1], box[k, 2], box[k, 3]
    eps = 1e-6 * max(hw, hh) + 1e-12
    return rx, ry, rx - hw - eps, ry - hh - eps, rx + hw + eps, ry + hh + eps


@nb.njit(cache=True, parallel=True)
def build_lists(box: np.ndarray, skip: np.ndarray, cand_ptr: np.ndarray,
                cand_ids: np.ndarray, edge_ptr: np.ndarray, evert: np.ndarray, bands: Bands
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each boundary cell's edges and the polygon at its centre.

    ``box`` rows are (centre x, centre y, half width, half height). Returns
    ``lst_ptr``, ``lst_ev`` (each edge's first vertex), ``lst_pid`` and ``lst_ref``
    (pairs: the polygon at the centre or -1, or ``FALLBACK``; and whether that polygon
    has no edge in the cell).
    """
    xy = bands.xy
    nk = box.shape[0]
    count = np.zeros(nk + 1, np.int64)
    ref = np.full(2 * nk, -1, np.int32)
    ref[1::2] = 0
    for k in nb.prange(nk):
        if skip[k]:
            continue
        rx, ry, x0, y0, x1, y1 = _widened(box, k)
        c = 0
        inside = 0
        bad = False
        own = -1
        for t in range(cand_ptr[k], cand_ptr[k + 1]):
            q = cand_ids[t]
            s = polygon_state(q, rx, ry, bands)
            if s == BOUNDARY:
                bad = True
            elif s == INSIDE:
                inside += 1
                own = q
            for e in range(edge_ptr[q], edge_ptr[q + 1]):
                v = evert[e]
                ax, ay, bx, by = xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1]
                if _rect_touch(ax, ay, bx, by, x0, y0, x1, y1):
                    c += 1
                    if orient(ax, ay, bx, by, rx, ry) == 0.0:
                        bad = True
        if bad or inside > 1:
            ref[2 * k] = FALLBACK
            c = 0
        else:
            ref[2 * k] = own
        count[k + 1] = c
    ptr = np.cumsum(count)
    m = ptr[-1]
    lst_ev = np.empty(m, np.int32)
    lst_pid = np.empty(m, np.int32)
    for k in nb.prange(nk):
        if ptr[k + 1] == ptr[k]:
            if ref[2 * k] >= 0:
                ref[2 * k + 1] = 1
            continue
        rx, ry, x0, y0, x1, y1 = _widened(box, k)
        w = ptr[k]
        own_has = False
        for t in range(cand_ptr[k], cand_ptr[k + 1]):
            q = cand_ids[t]
            for e in range(edge_ptr[q], edge_ptr[q + 1]):
                v = evert[e]
                if _rect_touch(xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1], x0, y0, x1, y1):
                    lst_ev[w] = v
                    lst_pid[w] = q
                    if q == ref[2 * k]:
                        own_has = True
                    w += 1
        if ref[2 * k] >= 0 and not own_has:
            ref[2 * k + 1] = 1
    return ptr, lst_ev, lst_pid, ref


@nb.njit(cache=True)
def chain_lengths(lst_ev: np.ndarray, lst_pid: np.ndarray, e0: int, e1: int,
                  out: np.ndarray) -> int:
    """Cut edges ``e0:e1`` of a list into chains; their lengths go to ``out``.

    An edge continues the chain before it when it is of the same polygon and starts
    at the vertex where that one ends (consecutive edges of a ring), up to
    ``CHAIN_MAX`` edges. Returns the number of chains.
    """
    n = 0
    for e in range(e0, e1):
        if n > 0 and out[n - 1] < CHAIN_MAX and lst_pid[e] == lst_pid[e - 1] and \
                lst_ev[e] == lst_ev[e - 1] + 1:
            out[n - 1] += 1
        else:
            out[n] = 1
            n += 1
    return n


@nb.njit(cache=True)
def table_boxes(cells: np.ndarray, x0: float, y0: float, dx: float, dy: float, nx: int
                ) -> np.ndarray:
    """Rows of (centre x, centre y, half width, half height) of table cells ``cells``."""
    out = np.empty((cells.shape[0], 4))
    for r in range(cells.shape[0]):
        out[r, 0], out[r, 1], out[r, 2], out[r, 3] = cell_box(cells[r], x0, y0, dx, dy, nx)
    return out


@nb.njit(cache=True)
def busy_geometries(cells: np.ndarray, ms: np.ndarray, x0: float, y0: float, dx: float,
                    dy: float, nx: int) -> np.ndarray:
    """Rows of (x0, y0, dx, dy) of the m × m finer tables over table cells ``cells``."""
    out = np.empty((cells.shape[0], 4))
    for r in range(cells.shape[0]):
        out[r, 0], out[r, 1], out[r, 2], out[r, 3] = busy_geometry(cells[r], ms[r], x0, y0,
                                                                   dx, dy, nx)
    return out


@nb.njit(cache=True)
def _write_busy(rec: np.ndarray, o: int, ints: np.ndarray) -> None:
    """A busy cell's record at ``rec[o]``: its finer table (m, offset in sub_cells)."""
    rec[o] = BUSY
    rec[o + BUSY_M] = ints[0]
    rec[o + BUSY_SUB] = ints[1]


@nb.njit(cache=True)
def _write_boundary(rec: np.ndarray, o: int, k: int, lst_ptr: np.ndarray,
                    lst_ev: np.ndarray, lst_pid: np.ndarray, lst_ref: np.ndarray,
                    lengths: np.ndarray) -> None:
    """Boundary cell ``k``'s record at ``rec[o]``: head, then its edges in chains."""
    rec[o + REC_LIST] = k
    rec[o + REC_REF] = lst_ref[2 * k]
    rec[o + REC_ALONE] = lst_ref[2 * k + 1]
    n_chains = chain_lengths(lst_ev, lst_pid, lst_ptr[k], lst_ptr[k + 1], lengths)
    rec[o + REC_N_CHAINS] = n_chains
    c = o + REC_HEAD
    e = lst_ptr[k]
    for i in range(n_chains):
        n_edges = lengths[i]
        rec[c] = (lst_pid[e] << CHAIN_BITS) | n_edges  # < 2^31: MAX_POLYGONS
        rec[c + 1] = lst_ev[e]
        c += CHAIN_SIZE
        e += n_edges


@nb.njit(cache=True)
def _to_offsets(cells: np.ndarray, off: np.ndarray) -> np.ndarray:
    """A copy of a table whose list ids (-2 - k) become record offsets (-2 - off[k])."""
    out = cells.copy()
    for c in range(cells.shape[0]):
        if cells[c] < -1:
            out[c] = -2 - off[-cells[c] - 2]
    return out


@nb.njit(cache=True)
def build_records(cells: np.ndarray, list_sub: np.ndarray, sub_int: np.ndarray,
                  sub_cells: np.ndarray, lst_ptr: np.ndarray, lst_ev: np.ndarray,
                  lst_pid: np.ndarray, lst_ref: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tables with record offsets instead of list ids, and the records themselves.

    Records as laid out in :mod:`.layout`: a busy cell's gives its finer table, a
    boundary cell's its centre polygon and its edges in chains (see
    :func:`chain_lengths`).
    """
    nk = lst_ptr.shape[0] - 1
    off = np.empty(nk + 1, np.int64)
    off[0] = 0
    most = 1
    for k in range(nk):
        most = max(most, lst_ptr[k + 1] - lst_ptr[k])
    lengths = np.empty(most, np.int64)
    for k in range(nk):
        if k < list_sub.shape[0] and list_sub[k] >= 0:
            size = BUSY_SIZE
        else:
            n_chains = chain_lengths(lst_ev, lst_pid, lst_ptr[k], lst_ptr[k + 1], lengths)
            size = REC_HEAD + CHAIN_SIZE * n_chains
        off[k + 1] = off[k] + size
    if off[nk] >= 2**31 - 2:
        raise ValueError("the index is too large for 32-bit record offsets")
    rec = np.empty(off[nk], np.int32)
    for k in range(nk):
        if k < list_sub.shape[0] and list_sub[k] >= 0:
            _write_busy(rec, off[k], sub_int[list_sub[k]])
        else:
            _write_boundary(rec, off[k], k, lst_ptr, lst_ev, lst_pid, lst_ref, lengths)
    return _to_offsets(cells, off), _to_offsets(sub_cells, off), rec
