"""IoT devices of the sample district (metres): where such devices are installed.

Smoke detectors in old walk-up residential buildings of the city core (老旧小区),
water-level gauges at the low points where rain water gathers (the sample's
waterlogging reports), manhole-cover sensors along the streets between urban
grids, gas detectors along restaurant streets by the markets, fume monitors at
the restaurants neighbours complain about. Drawn from a generator of their own,
so the other layers of a seed stay as they were.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.sample._tessellation import Settlement

__all__ = ["KIND_COUNTS", "SENSOR_STREAM", "build_sensors"]

SENSOR_STREAM = 16
"""Second seed of the sensors' generator (``default_rng([seed, SENSOR_STREAM])``)."""
KIND_COUNTS = {"smoke": 150, "water_level": 30, "manhole_cover": 90, "gas": 40, "fume": 50}
"""Devices of each kind in the full-size district (fewer at a smaller scale)."""
PREFIX = {"smoke": "YG", "water_level": "SW", "manhole_cover": "JG", "gas": "RQ", "fume": "YY"}
"""Device id prefixes: 烟感 YanGan, 水位 ShuiWei, 井盖 JingGai, 燃气 RanQi, 油烟 YouYan."""
NAMES = {"smoke": "{where}{no}号楼烟感", "water_level": "{where}低洼积水点水位监测",
         "manhole_cover": "{where}沿街井盖{k}号", "gas": "{where}美食街燃气监测{street}号",
         "fume": "{where}{no}号楼餐饮店油烟监测"}
"""Device names: the grid, and the building, the street or the device's number."""
INSTALLED = (np.datetime64("2023-03-01"), np.datetime64("2025-10-15"))
"""Devices were installed in the years before the sample's year."""


def _count(kind: str, scale: float) -> int:
    return max(2, round(KIND_COUNTS[kind] * scale))


def _pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Indices of up to ``n`` distinct items drawn by weight."""
    ok = np.flatnonzero(weights > 0)
    if not len(ok):
        return ok
    w = weights[ok] / weights[ok].sum()
    return ok[rng.choice(len(ok), size=min(n, len(ok)), replace=False, p=w)]


def _smoke(buildings: gpd.GeoDataFrame, urban: np.ndarray, city: Settlement, n: int,
           rng: np.random.Generator) -> tuple[np.ndarray, list[int]]:
    """Old walk-ups (6–48 households) of urban grids, the older the nearer the city centre."""
    xy = shapely.get_coordinates(buildings.geometry.values)
    hh = buildings["households"].to_numpy()
    d = np.hypot(xy[:, 0] - city.x, xy[:, 1] - city.y)
    w = np.where(urban & (hh >= 6) & (hh <= 48), np.exp(-d / (0.5 * city.radius)), 0.0)
    chosen = _pick(rng, w, n)
    return xy[chosen], [int(b[-4:]) for b in buildings["building_id"].to_numpy()[chosen]]


def _water(incidents: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """Low points: where the sample's waterlogging reports gather, one gauge per grid."""
    wet = incidents[(incidents["category"] == "E01")
                    & incidents["description"].str.contains("积水", regex=False)]
    if wet.empty:
        wet = incidents[incidents["category"] == "E01"]
    xy = shapely.get_coordinates(wet.geometry.values)
    grid = wet["grid_code"].astype(object).to_numpy()
    counts = pd.Series(grid).value_counts()
    # the most flooded grids first (ties in a random order)
    order = counts.index[np.lexsort((rng.random(len(counts)), -counts.to_numpy()))][:n]
    return np.array([np.median(xy[grid == g], axis=0) for g in order]).reshape(-1, 2)


def _streets(grids: gpd.GeoDataFrame, urban: np.ndarray, n: int,
             rng: np.random.Generator) -> np.ndarray:
    """Manholes along the streets: edges shared by urban grids, a few metres off the edge."""
    polys = np.asarray(grids.geometry.values)[urban]
    if not len(polys):
        return np.empty((0, 2))
    outer = shapely.union_all(polys).boundary.buffer(1.0)
    lines = shapely.difference(shapely.union_all(shapely.boundary(polys)), outer)
    if lines.is_empty or lines.length == 0:
        return np.empty((0, 2))
    along = np.sort(rng.uniform(0, lines.length, n))
    on = shapely.get_coordinates(shapely.line_interpolate_point(lines, along))
    # step 3 m off the edge, into one of the grids it divides
    angle = rng.uniform(0, 2 * np.pi, n)
    step = np.column_stack([np.cos(angle), np.sin(angle)])
    off = on + 3.0 * step
    # a step along the edge stays on it (which grid then holds the point is a matter of
    # millimetres): turned a right angle, it leaves the edge
    along_edge = shapely.distance(shapely.points(off), lines) < 1.0
    off[along_edge] = on[along_edge] + 3.0 * np.column_stack([-step[:, 1], step[:, 0]])[
        along_edge]
    return off


