"""Many points at once: the parallel passes of ``assign`` and ``query``.

Both run one pipeline, span by span (``SPAN`` points): the points are sorted by
table tile (:func:`tile_order_parallel`) and copied in that order into contiguous
buffers, so that neighbours share cached index data; threads then locate them
unit by unit (``UNIT`` points, :func:`locate_span`), the assignment pass also
settling each unit's match codes, snaps and patrol zones (:func:`settle_span`);
edge distances that need a search are measured polygon by polygon
(:func:`distances_by_polygon`); the answers go back in input order.
"""

from __future__ import annotations

import math
import os
from collections import namedtuple
from typing import Any

import numba as nb
import numpy as np

from gridgis.index._kernels.geometry import edge_distance, metres_per_degree
from gridgis.index._kernels.layout import (
    BOUNDARY,
    FAR,
    H_N,
    H_NX,
    H_NY,
    INSIDE,
    MATCH_BOUNDARY,
    MATCH_INSIDE,
    MATCH_INVALID,
    MATCH_OUTSIDE,
    MATCH_SNAPPED,
    MATCH_TO_SNAP,
    MATCH_UNDECIDED,
    NONE,
    REC_N_CHAINS,
    T_DX,
    T_DY,
    T_X0,
    T_Y0,
    Bands,
    Table,
    table_of,
)
from gridgis.index._kernels.locate import (
    cell_at,
    finer_slot,
    locate_core,
    point_box,
    resolve_bound,
)
from gridgis.index._kernels.snap import snap_one, snap_reach

__all__ = ["GROUP", "SPAN", "TILE", "UNIT", "Work", "assign_points", "counting_sort",
           "distances_by_polygon", "gather", "locate_span", "query_points", "settle_span",
           "start_threads", "tile_order_parallel", "workspace", "written_empty"]

TILE = 4  # points are visited tile by tile (TILE x TILE table cells): the tile's data stays cached
SPAN = 1 << 20  # points sorted at a time: the order array stays small
GROUP = 16  # points taken through each stage together: their memory loads overlap
UNIT = 1024  # points per work unit of a thread
BRUTE_EDGES = 160  # a polygon with at most this many rows in its bands is measured row by row
RUN_MIN = 2  # ... for a run of at least this many of its points (fewer: the band search)
LANES = 8  # runs are padded to whole vectors of this many points

# The buffers of one span, in tile order: order (span position -> input offset), tile
# keys, coordinates, and the answers before they go back in input order.
Work = namedtuple("Work", ["order", "keys", "sx", "sy", "spid", "scode", "slevel", "sdist",
                           "sbound"])
_WORK_TYPES = (np.int32, np.int32, np.float64, np.float64, np.int32, np.int8, np.int8,
               np.float64, np.float64)


