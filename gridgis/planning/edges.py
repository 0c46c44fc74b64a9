"""The one edge model of planner geometry (DESIGN §3).

An edge is straight in lon/lat: that is what GEOS, QGIS and the grid index
compute, so topology (overlaps, gaps, shapes outside a community) is judged in
the stored coordinates, where shared vertices are exact. Areas, lengths and
widths are measured on the local CGCS2000 Gauss-Krüger plane after densifying
the edges (:data:`DENSIFY_DEG`), so a long lon/lat-straight edge keeps its
bow on the plane instead of being cut straight between its projected ends.

A gap or overlap narrower than the width tolerance (default
:data:`WIDTH_TOLERANCE_M`, 5 cm: twice the sagitta between a 1.5 km
lon/lat-straight edge and the Gauss-Krüger-straight one at 30° N) is not a
defect. Width is the diameter of the largest circle inside a piece
(``shapely.maximum_inscribed_circle``), measured in metres.

Coverage tools of GEOS (shapely ≥ 2.1: :func:`shapely.coverage_is_valid`,
:func:`shapely.coverage_invalid_edges`) screen a set of polygons: a valid
coverage has no overlap and edges that match exactly, so only the polygons
with invalid edges need a pairwise look.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from gridgis.crs import local_crs

__all__ = [
    "DENSIFY_DEG",
    "WIDTH_TOLERANCE_M",
    "EdgeModel",
    "Piece",
    "coverage_trouble",
    "polygonal",
]

WIDTH_TOLERANCE_M = 0.05
"""Gaps and overlaps narrower than this (m) are not defects."""
DENSIFY_DEG = 1e-4
"""Longest edge (degrees, about 10 m) before projecting; the bow of a 10 m
lon/lat-straight edge on the plane is below a micrometre."""
METRES_PER_DEGREE = 111_319.49
"""Length of one degree of latitude (and of longitude at the equator), in metres."""
QUAD_SEGS = 16
"""Segments per quarter circle of inward buffers (arcs within 0.2 % of their radius)."""
DUST_DEG2 = 1e-16
"""Pieces below this area in square degrees (about 1e-6 m²) are numerical dust."""


def polygonal(geom: Any) -> Any:
    """The polygonal parts of a geometry (overlays and make_valid add lines and points).

    Parameters
    ----------
    geom : shapely geometry or None

    Returns
    -------
    shapely geometry
        A Polygon, a MultiPolygon or an empty Polygon.
    """
    if geom is None or shapely.is_empty(geom):
        return shapely.Polygon()
    parts = [p for p in shapely.get_parts(geom)
             if p.geom_type in ("Polygon", "MultiPolygon") and shapely.area(p) > DUST_DEG2]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


@dataclass(frozen=True)
class Piece:
    """A finding's shape after the width tolerance: the parts that count.

    Attributes
    ----------
    geometry : shapely geometry
        The parts wider than the tolerance, in lon/lat (empty when none is).
    area_m2 : float
        Their area on the Gauss-Krüger plane.
    width_m : float
        The width of the widest part kept (diameter of its largest inscribed
        circle; 0 when none is kept).
    """

    geometry: Any
    area_m2: float
    width_m: float

    @property
    def empty(self) -> bool:
        """True when no part is wider than the tolerance."""
        return shapely.is_empty(self.geometry)


@dataclass(frozen=True)
class EdgeModel:
    """Measure lon/lat shapes on the local Gauss-Krüger plane, edges densified.

    Parameters
    ----------
    crs : pyproj.CRS
        The plane measures are taken on (:func:`gridgis.crs.local_crs`).
    width_tolerance_m : float, default 0.05
        Pieces narrower than this are not defects.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> model = EdgeModel.of(sample_district(scale=0.05).communities)
    >>> model.width_tolerance_m
    0.05
    """

    crs: pyproj.CRS
    width_tolerance_m: float = WIDTH_TOLERANCE_M

    @classmethod
    def of(cls, frame: gpd.GeoDataFrame, *,
           width_tolerance_m: float = WIDTH_TOLERANCE_M) -> EdgeModel:
        """The edge model of a layer's area (its Gauss-Krüger zone)."""
        if width_tolerance_m < 0:
            raise ValueError(f"the width tolerance must be ≥ 0 m, got {width_tolerance_m}")
        return cls(local_crs(frame), float(width_tolerance_m))

    def metric(self, geoms: Any) -> np.ndarray:
        """Lon/lat geometries densified to :data:`DENSIFY_DEG` and projected to the plane."""
        geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
        dense = shapely.segmentize(geoms, DENSIFY_DEG)
        return gpd.GeoSeries(dense, crs=4326).to_crs(self.crs).to_numpy()

    def lonlat(self, geoms: Any) -> np.ndarray:
        """Plane geometries back to lon/lat (vertices only: plane edges are short there)."""
        geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
        return gpd.GeoSeries(geoms, crs=self.crs).to_crs(4326).to_numpy()

    def area_m2(self, geoms: Any) -> np.ndarray:
        """Areas (m²) of lon/lat geometries."""
        geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
        area = np.zeros(len(geoms))
        some = ~shapely.is_missing(geoms) & (shapely.area(geoms) > DUST_DEG2)
        if some.any():
            area[some] = shapely.area(self.metric(geoms[some]))
        return area

    def length_m(self, geoms: Any) -> np.ndarray:
        """Lengths (m) of lon/lat geometries (perimeters of polygons)."""
        geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
        length = np.zeros(len(geoms))
        some = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        if some.any():
            length[some] = shapely.length(self.metric(geoms[some]))
        return length

    def width_m(self, geoms: Any) -> np.ndarray:
        """Widths (m): the diameter of each polygon's largest inscribed circle.

        Found by bisection on inward buffers (a polygon survives an inward
        buffer of ``r`` exactly when its largest inscribed circle is wider than
        ``2r``), to about 1/4000 of the upper bound ``min(2·√(A/π), bbox side)``;
        GEOS's ``maximum_inscribed_circle`` is slower on long slivers and can
        stop short of the widest spot.
        """
        geoms = np.atleast_1d(np.asarray(geoms, dtype=object))
        width = np.zeros(len(geoms))
        some = ~shapely.is_missing(geoms) & (shapely.area(geoms) > DUST_DEG2)
        if some.any():
            width[some] = _widths(self.metric(geoms[some]))
        return width

    def pieces(self, geom: Any, *, min_area_m2: float = 0.0) -> Piece:
        """Keep the parts of ``geom`` wider than the tolerance; measure them.

        A part is wider than the tolerance when it survives an inward buffer of
        half the tolerance (its largest inscribed circle is wider).

        Parameters
        ----------
        geom : shapely geometry
            A gap, an overlap or a shape outside a community, in lon/lat
            (lines and points are dropped).
        min_area_m2 : float, default 0
            The kept parts must together exceed this area, or nothing is kept.

        Returns
        -------
        Piece
        """
        parts = np.asarray(shapely.get_parts(polygonal(geom)), dtype=object)
        if len(parts) == 0:
            return Piece(shapely.Polygon(), 0.0, 0.0)
        metric = self.metric(parts)
        area = shapely.area(metric)
        if area.sum() <= min_area_m2:  # too small whatever its width: no width to measure
            return Piece(shapely.Polygon(), float(area.sum()), 0.0)
        if self.width_tolerance_m > 0:
            inner = shapely.buffer(metric, -self.width_tolerance_m / 2.0, quad_segs=QUAD_SEGS)
            keep = ~shapely.is_empty(inner)
        else:
            keep = area > 0
        kept_area = float(area[keep].sum())
        if not keep.any() or kept_area <= min_area_m2:
            return Piece(shapely.Polygon(), kept_area, 0.0)
        kept = parts[keep]
        shape = kept[0] if len(kept) == 1 else shapely.multipolygons(kept)
        return Piece(shape, kept_area, float(_widths(metric[keep]).max()))

    def degrees(self, metres: float, lat: float) -> float:
        """A length on the ground as degrees of longitude at ``lat`` (the larger of the two)."""
        return metres / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 1e-6))


