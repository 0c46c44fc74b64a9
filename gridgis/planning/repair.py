"""Mechanical repairs of a grid plan, each opt-in and reported.

- :func:`make_valid` turns invalid grid polygons into valid ones (shapely's
  ``make_valid``, keeping the polygonal parts);
- :func:`snap_to_community` clips each grid to its community and fills the
  strips thinner than a tolerance between grids and the community boundary;
- :func:`fill_gaps` gives each gap inside a community, and each detached sliver
  part of a grid, to the neighbouring grid of the community with the longest
  shared edge.

Each returns ``(new_plan, report)`` where the report has one row per change:
``action``, ``code`` (the grid that changed), ``detail`` and ``area_m2``. The
input is never changed; buildings of the grids that changed are located
again and the grids' households and population recounted.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from gridgis.crs import local_crs
from gridgis.layers import Layers

__all__ = ["fill_gaps", "make_valid", "repair", "snap_to_community"]

REPORT_COLUMNS = ["action", "code", "detail", "area_m2"]


def _polygonal(geom: Any) -> Any:
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


class _Metric:
    """Measure lon/lat geometries in the district's Gauss-Krüger zone."""

    def __init__(self, layers: Layers) -> None:
        self.crs = local_crs(layers.communities)

    def area(self, geom: Any) -> float:
        if shapely.area(geom) <= 1e-12:
            return 0.0
        return float(gpd.GeoSeries([geom], crs=4326).to_crs(self.crs).area.iloc[0])

    def length(self, geom: Any) -> float:
        if shapely.is_empty(geom):
            return 0.0
        return float(gpd.GeoSeries([geom], crs=4326).to_crs(self.crs).length.iloc[0])

    def width(self, geom: Any) -> float:
        projected = gpd.GeoSeries([geom], crs=4326).to_crs(self.crs).iloc[0]
        perimeter = projected.length
        return 2.0 * projected.area / perimeter if perimeter else 0.0


def _recount(layers: Layers, grids: gpd.GeoDataFrame, changed: set[str]) -> Layers:
    """Locate the buildings of changed grids again and recount their households."""
    buildings = layers.buildings
    if buildings is None or not changed:
        return replace(layers, grids=grids)
    buildings = buildings.copy()
    mine = buildings["grid_code"].isin(changed)
    community = grids[grids["community_code"].isin({c[:12] for c in changed})]
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=buildings.loc[mine].geometry.representative_point(),
                                     crs=buildings.crs),
                    community[["code", community.geometry.name]], predicate="intersects",
                    how="left")
    hit = hit[~hit.index.duplicated()]["code"].reindex(buildings.index[mine])
    buildings.loc[mine, "grid_code"] = hit.fillna(buildings.loc[mine, "grid_code"]).to_numpy()
    sums = buildings.groupby("grid_code")[["households", "population"]].sum()
    grids = grids.copy()
    for column in ("households", "population"):
        fresh = sums[column].reindex(grids.index)
        grids[column] = fresh.fillna(grids[column]).astype(int)
    return replace(layers, grids=grids, buildings=buildings)


