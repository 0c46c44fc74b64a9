"""Mechanical repairs of a grid plan, each opt-in and reported.

- :func:`make_valid` turns invalid grid polygons into valid ones (shapely's
  ``make_valid``, keeping the polygonal parts);
- :func:`snap_to_community` snaps grid edges lying within a tolerance of their
  community's boundary onto it: overhangs beyond the boundary are clipped and
  the thin strips left between grids and the boundary are filled;
- :func:`fill_gaps_and_slivers` gives each gap inside a community, and each
  sliver part of a grid, to the neighbouring grid of the same community with
  the longest shared edge (a grid that is nothing but slivers is dissolved);
- :func:`repair` chains the chosen ones.

Each returns ``(new_plan, report)``; the report has one row per change:
``action``, ``code`` (the grid that changed), ``detail`` and ``area_m2``
(measured on the local Gauss-Krüger plane). The input plan is never changed.
Buildings of the grids that changed are located again (their ``grid_code``
follows the new shapes) and the changed grids' households and population are
recounted from their buildings; patrol zones of a dissolved grid go to the grid
that took its place. Incidents keep the grid code of their day.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.crs import local_crs
from gridgis.layers import Layers

__all__ = [
    "REPORT_COLUMNS",
    "PlanEdit",
    "fill_gaps_and_slivers",
    "make_valid",
    "repair",
    "snap_to_community",
]

REPORT_COLUMNS: list[str] = ["action", "code", "detail", "area_m2"]
"""Columns of every repair report."""

DEGENERATE_DEG2 = 1e-12
"""Pieces below this area in square degrees (about 0.01 m²) are numerical dust."""
TOUCH_DEG = 1e-7
"""Edges closer than this (about 1 cm) count as shared."""


def _polygonal(geom: Any) -> Any:
    """The polygonal parts of a geometry (make_valid and overlays add lines and points)."""
    if geom is None:
        return shapely.Polygon()
    parts = [p for p in shapely.get_parts(geom)
             if p.geom_type in ("Polygon", "MultiPolygon") and p.area > DEGENERATE_DEG2]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _pieces(geom: Any) -> list[Any]:
    """The polygons of a geometry above numerical dust."""
    return [p for p in shapely.get_parts(_polygonal(geom)) if not shapely.is_empty(p)]


@dataclass
class PlanEdit:
    """A plan being repaired: grid shapes by position, measured in metres."""

    layers: Layers
    shapes: list[Any] = field(init=False)
    removed: dict[int, int] = field(default_factory=dict)   # dissolved grid -> receiver
    changed: set[int] = field(default_factory=set)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.crs = local_crs(self.layers.communities)
        self.grids = self.layers.grids.to_crs(4326)
        self.shapes = list(self.grids.geometry)
        self.codes = self.grids["code"].astype(str).to_list()
        self.community = self.grids["community_code"].astype(str).to_list()
        communities = self.layers.communities.to_crs(4326).drop_duplicates("code")
        self.community_shapes = dict(zip(communities["code"].astype(str),
                                         communities.geometry.map(_polygonal), strict=True))

    def metric(self, geom: Any) -> Any:
        """The shape projected to the plan's Gauss-Krüger zone (metres)."""
        return gpd.GeoSeries([geom], crs=4326).to_crs(self.crs).iloc[0]

    def area(self, geom: Any) -> float:
        """Area in square metres (0 for an empty or degenerate shape)."""
        if geom is None or shapely.area(geom) <= DEGENERATE_DEG2:
            return 0.0
        return float(shapely.area(self.metric(geom)))

    def length(self, geom: Any) -> float:
        """Length in metres."""
        return 0.0 if shapely.is_empty(geom) else float(shapely.length(self.metric(geom)))

    def width(self, geom: Any) -> float:
        """Mean width 2·area/perimeter in metres."""
        projected = self.metric(geom)
        perimeter = shapely.length(projected)
        return 2.0 * shapely.area(projected) / perimeter if perimeter else 0.0

    def note(self, action: str, i: int, detail: str, area_m2: float) -> None:
        """Add one change to the report."""
        self.rows.append({"action": action, "code": self.codes[i], "detail": detail,
                          "area_m2": float(area_m2)})

    def members(self, community: str, *, but: int | None = None) -> list[int]:
        """Positions of the live grids of a community, ``but`` one."""
        return [i for i, c in enumerate(self.community)
                if c == community and i != but and i not in self.removed]

    def give(self, piece: Any, community: str, *, but: int | None = None) -> int | None:
        """Add ``piece`` to the grid of ``community`` sharing the longest edge with it."""
        outline = shapely.boundary(piece)
        best, best_length = None, 0.0
        for i in self.members(community, but=but):
            shape = self.shapes[i]
            if not shapely.dwithin(shape, piece, TOUCH_DEG):
                continue
            shared = shapely.intersection(outline, shapely.buffer(shape, TOUCH_DEG))
            length = self.length(shared)
            if length > best_length:
                best, best_length = i, length
        if best is not None:
            self.shapes[best] = _polygonal(shapely.union(self.shapes[best], piece))
            self.changed.add(best)
        return best

    def result(self) -> tuple[Layers, pd.DataFrame]:
        """The repaired layers and the report of every change."""
        keep = [i for i in range(len(self.shapes)) if i not in self.removed]
        grids = self.grids.set_geometry(gpd.GeoSeries(self.shapes, index=self.grids.index,
                                                      crs=4326))
        grids = grids.iloc[keep].to_crs(self.layers.grids.crs)
        layers = replace(self.layers, grids=grids)
        layers = self._relocate_buildings(layers)
        layers = self._move_zones(layers)
        return layers, _report(self.rows)

    def _relocate_buildings(self, layers: Layers) -> Layers:
        """Locate the buildings of the communities that changed again; recount their grids."""
        buildings = layers.buildings
        touched = {self.codes[i] for i in self.changed | set(self.removed)}
        if buildings is None or not touched:
            return layers
        communities = {self.community[i] for i in self.changed | set(self.removed)}
        community_of = dict(zip(self.codes, self.community, strict=True))
        grids = layers.grids.copy()
        buildings = buildings.copy()
        mine = buildings["grid_code"].map(community_of).isin(communities).to_numpy()
        points = gpd.GeoDataFrame(geometry=buildings.geometry[mine].representative_point(),
                                  crs=buildings.crs).to_crs(4326)
        targets = grids[grids["community_code"].isin(communities)].to_crs(4326)
        hit = gpd.sjoin(points.reset_index(drop=True), targets[["code", "geometry"]],
                        predicate="intersects", how="left")
        hit = hit[~hit.index.duplicated()].sort_index()["code"].to_numpy(dtype=object)
        old = buildings.loc[mine, "grid_code"].to_numpy(dtype=object)
        gone = {self.codes[i]: self.codes[j] for i, j in self.removed.items()}
        fallback = np.array([gone.get(c, c) for c in old], dtype=object)
        new = np.where(pd.isna(hit), fallback, hit)
        buildings.loc[mine, "grid_code"] = new
        moved = pd.DataFrame({"old": old, "new": new,
                              "households": buildings.loc[mine, "households"].to_numpy()})
        moved = moved[moved["old"] != moved["new"]]
        for (was, now), group in moved.groupby(["old", "new"]):
            self.rows.append({"action": "reassign_buildings", "code": now,
                              "detail": f"{len(group)} building(s), "
                                        f"{int(group['households'].sum())} households, "
                                        f"from {was}", "area_m2": float("nan")})
        sums = buildings.groupby("grid_code")[["households", "population"]].sum()
        involved = touched | set(moved["old"]) | set(moved["new"])
        recount = grids["code"].isin(involved).to_numpy()
        for column in ("households", "population"):
            fresh = sums[column].reindex(grids.loc[recount, "code"]).fillna(0).to_numpy()
            grids.loc[recount, column] = fresh.astype(grids[column].dtype)
        return replace(layers, grids=grids, buildings=buildings)

    def _move_zones(self, layers: Layers) -> Layers:
        """Give the patrol zones of dissolved grids to the grid that took their place."""
        zones = layers.patrol_zones
        if zones is None or not self.removed:
            return layers
        gone = {self.codes[i]: self.codes[j] for i, j in self.removed.items()}
        orphans = zones["grid_code"].isin(gone).to_numpy()
        if not orphans.any():
            return layers
        zones = zones.copy()
        for zid, was in zip(zones.loc[orphans, "zone_id"], zones.loc[orphans, "grid_code"],
                            strict=True):
            self.rows.append({"action": "reassign_zone", "code": gone[was],
                              "detail": f"patrol zone {zid} from {was}",
                              "area_m2": float("nan")})
        zones.loc[orphans, "grid_code"] = zones.loc[orphans, "grid_code"].map(gone)
        return replace(layers, patrol_zones=zones)