def _restaurant_streets(buildings: gpd.GeoDataFrame, poi: np.ndarray, n: int,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Gas detectors four to a street, along a short street through a market."""
    if not len(poi):
        return np.empty((0, 2)), np.empty(0, dtype=int)
    streets = rng.choice(poi, size=min(len(poi), -(-n // 4)), replace=False)
    xy = shapely.get_coordinates(buildings.geometry.values)
    points, owner = [], []
    for b in streets:
        theta = rng.uniform(0, np.pi)
        for t in (-45.0, -15.0, 15.0, 45.0):
            step = t + rng.normal(0, 3)
            points.append(xy[b] + step * np.array([np.cos(theta), np.sin(theta)]))
            owner.append(b)
    return np.array(points[:n]).reshape(-1, 2), np.array(owner[:n], dtype=int)


def _restaurants(buildings: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, n: int,
                 rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fume monitors at the restaurants behind the sample's cooking-fume complaints."""
    fumes = incidents[(incidents["category"] == "E03")
                      & incidents["description"].str.contains("餐饮", regex=False)]
    xy = shapely.get_coordinates(buildings.geometry.values)
    if fumes.empty:
        return np.empty((0, 2)), np.empty(0, dtype=int)
    tree = shapely.STRtree(buildings.geometry.values)
    nearest = tree.nearest(fumes.geometry.values)
    complaints = np.bincount(nearest, minlength=len(buildings)).astype(float)
    chosen = _pick(rng, complaints, n)
    kitchen = rng.uniform(0, 2 * np.pi, len(chosen))  # the exhaust, a few metres off
    return xy[chosen] + 5.0 * np.column_stack([np.cos(kitchen), np.sin(kitchen)]), chosen


def _grid_of(points: np.ndarray, grids: gpd.GeoDataFrame) -> np.ndarray:
    polys = np.asarray(grids.geometry.values)
    tree = shapely.STRtree(polys)
    pts = shapely.points(points)
    which = np.full(len(pts), -1)
    hit_pt, hit_grid = tree.query(pts, predicate="within")
    which[hit_pt[::-1]] = hit_grid[::-1]  # the first grid holding a point
    lost = np.flatnonzero(which < 0)
    if len(lost):
        which[lost] = tree.nearest(pts[lost])
    return grids["code"].to_numpy()[which]


def build_sensors(grids: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, poi: np.ndarray,
                  incidents: gpd.GeoDataFrame, city: Settlement, kinds: pd.DataFrame,
                  rng: np.random.Generator, scale: float) -> gpd.GeoDataFrame:
    """The sample's devices (points in metres) with the columns of the ``sensors`` layer."""
    urban_codes = set(grids.loc[grids["_urban"], "code"])
    b_urban = buildings["grid_code"].isin(urban_codes).to_numpy()
    grid_name = dict(zip(grids["code"], grids["name"], strict=True))
    smoke_xy, smoke_no = _smoke(buildings, b_urban, city, _count("smoke", scale), rng)
    water_xy = _water(incidents, _count("water_level", scale), rng)
    cover_xy = _streets(grids, grids["_urban"].to_numpy(), _count("manhole_cover", scale), rng)
    gas_xy, _ = _restaurant_streets(buildings, poi, _count("gas", scale), rng)
    fume_xy, fume_b = _restaurants(buildings, incidents, _count("fume", scale), rng)
    fume_no = [int(b[-4:]) for b in buildings["building_id"].to_numpy()[fume_b]]
    parts = {"smoke": smoke_xy, "water_level": water_xy, "manhole_cover": cover_xy,
             "gas": gas_xy, "fume": fume_xy}
    numbers = {"smoke": smoke_no, "fume": fume_no}
    rows = []
    for kind, xy in parts.items():
        in_grid: dict[str, int] = {}
        for i, (code, point) in enumerate(zip(_grid_of(xy, grids), xy, strict=True)):
            in_grid[code] = in_grid.get(code, 0) + 1
            no = numbers[kind][i] if kind in numbers else None
            name = NAMES[kind].format(where=grid_name[code], no=no, k=in_grid[code],
                                      street=i % 4 + 1)
            rows.append((f"{PREFIX[kind]}{i + 1:04d}", kind, name, code, *point))
    ids, kind_col, names, codes, x, y = (list(c) for c in zip(*rows, strict=True))
    span = int((INSTALLED[1] - INSTALLED[0]).astype(int))
    installed = (INSTALLED[0] + rng.integers(0, span, len(ids)).astype("timedelta64[D]")
                 ).astype("datetime64[m]") + rng.integers(9 * 60, 17 * 60, len(ids)).astype(
                     "timedelta64[m]")
    minutes = kinds.groupby(level=0)["heartbeat_minutes"].first()
    return gpd.GeoDataFrame(
        {"device_id": ids, "kind": kind_col, "name": names,
         "installed_at": installed.astype("datetime64[ms]"),
         "heartbeat_minutes": [int(minutes[k]) for k in kind_col], "grid_code": codes},
        geometry=shapely.points(np.column_stack([x, y])))
