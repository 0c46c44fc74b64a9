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


def invalid_geometry(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[0]
    x0, y0, x1, y1 = layers.grids.loc[code, "geometry"].bounds
    bowtie = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    return with_grid(layers, code, geometry=bowtie), code


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
    codes = layers.grids.index
    on_rim = pd.Series(shapely.length(shapely.intersection(layers.grids.geometry.to_numpy(),
                                                           rim)), index=layers.grids.index)
    code = on_rim.idxmax()
    geom = layers.grids.loc[code, "geometry"]
    grown = _in_metres(layers, geom, lambda g: g.buffer(25.0))
    extra = shapely.difference(grown, district)
    assert code in codes
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
    merged = with_grid(layers, a, geometry=both)
    return replace(merged, grids=merged.grids.drop(index=b)), a


def duplicate_code(layers: Layers) -> tuple[Layers, str]:
    a, b = neighbours(layers.grids)
    grids = layers.grids.copy()
    grids.loc[b, "code"] = a
    return replace(layers, grids=grids), a


def malformed_code(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[0]
    bad = code[:12] + "0A1"
    return with_grid(layers, code, code=bad), bad


def code_hierarchy(layers: Layers) -> tuple[Layers, str]:
    code = layers.grids.index[0]
    other = next(c for c in layers.communities["code"] if c != code[:12])
    wrong = other + "901"
    return with_grid(layers, code, code=wrong), wrong


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
