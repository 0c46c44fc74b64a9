"""Validate a grid plan: the unified grid's promise, codes, households and workers.

Inside each community the grids must leave no gap and must not overlap, must
stay inside the community, carry well-formed codes that follow the hierarchy,
hold a workable number of households and have a grid worker. Each rule below
yields findings with a severity, the codes involved, a measure in metres (on
the local CGCS2000 Gauss-Krüger plane) and a geometry showing where.

=====================  ========  ==============================================
rule                   severity  finds
=====================  ========  ==============================================
invalid_geometry       error     grids that are not valid polygons (with the reason)
overlap                error     two grids sharing more than ``overlap_tolerance_m2``
gap                    error     parts of a community no grid covers
outside_community      error     grid area outside its own community
sliver                 warning   grid parts thinner than ``sliver_width_m`` or
                                 smaller than ``sliver_area_m2``
multipart              error     grids of several parts (unless allowed)
duplicate_code         error     a grid code used twice
malformed_code         error     a code that is not a 15-digit grid code
code_hierarchy         error     grid code not under its community, unknown
                                 community, community not under its township
households_range       warning   households outside the range of the community kind
no_worker              error     grids with no grid worker
zone_outside_district  warning   patrol zones reaching beyond the communities
zone_unknown_grid      error     patrol zones pointing to a grid the plan lacks
=====================  ========  ==============================================
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.codes import check_codes, check_hierarchy
from gridgis.crs import local_crs
from gridgis.layers import Layers
from gridgis.planning.findings import ValidationReport, findings_frame

__all__ = ["RULES", "ValidationSettings", "validate"]

Row = dict[str, Any]
DEGENERATE_DEG2 = 1e-12
"""Below this area in square degrees (about 0.01 m²) a part is a numerical spike."""


@dataclass(frozen=True)
class ValidationSettings:
    """Thresholds of the rules (areas in m², lengths in m, on the Gauss-Krüger plane).

    Parameters
    ----------
    households : (int, int), default (300, 500)
        Households per grid in urban communities.
    rural_households : (int, int) or None, default (100, 1500)
        Households per grid in rural villages (their grids follow natural
        villages and vary more); ``None`` skips the check.
    overlap_tolerance_m2, gap_tolerance_m2, outside_tolerance_m2 : float, default 1
        Areas below these are digitizing noise, not findings.
    sliver_width_m : float, default 5
        A part whose mean width (2·area/perimeter) is below this is a sliver.
    sliver_area_m2 : float, default 50
        A part smaller than this is a sliver.
    allow_multipart : bool, default False
        Whether a grid may consist of several separate parts.
    """

    households: tuple[int, int] = (300, 500)
    rural_households: tuple[int, int] | None = (100, 1500)
    overlap_tolerance_m2: float = 1.0
    gap_tolerance_m2: float = 1.0
    outside_tolerance_m2: float = 1.0
    sliver_width_m: float = 5.0
    sliver_area_m2: float = 50.0
    allow_multipart: bool = False


@dataclass
class _Plan:
    """The layers projected once, with the settings."""

    grids: gpd.GeoDataFrame          # lon/lat; valid geometry in "fixed", metres in "metric"
    communities: gpd.GeoDataFrame    # lon/lat, made valid
    zones: gpd.GeoDataFrame | None   # lon/lat
    settings: ValidationSettings
    crs: Any                         # the local Gauss-Krüger CRS measures are taken in

    def area_m2(self, geoms: Any) -> np.ndarray:
        """Areas in m² of lon/lat geometries.

        Topology is computed in the stored coordinates, where shared vertices
        are exact; only the measures are projected.
        """
        geoms = np.asarray(geoms, dtype=object)
        area = np.zeros(len(geoms))
        # parts without area in lon/lat (zero-width spikes) would gain a false
        # area once projection bends their straight edges
        some = shapely.area(geoms) > DEGENERATE_DEG2
        if some.any():
            projected = gpd.GeoSeries(geoms[some], crs=4326).to_crs(self.crs)
            area[some] = shapely.area(projected.to_numpy())
        return area


def _finding(rule: str, severity: str, codes: Any, message: str, measure: float,
             unit: str, geometry: Any) -> Row:
    text = ",".join(str(c) for c in codes) if isinstance(codes, list | tuple) else str(codes)
    return {"rule": rule, "severity": severity, "codes": text, "message": message,
            "measure": float(measure), "unit": unit, "geometry": geometry}


def _polygons(geom: Any) -> Any:
    """Keep the polygonal parts of a geometry (make_valid may add lines and points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _invalid_geometry(plan: _Plan) -> Iterator[Row]:
    raw = plan.grids["raw"].to_numpy()
    valid = shapely.is_valid(raw)
    for i in np.flatnonzero(~valid):
        reason = shapely.is_valid_reason(raw[i])
        where = shapely.point_on_surface(plan.grids["fixed"].iat[i])
        yield _finding("invalid_geometry", "error", plan.grids["code"].iat[i],
                       f"invalid polygon: {reason}",
                       plan.area_m2([plan.grids["fixed"].iat[i]])[0], "m2", where)


def _overlap(plan: _Plan) -> Iterator[Row]:
    geoms = plan.grids["fixed"].to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.intersection(geoms[left], geoms[right])
    area = plan.area_m2(shared)
    codes = plan.grids["code"].to_numpy()
    for i in np.flatnonzero(area > plan.settings.overlap_tolerance_m2):
        a, b = codes[left[i]], codes[right[i]]
        yield _finding("overlap", "error", [a, b],
                       f"grids {a} and {b} overlap by {area[i]:,.0f} m²", area[i], "m2",
                       _polygons(shared[i]))


def _gap(plan: _Plan) -> Iterator[Row]:
    grids = plan.grids
    for community in plan.communities.itertuples():
        mine = grids.loc[grids["community_code"] == community.code, "fixed"].to_numpy()
        covered = shapely.union_all(mine) if len(mine) else shapely.Polygon()
        holes = shapely.get_parts(_polygons(shapely.difference(community.geometry, covered)))
        for part, area in zip(holes, plan.area_m2(holes), strict=True):
            if area > plan.settings.gap_tolerance_m2:
                yield _finding("gap", "error", community.code,
                               f"{area:,.0f} m² of community {community.code} lies in no grid",
                               area, "m2", part)


def _outside_community(plan: _Plan) -> Iterator[Row]:
    shapes = plan.communities.set_index("code").geometry
    grids = plan.grids[plan.grids["community_code"].isin(shapes.index)]
    if grids.empty:
        return
    outside = shapely.difference(grids["fixed"].to_numpy(),
                                 shapes.loc[grids["community_code"]].to_numpy())
    area = plan.area_m2(outside)
    for i in np.flatnonzero(area > plan.settings.outside_tolerance_m2):
        code = grids["code"].iat[i]
        yield _finding("outside_community", "error", code,
                       f"{area[i]:,.0f} m² of grid {code} lies outside community "
                       f"{grids['community_code'].iat[i]}", area[i], "m2",
                       _polygons(outside[i]))


def _sliver(plan: _Plan) -> Iterator[Row]:
    s = plan.settings
    for code, geom in zip(plan.grids["code"], plan.grids["metric"], strict=True):
        for part in shapely.get_parts(geom):
            area, perimeter = shapely.area(part), shapely.length(part)
            width = 2.0 * area / perimeter if perimeter else 0.0
            if width < s.sliver_width_m or area < s.sliver_area_m2:
                where = gpd.GeoSeries([part], crs=plan.crs).to_crs(4326).iloc[0]
                yield _finding("sliver", "warning", code,
                               f"a part of grid {code} is {width:,.1f} m wide and "
                               f"{area:,.0f} m² large", width, "m", where)


def _multipart(plan: _Plan) -> Iterator[Row]:
    if plan.settings.allow_multipart:
        return
    parts = shapely.get_num_geometries(plan.grids["fixed"].to_numpy())
    for i in np.flatnonzero(parts > 1):
        code = plan.grids["code"].iat[i]
        yield _finding("multipart", "error", code,
                       f"grid {code} consists of {parts[i]} separate parts", parts[i], "parts",
                       plan.grids["fixed"].iat[i])


def _codes(plan: _Plan) -> Iterator[Row]:
    grids, communities = plan.grids, plan.communities
    where = grids["fixed"].map(shapely.point_on_surface)
    codes = grids["code"].astype(object)
    for i in np.flatnonzero(codes.duplicated(keep=False).to_numpy()):
        yield _finding("duplicate_code", "error", codes.iat[i],
                       f"grid code {codes.iat[i]} is used by more than one grid", 1, "grids",
                       where.iat[i])
    well_formed = check_codes(codes, level="grid").to_numpy()
    for i in np.flatnonzero(~well_formed):
        yield _finding("malformed_code", "error", codes.iat[i],
                       f"{codes.iat[i]!r} is not a 15-digit grid code", 1, "grids",
                       where.iat[i])
    under = check_hierarchy(codes, grids["community_code"].astype(object)).to_numpy()
    known = grids["community_code"].isin(communities["code"]).to_numpy()
    for i in np.flatnonzero(well_formed & (~under | ~known)):
        parent = grids["community_code"].iat[i]
        why = (f"grid {codes.iat[i]} is not numbered under its community {parent}"
               if not under[i] else f"community {parent} of grid {codes.iat[i]} does not exist")
        yield _finding("code_hierarchy", "error", [codes.iat[i], parent], why, 1, "grids",
                       where.iat[i])
    c_under = check_hierarchy(communities["code"].astype(object),
                              communities["township_code"].astype(object)).to_numpy()
    for i in np.flatnonzero(~c_under):
        code, town = communities["code"].iat[i], communities["township_code"].iat[i]
        yield _finding("code_hierarchy", "error", [code, town],
                       f"community {code} is not numbered under its township {town}", 1,
                       "communities", shapely.point_on_surface(communities.geometry.iat[i]))


def _households_range(plan: _Plan) -> Iterator[Row]:
    kind = plan.communities.set_index("code")["kind"]
    grids = plan.grids
    kinds = grids["community_code"].map(kind).fillna("urban")
    for i, (code, households, k) in enumerate(zip(grids["code"], grids["households"], kinds,
                                                  strict=True)):
        bounds = plan.settings.households if k == "urban" else plan.settings.rural_households
        if bounds is None or bounds[0] <= households <= bounds[1]:
            continue
        side = "fewer" if households < bounds[0] else "more"
        yield _finding("households_range", "warning", code,
                       f"grid {code} has {households:,} households, {side} than the "
                       f"{k} range {bounds[0]}–{bounds[1]}", households, "households",
                       shapely.point_on_surface(grids["fixed"].iat[i]))


def _no_worker(plan: _Plan) -> Iterator[Row]:
    workers = pd.to_numeric(plan.grids["workers"], errors="coerce").fillna(0).to_numpy()
    for i in np.flatnonzero(workers <= 0):
        code = plan.grids["code"].iat[i]
        yield _finding("no_worker", "error", code, f"grid {code} has no grid worker", 0,
                       "workers", shapely.point_on_surface(plan.grids["fixed"].iat[i]))


def _zones(plan: _Plan) -> Iterator[Row]:
    zones = plan.zones
    if zones is None or zones.empty:
        return
    district = shapely.union_all(plan.communities.geometry.to_numpy())
    fixed = shapely.make_valid(zones.geometry.to_numpy())
    outside = shapely.difference(fixed, district)
    area = plan.area_m2(outside)
    for i in np.flatnonzero(area > plan.settings.outside_tolerance_m2):
        zid = zones["zone_id"].iat[i]
        yield _finding("zone_outside_district", "warning", zid,
                       f"{area[i]:,.0f} m² of patrol zone {zid} lies outside the district",
                       area[i], "m2", _polygons(outside[i]))
    unknown = ~zones["grid_code"].isin(plan.grids["code"]).to_numpy()
    for i in np.flatnonzero(unknown):
        zid, code = zones["zone_id"].iat[i], zones["grid_code"].iat[i]
        yield _finding("zone_unknown_grid", "error", [zid, code],
                       f"patrol zone {zid} belongs to grid {code}, which the plan lacks", 1,
                       "zones", shapely.point_on_surface(fixed[i]))


RULES: dict[str, Callable[[_Plan], Iterator[Row]]] = {
    "invalid_geometry": _invalid_geometry,
    "overlap": _overlap,
    "gap": _gap,
    "outside_community": _outside_community,
    "sliver": _sliver,
    "multipart": _multipart,
    "codes": _codes,
    "households_range": _households_range,
    "no_worker": _no_worker,
    "zones": _zones,
}
RULE_NAMES: tuple[str, ...] = (
    "invalid_geometry", "overlap", "gap", "outside_community", "sliver", "multipart",
    "duplicate_code", "malformed_code", "code_hierarchy", "households_range", "no_worker",
    "zone_outside_district", "zone_unknown_grid",
)


def _project(layers: Layers) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame,
                                      gpd.GeoDataFrame | None, Any]:
    crs = local_crs(layers.communities)
    grids = layers.grids.to_crs(4326)
    raw = grids.geometry.to_numpy()
    fixed = [_polygons(g) for g in shapely.make_valid(raw)]
    metric = gpd.GeoSeries(fixed, crs=4326).to_crs(crs).to_numpy()
    grids = grids.assign(raw=raw, fixed=fixed, metric=metric)
    communities = layers.communities.to_crs(4326)
    communities = communities.set_geometry(
        [_polygons(g) for g in shapely.make_valid(communities.geometry.to_numpy())], crs=4326)
    zones = layers.patrol_zones.to_crs(4326) if layers.patrol_zones is not None else None
    return grids, communities, zones, crs


def validate(layers: Layers, *, settings: ValidationSettings | None = None,
             **thresholds: Any) -> ValidationReport:
    """Check a grid plan against every rule and report the findings.

    Parameters
    ----------
    layers : Layers
        The plan; read broken files with ``read_layers(path, strict=False)``.
    settings : ValidationSettings, optional
        Thresholds; keyword arguments (``households=(250, 450)``…) override
        single fields.

    Returns
    -------
    ValidationReport
        ``report.ok`` is False when any finding is an error.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> report = validate(sample_district(scale=0.05))
    >>> report.ok
    True
    """
    base = settings or ValidationSettings()
    if thresholds:
        base = ValidationSettings(**{**base.__dict__, **thresholds})
    grids, communities, zones, crs = _project(layers)
    plan = _Plan(grids, communities, zones, base, crs)
    rows = [row for rule in RULES.values() for row in rule(plan)]
    findings = findings_frame(rows, crs=4326)
    return ValidationReport(findings, RULE_NAMES)