def _report(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=REPORT_COLUMNS).astype({"area_m2": float})


def make_valid(layers: Layers) -> tuple[Layers, pd.DataFrame]:
    """Make invalid grid polygons valid, keeping their polygonal parts.

    Parameters
    ----------
    layers : Layers
        The plan (left unchanged).

    Returns
    -------
    (Layers, pandas.DataFrame)
        The repaired plan and one report row (``make_valid``) per grid
        repaired, its ``detail`` shapely's reason. Grids with nothing
        polygonal to keep are left as they are.
    """
    edit = PlanEdit(layers)
    for i, shape in enumerate(edit.shapes):
        if shape is not None and shapely.is_valid(shape):
            continue
        reason = "missing geometry" if shape is None else str(shapely.is_valid_reason(shape))
        fixed = _polygonal(shapely.make_valid(shape)) if shape is not None else None
        if fixed is None or shapely.is_empty(fixed):
            continue
        edit.shapes[i] = fixed
        edit.changed.add(i)
        edit.note("make_valid", i, reason, edit.area(fixed))
    return edit.result()


def _within(edit: PlanEdit, piece: Any, line: Any, tolerance_m: float) -> bool:
    """Whether every point of ``piece`` lies within ``tolerance_m`` of ``line``."""
    near = shapely.buffer(edit.metric(line), tolerance_m + 0.01)
    metric = edit.metric(piece)
    try:
        beyond = shapely.difference(metric, near)
    except shapely.errors.GEOSException:
        # A thin strip projected to metres can come out self-touching; on a millimetre
        # grid it is valid again, and a millimetre does not change the answer.
        beyond = shapely.difference(shapely.make_valid(metric), near, grid_size=0.001)
    return shapely.area(beyond) < 0.01


