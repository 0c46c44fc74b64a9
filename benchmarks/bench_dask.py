"""Assignment on a local Dask cluster against the single-process path, in one run.

Writes N points (default 50,000,000, each about 50 m from one of the sample
district's incidents: clustered as reports are) as GeoParquet partitions, then
assigns them to the sample district's grids, timed on the same files in the same run:

- the **single-process path**: one process reads each partition, assigns it with
  the district's GridIndex (:func:`gridgis.parallel.assign_partition`, what each
  Dask task runs) and writes it — the work ``gridgis assign`` does, without Dask;
- ``gridgis assign --dask`` on a local cluster of **1** worker process, then **2**
  (:func:`gridgis.parallel.assign_dask`), each worker loading the index from its
  disk cache (memory-mapped).

Every side runs its kernels on one thread a process (``NUMBA_NUM_THREADS=1``), so
the scaling is that of processes. It prints points per second of each, the ratio of
Dask to the single process, the scaling from 1 to 2 workers, and checks that every
point got the same answer on every path.

    python benchmarks/bench_dask.py [--points 50000000] [--partition 2000000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")  # before numba loads, here and in workers

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis import sample_district, write_layers
from gridgis.index.cache import cached_index
from gridgis.parallel import assign_dask, assign_partition, dask_client


def write_points(seeds: np.ndarray, n: int, per_part: int, folder: Path) -> int:
    """``n`` points in GeoParquet partitions of ``per_part``; the number of partitions.

    Each point lies about 50 m (normal, σ 0.0005°) from one of ``seeds`` (the sample's
    incidents), so the archive clusters as reports do and nearly all fall in a grid.
    """
    folder.mkdir(parents=True)
    parts = max(1, -(-n // per_part))
    for i in range(parts):
        size = min(per_part, n - i * per_part)
        rng = np.random.default_rng(1000 + i)
        xy = seeds[rng.integers(0, len(seeds), size)] + rng.normal(0, 0.0005, (size, 2))
        frame = gpd.GeoDataFrame({"point_id": np.arange(i * per_part, i * per_part + size)},
                                 geometry=shapely.points(xy), crs=4326)
        frame.to_parquet(folder / f"part.{i:05d}.parquet")
    return parts


def single_process(points: Path, gpkg: Path, out: Path) -> float:
    """Seconds for one process to read, assign and write every partition in turn."""
    out.mkdir()
    start = time.perf_counter()
    for path in sorted(points.glob("*.parquet")):
        assigned = assign_partition(gpd.read_parquet(path), str(gpkg))
        assigned.to_parquet(out / path.name)
    return time.perf_counter() - start


def on_dask(points: Path, gpkg: Path, out: Path, workers: int) -> float:
    """Seconds of ``assign_dask`` on a local cluster of ``workers`` (cluster start excluded)."""
    with dask_client(workers=workers) as client:
        client.run(lambda: None)  # the workers are up
        start = time.perf_counter()
        assign_dask(points, gpkg, out, client=client)
        return time.perf_counter() - start


def same_answers(one: Path, other: Path) -> bool:
    """Whether every point has the same grid, match and edge distance in both outputs."""
    def number(path: Path) -> int:  # part.7.parquet (Dask) and part.00007.parquet
        return int(path.name.split(".")[1])

    mine = sorted(one.glob("*.parquet"), key=number)
    theirs = sorted(other.glob("*.parquet"), key=number)
    if len(mine) != len(theirs):
        return False
    columns = ["point_id", "grid_code", "match", "edge_distance_m"]
    for a, b in zip(mine, theirs, strict=True):
        left = pd.read_parquet(a, columns=columns).reset_index(drop=True)
        right = pd.read_parquet(b, columns=columns).reset_index(drop=True)
        if not left.astype(object).equals(right.astype(object)):
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=50_000_000)
    ap.add_argument("--partition", type=int, default=2_000_000,
                    help="points per GeoParquet partition (default 2,000,000)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="a folder to keep the files in (default: a temporary one)")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gridgis-bench-dask-"))
    try:
        layers = sample_district()
        gpkg = write_layers(layers, folder / "district.gpkg")
        cached_index(gpkg, layers)  # the index cache every worker maps
        t = time.perf_counter()
        seeds = shapely.get_coordinates(layers.incidents.to_crs(4326).geometry.values)
        parts = write_points(seeds, args.points, args.partition, folder / "points")
        print(f"{args.points:,} points in {parts} GeoParquet partitions written in "
              f"{time.perf_counter() - t:.1f} s; {len(layers.grids):,} grids; "
              f"{os.cpu_count()} cores on this machine")
        assign_partition(gpd.read_parquet(next((folder / "points").glob("*.parquet"))).iloc[
            :1000], str(gpkg))  # the kernels loaded before the clock starts
        single = single_process(folder / "points", gpkg, folder / "single")
        one = on_dask(folder / "points", gpkg, folder / "dask1.parquet", 1)
        two = on_dask(folder / "points", gpkg, folder / "dask2.parquet", 2)
        rate = {name: args.points / s for name, s in
                (("single process", single), ("Dask, 1 worker", one), ("Dask, 2 workers", two))}
        print(f"{'path':<18} {'seconds':>9} {'points/s':>14}")
        for (name, r), s in zip(rate.items(), (single, one, two), strict=True):
            print(f"{name:<18} {s:>9.1f} {r:>14,.0f}")
        versus = rate["Dask, 2 workers"] / rate["single process"]
        scaling = rate["Dask, 2 workers"] / rate["Dask, 1 worker"]
        print(f"Dask 2 workers / single process: {versus:.2f}×")
        print(f"scaling 1 → 2 workers: {scaling:.2f}×")
        same = all(same_answers(folder / "single", folder / name)
                   for name in ("dask1.parquet", "dask2.parquet"))
        print(f"same answer for every point on every path: {same}")
        if not same:
            raise SystemExit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
