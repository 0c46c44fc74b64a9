"""Builders that break exactly one rule of a clean district (for the validation tests)."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Polygon, box

from gridgis import Layers
from gridgis.crs import local_crs

EDGE = 1e-7  # degrees; shared edges are longer than this


def projected(layers: Layers):
    return local_crs(layers.communities)


def neighbours(grids: gpd.GeoDataFrame) -> tuple[str, str]:
    """Two grids of one community sharing an edge (lowest codes first)."""
    for _, group in grids.sort_values("code").groupby("community_code"):
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                a, b = group.iloc[i], group.iloc[j]
                if shapely.intersection(a.geometry, b.geometry).length > EDGE:
                    return a["code"], b["code"]
    raise AssertionError("no neighbouring grids")


def apart(grids: gpd.GeoDataFrame) -> tuple[str, str]:
    """Two grids of one community that do not touch."""
    for _, group in grids.sort_values("code").groupby("community_code"):
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                a, b = group.iloc[i], group.iloc[j]
                if not shapely.intersects(a.geometry, b.geometry):
                    return a["code"], b["code"]
    raise AssertionError("no separate grids")


def with_grid(layers: Layers, key: str, **values) -> Layers:
    grids = layers.grids.copy()
    for column, value in values.items():
        if column == "geometry":
            grids.loc[key, "geometry"] = value
        else:
            grids.loc[key, column] = value
    return replace(layers, grids=grids)


def _in_metres(layers: Layers, geom, func):
    crs = projected(layers)
    g = gpd.GeoSeries([geom], crs=4326).to_crs(crs).iloc[0]
    return gpd.GeoSeries([func(g)], crs=crs).to_crs(4326).iloc[0]


def invalid_geometry(layers: Layers, code: str | None = None) -> tuple[Layers, str]:
    """A zero-width spike into a grid: same area, but a self-intersecting ring."""
    code = layers.grids.index[0] if code is None else code
    geom = layers.grids.loc[code, "geometry"]
    shell = list(geom.exterior.coords)
    (x0, y0), (cx, cy) = shell[1], geom.point_on_surface().coords[0]
    tip = (x0 + (cx - x0) * 0.2, y0 + (cy - y0) * 0.2)
    spiked = Polygon([*shell[:2], tip, *shell[1:]], holes=[r.coords for r in geom.interiors])
    assert not spiked.is_valid
    return with_grid(layers, code, geometry=spiked), code


def bowtie(layers: Layers) -> tuple[Layers, str]:
    """A grid redrawn as a bow-tie over its bounding box (breaks several rules)."""
    code = layers.grids.index[0]
    x0, y0, x1, y1 = layers.grids.loc[code, "geometry"].bounds
    tie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    return with_grid(layers, code, geometry=tie), code


def with_zones_of(layers: Layers, old: str, new: str) -> Layers:
    """Point the patrol zones of grid ``old`` to ``new`` (so zones stay consistent)."""
    zones = layers.patrol_zones.copy()
    zones.loc[zones["grid_code"] == old, "grid_code"] = new
    return replace(layers, patrol_zones=zones)


def overlap(layers: Layers) -> tuple[Layers, str]:
    a, b = neighbours(layers.grids)
    ga, gb = layers.grids.loc[a, "geometry"], layers.grids.loc[b, "geometry"]
    grown = _in_metres(layers, ga, lambda g: g.buffer(20.0))
    bite = shapely.intersection(grown, gb)
    return with_grid(layers, a, geometry=shapely.union(ga, bite)), f"{a},{b}"


def gap(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[0]
    geom = layers.grids.loc[code, "geometry"]
    inner = _in_metres(layers, geom.point_on_surface(), lambda p: p.buffer(15.0))
    return with_grid(layers, code, geometry=shapely.difference(geom, inner)), \
        layers.grids.loc[code, "community_code"]


def outside_community(layers: Layers) -> tuple[Layers, str]:
    district = shapely.union_all(layers.communities.geometry.to_numpy())
    rim = district.boundary
    on_rim = pd.Series(shapely.length(shapely.intersection(layers.grids.geometry.to_numpy(),
                                                           rim)), index=layers.grids.index)
    code = on_rim.idxmax()
    geom = layers.grids.loc[code, "geometry"]
    grown = _in_metres(layers, geom, lambda g: g.buffer(25.0))
    extra = shapely.difference(grown, district)
    return with_grid(layers, code, geometry=shapely.union(geom, extra)), code


def sliver(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[0]
    geom = layers.grids.loc[code, "geometry"]
    crs = projected(layers)
    g = gpd.GeoSeries([geom], crs=4326).to_crs(crs).iloc[0]
    x0, y0, _x1, y1 = g.bounds
    strip_m = shapely.intersection(g, box(x0 - 1, y0 - 1, x0 + 3.0, y1 + 1))
    strip = gpd.GeoSeries([strip_m], crs=crs).to_crs(4326).iloc[0]
    strip = max(shapely.get_parts(strip), key=shapely.area)
    rest = shapely.difference(geom, strip)
    community = code[:12]
    taken = {int(c[12:]) for c in layers.grids.index if c.startswith(community)}
    new_code = f"{community}{max(taken) + 1:03d}"
    row = layers.grids.loc[[code]].copy()
    row.index = [new_code]
    row["code"] = new_code
    row = row.set_geometry([strip], crs=layers.grids.crs)
    grids = pd.concat([with_grid(layers, code, geometry=rest).grids, row])
    return replace(layers, grids=gpd.GeoDataFrame(grids, crs=layers.grids.crs)), new_code


def multipart(layers: Layers) -> tuple[Layers, str]:
    a, b = apart(layers.grids)
    both = shapely.union(layers.grids.loc[a, "geometry"], layers.grids.loc[b, "geometry"])
    merged = with_zones_of(with_grid(layers, a, geometry=both), b, a)
    return replace(merged, grids=merged.grids.drop(index=b)), a


def duplicate_code(layers: Layers) -> tuple[Layers, str]:
    a, b = neighbours(layers.grids)
    grids = layers.grids.copy()
    grids.loc[b, "code"] = a
    return replace(with_zones_of(layers, b, a), grids=grids), a


def malformed_code(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[0]
    bad = code[:12] + "0A1"
    return with_zones_of(with_grid(layers, code, code=bad), code, bad), bad


def code_hierarchy(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[0]
    other = next(c for c in layers.communities["code"] if c != code[:12])
    wrong = other + "901"
    return with_zones_of(with_grid(layers, code, code=wrong), code, wrong), wrong


def households_range(layers: Layers) -> tuple[Layers, str]:
    kind = layers.communities.set_index("code")["kind"]
    urban = layers.grids[layers.grids["community_code"].map(kind) == "urban"]
    code = urban.index[0]
    return with_grid(layers, code, households=900), code


def no_worker(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[-1]
    return with_grid(layers, code, workers=0, worker_names=None), code


def zone_outside_district(layers: Layers) -> tuple[Layers, str]:
    zones = layers.patrol_zones.copy()
    zid = zones.index[0]
    zones.loc[zid, "geometry"] = shapely.affinity.translate(zones.loc[zid, "geometry"],
                                                            xoff=0.5)
    return replace(layers, patrol_zones=zones), zid


def zone_unknown_grid(layers: Layers) -> tuple[Layers, str]:
    zones = layers.patrol_zones.copy()
    zid = zones.index[0]
    zones.loc[zid, "grid_code"] = "330399999999999"
    return replace(layers, patrol_zones=zones), zid


BREAKERS = {
    "invalid_geometry": invalid_geometry,
    "overlap": overlap,
    "gap": gap,
    "outside_community": outside_community,
    "sliver": sliver,
    "multipart": multipart,
    "duplicate_code": duplicate_code,
    "malformed_code": malformed_code,
    "code_hierarchy": code_hierarchy,
    "households_range": households_range,
    "no_worker": no_worker,
    "zone_outside_district": zone_outside_district,
    "zone_unknown_grid": zone_unknown_grid,
}


def rim_grid(layers: Layers) -> str:
    """The grid with the longest edge on its own community's boundary."""
    shapes = layers.communities.set_index("code").geometry
    rims = shapes.loc[layers.grids["community_code"]].boundary.to_numpy()
    on_rim = shapely.length(shapely.intersection(layers.grids.geometry.to_numpy(), rims))
    return layers.grids.index[int(on_rim.argmax())]


def strip_along_boundary(layers: Layers, width_m: float) -> tuple[Layers, str]:
    """Pull a grid's edge ``width_m`` back from its community boundary (a thin gap)."""
    code = rim_grid(layers)
    community = layers.communities.set_index("code").geometry[code[:12]]
    band = _in_metres(layers, community.boundary, lambda g: g.buffer(width_m))
    geom = layers.grids.loc[code, "geometry"]
    return with_grid(layers, code, geometry=shapely.difference(geom, band)), code


def overhang(layers: Layers, width_m: float) -> tuple[Layers, str]:
    """Push a grid's edge ``width_m`` beyond its community boundary (outside the district)."""
    code = rim_grid(layers)
    district = shapely.union_all(layers.communities.geometry.to_numpy())
    geom = layers.grids.loc[code, "geometry"]
    grown = _in_metres(layers, geom, lambda g: g.buffer(width_m))
    extra = shapely.difference(grown, district)
    return with_grid(layers, code, geometry=shapely.union(geom, extra)), code