def snap_to_community(layers: Layers, tolerance_m: float = 1.0) -> tuple[Layers, pd.DataFrame]:
    """Snap grid edges within ``tolerance_m`` of the community boundary onto it.

    Parts of a grid beyond its community's boundary that lie wholly within
    ``tolerance_m`` of it are clipped (``clip_to_community``); strips inside
    the community that no grid covers and that lie wholly within
    ``tolerance_m`` of the boundary go to the grid with the longest shared
    edge (``snap_strip``). Larger overhangs and gaps are left for a planner
    (or :func:`fill_gaps_and_slivers`).

    Parameters
    ----------
    layers : Layers
        The plan (left unchanged).
    tolerance_m : float, default 1
        How far (m) a grid edge may lie from the community boundary and still
        be snapped onto it.

    Returns
    -------
    (Layers, pandas.DataFrame)
    """
    edit = PlanEdit(layers)
    for i, shape in enumerate(edit.shapes):
        community = edit.community_shapes.get(edit.community[i])
        if community is None or shape is None or not shapely.is_valid(shape):
            continue
        for part in _pieces(shapely.difference(shape, community)):
            if not _within(edit, part, shapely.boundary(community), tolerance_m):
                continue
            clipped = _polygonal(shapely.difference(edit.shapes[i], part))
            if shapely.is_empty(clipped):
                continue
            edit.shapes[i] = clipped
            edit.changed.add(i)
            edit.note("clip_to_community", i,
                      f"overhang beyond community {edit.community[i]}", edit.area(part))
    for code, community in edit.community_shapes.items():
        members = edit.members(code)
        covered = shapely.union_all([edit.shapes[i] for i in members
                                     if shapely.is_valid(edit.shapes[i])])
        for strip in _pieces(shapely.difference(community, covered)):
            if not _within(edit, strip, shapely.boundary(community), tolerance_m):
                continue
            target = edit.give(strip, code)
            if target is not None:
                edit.note("snap_strip", target, f"strip along the boundary of {code}",
                          edit.area(strip))
    return edit.result()


def _is_sliver(edit: PlanEdit, part: Any, width_m: float, area_m2: float) -> bool:
    return edit.area(part) < area_m2 or edit.width(part) < width_m


