"""Label points: where the names of townships, communities, grids and roads are written.

Vector tiles carry labels as points (the console writes the text at the
point): an area's label sits at a point inside it, a road's at points along
its named line, one every :data:`ROAD_LABEL_SPACING_DEG` or so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["ROAD_LABEL_SPACING_DEG", "area_labels", "road_labels"]

ROAD_LABEL_SPACING_DEG = 0.012
"""Distance between two labels of one road, in degrees (about 1.2 km)."""
SHORTEST_LABELLED_DEG = 0.002
"""A piece of a road shorter than this (about 200 m) gets no label of its own, unless it is
the road's longest piece."""

Labels = tuple[np.ndarray, list[dict[str, Any]], np.ndarray]


def area_labels(frame: gpd.GeoDataFrame, kind: str, min_zoom: int) -> Labels:
    """A label point inside each area of ``frame`` (its ``name`` and ``code``).

    Returns
    -------
    tuple
        Points (lon/lat), properties (``kind``, ``name``, ``code``) and the
        zoom each label first shows at.
    """
    points = shapely.point_on_surface(np.asarray(frame.geometry.array, dtype=object))
    props = [{"kind": kind, "name": str(n), "code": str(c)}
             for n, c in zip(frame["name"], frame["code"], strict=True)]
    return points, props, np.full(len(points), min_zoom, dtype=np.int64)


def road_labels(roads: gpd.GeoDataFrame, min_zoom: int) -> Labels:
    """Label points along each named road: its segments merged, a point every so often.

    Returns
    -------
    tuple
        As :func:`area_labels` (``kind`` is ``road``; no ``code``).
    """
    named = roads[roads["name"].notna() & (roads["name"].astype(str).str.strip() != "")]
    points: list[shapely.Point] = []
    props: list[dict[str, Any]] = []
    for name, group in named.groupby("name", sort=True):
        merged = shapely.line_merge(shapely.union_all(group.geometry.array))
        pieces = sorted(getattr(merged, "geoms", [merged]), key=lambda g: -g.length)
        for k, line in enumerate(pieces):
            if k and line.length < SHORTEST_LABELLED_DEG:
                break
            n = max(1, int(line.length // ROAD_LABEL_SPACING_DEG))
            for i in range(n):
                points.append(line.interpolate((i + 0.5) / n, normalized=True))
                props.append({"kind": "road", "name": str(name), "code": ""})
    return (np.asarray(points, dtype=object), props,
            np.full(len(points), min_zoom, dtype=np.int64))