def _report(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def make_valid(layers: Layers) -> tuple[Layers, pd.DataFrame]:
    """Make invalid grid polygons valid, keeping their polygonal parts.

    Parameters
    ----------
    layers : Layers

    Returns
    -------
    (Layers, pandas.DataFrame)
        The repaired plan and one report row per grid repaired.
    """
    grids = layers.grids.copy()
    metric = _Metric(layers)
    rows = []
    invalid = ~shapely.is_valid(grids.geometry.to_numpy())
    for code in grids.index[invalid]:
        before = grids.loc[code, "geometry"]
        reason = shapely.is_valid_reason(before)
        grids.loc[code, "geometry"] = _polygonal(shapely.make_valid(before))
        rows.append({"action": "make_valid", "code": code, "detail": reason,
                     "area_m2": metric.area(grids.loc[code, "geometry"])})
    return _recount(layers, grids, {r["code"] for r in rows}), _report(rows)


def _give_away(grids: gpd.GeoDataFrame, piece: Any, community: str, metric: _Metric,
               exclude: str | None = None) -> str | None:
    """Add ``piece`` to the grid of ``community`` sharing the longest edge with it."""
    mine = grids[(grids["community_code"] == community) & (grids.index != exclude)]
    best, best_length = None, 0.0
    for code, geom in zip(mine.index, mine.geometry, strict=True):
        if not shapely.intersects(geom, piece):
            continue
        shared = metric.length(shapely.intersection(shapely.boundary(geom),
                                                    shapely.boundary(piece)))
        if shared > best_length:
            best, best_length = code, shared
    if best is not None:
        grids.loc[best, "geometry"] = _polygonal(shapely.union(grids.loc[best, "geometry"],
                                                               piece))
    return best


def fill_gaps(layers: Layers, *, sliver_width_m: float = 5.0, sliver_area_m2: float = 50.0,
              max_width_m: float | None = None) -> tuple[Layers, pd.DataFrame]:
    """Give gaps and detached sliver parts to the neighbour with the longest shared edge.

    Parameters
    ----------
    layers : Layers
    sliver_width_m, sliver_area_m2 : float
        A detached part of a multipart grid thinner or smaller than these is a
        sliver and moves to its neighbour.
    max_width_m : float, optional
        Fill only gaps thinner than this (mean width 2·area/perimeter); default
        every gap.

    Returns
    -------
    (Layers, pandas.DataFrame)
    """
    grids = layers.grids.copy()
    metric = _Metric(layers)
    rows = []
    for code in list(grids.index):
        parts = list(shapely.get_parts(grids.loc[code, "geometry"]))
        if len(parts) < 2:
            continue
        parts.sort(key=shapely.area, reverse=True)
        for part in parts[1:]:
            if metric.width(part) < sliver_width_m or metric.area(part) < sliver_area_m2:
                grids.loc[code, "geometry"] = shapely.difference(grids.loc[code, "geometry"],
                                                                 part)
                target = _give_away(grids, part, code[:12], metric, exclude=code)
                if target is None:  # nowhere to go: keep it
                    grids.loc[code, "geometry"] = shapely.union(grids.loc[code, "geometry"],
                                                                part)
                    continue
                rows.append({"action": "move_sliver", "code": target,
                             "detail": f"sliver of {code}", "area_m2": metric.area(part)})
    for community in layers.communities.itertuples():
        mine = grids[grids["community_code"] == community.code]
        covered = shapely.union_all(mine.geometry.to_numpy())
        for gap in shapely.get_parts(_polygonal(shapely.difference(community.geometry,
                                                                   covered))):
            area = metric.area(gap)
            if area <= 0 or (max_width_m is not None and metric.width(gap) >= max_width_m):
                continue
            target = _give_away(grids, gap, community.code, metric)
            if target is not None:
                rows.append({"action": "fill_gap", "code": target,
                             "detail": f"gap in community {community.code}", "area_m2": area})
    return _recount(layers, grids, {r["code"] for r in rows}), _report(rows)


def snap_to_community(layers: Layers, tolerance_m: float = 1.0) -> tuple[Layers, pd.DataFrame]:
    """Clip grids to their community and close strips thinner than ``tolerance_m``.

    Parameters
    ----------
    layers : Layers
    tolerance_m : float, default 1
        Gaps between grids and the community boundary thinner than this (mean
        width) are filled by the neighbouring grid.

    Returns
    -------
    (Layers, pandas.DataFrame)
    """
    grids = layers.grids.copy()
    metric = _Metric(layers)
    shapes = layers.communities.set_index("code").geometry
    rows = []
    for code in grids.index:
        community = grids.loc[code, "community_code"]
        if community not in shapes.index:
            continue
        geom = grids.loc[code, "geometry"]
        clipped = _polygonal(shapely.intersection(geom, shapes.loc[community]))
        removed = metric.area(shapely.difference(geom, clipped))
        if removed > 0:
            grids.loc[code, "geometry"] = clipped
            rows.append({"action": "clip_to_community", "code": code,
                         "detail": f"overhang beyond community {community}",
                         "area_m2": removed})
    clipped_layers = replace(layers, grids=grids)
    filled, report = fill_gaps(clipped_layers, max_width_m=tolerance_m)
    report = pd.concat([_report(rows), report.assign(action="snap_strip")], ignore_index=True)
    changed = {r["code"] for r in rows}
    return _recount(filled, filled.grids, changed), report


def repair(layers: Layers, *, valid: bool = False, snap_m: float | None = None,
           gaps: bool = False) -> tuple[Layers, pd.DataFrame]:
    """Chain the chosen repairs: make valid, then snap, then fill gaps.

    Parameters
    ----------
    layers : Layers
    valid : bool, default False
        Run :func:`make_valid`.
    snap_m : float, optional
        Run :func:`snap_to_community` with this tolerance.
    gaps : bool, default False
        Run :func:`fill_gaps`.

    Returns
    -------
    (Layers, pandas.DataFrame)
        The new plan and every change made.
    """
    reports = []
    if valid:
        layers, done = make_valid(layers)
        reports.append(done)
    if snap_m is not None:
        layers, done = snap_to_community(layers, snap_m)
        reports.append(done)
    if gaps:
        layers, done = fill_gaps(layers)
        reports.append(done)
    report = pd.concat(reports, ignore_index=True) if reports else _report([])
    return layers, report.astype({"area_m2": float})