def fill_gaps_and_slivers(layers: Layers, *, sliver_width_m: float = 5.0,
                          sliver_area_m2: float = 50.0,
                          max_gap_m2: float | None = None) -> tuple[Layers, pd.DataFrame]:
    """Give gaps and slivers to the neighbour in the community with the longest shared edge.

    Slivers are grid parts thinner (mean width 2·area/perimeter) than
    ``sliver_width_m`` or smaller than ``sliver_area_m2`` — the thresholds of
    :func:`gridgis.planning.validate.validate`. A sliver part of a grid moves to
    its neighbour (``move_sliver``); a grid made only of slivers is dissolved
    into its neighbours (``dissolve_sliver_grid``), its buildings and patrol
    zones following. Each gap of a community (``fill_gap``) goes to the grid of
    the community sharing the longest edge with it.

    Parameters
    ----------
    layers : Layers
        The plan (left unchanged).
    sliver_width_m, sliver_area_m2 : float, default 5 and 50
        What counts as a sliver.
    max_gap_m2 : float, optional
        Fill only gaps up to this area; default every gap.

    Returns
    -------
    (Layers, pandas.DataFrame)
    """
    edit = PlanEdit(layers)
    for i, shape in enumerate(edit.shapes):
        if shape is None or not shapely.is_valid(shape):
            continue
        parts = sorted(_pieces(shape), key=shapely.area, reverse=True)
        slivers = [p for p in parts if _is_sliver(edit, p, sliver_width_m, sliver_area_m2)]
        whole = len(slivers) == len(parts)
        receiver = None
        for part in slivers:
            target = edit.give(part, edit.community[i], but=i)
            if target is None:
                continue
            receiver = target if receiver is None else receiver
            edit.shapes[i] = _polygonal(shapely.difference(edit.shapes[i], part))
            edit.changed.add(i)
            if whole:
                edit.note("dissolve_sliver_grid", target, f"sliver grid {edit.codes[i]}",
                          edit.area(part))
            else:
                edit.note("move_sliver", target, f"sliver of {edit.codes[i]}",
                          edit.area(part))
        if whole and receiver is not None and shapely.is_empty(edit.shapes[i]):
            edit.removed[i] = receiver
    for code, community in edit.community_shapes.items():
        covered = shapely.union_all([edit.shapes[i] for i in edit.members(code)
                                     if shapely.is_valid(edit.shapes[i])])
        for gap in _pieces(shapely.difference(community, covered)):
            area = edit.area(gap)
            if max_gap_m2 is not None and area > max_gap_m2:
                continue
            target = edit.give(gap, code)
            if target is not None:
                edit.note("fill_gap", target, f"gap in community {code}", area)
    return edit.result()


def repair(layers: Layers, *, make_valid: bool = False, snap_m: float | None = None,
           fill_gaps: bool = False, sliver_width_m: float = 5.0,
           sliver_area_m2: float = 50.0) -> tuple[Layers, pd.DataFrame]:
    """Chain the chosen repairs: make valid, then snap, then fill gaps and slivers.

    Parameters
    ----------
    layers : Layers
        The plan (left unchanged).
    make_valid : bool, default False
        Run :func:`make_valid`.
    snap_m : float, optional
        Run :func:`snap_to_community` with this tolerance in metres.
    fill_gaps : bool, default False
        Run :func:`fill_gaps_and_slivers`.
    sliver_width_m, sliver_area_m2 : float, default 5 and 50
        What :func:`fill_gaps_and_slivers` counts as a sliver.

    Returns
    -------
    (Layers, pandas.DataFrame)
        The new plan and every change made, in order.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> plan, changes = repair(sample_district(scale=0.05), make_valid=True, fill_gaps=True)
    >>> changes.empty
    True
    """
    reports = []
    if make_valid:
        layers, done = _STEPS["make_valid"](layers)
        reports.append(done)
    if snap_m is not None:
        layers, done = _STEPS["snap"](layers, snap_m)
        reports.append(done)
    if fill_gaps:
        layers, done = _STEPS["fill"](layers, sliver_width_m=sliver_width_m,
                                      sliver_area_m2=sliver_area_m2)
        reports.append(done)
    report = pd.concat(reports, ignore_index=True) if reports else _report([])
    return layers, report


_STEPS = {"make_valid": make_valid, "snap": snap_to_community, "fill": fill_gaps_and_slivers}
