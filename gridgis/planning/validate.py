"""Validate a grid plan: the unified grid's promise, codes, households and workers.

Inside each community the grids must leave no gap and must not overlap, must
stay inside the community, carry well-formed codes that follow the hierarchy,
hold a workable number of households and have a grid worker. Each rule below
yields findings with a severity, the codes involved, a measure in metres (on
the local CGCS2000 Gauss-Krüger plane) and a geometry showing where.

=====================  ========  ==============================================
rule                   severity  finds
=====================  ========  ==============================================
invalid_geometry       error     grids that are missing, empty or not valid
                                 polygons (with shapely's reason)
overlap                error     two grids sharing more than ``overlap_tolerance_m2``
gap                    error     parts of a community no grid covers (above
                                 ``gap_tolerance_m2``)
outside_community      error     grid area outside its own community (above
                                 ``outside_tolerance_m2``); for these three,
                                 parts narrower than ``width_tolerance_m``
                                 (5 cm) do not count
sliver                 warning   grid parts thinner than ``sliver_width_m`` (mean
                                 width 2·area/perimeter) or smaller than
                                 ``sliver_area_m2``
multipart              error     grids of several parts (unless ``allow_multipart``)
duplicate_code         error     a grid or community code used twice
malformed_code         error     a grid code that is not 15 digits, a community
                                 code that is not 12
code_hierarchy         error     grid code not under its community, unknown
                                 community, community not under its township
households_range       warning   households outside the range of the community
                                 kind (urban ``households``, rural
                                 ``rural_households``), or unknown
no_worker              error     grids whose ``workers`` is 0 or empty
zone_outside_district  error     patrol zone area beyond the communities and
                                 townships (above ``outside_tolerance_m2``)
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
from gridgis.layers import Layers
from gridgis.planning.edges import WIDTH_TOLERANCE_M, EdgeModel, coverage_trouble, polygonal
from gridgis.planning.findings import ValidationReport, findings_frame

__all__ = ["RULES", "RULE_NAMES", "ValidationSettings", "validate"]

Row = dict[str, Any]


@dataclass(frozen=True)
class ValidationSettings:
    """Thresholds of the rules (areas in m², lengths in m, on the Gauss-Krüger plane).

    Parameters
    ----------
    households : (int, int), default (300, 500)
        Households per grid in urban communities (the usual 300–500 of
        urban grid management).
    rural_households : (int, int) or None, default (200, 800)
        Households per grid in rural villages. Rural grids follow natural
        villages and villager groups, so they vary more (the sample
        district's 83 rural grids hold 236–598 households, a quarter of them
        above 500); ``None`` skips the check for rural grids.
    overlap_tolerance_m2, gap_tolerance_m2, outside_tolerance_m2 : float, default 1
        Areas below these are digitizing noise, not findings.
    sliver_width_m : float, default 5
        A part whose mean width (2·area/perimeter) is below this is a sliver.
    sliver_area_m2 : float, default 50
        A part smaller than this is a sliver.
    allow_multipart : bool, default False
        Whether a grid may consist of several separate parts.
    width_tolerance_m : float, default 0.05
        Overlaps, gaps and areas outside the community narrower than this
        (diameter of their largest inscribed circle) are not defects.
    """

    households: tuple[int, int] = (300, 500)
    rural_households: tuple[int, int] | None = (200, 800)
    overlap_tolerance_m2: float = 1.0
    gap_tolerance_m2: float = 1.0
    outside_tolerance_m2: float = 1.0
    sliver_width_m: float = 5.0
    sliver_area_m2: float = 50.0
    allow_multipart: bool = False
    width_tolerance_m: float = WIDTH_TOLERANCE_M


@dataclass
class _Plan:
    """The layers read once in lon/lat, with the settings and the edge model."""

    grids: gpd.GeoDataFrame          # lon/lat; valid geometry in "fixed"
    communities: gpd.GeoDataFrame    # lon/lat, made valid
    zones: gpd.GeoDataFrame | None   # lon/lat
    settings: ValidationSettings
    edges: EdgeModel                 # topology in lon/lat, measures on the GK plane
    district: Any                    # lon/lat union of communities and townships
    township_codes: frozenset[str]

    def area_m2(self, geoms: Any) -> np.ndarray:
        """Areas in m² of lon/lat geometries, measured on densified edges."""
        return self.edges.area_m2(geoms)


def _finding(rule: str, severity: str, codes: Any, message: str, measure: float,
             unit: str, geometry: Any) -> Row:
    text = ",".join(str(c) for c in codes) if isinstance(codes, list | tuple) else str(codes)
    return {"rule": rule, "severity": severity, "codes": text, "message": message,
            "measure": float(measure), "unit": unit, "geometry": geometry}


_polygons = polygonal


def _why_invalid(geom: Any) -> str | None:
    """Why a grid geometry is unusable (shapely's reason), or None when it is fine."""
    if geom is None:
        return "缺少几何 (missing geometry)"
    if shapely.is_empty(geom):
        return "几何为空 (empty geometry)"
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return f"是 {geom.geom_type} 而不是面 (a {geom.geom_type}, not a polygon)"
    if not shapely.is_valid(geom):
        return f"几何无效 ({shapely.is_valid_reason(geom)})"
    return None


def _invalid_geometry(plan: _Plan) -> Iterator[Row]:
    raw = plan.grids["raw"].to_numpy()
    area = plan.area_m2(plan.grids["fixed"].to_numpy())
    for i, geom in enumerate(raw):
        reason = _why_invalid(geom)
        if reason is not None:
            code = plan.grids["code"].iat[i]
            yield _finding("invalid_geometry", "error", code, f"网格 {code}：{reason}",
                           area[i], "m2", plan.grids["where"].iat[i])


def _overlap(plan: _Plan) -> Iterator[Row]:
    """Pairs of grids whose shared area is wider than the tolerance.

    GEOS's coverage check screens the whole layer; only grids with invalid
    edges are intersected with their neighbours.
    """
    geoms = plan.grids["fixed"].to_numpy()
    suspects = np.flatnonzero(coverage_trouble(geoms))
    if suspects.size == 0:
        return
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms[suspects], predicate="intersects")
    left = suspects[left]
    pairs = np.unique(np.sort(np.c_[left, right], axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if len(pairs) == 0:
        return
    shared = shapely.intersection(geoms[pairs[:, 0]], geoms[pairs[:, 1]])
    codes = plan.grids["code"].to_numpy()
    for (i, j), geom in zip(pairs, shared, strict=True):
        piece = plan.edges.pieces(geom, min_area_m2=plan.settings.overlap_tolerance_m2)
        if piece.empty:
            continue
        a, b = codes[i], codes[j]
        yield _finding("overlap", "error", [a, b],
                       f"网格 {a} 与 {b} 重叠 {piece.area_m2:,.1f} m²"
                       f"（最宽 {piece.width_m:,.2f} m）", piece.area_m2, "m2", piece.geometry)


def _cover(geoms: np.ndarray) -> Any:
    """The union of a community's grids (GEOS's fast coverage union when they tile)."""
    if len(geoms) == 0:
        return shapely.Polygon()
    if not coverage_trouble(geoms).any():
        return shapely.coverage_union_all(geoms)
    return shapely.union_all(geoms)


def _gap(plan: _Plan) -> Iterator[Row]:
    by_community = plan.grids.groupby("community_code")["fixed"]
    covers = by_community.agg(lambda geoms: _cover(geoms.to_numpy()))
    for code, shape in zip(plan.communities["code"], plan.communities.geometry, strict=True):
        covered = covers.get(code, shapely.Polygon())
        for part in shapely.get_parts(_polygons(shapely.difference(shape, covered))):
            piece = plan.edges.pieces(part, min_area_m2=plan.settings.gap_tolerance_m2)
            if not piece.empty:
                yield _finding("gap", "error", code,
                               f"社区 {code} 有 {piece.area_m2:,.1f} m² 不在任何网格内"
                               f"（缝隙最宽 {piece.width_m:,.2f} m）", piece.area_m2, "m2",
                               piece.geometry)


def _outside_community(plan: _Plan) -> Iterator[Row]:
    shapes = plan.communities.drop_duplicates("code").set_index("code").geometry
    grids = plan.grids[plan.grids["community_code"].isin(shapes.index)]
    if grids.empty:
        return
    own = shapes.loc[grids["community_code"]].to_numpy()
    fixed = grids["fixed"].to_numpy()
    inside = shapely.covers(own, fixed)
    for i in np.flatnonzero(~inside):
        outside = shapely.difference(fixed[i], own[i])
        piece = plan.edges.pieces(outside, min_area_m2=plan.settings.outside_tolerance_m2)
        if piece.empty:
            continue
        code = grids["code"].iat[i]
        yield _finding("outside_community", "error", code,
                       f"网格 {code} 有 {piece.area_m2:,.1f} m² 超出所属社区 "
                       f"{grids['community_code'].iat[i]}（最宽 {piece.width_m:,.2f} m）",
                       piece.area_m2, "m2", piece.geometry)


def _sliver(plan: _Plan) -> Iterator[Row]:
    s = plan.settings
    codes = plan.grids["code"].to_numpy()
    parts, owner = shapely.get_parts(plan.grids["fixed"].to_numpy(), return_index=True)
    keep = ~shapely.is_empty(parts)  # a missing shape is an invalid_geometry finding
    parts, owner = parts[keep], owner[keep]
    area, perimeter = plan.edges.area_m2(parts), plan.edges.length_m(parts)
    width = np.where(perimeter > 0, 2.0 * area / np.where(perimeter > 0, perimeter, 1), 0.0)
    for i in np.flatnonzero((width < s.sliver_width_m) | (area < s.sliver_area_m2)):
        code = codes[owner[i]]
        yield _finding("sliver", "warning", code,
                       f"网格 {code} 有一部分平均宽度仅 {width[i]:,.1f} m、面积 "
                       f"{area[i]:,.0f} m²（碎片 sliver）", width[i], "m", parts[i])


def _multipart(plan: _Plan) -> Iterator[Row]:
    if plan.settings.allow_multipart:
        return
    parts = shapely.get_num_geometries(plan.grids["fixed"].to_numpy())
    for i in np.flatnonzero(parts > 1):
        code = plan.grids["code"].iat[i]
        yield _finding("multipart", "error", code,
                       f"网格 {code} 由 {parts[i]} 个分离的部分组成", parts[i], "parts",
                       plan.grids["fixed"].iat[i])


_LEVEL_ZH = {"grid": "网格", "community": "社区"}


def _duplicates(codes: pd.Series, where: pd.Series, level: str) -> Iterator[Row]:
    counts = codes.value_counts()
    zh = _LEVEL_ZH[level]
    for i in np.flatnonzero(codes.duplicated(keep=False).to_numpy()):
        code = codes.iat[i]
        yield _finding("duplicate_code", "error", code,
                       f"{zh}编码 {code} 被 {counts[code]} 个{zh}重复使用",
                       counts[code], f"{level}s", where.iat[i])


def _malformed(codes: pd.Series, where: pd.Series, level: str, digits: int) -> Iterator[Row]:
    well_formed = check_codes(codes, level=level).to_numpy()
    for i in np.flatnonzero(~well_formed):
        yield _finding("malformed_code", "error", codes.iat[i],
                       f"{codes.iat[i]!r} 不是 {digits} 位{_LEVEL_ZH[level]}编码", 1, f"{level}s",
                       where.iat[i])


def _codes(plan: _Plan) -> Iterator[Row]:
    grids, communities = plan.grids, plan.communities
    codes = grids["code"].astype(object)
    c_codes = communities["code"].astype(object)
    c_where = communities.geometry.map(shapely.point_on_surface)
    yield from _duplicates(codes, grids["where"], "grid")
    yield from _duplicates(c_codes, c_where, "community")
    yield from _malformed(codes, grids["where"], "grid", 15)
    yield from _malformed(c_codes, c_where, "community", 12)
    well_formed = check_codes(codes, level="grid").to_numpy()
    under = check_hierarchy(codes, grids["community_code"].astype(object)).to_numpy()
    known = grids["community_code"].isin(communities["code"]).to_numpy()
    for i in np.flatnonzero(well_formed & (~under | ~known)):
        parent = grids["community_code"].iat[i]
        why = (f"网格编码 {codes.iat[i]} 不在所属社区 {parent} 之下"
               if not under[i] else f"网格 {codes.iat[i]} 所属的社区 {parent} 不存在")
        yield _finding("code_hierarchy", "error", [codes.iat[i], parent], why, 1, "grids",
                       grids["where"].iat[i])
    c_well_formed = check_codes(c_codes, level="community").to_numpy()
    c_under = check_hierarchy(c_codes, communities["township_code"].astype(object)).to_numpy()
    c_known = communities["township_code"].isin(plan.township_codes).to_numpy()
    for i in np.flatnonzero(c_well_formed & (~c_under | ~c_known)):
        code, town = c_codes.iat[i], communities["township_code"].iat[i]
        why = (f"社区编码 {code} 不在所属乡镇/街道 {town} 之下"
               if not c_under[i] else f"社区 {code} 所属的乡镇/街道 {town} 不存在")
        yield _finding("code_hierarchy", "error", [code, town], why, 1, "communities",
                       c_where.iat[i])


def _households_range(plan: _Plan) -> Iterator[Row]:
    kind = plan.communities.drop_duplicates("code").set_index("code")["kind"]
    grids = plan.grids
    kinds = grids["community_code"].map(kind).fillna("urban").to_numpy()
    households = pd.to_numeric(grids["households"], errors="coerce").to_numpy(dtype=float)
    for i, (code, count, k) in enumerate(zip(grids["code"], households, kinds, strict=True)):
        bounds = plan.settings.rural_households if k == "rural" else plan.settings.households
        if bounds is None or bounds[0] <= count <= bounds[1]:
            continue
        if np.isnan(count):
            text = f"网格 {code} 没有户数"
        else:
            side = "少于" if count < bounds[0] else "多于"
            text = (f"网格 {code} 有 {count:,.0f} 户，{side}{_KIND_ZH.get(k, k)}网格的 "
                    f"{bounds[0]}–{bounds[1]} 户")
        yield _finding("households_range", "warning", code, text, count, "households",
                       grids["where"].iat[i])


_KIND_ZH = {"urban": "城市", "rural": "农村"}


def _no_worker(plan: _Plan) -> Iterator[Row]:
    workers = pd.to_numeric(plan.grids["workers"], errors="coerce").fillna(0).to_numpy()
    for i in np.flatnonzero(workers <= 0):
        code = plan.grids["code"].iat[i]
        yield _finding("no_worker", "error", code, f"网格 {code} 没有网格员", 0,
                       "workers", plan.grids["where"].iat[i])


def _zones(plan: _Plan) -> Iterator[Row]:
    zones = plan.zones
    if zones is None or zones.empty:
        return
    fixed = np.array([_polygons(g) for g in shapely.make_valid(zones.geometry.to_numpy())],
                     dtype=object)
    inside = shapely.covers(plan.district, fixed)
    for i in np.flatnonzero(~inside):
        piece = plan.edges.pieces(shapely.difference(fixed[i], plan.district),
                                  min_area_m2=plan.settings.outside_tolerance_m2)
        if piece.empty:
            continue
        zid = zones["zone_id"].iat[i]
        yield _finding("zone_outside_district", "error", [zid, zones["grid_code"].iat[i]],
                       f"巡查区域 {zid} 有 {piece.area_m2:,.1f} m² 超出辖区",
                       piece.area_m2, "m2", piece.geometry)
    unknown = ~zones["grid_code"].isin(plan.grids["code"]).to_numpy()
    for i in np.flatnonzero(unknown):
        zid, code = zones["zone_id"].iat[i], zones["grid_code"].iat[i]
        where = fixed[i] if not shapely.is_empty(fixed[i]) else plan.district
        yield _finding("zone_unknown_grid", "error", [zid, code],
                       f"巡查区域 {zid} 属于网格 {code}，但方案中没有这个网格", 1,
                       "zones", shapely.point_on_surface(where))


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
"""The checks; ``codes`` yields duplicate_code, malformed_code and code_hierarchy,
``zones`` yields zone_outside_district and zone_unknown_grid."""

RULE_NAMES: tuple[str, ...] = (
    "invalid_geometry", "overlap", "gap", "outside_community", "sliver", "multipart",
    "duplicate_code", "malformed_code", "code_hierarchy", "households_range", "no_worker",
    "zone_outside_district", "zone_unknown_grid",
)
"""Every rule name a finding can carry, in the order of the report."""


def _valid_polygons(frame: gpd.GeoDataFrame) -> list[Any]:
    return [_polygons(g) for g in shapely.make_valid(frame.geometry.to_numpy())]


def _plan(layers: Layers, settings: ValidationSettings) -> _Plan:
    """Read the layers once: valid lon/lat shapes for topology, the model for measures."""
    edges = EdgeModel.of(layers.communities, width_tolerance_m=settings.width_tolerance_m)
    communities = layers.communities.to_crs(4326)
    communities = communities.set_geometry(_valid_polygons(communities), crs=4326)
    townships = layers.townships.to_crs(4326)
    district = shapely.union_all([*communities.geometry, *_valid_polygons(townships)])
    grids = layers.grids.to_crs(4326)
    raw = grids.geometry.to_numpy()
    fixed = np.empty(len(grids), dtype=object)
    fixed[:] = _valid_polygons(grids)
    shapes = communities.drop_duplicates("code").set_index("code").geometry
    fallback = shapely.point_on_surface(district)
    where = [shapely.point_on_surface(g) if not shapely.is_empty(g)
             else shapely.point_on_surface(shapes[c]) if c in shapes.index else fallback
             for g, c in zip(fixed, grids["community_code"], strict=True)]
    grids = grids.assign(raw=raw, fixed=fixed, where=where)
    zones = layers.patrol_zones.to_crs(4326) if layers.patrol_zones is not None else None
    return _Plan(grids, communities, zones, settings, edges, district,
                 frozenset(townships["code"]))


def validate(layers: Layers, *, households: tuple[int, int] = (300, 500),
             rural_households: tuple[int, int] | None = (200, 800),
             overlap_tolerance_m2: float = 1.0, gap_tolerance_m2: float = 1.0,
             outside_tolerance_m2: float = 1.0, sliver_width_m: float = 5.0,
             sliver_area_m2: float = 50.0, allow_multipart: bool = False,
             width_tolerance_m: float = WIDTH_TOLERANCE_M,
             settings: ValidationSettings | None = None) -> ValidationReport:
    """Check a grid plan against every rule and report the findings.

    Topology is judged in lon/lat, where edges are straight and shared
    vertices exact (GEOS coverage tools screen the layer); every area is
    measured in m² and every width in m on the district's CGCS2000
    Gauss-Krüger plane after densifying the edges
    (:class:`gridgis.planning.edges.EdgeModel`).

    Parameters
    ----------
    layers : Layers
        The plan; read broken files with ``read_layers(path, strict=False)``.
    households : (int, int), default (300, 500)
        Households per grid in urban communities.
    rural_households : (int, int) or None, default (200, 800)
        Households per grid in rural villages, whose grids follow natural
        villages and vary more (the sample district's rural grids hold
        236–598); ``None`` skips rural grids.
    overlap_tolerance_m2, gap_tolerance_m2, outside_tolerance_m2 : float, default 1
        Overlaps, gaps and areas outside the community (or, for patrol zones,
        outside the district) up to this size are digitizing noise.
    sliver_width_m : float, default 5
        Grid parts whose mean width 2·area/perimeter is below this are slivers.
    sliver_area_m2 : float, default 50
        Grid parts smaller than this are slivers.
    allow_multipart : bool, default False
        Whether a grid may consist of several separate parts.
    width_tolerance_m : float, default 0.05
        Overlaps, gaps and areas outside the community narrower than this are
        not defects (the two edge models of digitizing tools differ by
        centimetres along long edges).
    settings : ValidationSettings, optional
        All thresholds at once; when given, the keyword thresholds are ignored.

    Returns
    -------
    ValidationReport
        ``report.ok`` is False when any finding is an error; see the module
        docstring for the rules and their severities.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> report = validate(sample_district(scale=0.05))
    >>> report.ok
    True
    """
    if settings is None:
        settings = ValidationSettings(
            households=tuple(households), rural_households=(
                tuple(rural_households) if rural_households is not None else None),
            overlap_tolerance_m2=overlap_tolerance_m2, gap_tolerance_m2=gap_tolerance_m2,
            outside_tolerance_m2=outside_tolerance_m2, sliver_width_m=sliver_width_m,
            sliver_area_m2=sliver_area_m2, allow_multipart=allow_multipart,
            width_tolerance_m=width_tolerance_m)
    plan = _plan(layers, settings)
    rows = [row for rule in RULES.values() for row in rule(plan)]
    return ValidationReport(findings_frame(rows, crs=4326), RULE_NAMES, layers)
