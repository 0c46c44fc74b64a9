"""Where the grids of a layer overlap: a data error that locating must not hide.

A unified grid has no overlaps, and GEOS checks that in one pass
(:func:`shapely.coverage_is_valid`, a few tens of milliseconds for a district).
When a layer has some, :class:`Overlaps` holds each overlapping piece with the
codes of every grid involved, so :class:`gridgis.index.GridIndex` can answer
``overlap`` (with those codes) for a point in one instead of a plain ``inside``.

Pieces narrower than the width tolerance (5 cm, as in
:mod:`gridgis.planning.edges`) are digitizing noise, not overlaps. Widths are
judged on lon/lat scaled to metres around the layer (longitude times the
cosine of the latitude), an affine map that keeps the edges straight.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely

__all__ = ["WIDTH_TOLERANCE_M", "Overlaps"]

WIDTH_TOLERANCE_M = 0.05
"""Overlaps narrower than this (m) are not reported."""
_METRES_PER_DEGREE = 111_319.49


def _wide(pieces: np.ndarray, lat: float, tolerance_m: float) -> np.ndarray:
    """Which lon/lat pieces are wider than ``tolerance_m`` (survive an inward buffer)."""
    kx, ky = _METRES_PER_DEGREE * math.cos(math.radians(lat)), _METRES_PER_DEGREE
    metric = shapely.transform(pieces, lambda c: np.c_[c[:, 0] * kx, c[:, 1] * ky])
    inner = shapely.buffer(metric, -tolerance_m / 2.0, quad_segs=16)
    return ~shapely.is_empty(inner)


class Overlaps:
    """The overlapping pieces of a grid layer and the grids of each.

    Parameters
    ----------
    geoms : array of shapely geometries
        The grids, in lon/lat.
    codes : array of str
        Their codes, in the same order.
    width_tolerance_m : float, default 0.05
        Narrower pieces are left out.

    Examples
    --------
    >>> from shapely import box
    >>> found = Overlaps([box(0, 0, 1, 1), box(0.5, 0, 2, 1)], ["a", "b"])
    >>> found.codes_at([0.7, 1.5], [0.5, 0.5])
    [('a', 'b'), None]
    """

    def __init__(self, geoms: Any, codes: Any, *,
                 width_tolerance_m: float = WIDTH_TOLERANCE_M) -> None:
        geoms = np.asarray(geoms, dtype=object)
        codes = np.asarray(codes, dtype=object)
        self.pieces = np.empty(0, dtype=object)
        self.members: list[tuple[str, ...]] = []
        self._tree: shapely.STRtree | None = None
        usable = (~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
                  & shapely.is_valid(geoms) & np.isin(shapely.get_type_id(geoms), (3, 6)))
        ids = np.flatnonzero(usable)
        if len(ids) < 2 or shapely.coverage_is_valid(geoms[ids]):
            return
        edges = shapely.coverage_invalid_edges(geoms[ids])
        suspects = ids[~shapely.is_empty(edges) & ~shapely.is_missing(edges)]
        tree = shapely.STRtree(geoms[ids])
        left, right = tree.query(geoms[suspects], predicate="intersects")
        pairs = np.unique(np.sort(np.c_[suspects[left], ids[right]], axis=1), axis=0)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        if len(pairs) == 0:
            return
        shared = shapely.intersection(geoms[pairs[:, 0]], geoms[pairs[:, 1]])
        parts, owner = shapely.get_parts(shared, return_index=True)
        polygonal = np.isin(shapely.get_type_id(parts), (3, 6)) & (shapely.area(parts) > 0)
        parts, owner = parts[polygonal], owner[polygonal]
        if len(parts) == 0:
            return
        lat = float(np.mean(shapely.bounds(geoms[ids])[:, [1, 3]]))
        keep = _wide(parts, lat, width_tolerance_m)
        self.pieces = parts[keep]
        self.members = [tuple(sorted((str(codes[a]), str(codes[b]))))
                        for a, b in pairs[owner[keep]]]
        self._tree = shapely.STRtree(self.pieces) if len(self.pieces) else None

    @classmethod
    def from_pieces(cls, pieces: Any, members: list[tuple[str, ...]]) -> Overlaps:
        """The overlaps found before (``pieces`` and ``members`` of an earlier one)."""
        self = cls.__new__(cls)
        self.pieces = np.asarray(pieces, dtype=object)
        self.members = [tuple(m) for m in members]
        self._tree = shapely.STRtree(self.pieces) if len(self.pieces) else None
        return self

    def __len__(self) -> int:
        return len(self.pieces)

    def near(self, lon: Any, lat: Any) -> np.ndarray:
        """Which points lie within the bounding box of an overlapping piece (a cheap sieve)."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        near = np.zeros(len(x), np.bool_)
        if len(self.pieces) == 0:
            return near
        bounds = shapely.bounds(self.pieces)
        if len(bounds) > 64:  # many pieces: their common box
            bounds = np.array([[*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0)]])
        for x0, y0, x1, y1 in bounds:
            near |= (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
        return near

    def codes_at(self, lon: Any, lat: Any) -> list[tuple[str, ...] | None]:
        """For each point, the codes of every grid of the overlap it lies in (or None)."""
        x = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        y = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out: list[tuple[str, ...] | None] = [None] * len(x)
        if self._tree is None or len(x) == 0:
            return out
        # only the points within a piece's bounding box become GEOS points (a layer with
        # one small overlap must not cost a geometry for every point of a large batch)
        at = np.flatnonzero(self.near(x, y))
        which, piece = self._tree.query(shapely.points(x[at], y[at]), predicate="intersects")
        which = at[which]
        found: dict[int, set[str]] = {}
        for w, p in zip(which.tolist(), piece.tolist(), strict=True):
            found.setdefault(w, set()).update(self.members[p])
        for w, codes in found.items():
            out[w] = tuple(sorted(codes))
        return out
