"""Seeds, district outline and a clean grid coverage for the sample district.

Everything here works in metres on the local Gauss-Krüger plane. Grid cells
are Voronoi cells of seeds whose density follows the settlement pattern (a
dense city core, small dense town centres, sparse villages). The Voronoi
edges and the district outline are noded together and polygonized once, so
neighbouring cells share exactly the same vertices: no gap, no overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

__all__ = ["Settlement", "district_outline", "grid_cells", "grid_seeds"]


@dataclass(frozen=True)
class Settlement:
    """A dense area: the city core or a town centre."""

    x: float
    y: float
    radius: float
    spacing: float
    kind: str  # "city" or "town"
    fringe_radius: float = 0.0
    fringe_spacing: float = 0.0


def district_outline(rng: np.random.Generator, radius: float) -> shapely.Polygon:
    """A smooth, irregular outline of about ``pi * radius**2`` square metres."""
    theta = np.linspace(0.0, 2 * np.pi, 721)[:-1]
    r = np.ones_like(theta)
    for k, amp in ((2, 0.16), (3, 0.10), (5, 0.05), (9, 0.025), (17, 0.012)):
        r += amp * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    r *= radius * (1 + 0.3 * np.cos(theta)) / 1.02  # stretched east-west
    return shapely.Polygon(np.column_stack([r * np.cos(theta), 0.8 * r * np.sin(theta)]))


def _hex_lattice(bounds: tuple[float, float, float, float], spacing: float,
                 rng: np.random.Generator, jitter: float = 0.28) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    dy = spacing * np.sqrt(3) / 2
    ys = np.arange(miny, maxy + dy, dy)
    xs = np.arange(minx, maxx + spacing, spacing)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys))[:, None] % 2) * spacing / 2
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    return pts + rng.uniform(-jitter, jitter, pts.shape) * spacing


def grid_seeds(rng: np.random.Generator, outline: shapely.Polygon,
               settlements: list[Settlement], rural_spacing: float
               ) -> tuple[np.ndarray, np.ndarray]:
    """Seeds of the grid cells and the index of the settlement each belongs to (-1: rural)."""
    parts, owner = [], []
    for i, s in enumerate(settlements):
        pts = _hex_lattice((s.x - s.radius, s.y - s.radius, s.x + s.radius, s.y + s.radius),
                           s.spacing, rng)
        d = np.hypot(pts[:, 0] - s.x, pts[:, 1] - s.y)
        # ragged edge: the settlement frays out instead of ending on a circle
        keep = d < s.radius * (0.85 + 0.3 * rng.random(len(pts)))
        parts.append(pts[keep])
        owner.append(np.full(keep.sum(), i))
        if s.fringe_radius > s.radius:  # the urban fringe: larger grids, a gentler edge
            r = s.fringe_radius
            pts = _hex_lattice((s.x - r, s.y - r, s.x + r, s.y + r), s.fringe_spacing, rng)
            d = np.hypot(pts[:, 0] - s.x, pts[:, 1] - s.y)
            keep = (d > s.radius * 1.15 + 0.3 * s.fringe_spacing) & (
                d < r * (0.9 + 0.2 * rng.random(len(pts))))
            parts.append(pts[keep])
            owner.append(np.full(keep.sum(), i))
    dense = np.vstack(parts)
    dense_owner = np.concatenate(owner)
    # the first settlement wins where two overlap
    first = np.zeros(len(dense), dtype=bool)
    _, first_idx = np.unique(np.round(dense / 1.0), axis=0, return_index=True)
    first[first_idx] = True
    dense, dense_owner = dense[first], dense_owner[first]
    rural = _hex_lattice(outline.bounds, rural_spacing, rng, jitter=0.33)
    near = np.zeros(len(rural), dtype=bool)
    for s in settlements:
        reach = max(s.radius, s.fringe_radius)
        near |= np.hypot(rural[:, 0] - s.x, rural[:, 1] - s.y) < reach + rural_spacing * 0.6
    rural = rural[~near]
    seeds = np.vstack([dense, rural])
    owner_all = np.concatenate([dense_owner, np.full(len(rural), -1)])
    inside = shapely.contains_xy(outline, seeds[:, 0], seeds[:, 1])
    return seeds[inside], owner_all[inside]


def grid_cells(seeds: np.ndarray, outline: shapely.Polygon) -> np.ndarray:
    """Tile ``outline`` with one polygon per seed, exactly, sharing vertices.

    Voronoi edges and the outline are noded and polygonized together; each
    face goes to its nearest seed (the Voronoi rule), and faces of a seed are
    merged with a coverage union. A seed whose cell falls apart keeps its
    largest piece; the others join the neighbour they share most edge with.
    """
    env = shapely.box(*outline.buffer(5000).bounds)
    edges = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=env, only_edges=True)
    lines = shapely.unary_union([edges, outline.exterior])
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(lines))))
    reps = shapely.get_coordinates(shapely.point_on_surface(faces))
    faces = faces[shapely.contains_xy(outline, reps[:, 0], reps[:, 1])]
    reps = shapely.get_coordinates(shapely.point_on_surface(faces))
    _, owner = cKDTree(seeds).query(reps)
    owner = _merge_detached(faces, owner, len(seeds))
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(len(seeds) + 1))
    cells = np.empty(len(seeds), dtype=object)
    for i in range(len(seeds)):
        group = faces[order[bounds[i]:bounds[i + 1]]]
        cells[i] = group[0] if len(group) == 1 else shapely.coverage_union_all(group)
    return cells


def _merge_detached(faces: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    """Give faces detached from their seed's main piece to the best neighbour."""
    owner = owner.copy()
    tree = shapely.STRtree(faces)
    left, right = tree.query(faces, predicate="touches")
    shared = shapely.length(shapely.intersection(faces[left], faces[right]))
    for _ in range(5):
        changed = False
        for seed in np.unique(owner):
            mine = np.flatnonzero(owner == seed)
            if len(mine) < 2:
                continue
            merged = shapely.coverage_union_all(faces[mine])
            if shapely.get_num_geometries(merged) == 1:
                continue
            parts = shapely.get_parts(merged)
            main = parts[np.argmax(shapely.area(parts))]
            for f in mine:
                if shapely.covers(main, shapely.point_on_surface(faces[f])):
                    continue
                cand = (left == f) & (owner[right] != seed) & (shared > 0)
                if cand.any():
                    owner[f] = owner[right[cand][np.argmax(shared[cand])]]
                    changed = True
        if not changed:
            break
    return owner
