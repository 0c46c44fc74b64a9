"""Nearest responsible unit: gridgis.nearest_units against geopandas.sjoin_nearest.

Both start from lon/lat GeoDataFrames and answer, for every incident, the
nearest unit of its category's first unit kind, with the distance in metres on
the CGCS2000 Gauss-Krüger plane. The geopandas route projects the layers and
runs one sjoin_nearest per unit kind, as an analyst would. Prints throughput,
their ratio and whether the answers agree.

    python benchmarks/bench_nearest.py [--points 1000000] [--units 5000] [--seed 1]
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis import load_categories
from gridgis.nearest import nearest_units

PLANE = 4549


def synthetic(points: int, units: int, seed: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    table = load_categories()
    table = table[table["unit_kinds"].map(len) == 1]  # one kind: both routes answer the same
    kinds = sorted({k[0] for k in table["unit_kinds"]})
    lon0, lat0 = 120.6, 28.0
    ux = rng.normal(lon0, 0.6, units)
    uy = rng.normal(lat0, 0.5, units)
    unit = gpd.GeoDataFrame({"unit_id": [f"U{i:06d}" for i in range(units)],
                             "name": "unit", "kind": rng.choice(kinds, units),
                             "township_code": "330399001"},
                            geometry=shapely.points(ux, uy), crs=4326)
    px = rng.normal(lon0, 0.6, points)
    py = rng.normal(lat0, 0.5, points)
    cats = rng.choice(table.index.to_numpy(), points)
    inc = gpd.GeoDataFrame({"category": cats}, geometry=shapely.points(px, py), crs=4326)
    return inc, unit


def geopandas_route(inc: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> pd.DataFrame:
    table = load_categories()
    kind = inc["category"].map(table["unit_kinds"].map(lambda k: k[0]))
    pts = inc.to_crs(PLANE)
    uni = units.to_crs(PLANE)
    parts = []
    for k, rows in pts.groupby(kind):
        hit = gpd.sjoin_nearest(rows[["geometry"]], uni.loc[uni["kind"] == k,
                                                              ["unit_id", "geometry"]],
                                distance_col="distance_m")
        parts.append(hit[~hit.index.duplicated()][["unit_id", "distance_m"]])
    return pd.concat(parts).loc[inc.index]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=5_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    inc, units = synthetic(args.points, args.units, args.seed)
    nearest_units(inc.iloc[:1000], units, k=1)  # warm caches and imports

    t = time.perf_counter()
    mine = nearest_units(inc, units, k=1)
    t_mine = time.perf_counter() - t
    t = time.perf_counter()
    ref = geopandas_route(inc, units)
    t_ref = time.perf_counter() - t

    same_unit = (mine["unit_id"].to_numpy() == ref["unit_id"].to_numpy())
    dist_ok = np.abs(mine["distance_m"].to_numpy() - ref["distance_m"].to_numpy()) < 0.1
    # ties (two units at the same distance) may be broken differently
    agree = bool(np.all(same_unit | dist_ok))
    print(f"points: {args.points:,}  units: {args.units:,}")
    print(f"gridgis nearest_units:   {args.points / t_mine:14,.0f} points/s ({t_mine:.2f} s)")
    print(f"geopandas sjoin_nearest: {args.points / t_ref:14,.0f} points/s ({t_ref:.2f} s)")
    print(f"ratio nearest_units / sjoin_nearest: {t_ref / t_mine:.1f}x")
    print(f"agreement (same unit or same distance): {agree}")


if __name__ == "__main__":
    main()
