"""GCJ-02/BD-09 to WGS84: the compiled point-by-point inverse against the numpy batch one.

The peer is the vectorised numpy inverse gridgis used before (measured in the
same run): every point iterates until the whole batch has converged, so a
point's answer depends on its batch. The compiled one (gridgis.crs, numba)
iterates each point until its own correction is below 1e-9 degrees. Prints
points per second of both and their ratio, the round-trip error
wgs84 -> gcj02 -> wgs84 (and through BD-09), and how many points of a sample
get other bits when converted alone than inside the batch.

    python benchmarks/bench_crs.py [--points 1000000] [--rounds 3] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pyproj

from gridgis.crs import (
    _bd_forward,
    _gcj_offset,
    bd09_to_gcj02,
    gcj02_to_wgs84,
    in_china_rough,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")
TOL, MAX_ITER = 1e-9, 30


def numpy_batch_inverse(forward: Callable, x: np.ndarray, y: np.ndarray, rows: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """The former inverse: fixed-point iteration until the batch's largest correction < tol."""
    x, y = x.copy(), y.copy()
    tx, ty = x[rows], y[rows]
    wx, wy = tx.copy(), ty.copy()
    for _ in range(MAX_ITER):
        fx, fy = forward(wx, wy)
        dx, dy = tx - fx, ty - fy
        wx += dx
        wy += dy
        if wx.size == 0 or max(np.abs(dx).max(), np.abs(dy).max()) < TOL:
            break
    x[rows], y[rows] = wx, wy
    return x, y


def numpy_gcj02_to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return numpy_batch_inverse(_gcj_offset, x, y, in_china_rough(x, y))


def numpy_bd09_to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gx, gy = numpy_batch_inverse(_bd_forward, x, y, np.isfinite(x) & np.isfinite(y))
    return numpy_gcj02_to_wgs84(gx, gy)


def compiled_bd09_to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gcj02_to_wgs84(*bd09_to_gcj02(x, y))


def best(fn: Callable, *args: np.ndarray, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t)
    return min(times)


def batch_dependent(fn: Callable, x: np.ndarray, y: np.ndarray, sample: int) -> int:
    """How many of the first ``sample`` points get other bits alone than in the batch."""
    bx, by = fn(x, y)
    n = 0
    for i in range(min(sample, len(x))):
        ox, oy = fn(x[i:i + 1], y[i:i + 1])
        n += int(ox[0] != bx[i] or oy[0] != by[i])
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sample", type=int, default=3_000,
                    help="points checked alone against the batch")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    # half in a district (Wenzhou, 120.6E 28.0N), half anywhere over China
    half = args.points // 2
    lon = np.concatenate([rng.normal(120.65, 0.3, half), rng.uniform(73.5, 134.5,
                                                                      args.points - half)])
    lat = np.concatenate([rng.normal(28.0, 0.3, half), rng.uniform(18.5, 53.0,
                                                                    args.points - half)])
    gx, gy = wgs84_to_gcj02(lon, lat)
    bx, by = wgs84_to_bd09(lon, lat)
    gcj02_to_wgs84(gx[:10], gy[:10])  # compile (or load) the kernels
    compiled_bd09_to_wgs84(bx[:10], by[:10])

    print(f"{args.points:,} points, best of {args.rounds} rounds")
    print(f"{'input':<8}{'numpy batch (peer)':>22}{'compiled per point':>22}{'ratio':>8}"
          f"{'round trip max':>17}{'batch-dependent (old/new)':>28}")
    for name, old, new, (x, y) in (
            ("GCJ-02", numpy_gcj02_to_wgs84, gcj02_to_wgs84, (gx, gy)),
            ("BD-09", numpy_bd09_to_wgs84, compiled_bd09_to_wgs84, (bx, by))):
        t_old = best(old, x, y, rounds=args.rounds)
        t_new = best(new, x, y, rounds=args.rounds)
        back_x, back_y = new(x, y)
        error_m = float(GEOD.inv(lon, lat, back_x, back_y)[2].max())
        old_err = float(GEOD.inv(lon, lat, *old(x, y))[2].max())
        dep_old = batch_dependent(old, x, y, args.sample)
        dep_new = batch_dependent(new, x, y, args.sample)
        print(f"{name:<8}{args.points / t_old:>17,.0f} pt/s{args.points / t_new:>17,.0f} pt/s"
              f"{t_old / t_new:>7.1f}x{error_m * 1000:>13.6f} mm"
              f"{dep_old:>14,} / {dep_new:,} of {min(args.sample, args.points):,}")
        print(f"{'':<8}(peer's round trip max {old_err * 1000:.6f} mm)")
        if dep_new or error_m >= 1e-3:
            raise SystemExit(f"{name}: {dep_new} points depend on their batch, round trip "
                             f"{error_m * 1000:.4f} mm (must be 0 and < 1 mm)")


if __name__ == "__main__":
    main()
