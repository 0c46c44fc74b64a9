"""Buildings with households and population, placed inside their grids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["build_buildings", "random_points_in"]

# households per building: urban mixes self-built houses, walk-ups and towers
URBAN_SIZES = np.array([1, 2, 3, 4, 6, 12, 18, 24, 36, 48, 72])
URBAN_P = np.array([0.18, 0.20, 0.16, 0.11, 0.09, 0.07, 0.07, 0.05, 0.04, 0.02, 0.01])
RURAL_SIZES = np.array([1, 2, 3])
RURAL_P = np.array([0.55, 0.35, 0.10])


def random_points_in(polys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniform random point inside each polygon (vectorized rejection)."""
    bounds = shapely.bounds(polys)
    out = np.empty((len(polys), 2))
    todo = np.arange(len(polys))
    shapely.prepare(polys)
    while len(todo):
        b = bounds[todo]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        ok = shapely.contains_xy(polys[todo], x, y)
        out[todo[ok], 0] = x[ok]
        out[todo[ok], 1] = y[ok]
        todo = todo[~ok]
    return out


def _sizes_to_target(rng: np.random.Generator, target: int, sizes: np.ndarray,
                     p: np.ndarray) -> np.ndarray:
    draw = rng.choice(sizes, size=max(4, int(2.5 * target / (sizes @ p))), p=p)
    cum = np.cumsum(draw)
    k = int(np.searchsorted(cum, target))
    out = draw[: k + 1].copy()
    out[-1] -= cum[k] - target  # the last building takes what is left
    return out[out > 0]


def build_buildings(grids: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Buildings (points, metres) whose households add up to a target per grid.

    Urban grids hold 300–500 households; rural grids are larger and sparser.
    The grids' ``households`` and ``population`` are filled from the buildings.
    """
    urban = grids["_urban"].to_numpy()
    target = np.where(urban, rng.integers(320, 481, len(grids)),
                      rng.integers(220, 600, len(grids)))
    sizes, owner = [], []
    for g in range(len(grids)):
        s = _sizes_to_target(rng, int(target[g]), *(
            (URBAN_SIZES, URBAN_P) if urban[g] else (RURAL_SIZES, RURAL_P)))
        sizes.append(s)
        owner.append(np.full(len(s), g))
    hh = np.concatenate(sizes)
    gi = np.concatenate(owner)
    polys = np.asarray(grids.geometry.values)[gi]
    xy = random_points_in(polys, rng)
    per_person = np.where(urban[gi], 2.55, 3.05)
    pop = np.maximum(hh, np.round(hh * rng.normal(per_person, 0.35))).astype(int)
    codes = grids["code"].to_numpy()[gi]
    seq = np.zeros(len(gi), dtype=int)
    starts = np.r_[0, np.flatnonzero(np.diff(gi)) + 1]
    for a, b in zip(starts, np.r_[starts[1:], len(gi)], strict=True):
        seq[a:b] = np.arange(1, b - a + 1)
    ids = [f"{c}B{s:04d}" for c, s in zip(codes, seq, strict=True)]
    buildings = gpd.GeoDataFrame(
        {"building_id": ids, "households": hh, "population": pop, "grid_code": codes},
        geometry=shapely.points(xy))
    grids["households"] = np.bincount(gi, weights=hh, minlength=len(grids)).astype(int)
    grids["population"] = np.bincount(gi, weights=pop, minlength=len(grids)).astype(int)
    return buildings
