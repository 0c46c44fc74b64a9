"""Voronoi pieces of a plan: building cells, dissolved by grid, one piece per grid.

Shared by :mod:`gridgis.planning.partition` (a community redrawn from its
buildings) and :mod:`gridgis.planning.edits` (grids redrawn when buildings move).
All shapes are on a projected plane (metres).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = ["dissolve", "one_piece_each", "voronoi_cells"]


def voronoi_cells(points: np.ndarray, area: Any, *, clip: bool = True) -> np.ndarray:
    """The Voronoi cell of each point, clipped to ``area`` (coincident points share one).

    With ``clip=False`` the cells reach beyond ``area`` (to be clipped by the
    caller in another coordinate system).
    """
    unique, inverse = np.unique(points, axis=0, return_inverse=True)
    if len(unique) == 1:
        whole = area if clip else shapely.envelope(shapely.buffer(area, 1.0))
        return np.full(len(points), whole, dtype=object)
    diagram = shapely.voronoi_polygons(shapely.multipoints(unique), extend_to=area)
    cells = np.asarray(shapely.get_parts(diagram))
    tree = shapely.STRtree(cells)
    pts = shapely.points(unique)
    point_i, cell_i = tree.query(pts, predicate="intersects")
    owner = np.full(len(unique), -1)
    owner[point_i[::-1]] = cell_i[::-1]  # the first cell found wins for points on edges
    chosen = shapely.intersection(cells[owner], area) if clip else cells[owner]
    return chosen[inverse.ravel()]


def dissolve(cells: np.ndarray, labels: np.ndarray) -> dict[int, Any]:
    """The union of the cells of each label: label → one (possibly multi-part) shape."""
    return {int(r): shapely.union_all(cells[labels == r]) for r in np.unique(labels)}


def one_piece_each(shapes: dict[int, Any]) -> dict[int, Any]:
    """Give every detached piece of a region to the neighbour sharing the longest edge."""
    for region in list(shapes):
        parts = list(shapely.get_parts(shapes[region]))
        if len(parts) <= 1:
            continue
        parts.sort(key=shapely.area, reverse=True)
        shapes[region] = parts[0]
        for piece in parts[1:]:
            shared = {r: shapely.length(shapely.intersection(g.boundary, piece.boundary))
                      for r, g in shapes.items() if r != region}
            target = max(shared, key=shared.get) if shared and max(shared.values()) > 0 \
                else region
            shapes[target] = shapely.union(shapes[target], piece)
    return shapes
