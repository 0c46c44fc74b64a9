"""Walking routes for simulated patrols along a line network (roads, or a fallback).

The walker takes any network of lines on the Gauss-Krüger plane: the
district's road layer when there is one, else a fallback made of the grid
and patrol-zone boundaries (drawn a few metres inside each zone, so a walk
along them lies in one zone) joined by centroid links. Each zone's
representative point is linked to the network's nearest nodes, and a grid's
patrol round runs home → each of its zones (nearest first) → home along
shortest paths (scipy.sparse.csgraph on the grid's neighbourhood).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = ["LineNetwork", "Round", "fallback_lines", "grid_rounds"]

_SNAP = 0.5  # metres: vertices this close are one node


@dataclass(frozen=True)
class LineNetwork:
    """Nodes and undirected edges of a line network on a plane (metres)."""

    xy: np.ndarray  # (n, 2)
    a: np.ndarray
    b: np.ndarray
    length: np.ndarray

    @classmethod
    def from_lines(cls, lines: np.ndarray) -> LineNetwork:
        """Every vertex a node (vertices within half a metre merged), every segment an edge."""
        coords, owner = shapely.get_coordinates(lines, return_index=True)
        key = np.round(coords / _SNAP).astype(np.int64)
        uniq, node = np.unique(key, axis=0, return_inverse=True)
        node = node.ravel()
        xy = np.zeros((len(uniq), 2))
        np.add.at(xy, node, coords)
        xy /= np.bincount(node, minlength=len(uniq))[:, None]
        same = owner[1:] == owner[:-1]
        a, b = node[:-1][same], node[1:][same]
        keep = a != b
        a, b = a[keep], b[keep]
        return cls(xy=xy, a=a, b=b, length=np.hypot(*(xy[a] - xy[b]).T))

    def joined(self, extra: np.ndarray) -> LineNetwork:
        """This network with more lines (links) merged in."""
        own = shapely.linestrings(np.stack([self.xy[self.a], self.xy[self.b]], axis=1))
        return LineNetwork.from_lines(np.concatenate([own, extra]))


def fallback_lines(grids: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *,
                   inset: float = 15.0) -> np.ndarray:
    """Zone and grid boundaries drawn ``inset`` metres inside, and links between neighbours.

    Every zone's boundary, moved inward, is a ring; each zone's representative
    point links to its ring and to the representative points of the zones
    of the same grid; each grid's representative point links to its zones'
    and to the neighbouring grids' (the centroid links that keep it connected).
    """
    geoms = np.asarray(zones.geometry.values)
    rings = shapely.boundary(shapely.buffer(geoms, -inset))
    rings = np.where(shapely.is_empty(rings), shapely.boundary(geoms), rings)
    rep = shapely.point_on_surface(geoms)
    links = [shapely.shortest_line(rep, rings)]
    gid = zones["grid_code"].to_numpy()
    grid_geom = np.asarray(grids.geometry.values)
    grid_rep = shapely.point_on_surface(grid_geom)
    where = {c: i for i, c in enumerate(grids["code"].to_numpy())}
    gi = np.array([where[c] for c in gid])
    links.append(shapely.linestrings(np.stack([shapely.get_coordinates(grid_rep[gi]),
                                               shapely.get_coordinates(rep)], axis=1)))
    tree = shapely.STRtree(grid_geom)
    lo, hi = tree.query(grid_geom, predicate="touches")
    pair = lo < hi
    links.append(shapely.linestrings(np.stack([shapely.get_coordinates(grid_rep[lo[pair]]),
                                               shapely.get_coordinates(grid_rep[hi[pair]])],
                                              axis=1)))
    return np.concatenate([shapely.get_parts(shapely.line_merge(rings)).ravel(), *links])


@dataclass(frozen=True)
class Round:
    """One grid's patrol round: a polyline, the distances at which each zone's point is reached."""

    xy: np.ndarray
    cum: np.ndarray
    stops: np.ndarray  # distance along at each zone point
    stop_zone: np.ndarray  # zone index of each stop


def _path(pred: np.ndarray, src: int, dst: int) -> list[int]:
    out = [dst]
    while out[-1] != src and pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out[::-1] if out[-1] == src else [src, dst]


def _waypoints(zones: gpd.GeoDataFrame, inset: float, per_zone: int) -> np.ndarray:
    """``per_zone`` points spread along each zone's boundary, ``inset`` metres inside it."""
    geoms = np.asarray(zones.geometry.values)
    rings = shapely.boundary(shapely.buffer(geoms, -inset))
    rings = np.where(shapely.is_empty(rings), shapely.boundary(geoms), rings)
    rings = np.array([shapely.get_parts(r)[0] if shapely.get_num_geometries(r) > 1 else r
                      for r in rings])
    fractions = np.arange(per_zone) / per_zone
    pts = shapely.line_interpolate_point(rings[:, None], fractions[None, :], normalized=True)
    return shapely.get_coordinates(pts.ravel()).reshape(len(geoms), per_zone, 2)


