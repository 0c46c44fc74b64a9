"""A province-scale synthetic grid layer: Voronoi cells with wiggly shared edges.

Seeds are dense around a few dozen "cities" (small urban grids) and sparse
elsewhere (large rural grids). Every Voronoi edge is bent into a gentle
S-curve of several vertices before the cells are polygonized, so neighbours
share exactly the same wiggly edge and each cell has about 60 vertices.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def synthetic_grids(n: int, *, seed: int = 0, lon0: float = 118.0, lat0: float = 29.0,
                    width: float = 4.0, height: float = 3.0, bends: int = 9
                    ) -> gpd.GeoDataFrame:
    """About ``n`` grids in lon/lat, with codes, in a ``width`` × ``height`` degree box."""
    rng = np.random.default_rng(seed)
    cities = max(1, n // 4000)
    centres = np.column_stack([rng.uniform(lon0, lon0 + width, cities),
                               rng.uniform(lat0, lat0 + height, cities)])
    urban = int(n * 0.7)
    which = rng.integers(0, cities, urban)
    spread = rng.uniform(0.02, 0.08, cities)[which]
    pts = centres[which] + rng.normal(0, 1, (urban, 2)) * spread[:, None]
    pts = np.vstack([pts, np.column_stack([rng.uniform(lon0, lon0 + width, n - urban),
                                           rng.uniform(lat0, lat0 + height, n - urban)])])
    keep = (pts[:, 0] > lon0) & (pts[:, 0] < lon0 + width) & (pts[:, 1] > lat0) & \
        (pts[:, 1] < lat0 + height)
    pts = np.unique(np.round(pts[keep], 9), axis=0)
    edges = shapely.voronoi_polygons(shapely.MultiPoint(pts), only_edges=True,
                                     extend_to=shapely.box(lon0, lat0, lon0 + width,
                                                           lat0 + height))
    segs = shapely.get_coordinates(shapely.get_parts(edges)).reshape(-1, 2, 2)
    a, b = segs[:, 0], segs[:, 1]
    t = np.linspace(0, 1, bends + 2)[1:-1]
    d = b - a
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    # an S-curve whose sign depends on the edge, not on its direction: shared exactly
    sign = np.where((a[:, 0] < b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] < b[:, 1])), 1, -1)
    amp = 0.04 * np.sin(2 * np.pi * t)[None, :] * sign[:, None]
    inner = a[:, None, :] + t[None, :, None] * d[:, None, :] + amp[..., None] * \
        normal[:, None, :]
    line = np.concatenate([a[:, None, :], inner, b[:, None, :]], axis=1)
    lines = shapely.linestrings(line.reshape(-1, 2), indices=np.repeat(
        np.arange(len(line)), bends + 2))
    faces = shapely.get_parts(shapely.polygonize(lines))
    faces = faces[shapely.is_valid(faces) & (shapely.area(faces) > 0)]
    order = np.lexsort((shapely.get_coordinates(shapely.centroid(faces))[:, 0],
                        np.round(shapely.get_coordinates(shapely.centroid(faces))[:, 1], 2)))
    faces = faces[order]
    codes = [f"33{i // 1000:07d}{i % 1000 + 1:03d}{1:03d}" for i in range(len(faces))]
    return gpd.GeoDataFrame({"code": codes, "community_code": [c[:12] for c in codes],
                             "workers": 2, "worker_names": "网格员"},
                            geometry=faces, crs=4326)


def synthetic_points(grids: gpd.GeoDataFrame, n: int, *, seed: int = 1) -> np.ndarray:
    """``n`` lon/lat points: 40 % uniform over the layer, 60 % clustered like incidents."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = grids.total_bounds
    uniform = int(n * 0.4)
    out = np.empty((n, 2))
    out[:uniform, 0] = rng.uniform(minx, maxx, uniform)
    out[:uniform, 1] = rng.uniform(miny, maxy, uniform)
    hot = shapely.get_coordinates(shapely.centroid(grids.geometry.values[
        rng.choice(len(grids), max(1, len(grids) // 50), replace=False)]))
    which = rng.integers(0, len(hot), n - uniform)
    out[uniform:] = hot[which] + rng.normal(0, 0.01, (n - uniform, 2))
    return out