def _widths(metric: np.ndarray, steps: int = 12) -> np.ndarray:
    """Inscribed-circle diameters of plane polygons, by bisection on inward buffers."""
    area = shapely.area(metric)
    bounds = shapely.bounds(metric)
    high = np.minimum(2.0 * np.sqrt(area / np.pi),
                      np.minimum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]))
    high = high * 1.001 + 1e-9
    low = np.zeros(len(metric))
    for _ in range(steps):
        middle = (low + high) / 2.0
        alive = ~shapely.is_empty(shapely.buffer(metric, -middle / 2.0, quad_segs=QUAD_SEGS))
        low = np.where(alive, middle, low)
        high = np.where(alive, high, middle)
    return (low + high) / 2.0


def coverage_trouble(polygons: Any, *, gap_width: float = 0.0) -> np.ndarray:
    """Which polygons of a would-be coverage have invalid edges.

    A valid polygonal coverage has no overlaps and exactly matching shared
    edges; GEOS finds the edges that break this in one pass
    (:func:`shapely.coverage_invalid_edges`). Missing, empty and invalid
    polygons are left out of the check and marked as trouble.

    Parameters
    ----------
    polygons : array-like of shapely geometries
        Lon/lat polygons.
    gap_width : float, default 0
        Gaps narrower than this (in the coordinates' units) are invalid too.

    Returns
    -------
    numpy.ndarray of bool
        True for polygons with an invalid edge (an overlap, an edge that does
        not match its neighbour's, or a narrow gap).
    """
    geoms = np.asarray(polygons, dtype=object)
    trouble = np.ones(len(geoms), dtype=bool)
    usable = (~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
              & shapely.is_valid(geoms))
    usable &= np.isin(shapely.get_type_id(geoms), (3, 6))
    if usable.sum() < 2:
        trouble[usable] = False
        return trouble
    chosen = geoms[usable]
    if shapely.coverage_is_valid(chosen, gap_width=gap_width):
        trouble[usable] = False
        return trouble
    edges = shapely.coverage_invalid_edges(chosen, gap_width=gap_width)
    trouble[usable] = ~shapely.is_empty(edges) & ~shapely.is_missing(edges)
    return trouble
