"""The packed index: three flat arrays, their header, the cell records and the codes.

A :class:`~gridgis.index.polygon.PolygonIndex` lives in three flat arrays, so that
a compiled call takes three arguments::

    pi (int64)    nx, ny, n, then (start, stop) in pi, pf, pc of each part:
                  I_PARTS in pi, F_PARTS in pf, C_PARTS in pc (HEADER entries),
                  then the parts of I_PARTS
    pf (float64)  x0, y0, dx, dy of the cell table, then the parts of F_PARTS
    pc (int32)    the parts of C_PARTS

A cell of the table (or of a finer table) holds a polygon id (>= 0: the cell lies
inside it), -1 (no polygon) or -2 - o, where o is the offset in ``rec`` (int32) of
the cell's record, laid out so that a point touches one short run of memory::

    a busy cell (its own finer table of m x m cells over the cell, see busy_geometry):
        o+0  -1 (BUSY)         o+1  m        o+2  offset of its table in sub_cells
    a boundary cell (crossed by edges; its centre and size follow from its place,
    see cell_box and sub_box):
        o+0  its candidate list k            o+1  polygon at the centre, -1 or FALLBACK
        o+2  1 when that polygon has no edge in the cell, else 0
        o+3  number of chains, then from o+4 (REC_HEAD) the chains, two entries each:
             c+0  head: polygon id << CHAIN_BITS | number of edges e
             c+1  v, the row in ``verts`` of the chain's first vertex: edge i of the
                  chain runs from verts[v+i] to verts[v+i+1] (consecutive edges of a ring)

The polygons' vertices are kept once, ring after ring (each ring closed by a copy of
its first vertex), in ``verts`` (x, y rows); edges are named by the row of their first
vertex, in the bands (``band_ev``) and in the cell records alike, so no coordinate is
stored twice.

Locating a point gives a polygon and a state (INSIDE, BOUNDARY, NONE, and FAR in
the batch passes); assigning one gives a match code (``MATCH_*``), whose names
are :data:`gridgis.index.grid.MATCHES` in order.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numba as nb
import numpy as np

__all__ = [
    "BOUNDARY",
    "BUSY",
    "BUSY_M",
    "BUSY_SIZE",
    "BUSY_SUB",
    "CHAIN_BITS",
    "CHAIN_MAX",
    "CHAIN_SIZE",
    "C_PARTS",
    "FALLBACK",
    "FAR",
    "F_PARTS",
    "HEADER",
    "H_N",
    "H_NX",
    "H_NY",
    "INSIDE",
    "I_PARTS",
    "MATCH_BOUNDARY",
    "MATCH_INSIDE",
    "MATCH_INVALID",
    "MATCH_OUTSIDE",
    "MATCH_SNAPPED",
    "MATCH_TO_SNAP",
    "MATCH_UNDECIDED",
    "MAX_POLYGONS",
    "NONE",
    "REC_ALONE",
    "REC_HEAD",
    "REC_LIST",
    "REC_N_CHAINS",
    "REC_REF",
    "SPANS",
    "T_DX",
    "T_DY",
    "T_X0",
    "T_Y0",
    "Bands",
    "Table",
    "bands_of",
    "busy_geometry",
    "cell_box",
    "chain",
    "sub_box",
    "sub_index",
    "table_of",
]

# -- states of a point against the polygons ----------------------------------------------------
INSIDE, BOUNDARY, NONE = 0, 1, 2
FAR = 3  # in no polygon, and none within snapping reach (batch passes only)

# -- match codes of an assigned point (the names: gridgis.index.grid.MATCHES) ------------------
MATCH_INSIDE = 0
MATCH_BOUNDARY = 1
MATCH_SNAPPED = 2  # in no grid, the nearest within the snap tolerance
MATCH_OUTSIDE = 3
MATCH_INVALID = 4  # NaN or out-of-range coordinates
MATCH_UNDECIDED = 5  # outside, but a cell within reach keeps no edges: the caller snaps it
MATCH_TO_SNAP = 6  # in the pass only: in no grid, to be snapped (then 2, 3 or 5)

# -- the header of pi and pf -------------------------------------------------------------------
H_NX, H_NY, H_N = 0, 1, 2  # pi: table columns, rows, number of polygons
T_X0, T_Y0, T_DX, T_DY = 0, 1, 2, 3  # pf: the table's origin and cell size
I_PARTS = ("band_n", "band_off", "band_ptr")
F_PARTS = ("band_lo", "band_h", "verts")
C_PARTS = ("cells", "sub_cells", "cand_ids", "band_ev", "rec", "cand_ptr")
SPANS = 3  # where the (start, stop) pairs begin in pi
_I_SPANS = SPANS
_F_SPANS = _I_SPANS + 2 * len(I_PARTS)
_C_SPANS = _F_SPANS + 2 * len(F_PARTS)
HEADER = _C_SPANS + 2 * len(C_PARTS)

# -- cell records ------------------------------------------------------------------------------
BUSY = -1  # rec[o] of a busy cell (a boundary cell's rec[o] is its list id, >= 0)
BUSY_M = 1  # its finer table is m x m
BUSY_SUB = 2  # where that table starts in sub_cells
BUSY_SIZE = 3
REC_LIST = 0  # the cell's candidate list
REC_REF = 1  # the polygon at the centre, -1, or FALLBACK
REC_ALONE = 2  # 1 when that polygon has no edge in the cell
REC_N_CHAINS = 3
REC_HEAD = 4  # where the chains begin
MAX_POLYGONS = 1 << (31 - 10)  # polygons an index holds at most (a chain's head is int32)
FALLBACK = -3  # a cell whose points take the full exact test
CHAIN_BITS = 10  # a chain's head: polygon id << CHAIN_BITS | number of its edges
CHAIN_MAX = (1 << CHAIN_BITS) - 1  # edges in one chain at most
CHAIN_SIZE = 2  # entries of one chain in a record: its head and its first vertex

# The parts of one polygon set's edge bands (see geometry.polygon_state), and the
# whole table as the locate kernels read it: views into the packed arrays. ``ev`` holds
# the first vertex (a row of ``xy``, the vertices) of each edge of each band.
Bands = namedtuple("Bands", ["lo", "h", "n", "off", "ptr", "ev", "xy"])
Table = namedtuple("Table", ["x0", "y0", "dx", "dy", "nx", "ny", "cells", "sub_cells", "rec",
                             "cand_ptr", "cand_ids", "bands"])


@nb.njit(cache=True, inline="always")
def _ip(pi: np.ndarray, k: int) -> np.ndarray:
    """Part ``I_PARTS[k]`` of ``pi`` (a view)."""
    return pi[pi[_I_SPANS + 2 * k]:pi[_I_SPANS + 2 * k + 1]]


@nb.njit(cache=True, inline="always")
def _fp(pf: np.ndarray, pi: np.ndarray, k: int) -> np.ndarray:
    """Part ``F_PARTS[k]`` of ``pf`` (a view)."""
    return pf[pi[_F_SPANS + 2 * k]:pi[_F_SPANS + 2 * k + 1]]


@nb.njit(cache=True, inline="always")
def _cp(pc: np.ndarray, pi: np.ndarray, k: int) -> np.ndarray:
    """Part ``C_PARTS[k]`` of ``pc`` (a view)."""
    return pc[pi[_C_SPANS + 2 * k]:pi[_C_SPANS + 2 * k + 1]]


@nb.njit(cache=True, inline="always")
def bands_of(pf: np.ndarray, pi: np.ndarray, pc: np.ndarray) -> Bands:
    """The edge bands of the packed arrays (views, no copies)."""
    return Bands(_fp(pf, pi, 0), _fp(pf, pi, 1), _ip(pi, 0), _ip(pi, 1), _ip(pi, 2),
                 _cp(pc, pi, 3), _fp(pf, pi, 2).reshape((-1, 2)))


@nb.njit(cache=True, inline="always")
def table_of(pf: np.ndarray, pi: np.ndarray, pc: np.ndarray) -> Table:
    """The packed arrays as one :class:`Table` (views, no copies)."""
    return Table(pf[T_X0], pf[T_Y0], pf[T_DX], pf[T_DY], pi[H_NX], pi[H_NY], _cp(pc, pi, 0),
                 _cp(pc, pi, 1), _cp(pc, pi, 4), _cp(pc, pi, 5), _cp(pc, pi, 2),
                 bands_of(pf, pi, pc))


# -- where cells lie: computed alike when the index is built and when it is read -----------------
@nb.njit(cache=True, inline="always")
def cell_box(c: int, x0: float, y0: float, dx: float, dy: float, nx: int
             ) -> tuple[float, float, float, float]:
    """Centre and half sizes of table cell ``c`` (centre x, centre y, half w, half h)."""
    return x0 + (c % nx + 0.5) * dx, y0 + (c // nx + 0.5) * dy, dx / 2, dy / 2


@nb.njit(cache=True, inline="always")
def busy_geometry(c: int, m: int, x0: float, y0: float, dx: float, dy: float, nx: int
                  ) -> tuple[float, float, float, float]:
    """Origin and cell size of the m × m finer table over table cell ``c``."""
    return x0 + (c % nx) * dx, y0 + (c // nx) * dy, dx / m, dy / m


@nb.njit(cache=True, inline="always")
def sub_index(px: float, py: float, sx0: float, sy0: float, sdx: float, sdy: float,
              m: int) -> tuple[int, int]:
    """Column and row of the point's cell in a finer table (clamped to it)."""
    ii = min(max(int(math.floor((px - sx0) / sdx)), 0), m - 1)
    jj = min(max(int(math.floor((py - sy0) / sdy)), 0), m - 1)
    return ii, jj


@nb.njit(cache=True, inline="always")
def sub_box(sx0: float, sy0: float, sdx: float, sdy: float, ii: int, jj: int
            ) -> tuple[float, float, float, float]:
    """Centre and half sizes of cell (ii, jj) of a finer table."""
    return sx0 + (ii + 0.5) * sdx, sy0 + (jj + 0.5) * sdy, sdx / 2, sdy / 2


@nb.njit(cache=True, inline="always")
def chain(rec: np.ndarray, c: int) -> tuple[int, int, int, int]:
    """The chain of edges at ``rec[c]``: its polygon, its number of edges, its first
    vertex and the next chain.

    Edge ``e`` of the chain runs from vertex ``v + e`` to ``v + e + 1``.
    """
    head = int(rec[c])
    n_edges = head & CHAIN_MAX
    return head >> CHAIN_BITS, n_edges, int(rec[c + 1]), c + CHAIN_SIZE
