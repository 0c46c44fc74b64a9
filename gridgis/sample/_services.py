"""Patrol-frequency zones and responsible units of the sample district (metres)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gridgis.categories import UNIT_KIND_NAMES, UNIT_KIND_PLATFORM
from gridgis.sample._tessellation import Settlement

__all__ = ["UNITS_STREAM", "build_patrol_zones", "build_units", "points_of_interest"]

UNIT_LABEL = UNIT_KIND_NAMES
"""How the sample names a unit of each kind (after its township)."""
# kinds with one unit per township, and kinds with a few units for the district
PER_TOWNSHIP = ("police_station", "judicial_office", "mediation_committee", "enforcement_squad",
                "market_regulation", "community_service")
DISTRICT_WIDE = {"labour_inspection": 3, "health": 8, "power_supply": 6, "municipal_works": 4,
                 "fire_station": 6, "sanitation": 6, "emergency": 2,
                 # the emergency plans' forces (应急预案): drawn last, from a generator of their
                 # own, so that the units before them and every later layer stay as they were
                 "special_police": 2, "volunteer_team": 6, "ambulance": 4}
OWN_STREAM = frozenset({"special_police", "volunteer_team", "ambulance"})
"""District-wide kinds placed with the generator of :data:`UNITS_STREAM`."""
UNITS_STREAM = 17
"""Second seed of the plans' units' generator (``default_rng([seed, UNITS_STREAM])``)."""


def points_of_interest(buildings: gpd.GeoDataFrame, grids: gpd.GeoDataFrame,
                       rng: np.random.Generator) -> np.ndarray:
    """Markets, schools and stations: index of a building in about a quarter of urban grids."""
    urban_codes = set(grids.loc[grids["_urban"], "code"])
    cand = np.flatnonzero(buildings["grid_code"].isin(urban_codes).to_numpy())
    n = max(1, len(urban_codes) // 4)
    w = buildings["households"].to_numpy()[cand].astype(float)
    return rng.choice(cand, size=min(n, len(cand)), replace=False, p=w / w.sum())


def build_patrol_zones(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, poi: np.ndarray,
                       city: Settlement, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """High zones around points of interest; each grid's remainder at its base level."""
    centre_d = np.hypot(*(shapely.get_coordinates(grids.geometry.centroid.values)
                          - [city.x, city.y]).T)
    base = np.where(~grids["_urban"].to_numpy(), "low",
                    np.where(centre_d < 0.45 * city.radius, "high", "medium"))
    geom_of = dict(zip(grids["code"], grids.geometry.values, strict=True))
    hot_by_grid: dict[str, list] = {}
    for b in poi:
        code = buildings["grid_code"].iat[b]
        circle = buildings.geometry.iat[b].buffer(rng.uniform(100, 220), quad_segs=8)
        hot_by_grid.setdefault(code, []).append(circle)
    codes, levels, geoms = [], [], []
    for code, level in zip(grids["code"], base, strict=True):
        grid = geom_of[code]
        rest = grid
        if code in hot_by_grid and level != "high":
            # kept 15 m off the grid edge: no slivers along shared boundaries
            hot = shapely.intersection(shapely.union_all(hot_by_grid[code]), grid.buffer(-15))
            if hot.area > 1000:
                hot_parts = [p for p in shapely.get_parts(hot) if p.area > 500]
                if hot_parts:
                    hot = shapely.multipolygons(hot_parts) if len(hot_parts) > 1 else hot_parts[0]
                    rest = shapely.difference(grid, hot)
                    if rest.area < 0.05 * grid.area:  # the hot zone is the whole grid
                        rest, level = grid, "high"
                    else:
                        codes.append(code)
                        levels.append("high")
                        geoms.append(hot)
        codes.append(code)
        levels.append(level)
        geoms.append(rest)
    seq: dict[str, int] = {}
    ids = []
    for code in codes:
        seq[code] = seq.get(code, 0) + 1
        ids.append(f"{code}-P{seq[code]}")
    return gpd.GeoDataFrame({"zone_id": ids, "level": levels, "grid_code": codes},
                            geometry=geoms)


def _near(rng: np.random.Generator, x: float, y: float, spread: float,
          area: shapely.Polygon) -> shapely.Point:
    for _ in range(100):
        p = shapely.Point(x + rng.normal(0, spread), y + rng.normal(0, spread))
        if area.contains(p):
            return p
    return shapely.point_on_surface(area)


def build_units(townships: gpd.GeoDataFrame, communities: gpd.GeoDataFrame,
                grids: gpd.GeoDataFrame, city: Settlement, rng: np.random.Generator,
                own: np.random.Generator | None = None) -> gpd.GeoDataFrame:
    """About 130 units: township-level offices at each seat, district units spread out.

    The kinds of :data:`OWN_STREAM` are placed with ``own`` (None leaves them
    out), after the others: adding them changed no other unit nor ``rng``'s
    stream.
    """
    hh = grids.groupby("community_code")["households"].sum()
    comm = communities.assign(hh=communities["code"].map(hh).fillna(0))
    rows = []
    for t in townships.itertuples():
        mine = comm[comm["township_code"] == t.code]
        seat = mine.loc[mine["hh"].idxmax()].geometry.centroid
        area = t.geometry
        for kind in PER_TOWNSHIP:
            rows.append((kind, f"{t.name}{UNIT_LABEL[kind]}", t.code,
                         _near(rng, seat.x, seat.y, 250, area)))
    # district units: at community seats chosen by households, spread over the district
    seats = comm.sort_values("hh", ascending=False)
    for kind, n in DISTRICT_WIDE.items():
        r = rng if kind not in OWN_STREAM else own
        if r is None:
            continue
        if kind in ("labour_inspection", "emergency", "municipal_works", "special_police"):
            picks = seats.iloc[: max(n, 1) * 3].sample(n=min(n, len(seats)), random_state=r)
        else:
            picks = comm.sample(n=n, weights=comm["hh"] + 1, replace=True, random_state=r)
        for k, c in enumerate(picks.itertuples(), start=1):
            town = townships.loc[townships["code"] == c.township_code].iloc[0]
            label = UNIT_LABEL[kind]
            name = f"{town['name']}{label}" if n <= 1 else f"{town['name']}{label}（{k}）"
            p = c.geometry.centroid
            rows.append((kind, name, c.township_code, _near(r, p.x, p.y, 150, c.geometry)))
    kinds, names, towns, geoms = zip(*rows, strict=True)
    ids = [f"U{i:04d}" for i in range(1, len(rows) + 1)]
    return gpd.GeoDataFrame(
        {"unit_id": ids, "name": names, "kind": kinds,
         "platform": [UNIT_KIND_PLATFORM[k] for k in kinds], "township_code": towns},
        geometry=list(geoms))