def grid_rounds(network: LineNetwork, grids: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *,
                skip_levels: tuple[str, ...] = (), margin: float = 40.0, inset: float = 12.0,
                per_zone: int = 3) -> list[Round | None]:
    """For each grid, a round through its zones (nearest first, levels skipped) and back.

    Each zone is walked round: ``per_zone`` waypoints spread along its
    boundary ``inset`` metres inside, reached in turn along the network's
    shortest paths over the lines within ``margin`` metres of the grid (a
    worker keeps to their own grid); a
    waypoint joins the network at its nearest node by a short link. The
    round starts and ends at the first zone's first waypoint. A grid with
    no zone left has no round (None).
    """
    way = _waypoints(zones, inset, per_zone)
    node_tree = shapely.STRtree(shapely.points(network.xy))
    by_grid: dict[str, list[int]] = {}
    for i, (g, lv) in enumerate(zip(zones["grid_code"], zones["level"], strict=True)):
        if lv not in skip_levels:
            by_grid.setdefault(g, []).append(i)
    edge_mid = (network.xy[network.a] + network.xy[network.b]) / 2
    edge_tree = shapely.STRtree(shapely.points(edge_mid))
    near_grid = shapely.buffer(np.asarray(grids.geometry.values), margin)
    out: list[Round | None] = []
    for gi, code in enumerate(grids["code"]):
        members = by_grid.get(code, [])
        if not members:
            out.append(None)
            continue
        edges = edge_tree.query(near_grid[gi], predicate="contains")
        pts = way[members].reshape(-1, 2)
        owner = np.repeat(members, per_zone)
        near = node_tree.query_nearest(shapely.points(pts), return_distance=False)[1]
        nodes, inv = np.unique(np.r_[network.a[edges], network.b[edges], near],
                               return_inverse=True)
        k = len(edges)
        ea, eb, targets = inv[:k], inv[k:2 * k], inv[2 * k:]
        n = len(nodes)
        graph = coo_matrix((np.r_[network.length[edges], network.length[edges]],
                            (np.r_[ea, eb], np.r_[eb, ea])), shape=(n, n)).tocsr()
        firsts = np.arange(0, len(pts), per_zone)
        dist, pred = dijkstra(graph, indices=targets, return_predecessors=True)
        zorder, at, left = [0], 0, list(range(1, len(members)))
        while left:  # zones nearest first, from the end of the last one
            last = firsts[at] + per_zone - 1
            nxt = min(left, key=lambda j: dist[last, targets[firsts[j]]])
            zorder.append(nxt)
            left.remove(nxt)
            at = nxt
        order = [int(firsts[z] + w) for z in zorder for w in range(per_zone)] + [0]
        seq: list[np.ndarray] = []
        stop_at, stop_zone = [], []
        count = 0
        for s, t in itertools.pairwise(order):
            if np.isfinite(dist[s, targets[t]]):
                path = network.xy[nodes[_path(pred[s], targets[s], targets[t])]]
            else:  # no path in the neighbourhood: straight across
                path = np.empty((0, 2))
            leg = np.vstack([pts[s], path, pts[t]])
            if seq:
                leg = leg[1:]
            seq.append(leg)
            count += len(leg)
            if t % per_zone == 1 % per_zone:  # a zone's second waypoint: a place to stop
                stop_at.append(count - 1)
                stop_zone.append(int(owner[t]))
        xy = np.vstack(seq)
        cum = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
        out.append(Round(xy=xy, cum=cum, stops=cum[np.asarray(stop_at, dtype=int)],
                         stop_zone=np.asarray(stop_zone, dtype=int)))
    return out