def start_threads() -> int:
    """Ready the threads of the compiled passes; returns how many there are.

    OpenMP threads that spin while waiting for the next pass would take a core from
    the Python threads that read coordinates between passes; sleeping ones do not.
    The OpenMP runtime reads ``OMP_WAIT_POLICY`` when it starts: the engine sets it
    when it loads (``gridgis.index._kernels``), and again here for a process that
    loaded this module alone; a value the user gave is kept.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return nb.get_num_threads()


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


def workspace(size: int) -> Work:
    """Buffers for :func:`assign_points` and :func:`query_points` on up to ``size`` points."""
    size = max(1, min(size, SPAN))
    return Work(*(written_empty(size, t) for t in _WORK_TYPES))


# -- sorting points by tile ---------------------------------------------------------------------
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


@nb.njit(cache=True, inline="always")
def _tile_key(x: float, y: float, x0: float, y0: float, dx: float, dy: float, nx: int,
              ny: int) -> int:
    """The tile holding the point, or ``nx * ny`` for none (off the table, NaN)."""
    if math.isfinite(x) and math.isfinite(y):
        i = int(math.floor((x - x0) / dx))
        j = int(math.floor((y - y0) / dy))
        if 0 <= i < nx and 0 <= j < ny:
            return j * nx + i
    return nx * ny


@nb.njit(cache=True, parallel=True)
def tile_order_parallel(px: np.ndarray, py: np.ndarray, start: int, stop: int,
                        pf: np.ndarray, pi: np.ndarray, order: np.ndarray, keys: np.ndarray,
                        workers: int) -> None:
    """Points ``start:stop`` sorted by table tile (``TILE`` x ``TILE`` cells) into ``order``.

    Offsets from ``start``; a tile keeps its points in input order, and points off
    the table come last. ``keys`` receives each point's tile.
    """
    x0, y0, dx, dy = pf[T_X0], pf[T_Y0], pf[T_DX] * TILE, pf[T_DY] * TILE
    nx, ny = (pi[H_NX] + TILE - 1) // TILE, (pi[H_NY] + TILE - 1) // TILE
    m = stop - start
    for q in nb.prange(m):
        keys[q] = _tile_key(px[start + q], py[start + q], x0, y0, dx, dy, nx, ny)
    counting_sort(keys, m, nx * ny + 1, order, workers)


@nb.njit(cache=True, parallel=True)
def _gather_xy(px: np.ndarray, py: np.ndarray, order: np.ndarray, start: int, m: int,
               sx: np.ndarray, sy: np.ndarray) -> None:
    """Points ``start + order[:m]`` copied, in that order, into ``sx``/``sy``."""
    for q in nb.prange(m):
        t = start + order[q]
        sx[q] = px[t]
        sy[q] = py[t]


# -- locating and settling a unit of points -----------------------------------------------------
@nb.njit(cache=True)
def locate_span(px: np.ndarray, py: np.ndarray, lo: int, hi: int, t: Table,
                with_distance: bool, out_pid: np.ndarray, out_state: np.ndarray,
                out_dist: np.ndarray, out_bound: np.ndarray, lonely: np.ndarray) -> None:
    """:func:`~.locate.locate_core` for points ``lo:hi`` (already in tile order), in stages.

    Edge distances that need a search of the polygon's edges are left to the caller:
    ``out_bound`` gets the squared bound to start it from (-1 where none is needed).

    Each stage (table cell, finer-table cell, the cell's record) loads memory for
    ``GROUP`` points at once, so the processor waits for all their cache misses
    together instead of one after another. NaN/out-of-table points give -1.
    A point in a table cell flagged in ``lonely`` (see :func:`~.snap.lonely_cells`;
    an empty array: none) gets the state ``FAR`` instead of ``NONE``.
    """
    # the table's fields taken out once: read through the tuple in the loops below, they
    # would be read again for every point (measured: locate_span 40 % slower)
    x0, y0, dx, dy, nx, ny = t.x0, t.y0, t.dx, t.dy, t.nx, t.ny
    cells, sub_cells, rec, cand_ptr, cand_ids = t.cells, t.sub_cells, t.rec, t.cand_ptr, \
        t.cand_ids
    bands = t.bands
    band_lo = bands.lo
    vals = np.empty(GROUP, np.int64)
    sidx = np.empty(GROUP, np.int64)
    far = np.zeros(GROUP, np.bool_)
    check_far = lonely.shape[0] > 0
    for q0 in range(lo, hi, GROUP):
        m = min(hi, q0 + GROUP) - q0
        for u in range(m):
            sidx[u] = cell_at(px[q0 + u], py[q0 + u], x0, y0, dx, dy, nx, ny)
        for u in range(m):
            vals[u] = cells[sidx[u]] if sidx[u] >= 0 else -1
            if check_far:
                far[u] = vals[u] == -1 and sidx[u] >= 0 and lonely[sidx[u]]
        for u in range(m):  # busy cells: the record's finer table, then its cell
            v = vals[u]
            c = sidx[u]
            sidx[u] = -1
            if v < -1 and rec[-v - 2] < 0:
                sidx[u] = finer_slot(rec, -v - 2, c, px[q0 + u], py[q0 + u], x0, y0, dx, dy,
                                     nx)
        touch = 0.0
        for u in range(m):
            if sidx[u] >= 0:
                vals[u] = sub_cells[sidx[u]]
            v = vals[u]
            if v < -1:
                touch += rec[-v - 2 + REC_N_CHAINS]  # bring each record's head in
            elif v >= 0 and with_distance:
                touch += band_lo[v]
        # points answered by their cell first, then those in cells crossed by edges,
        # each kind in a loop of its own
        for u in range(m):
            v = vals[u]
            if v >= -1:
                q = q0 + u
                out_pid[q] = v
                out_state[q] = INSIDE if v >= 0 else (FAR if far[u] else NONE)
                out_dist[q] = np.nan
                out_bound[q] = np.inf if (v >= 0 and with_distance) else -1.0
        for u in range(m):
            v = vals[u]
            if v < -1:
                q = q0 + u
                # the cell's place again (cheap, its memory was just read): its box
                c = cell_at(px[q], py[q], x0, y0, dx, dy, nx, ny)
                rx, ry, hw, hh = point_box(c, px[q], py[q], x0, y0, dx, dy, nx, cells, rec)
                pid, s, d, b2 = resolve_bound(v, px[q], py[q], rec, cand_ptr, cand_ids, bands,
                                              with_distance, rx, ry, hw, hh)
                out_pid[q] = pid
                out_state[q] = s
                out_dist[q] = d
                out_bound[q] = b2
        if touch == 1e300:  # never (a sum of a few coordinates): keeps the loads above
            out_dist[q0] = touch


@nb.njit(cache=True, inline="always")
def _valid(x: float, y: float) -> bool:
    """Whether (x, y) is a lon/lat position: finite, within ±180 and ±90."""
    return math.isfinite(x) and math.isfinite(y) and abs(x) <= 180.0 and abs(y) <= 90.0


@nb.njit(cache=True)
def settle_span(sx: np.ndarray, sy: np.ndarray, lo: int, hi: int, t: Table,
                snap_m: float, zf: np.ndarray, zi: np.ndarray, zc: np.ndarray,
                zone_code: np.ndarray, spid: np.ndarray, scode: np.ndarray,
                sdist: np.ndarray, slevel: np.ndarray) -> None:
    """Match codes, snaps and patrol levels of located points ``lo:hi``.

    ``scode`` holds each point's state (from :func:`locate_span`) and becomes its
    match code (``MATCH_*``): a point in no grid is snapped to the nearest within
    ``snap_m`` metres (:func:`~.snap.snap_one`), or left undecided when a cell within
    reach keeps no edges; invalid coordinates get no grid. Each point then gets the
    level code of its patrol zone (-1: none; ``zone_code`` empty: no zones).
    """
    to_snap = MATCH_TO_SNAP if snap_m > 0.0 else MATCH_OUTSIDE
    for q in range(lo, hi):
        s = scode[q]
        scode[q] = MATCH_INSIDE if s == INSIDE else (MATCH_BOUNDARY if s == BOUNDARY else (
            MATCH_OUTSIDE if s == FAR else to_snap))
        if not _valid(sx[q], sy[q]):
            spid[q] = -1
            scode[q] = MATCH_INVALID
            sdist[q] = np.nan
    # the few points in no grid are snapped, and every point gets its zone, each in a
    # loop of its own
    if snap_m > 0.0:
        for q in range(lo, hi):
            if scode[q] != MATCH_TO_SNAP:
                continue
            scode[q] = MATCH_OUTSIDE
            near, gap = snap_one(sx[q], sy[q], t, snap_m)
            if near >= 0:
                spid[q] = near
                scode[q] = MATCH_SNAPPED
                sdist[q] = gap
            elif near == -2:
                scode[q] = MATCH_UNDECIDED
    if zone_code.shape[0] > 0:
        z = table_of(zf, zi, zc)
        for q in range(lo, hi):
            lv = -1
            if scode[q] != MATCH_INVALID:
                zid, _, _ = locate_core(sx[q], sy[q], z, False)
                if zid >= 0:
                    lv = zone_code[zid]
            slevel[q] = lv


# -- edge distances, polygon by polygon ---------------------------------------------------------
@nb.njit(cache=True, fastmath={"nnan", "nsz"}, inline="always")
def _edge_min_run(ex0: float, ey0: float, ex1: float, ey1: float, rx: np.ndarray,
                  ry: np.ndarray, rkx: np.ndarray, rky: np.ndarray, rbest: np.ndarray,
                  n: int) -> None:
    """``rbest[i]`` lowered to the squared distance (m²) from point ``i`` to one edge.

    The arithmetic of :func:`~.geometry.band_min` with the loop over points instead
    of edges, so that it runs on several points at once (same flags, so the same bits).
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
                 sbound: np.ndarray, t0: int, t1: int, ev: np.ndarray, xy: np.ndarray,
                 rx: np.ndarray,
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
        v = ev[t]
        _edge_min_run(xy[v, 0], xy[v, 1], xy[v + 1, 0], xy[v + 1, 1], rx, ry, rkx, rky, rbest,
                      n_pad)
    for i in range(n_run):
        sdist[order[r0 + i]] = math.sqrt(rbest[i])


@nb.njit(cache=True, parallel=True)
def distances_by_polygon(sx: np.ndarray, sy: np.ndarray, spid: np.ndarray,
                         sbound: np.ndarray, m: int, n_poly: int, bands: Bands,
                         sdist: np.ndarray, workers: int) -> None:
    """Edge distances of the points ``q < m`` with ``sbound[q] >= 0``, polygon by polygon.

    The points are counted out by polygon, so each polygon's edges are read from
    memory once for all its points. A run of points of one polygon with few edges
    is measured against every edge, several points at a time; other points take
    :func:`~.geometry.edge_distance` from their bound. Both give the least distance
    over the polygon's edges, computed alike.
    """
    band_n, band_off, band_ptr = bands.n, bands.off, bands.ptr
    keys = np.empty(m, np.int32)
    for q in nb.prange(m):
        keys[q] = spid[q] if sbound[q] >= 0.0 else -1
    order = np.empty(m, np.int32)
    total = counting_sort(keys, m, n_poly, order, workers)
    n_units = (total + UNIT - 1) // UNIT
    for w in nb.prange(workers):
        rx = np.empty(UNIT + LANES)
        ry = np.empty(UNIT + LANES)
        rkx = np.empty(UNIT + LANES)
        rky = np.empty(UNIT + LANES)
        rbest = np.empty(UNIT + LANES)
        for c in range(w, n_units, workers):
            r0, r1 = c * UNIT, min(total, (c + 1) * UNIT)
            while r0 < r1:
                pid = spid[order[r0]]
                r = r0 + 1
                while r < r1 and spid[order[r]] == pid:
                    r += 1
                k = band_off[pid]
                n_edges = band_ptr[k + band_n[pid]] - band_ptr[k]
                if r - r0 >= RUN_MIN and n_edges <= BRUTE_EDGES:
                    _measure_run(order, r0, r, sx, sy, sbound, band_ptr[k],
                                 band_ptr[k + band_n[pid]], bands.ev, bands.xy, rx, ry, rkx, rky,
                                 rbest, sdist)
                else:
                    for i in range(r0, r):
                        q = order[i]
                        x, y = sx[q], sy[q]
                        kx, ky = metres_per_degree(y)
                        sdist[q] = edge_distance(pid, x, y, kx, ky, bands, sbound[q])
                r0 = r


# -- the passes ---------------------------------------------------------------------------------
@nb.njit(cache=True, parallel=True)
def _pass(px: np.ndarray, py: np.ndarray, gf: np.ndarray, gi: np.ndarray, gc: np.ndarray,
          zf: np.ndarray, zi: np.ndarray, zc: np.ndarray, zone_code: np.ndarray,
          with_distance: bool, settle: bool, snap_m: float, out_pid: np.ndarray,
          out_code: np.ndarray, out_level: np.ndarray, out_dist: np.ndarray, workers: int,
          work: Work, lonely: np.ndarray) -> None:
    """The pipeline of both passes (see the module); ``settle``: the assignment's.

    Without ``settle``, ``out_code`` gets each point's state and every distance is
    copied out (NaN where not measured); with it, its match code and patrol level,
    and distances only where asked for or snapped.
    """
    n = px.shape[0]
    has_zone = settle and zone_code.shape[0] > 0
    order, keys, sx, sy, spid, scode, slevel, sdist, sbound = work
    for start in range(0, n, SPAN):
        stop = min(n, start + SPAN)
        m = stop - start
        tile_order_parallel(px, py, start, stop, gf, gi, order, keys, workers)
        _gather_xy(px, py, order, start, m, sx, sy)
        n_units = (m + UNIT - 1) // UNIT
        # units dealt round-robin: each thread gets a share of every region of the map
        for w in nb.prange(workers):
            for c in range(w, n_units, workers):
                t = table_of(gf, gi, gc)  # views made once a unit, not once a point
                lo, hi = c * UNIT, min(m, (c + 1) * UNIT)
                locate_span(sx, sy, lo, hi, t, with_distance, spid, scode, sdist, sbound,
                            lonely)
                if settle:
                    settle_span(sx, sy, lo, hi, t, snap_m, zf, zi, zc, zone_code, spid,
                                scode, sdist, slevel)
        if with_distance:
            distances_by_polygon(sx, sy, spid, sbound, m, gi[H_N], table_of(gf, gi, gc).bands,
                                 sdist, workers)
        if settle and not has_zone:  # no zones: every level is -1, written in sequence
            out_level[start:stop] = -1
        copy_all = with_distance or not settle
        if not copy_all:  # distances only where snapped: NaN in sequence first
            out_dist[start:stop] = np.nan
        for q in nb.prange(m):  # back in input order
            dst = start + order[q]
            out_pid[dst] = spid[q]
            out_code[dst] = scode[q]
            if has_zone:
                out_level[dst] = slevel[q]
            if copy_all or scode[q] == MATCH_SNAPPED:
                out_dist[dst] = sdist[q]


@nb.njit(cache=True)
def assign_points(px: np.ndarray, py: np.ndarray, gf: np.ndarray, gi: np.ndarray,
                  gc: np.ndarray, zf: np.ndarray, zi: np.ndarray, zc: np.ndarray,
                  zone_code: np.ndarray, with_distance: bool, snap_m: float,
                  out_pid: np.ndarray, out_match: np.ndarray, out_level: np.ndarray,
                  out_dist: np.ndarray, workers: int, work: Work, lonely: np.ndarray
                  ) -> None:
    """Grid, match code, patrol level code and edge distance of every point, in one pass.

    Match codes are ``MATCH_*`` of :mod:`.layout`: inside, boundary, snapped (the
    nearest polygon within ``snap_m`` metres, see :func:`~.snap.snap_one`), outside,
    invalid, and outside but undecided (a cell within reach keeps no edges: the
    caller snaps these few). ``zone_code`` maps a zone id to its level code (an
    empty array: no zones). Work is dealt to ``workers`` threads unit by unit;
    ``work`` holds the buffers (see :func:`workspace`), so that calls on successive
    blocks of a large input reuse them. ``lonely`` flags the table cells with no
    polygon within reach of any of their points (:func:`~.snap.lonely_cells`):
    their points need no snapping.
    """
    reach_x, reach_y = snap_reach(snap_m, max(abs(gf[T_Y0]),
                                              abs(gf[T_Y0] + gi[H_NY] * gf[T_DY])))
    if snap_m <= 0.0 or reach_x > gf[T_DX] or reach_y > gf[T_DY]:  # flags for a near reach
        lonely = lonely[:0]
    _pass(px, py, gf, gi, gc, zf, zi, zc, zone_code, with_distance, True, snap_m, out_pid,
          out_match, out_level, out_dist, workers, work, lonely)


@nb.njit(cache=True)
def query_points(px: np.ndarray, py: np.ndarray, pf: np.ndarray, pi: np.ndarray,
                 pc: np.ndarray, with_distance: bool, out_ids: np.ndarray,
                 out_state: np.ndarray, out_dist: np.ndarray, workers: int, work: Work
                 ) -> None:
    """:func:`~.locate.locate_packed` for every point (NaN distances when not asked for).

    The pipeline of :func:`assign_points` without its match codes, snaps and zones.
    """
    none_f, none_i = np.empty(0, np.float64), np.empty(0, np.int64)
    _pass(px, py, pf, pi, pc, none_f, none_i, np.empty(0, np.int32), np.empty(0, np.int8),
          with_distance, False, 0.0, out_ids, out_state, out_state, out_dist, workers, work,
          np.zeros(0, np.bool_))


@nb.njit(cache=True, parallel=True)
def gather(pid: np.ndarray, table: np.ndarray, missing: int, out: np.ndarray) -> None:
    """``out[t] = table[pid[t]]``, or ``missing`` where ``pid[t] < 0``."""
    for t in nb.prange(pid.shape[0]):
        p = pid[t]
        out[t] = table[p] if p >= 0 else missing
