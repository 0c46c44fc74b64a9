"""Group grid cells into contiguous communities and townships.

Groups grow from seed cells over the cell adjacency graph by a multi-source
shortest-path search (scipy), so every group is contiguous by construction.
Crossing from a settlement into the countryside costs extra, which keeps
urban communities urban and rural villages rural.
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = ["adjacency", "farthest_points", "grow_groups"]


def adjacency(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, of polygons sharing an edge of positive length."""
    tree = shapely.STRtree(polys)
    left, right = tree.query(polys, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    length = shapely.length(shapely.intersection(polys[left], polys[right]))
    keep = length > 1e-6
    return left[keep], right[keep]


def grow_groups(centres: np.ndarray, pairs: tuple[np.ndarray, np.ndarray],
                sources: np.ndarray, zone: np.ndarray, *, crossing_cost: float = 1e6
                ) -> np.ndarray:
    """Label each node with the source it is nearest to along the adjacency graph.

    Parameters
    ----------
    centres : (n, 2) array
        Node positions in metres; edge weight is the distance between them.
    pairs : tuple of arrays
        Undirected edges.
    sources : array of int
        Nodes that start a group; the label is the position in ``sources``.
    zone : array
        Zone of each node; an edge between different zones costs
        ``crossing_cost`` more.
    """
    i, j = pairs
    w = np.hypot(*(centres[i] - centres[j]).T) + 1.0
    w = w + np.where(zone[i] != zone[j], crossing_cost, 0.0)
    n = len(centres)
    graph = coo_matrix((np.concatenate([w, w]), (np.concatenate([i, j]),
                                                  np.concatenate([j, i]))), shape=(n, n))
    _, _, nearest = dijkstra(graph.tocsr(), indices=sources, min_only=True,
                             return_predecessors=True)
    label = np.full(n, -1)
    label[sources] = np.arange(len(sources))
    reached = nearest >= 0
    lookup = {int(s): k for k, s in enumerate(sources)}
    label[reached] = [lookup[int(s)] for s in nearest[reached]]
    if (label < 0).any():  # an island: join the nearest source by straight distance
        orphan = np.flatnonzero(label < 0)
        diff = centres[orphan][:, None, :] - centres[sources][None, :, :]
        d = np.hypot(diff[..., 0], diff[..., 1])
        label[orphan] = np.argmin(d, axis=1)
    return label


def farthest_points(points: np.ndarray, k: int, rng: np.random.Generator, *,
                    mass: np.ndarray | None = None) -> np.ndarray:
    """Indices of ``k`` distinct points near the centres of a k-means clustering.

    k-means spreads the group seeds so that groups grown from them come out
    of similar size (farthest-point seeds would crowd the edges). ``mass``
    (default: ``points``) are the points clustered, e.g. grid centres when
    choosing among communities, so groups balance grids rather than area.
    """
    n = len(points)
    k = max(1, min(k, n))
    if k == n:
        return np.arange(n)
    centres, _ = kmeans2(points if mass is None else mass, k, minit="++", seed=rng)
    chosen: list[int] = []
    for c in centres:
        d = np.hypot(*(points - c).T)
        d[chosen] = np.inf
        chosen.append(int(np.argmin(d)))
    return np.array(chosen)
