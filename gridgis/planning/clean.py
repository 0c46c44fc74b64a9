"""Clean a grid plan into an exact coverage of each community (GEOS ``coverage_clean``).

One pass per community, in the edge model of :mod:`gridgis.planning.edges`
(edges straight in lon/lat):

1. invalid grids are made valid (their polygonal parts kept);
2. every grid is clipped to its community (``clip_to_community``);
3. :func:`shapely.coverage_clean` nodes the grids together with a frame
   around the community: overlaps go to one side by the stated rule
   (``resolve_overlap``), gaps narrower than ``gap_width_m`` between grids are
   merged into the neighbour with the longest shared border, vertices closer
   than the snapping distance are snapped, and shared edges become identical;
4. narrow gaps along the community outline (which GEOS may give to the frame)
   go to the grid with the longest shared border (``fill_gap``);
5. no grid leaves with more parts than it came with: a detached piece goes to
   the neighbour with the longest shared border (``move_piece``).

The rules for overlaps (``overlap_rule``), in GEOS's words:

==================  =======================================================
``longest_border``  the grid sharing the longest border with the overlap
``max_area``        the larger grid
``min_area``        the smaller grid
``min_index``       the grid with the lower code
==================  =======================================================

GEOS works on a plane scaled to metres around the community (longitude times
the cosine of the latitude): an affine map, so lon/lat-straight edges stay
straight and ``gap_width_m`` is a width on the ground. Every change is one
row of the report (``action``, ``code``, ``detail``, ``area_m2``); buildings
and patrol zones follow as in :mod:`gridgis.planning.repair`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import shapely

from gridgis.layers import Layers
from gridgis.planning.edges import METRES_PER_DEGREE, EdgeModel, polygonal
from gridgis.planning.repair import PlanEdit

__all__ = ["OVERLAP_RULES", "clean"]

OVERLAP_RULES: dict[str, str] = {
    "longest_border": "与重叠部分公共边最长的网格 (longest shared border)",
    "max_area": "面积较大的网格 (larger grid)",
    "min_area": "面积较小的网格 (smaller grid)",
    "min_index": "编码较小的网格 (lower code)",
}
"""Who keeps an overlap, by rule name."""

FRAME_M = 50.0
"""Width (m) of the frame drawn around a community so GEOS sees its outline."""
DUST_M2 = 0.01
"""Changes below this area (m²) are numerical noise, not reported."""


class _Plane:
    """An affine map from lon/lat to metres around one point (lines stay lines)."""

    def __init__(self, lon: float, lat: float) -> None:
        self.lon, self.lat = lon, lat
        self.kx = METRES_PER_DEGREE * math.cos(math.radians(lat))
        self.ky = METRES_PER_DEGREE

    def forward(self, geoms: Any) -> Any:
        return shapely.transform(geoms, lambda c: np.c_[(c[:, 0] - self.lon) * self.kx,
                                                        (c[:, 1] - self.lat) * self.ky])

    def back(self, geoms: Any) -> Any:
        return shapely.transform(geoms, lambda c: np.c_[c[:, 0] / self.kx + self.lon,
                                                        c[:, 1] / self.ky + self.lat])


def _longest_border(piece: Any, shapes: list[Any], candidates: list[int]) -> int | None:
    """The candidate sharing the longest border with ``piece`` (plane coordinates)."""
    outline = shapely.boundary(piece)
    best, best_length = None, 1e-6
    for i in candidates:
        shape = shapes[i]
        if shape is None or shapely.is_empty(shape) or not shapely.dwithin(shape, piece, 1e-3):
            continue
        length = shapely.length(shapely.intersection(outline, shapely.buffer(shape, 1e-3)))
        if length > best_length:
            best, best_length = i, length
    return best


def _clean_community(edit: PlanEdit, model: EdgeModel, members: list[int], community: Any,
                     gap_width_m: float, rule: str) -> None:
    """Clean the grids ``members`` of one community in place (``edit.shapes``)."""
    code = edit.community[members[0]]
    x, y = shapely.get_coordinates(shapely.centroid(community))[0]
    plane = _Plane(x, y)
    area = plane.forward(community)
    before = {i: plane.forward(edit.shapes[i]) for i in members}
    clipped = {}
    for i in members:
        shape = polygonal(before[i])
        outside = shapely.difference(shape, area)
        if shapely.area(outside) > DUST_M2:
            edit.note("clip_to_community", i, f"裁去社区 {code} 以外部分 (clipped to community)",
                      float(shapely.area(outside)))
            shape = polygonal(shapely.intersection(shape, area))
        clipped[i] = shape
    alive = [i for i in members if not shapely.is_empty(clipped[i])]
    if not alive:
        return
    alive.sort(key=lambda i: edit.codes[i])  # GEOS's index order (min_index): by code
    frame = shapely.difference(shapely.buffer(shapely.envelope(area), FRAME_M, join_style=2),
                               area)
    geoms = np.array([polygonal(frame), *[clipped[i] for i in alive]], dtype=object)
    cleaned = shapely.coverage_clean(geoms, gap_width=gap_width_m, merge_strategy=rule)
    shapes = {i: polygonal(cleaned[k + 1]) for k, i in enumerate(alive)}
    _report_overlaps(edit, alive, clipped, shapes, rule)
    # narrow gaps along the outline, or left by GEOS: to the longest border
    cover = shapely.union_all(list(shapes.values()))
    for gap in shapely.get_parts(polygonal(shapely.difference(area, cover))):
        if shapely.area(gap) <= DUST_M2:
            continue
        radius = shapely.length(shapely.maximum_inscribed_circle(gap, 0.01))
        if 2 * radius > gap_width_m:
            continue
        listed = list(shapes)
        target = _longest_border(gap, [shapes[i] for i in listed], list(range(len(listed))))
        if target is not None:
            shapes[listed[target]] = polygonal(shapely.union(shapes[listed[target]], gap))
    for i in alive:
        gained = shapely.difference(shapes[i], clipped[i])
        if shapely.area(gained) > DUST_M2:
            edit.note("fill_gap", i, f"并入社区 {code} 的缝隙 (gap merged)",
                      float(shapely.area(gained)))
    _one_piece_each(edit, shapes, before)
    for i in alive:
        if not shapely.equals(shapes[i], before[i]):
            edit.shapes[i] = plane.back(shapes[i])
            edit.changed.add(i)


def _report_overlaps(edit: PlanEdit, alive: list[int], clipped: dict[int, Any],
                     shapes: dict[int, Any], rule: str) -> None:
    """One row per overlap resolved: the grid that gave it up, and who kept it."""
    geoms = np.array([clipped[i] for i in alive], dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        if a >= b:
            continue
        i, j = alive[a], alive[b]
        overlap = polygonal(shapely.intersection(clipped[i], clipped[j]))
        size = shapely.area(overlap)
        if size <= DUST_M2:
            continue
        kept_i = shapely.area(shapely.intersection(shapes[i], overlap))
        keeper, loser = (i, j) if kept_i >= size / 2 else (j, i)
        edit.note("resolve_overlap", loser,
                  f"与 {edit.codes[keeper]} 的重叠归 {edit.codes[keeper]}（规则 {rule}）",
                  float(size))


def _one_piece_each(edit: PlanEdit, shapes: dict[int, Any], before: dict[int, Any]) -> None:
    """No grid ends with more parts than it had: detached pieces go to a neighbour."""
    for i in list(shapes):
        had = shapely.get_num_geometries(polygonal(before[i]))
        parts = sorted(shapely.get_parts(shapes[i]), key=shapely.area, reverse=True)
        if len(parts) <= max(had, 1):
            continue
        keep, extra = parts[:max(had, 1)], parts[max(had, 1):]
        shapes[i] = polygonal(shapely.union_all(keep))
        others = [k for k in shapes if k != i]
        for piece in extra:
            listed = [shapes[k] for k in others]
            target = _longest_border(piece, listed, list(range(len(others))))
            if target is None:
                shapes[i] = polygonal(shapely.union(shapes[i], piece))
                continue
            k = others[target]
            shapes[k] = polygonal(shapely.union(shapes[k], piece))
            edit.note("move_piece", k, f"{edit.codes[i]} 分离出的碎块 (detached piece)",
                      float(shapely.area(piece)))


def clean(layers: Layers, *, gap_width_m: float = 2.0,
          overlap_rule: str = "longest_border") -> tuple[Layers, pd.DataFrame]:
    """Make each community's grids an exact coverage of it, every change reported.

    Parameters
    ----------
    layers : Layers
        The plan (left unchanged).
    gap_width_m : float, default 2
        Gaps up to this width (diameter of their largest inscribed circle, m)
        are merged into a neighbouring grid; wider gaps are left for a planner.
    overlap_rule : str, default "longest_border"
        Who keeps an overlap: one of :data:`OVERLAP_RULES`.

    Returns
    -------
    (Layers, pandas.DataFrame)
        The cleaned plan and the changes: ``make_valid``, ``clip_to_community``,
        ``resolve_overlap`` (``code`` the grid that gave up the overlap),
        ``fill_gap``, ``move_piece``, then ``reassign_buildings`` and
        ``reassign_zone``; ``area_m2`` on the plane scaled to metres.

    Raises
    ------
    ValueError
        For an unknown rule or a negative gap width.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> plan, changes = clean(sample_district(scale=0.05))
    >>> changes.empty
    True
    """
    if overlap_rule not in OVERLAP_RULES:
        raise ValueError(f"未知的重叠规则 {overlap_rule!r}，可选 {', '.join(OVERLAP_RULES)} "
                         f"(unknown overlap rule)")
    if gap_width_m < 0:
        raise ValueError(f"缝隙宽度必须 ≥ 0 m，收到 {gap_width_m} (gap width must be ≥ 0)")
    edit = PlanEdit(layers)
    model = EdgeModel.of(layers.communities)
    for i, shape in enumerate(edit.shapes):
        if shape is not None and shapely.is_valid(shape):
            continue
        if shape is None:
            continue
        fixed = polygonal(shapely.make_valid(shape))
        if shapely.is_empty(fixed):
            continue
        edit.note("make_valid", i, f"几何无效已修正 ({shapely.is_valid_reason(shape)})",
                  float(model.area_m2([fixed])[0]))
        edit.shapes[i] = fixed
        edit.changed.add(i)
    by_community: dict[str, list[int]] = {}
    for i, code in enumerate(edit.community):
        shape = edit.shapes[i]
        if shape is not None and shapely.is_valid(shape) and not shapely.is_empty(shape):
            by_community.setdefault(code, []).append(i)
    for code, members in by_community.items():
        community = edit.community_shapes.get(code)
        if community is None or shapely.is_empty(community):
            continue
        _clean_community(edit, model, members, community, gap_width_m, overlap_rule)
    return edit.result()
