"""The nearest road segment of each point: a bucket grid of segments and a compiled ring search.

Segments are registered in every square cell their bounding box touches. A
point's search scans the cells in rings around its own and stops as soon as
the best distance found is no larger than the distance from the point to any
cell not yet scanned, so the answer is exact. Ties go to the lowest segment
number; each point is searched on its own (its answer never depends on its
batch).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["SegmentGrid"]


class SegmentGrid:
    """Straight segments bucketed on a square grid, for exact nearest-segment queries.

    Parameters
    ----------
    start, end : numpy.ndarray
        First and last points of each segment on a plane (n × 2, metres).
    cell_m : float, optional
        Cell size; default about twice the median segment length, at least 50 m.
    """

    def __init__(self, start: np.ndarray, end: np.ndarray, cell_m: float | None = None) -> None:
        self.ax, self.ay = np.ascontiguousarray(start[:, 0]), np.ascontiguousarray(start[:, 1])
        self.bx, self.by = np.ascontiguousarray(end[:, 0]), np.ascontiguousarray(end[:, 1])
        if cell_m is None:
            length = np.hypot(self.bx - self.ax, self.by - self.ay)
            cell_m = max(50.0, 2.0 * float(np.median(length)) if len(length) else 50.0)
        lo_x = np.minimum(self.ax, self.bx)
        lo_y = np.minimum(self.ay, self.by)
        hi_x = np.maximum(self.ax, self.bx)
        hi_y = np.maximum(self.ay, self.by)
        self.x0, self.y0 = float(lo_x.min()), float(lo_y.min())
        self.cell = float(cell_m)
        self.nx = int((hi_x.max() - self.x0) // self.cell) + 1
        self.ny = int((hi_y.max() - self.y0) // self.cell) + 1
        i0 = ((lo_x - self.x0) // self.cell).astype(np.int64)
        i1 = ((hi_x - self.x0) // self.cell).astype(np.int64)
        j0 = ((lo_y - self.y0) // self.cell).astype(np.int64)
        j1 = ((hi_y - self.y0) // self.cell).astype(np.int64)
        self.cell_start, self.cell_items = _bucket(i0, i1, j0, j1, self.nx, self.ny)

    def nearest(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest segment, position along it (0..1) and distance, for each point."""
        xy = np.ascontiguousarray(xy, dtype=np.float64).reshape(-1, 2)
        return _nearest(xy[:, 0].copy(), xy[:, 1].copy(), self.ax, self.ay, self.bx, self.by,
                        self.cell_start, self.cell_items, self.x0, self.y0, self.cell,
                        self.nx, self.ny)


def _bucket(i0: np.ndarray, i1: np.ndarray, j0: np.ndarray, j1: np.ndarray, nx: int,
            ny: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR lists of the segments of every cell (cell id = j * nx + i)."""
    span_i, span_j = i1 - i0 + 1, j1 - j0 + 1
    count = span_i * span_j
    seg = np.repeat(np.arange(len(i0)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    ci = np.repeat(i0, count) + k % np.repeat(span_i, count)
    cj = np.repeat(j0, count) + k // np.repeat(span_i, count)
    cell = cj * nx + ci
    order = np.argsort(cell, kind="stable")
    start = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(np.bincount(cell, minlength=nx * ny), out=start[1:])
    return start, seg[order].astype(np.int64)


@nb.njit(cache=True)
def _nearest(px, py, ax, ay, bx, by, cell_start, cell_items, x0, y0, cell, nx,
             ny):  # pragma: no cover - compiled
    n = len(px)
    best_seg = np.empty(n, np.int64)
    best_t = np.empty(n, np.float64)
    best_d = np.empty(n, np.float64)
    for p in range(n):
        x, y = px[p], py[p]
        ci = int(np.floor((x - x0) / cell))
        cj = int(np.floor((y - y0) / cell))
        bd2, bs, bt = np.inf, -1, 0.0
        r = 0
        while True:
            for j in range(cj - r, cj + r + 1):
                if j < 0 or j >= ny:
                    continue
                ring_row = j == cj - r or j == cj + r
                step = 1 if ring_row else 2 * r
                i = ci - r
                while i <= ci + r:
                    if 0 <= i < nx:
                        c = j * nx + i
                        for q in range(cell_start[c], cell_start[c + 1]):
                            s = cell_items[q]
                            dx, dy = bx[s] - ax[s], by[s] - ay[s]
                            ll = dx * dx + dy * dy
                            t = 0.0
                            if ll > 0.0:
                                t = ((x - ax[s]) * dx + (y - ay[s]) * dy) / ll
                                t = min(1.0, max(0.0, t))
                            ex, ey = ax[s] + t * dx - x, ay[s] + t * dy - y
                            d2 = ex * ex + ey * ey
                            if d2 < bd2 or (d2 == bd2 and s < bs):
                                bd2, bs, bt = d2, s, t
                    if step == 0:
                        break
                    i += step
            # the nearest point of any cell not yet scanned is at least this far
            gap = min(x - (x0 + (ci - r) * cell), x0 + (ci + r + 1) * cell - x,
                      y - (y0 + (cj - r) * cell), y0 + (cj + r + 1) * cell - y)
            done_all = ci - r <= 0 and cj - r <= 0 and ci + r >= nx - 1 and cj + r >= ny - 1
            if done_all or (bs >= 0 and gap > 0.0 and bd2 <= gap * gap):
                break
            r += 1
        best_seg[p], best_t[p], best_d[p] = bs, bt, np.sqrt(bd2)
    return best_seg, best_t, best_d


@nb.njit(cache=True)
def chain_minutes_to(rows_t, cols, start, end, p, c_min, from_start, from_end, leg,
                     out):  # pragma: no cover - compiled
    """Minutes from the origins ``cols`` to every target over the junction table.

    ``rows_t`` is junctions × origins; ``out`` is targets × len(cols) (filled).
    """
    n_t, n_o = out.shape
    for j in range(n_t):
        cs, ce = start[j], end[j]
        a, b = from_start[j], from_end[j]
        ps, pe = p[j], c_min[j] - p[j]
        for i in range(n_o):
            o = cols[i]
            best = np.inf
            if a:
                best = rows_t[cs, o] + ps
            if b:
                v = rows_t[ce, o] + pe
                if v < best:
                    best = v
            out[j, i] = best + leg[j]
