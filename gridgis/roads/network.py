"""Travel times on a road network: snapping, one-to-many shortest paths, routes, isochrones.

A :class:`RoadNetwork` is built once from a road layer (lines in lon/lat with
``speed_kmh`` and ``oneway``). Lines are densified in lon/lat, projected to the
local CGCS2000 Gauss-Krüger zone and cut into straight segments between
consecutive vertices; lines meet where they share a vertex. Each segment is an
edge of a directed graph weighted by minutes (length ÷ speed), both ways unless
the line is one-way (then only in its digitised direction). Shortest paths run
in compiled code (:func:`scipy.sparse.csgraph.dijkstra`, measured against
networkx, igraph and osmnx in ``benchmarks/bench_travel.py``).

A point joins the network at the nearest point of the nearest segment (its
*snap*); the stretch from the point to its snap (a lane, a courtyard, a field
path not in the layer) is covered at ``access_speed_kmh``. A travel time is
therefore: origin → its snap → along the segment to a junction → shortest path
→ along the target's segment → the target's snap → the target. Every point is
snapped on its own: its answer never depends on the other points of a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from gridgis.crs import measuring_crs, pipeline_transformer
from gridgis.errors import InputError, LayerError
from gridgis.roads._chains import chains_of
from gridgis.roads._segments import SegmentGrid, chain_minutes_to

__all__ = ["OriginTable", "RoadNetwork", "Snap"]

#: densify lon/lat lines so that no straight piece is longer than this (degrees, ~100 m)
_DENSIFY_DEG = 0.001
#: vertices closer than this (metres, after projection) are one node
_NODE_TOLERANCE_M = 0.01


@dataclass(frozen=True)
class Snap:
    """Where points join the network.

    Attributes
    ----------
    segment : numpy.ndarray
        Index of the nearest segment of each point.
    fraction : numpy.ndarray
        Position of the snap along that segment (0 at its first node, 1 at its last).
    offroad_m : numpy.ndarray
        Straight distance from the point to its snap, in metres.
    xy : numpy.ndarray
        The snapped points on the Gauss-Krüger plane (n × 2).
    """

    segment: np.ndarray
    fraction: np.ndarray
    offroad_m: np.ndarray
    xy: np.ndarray


class RoadNetwork:
    """A road layer as a directed graph weighted by travel minutes.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road centre lines (LineString or MultiLineString) with a CRS. Optional
        columns: ``speed_kmh`` (missing or non-positive values take
        `default_speed_kmh`) and ``oneway`` (true: only in the digitised direction).
    default_speed_kmh : float, default 30
        Speed of lines without a usable ``speed_kmh``.
    access_speed_kmh : float, default 10
        Speed over the stretch between a point and its snap on the network.

    Raises
    ------
    LayerError
        If the layer has no CRS or no line with a length.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> road = shapely.LineString([(120.60, 28.0), (120.62, 28.0)])
    >>> net = RoadNetwork(gpd.GeoDataFrame({"speed_kmh": [60.0]}, geometry=[road], crs=4326))
    >>> minutes = net.travel_minutes([120.60], [28.0], [120.62], [28.0])
    >>> round(float(minutes[0, 0]), 1)   # 1.96 km at 60 km/h
    2.0
    """

    def __init__(self, roads: gpd.GeoDataFrame, *, default_speed_kmh: float = 30.0,
                 access_speed_kmh: float = 10.0) -> None:
        if roads.crs is None:
            raise LayerError("道路图层没有坐标系 (the road layer has no CRS)", layer="roads")
        if not (default_speed_kmh > 0 and access_speed_kmh > 0):
            raise ValueError("speeds must be positive")
        lines = roads[roads.geometry.notna() & ~roads.geometry.is_empty].to_crs(4326)
        lines = lines[lines.geometry.geom_type.isin(("LineString", "MultiLineString"))]
        if len(lines) == 0:
            raise LayerError("道路图层中没有线 (the road layer holds no lines)", layer="roads")
        lines = lines.explode(index_parts=False)
        bounds = lines.total_bounds
        self.crs = measuring_crs(float((bounds[0] + bounds[2]) / 2))
        self._to_plane = pipeline_transformer(4326, self.crs)  # cheap in each new thread
        self._to_lonlat = Transformer.from_crs(self.crs, 4326, always_xy=True)
        self.default_speed_kmh = float(default_speed_kmh)
        self.access_m_per_min = access_speed_kmh * 1000.0 / 60.0

        speed = _column(lines, "speed_kmh", np.nan).astype(float)
        speed = np.where(np.isfinite(speed) & (speed > 0), speed, default_speed_kmh)
        oneway = _column(lines, "oneway", False)
        oneway = pd.Series(oneway).fillna(False).astype(bool).to_numpy()
        dense = shapely.segmentize(np.asarray(lines.geometry.values), _DENSIFY_DEG)
        lonlat, line_of = shapely.get_coordinates(dense, return_index=True)
        x, y = self._to_plane.transform(lonlat[:, 0], lonlat[:, 1])
        coords = np.column_stack([x, y])
        keys = np.round(coords / _NODE_TOLERANCE_M).astype(np.int64)
        self.node_xy, node_of = _unique_rows(keys, coords)

        same_line = line_of[1:] == line_of[:-1]
        a = node_of[:-1][same_line]
        b = node_of[1:][same_line]
        line = line_of[:-1][same_line]
        keep = a != b
        a, b, line = a[keep], b[keep], line[keep]
        length = np.hypot(*(self.node_xy[b] - self.node_xy[a]).T)
        minutes = length / (speed[line] * 1000.0 / 60.0)
        #: segments: first node, last node, metres, minutes, one-way, and the line they belong to
        self.seg_a, self.seg_b = a, b
        self.seg_m, self.seg_min = length, minutes
        self.seg_oneway = oneway[line]
        self.seg_line = lines.index.to_numpy()[line]
        if len(a) == 0:
            raise LayerError("道路图层中没有长度大于零的线 (no road line has a length)",
                             layer="roads")
        self.graph = _directed_graph(a, b, minutes, self.seg_oneway, len(self.node_xy))
        self._segments = SegmentGrid(self.node_xy[a], self.node_xy[b])
        # shortest paths run between junctions only; points sit on the chains between them
        self.chains = chains_of(a, b, minutes, self.seg_oneway, len(self.node_xy))
        src, dst, w = self.chains.edges()
        self.junction_graph = _edges_graph(src, dst, w, self.chains.n_junctions)

    # --- size and shape -------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        """Number of junctions and vertices (graph nodes)."""
        return len(self.node_xy)

    @property
    def n_segments(self) -> int:
        """Number of straight road segments (each one or two graph edges)."""
        return len(self.seg_a)

    def components(self) -> np.ndarray:
        """Weakly connected component of every node (0 = the largest)."""
        _, label = connected_components(self.graph, directed=True, connection="weak")
        sizes = np.bincount(label)
        rank = np.empty_like(sizes)
        rank[np.argsort(-sizes, kind="stable")] = np.arange(len(sizes))
        return rank[label]

    # --- snapping -------------------------------------------------------------------
    def plane(self, lon: Sequence[float] | np.ndarray,
              lat: Sequence[float] | np.ndarray) -> np.ndarray:
        """Project lon/lat to the network's Gauss-Krüger plane (n × 2, metres)."""
        lon = np.asarray(lon, dtype=float).ravel()
        lat = np.asarray(lat, dtype=float).ravel()
        if lon.shape != lat.shape:
            raise InputError("经纬度个数不一致 (lon and lat differ in length)", field="lat")
        if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
            raise InputError("坐标必须是有限数值 (coordinates must be finite numbers)",
                             field="lon")
        return np.column_stack(self._to_plane.transform(lon, lat))

    def snap(self, xy: np.ndarray) -> Snap:
        """Snap projected points to the nearest point of the nearest segment."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if len(xy) == 0:
            empty = np.zeros(0)
            return Snap(np.zeros(0, dtype=np.int64), empty, empty, np.zeros((0, 2)))
        seg, t, dist = self._segments.nearest(xy)
        # a point on a node (up to rounding) stands on it: every way out of it is open
        t = np.where(t < 1e-9, 0.0, np.where(t > 1.0 - 1e-9, 1.0, t))
        start, end = self.node_xy[self.seg_a[seg]], self.node_xy[self.seg_b[seg]]
        at = start + t[:, None] * (end - start)
        return Snap(seg, t, dist, at)

    # --- travel times ---------------------------------------------------------------
    def origins(self, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray,
                *, limit_min: float = np.inf) -> OriginTable:
        """Shortest travel minutes from each origin to every node of the network.

        Parameters
        ----------
        lon, lat : array-like
            Origins in lon/lat (e.g. the responsible units).
        limit_min : float, default inf
            Stop searching beyond this many minutes (nodes further away are inf).

        Returns
        -------
        OriginTable
            Query it with :meth:`OriginTable.minutes_to`.
        """
        return OriginTable(self, self.plane(lon, lat), limit_min)

    def travel_minutes(self, from_lon: Sequence[float] | np.ndarray,
                       from_lat: Sequence[float] | np.ndarray,
                       to_lon: Sequence[float] | np.ndarray,
                       to_lat: Sequence[float] | np.ndarray, *,
                       limit_min: float = np.inf) -> np.ndarray:
        """Travel minutes from every origin to every target (n_origins × n_targets).

        Unreachable pairs (one-way streets, separate components, beyond
        `limit_min`) are ``inf``.
        """
        table = self.origins(from_lon, from_lat, limit_min=limit_min)
        return table.minutes_to(self.plane(to_lon, to_lat))

    def route(self, from_lonlat: tuple[float, float], to_lonlat: tuple[float, float]
              ) -> tuple[float, shapely.LineString | None]:
        """The fastest path between two points: minutes and its line in lon/lat.

        Returns ``(inf, None)`` when the target cannot be reached.
        """
        xy = self.plane([from_lonlat[0], to_lonlat[0]], [from_lonlat[1], to_lonlat[1]])
        snap = self.snap(xy)
        s0, s1 = int(snap.segment[0]), int(snap.segment[1])
        starts, start_cost = self._exits(s0, float(snap.fraction[0]))
        ends, end_cost = self._entries(s1, float(snap.fraction[1]))
        dist, pred = dijkstra(self.graph, directed=True, indices=starts,
                              return_predecessors=True)
        legs = snap.offroad_m[:2].sum() / self.access_m_per_min
        best, best_start, best_end = np.inf, -1, -1
        for i, s_cost in enumerate(start_cost):
            for node, e_cost in zip(ends, end_cost, strict=True):
                total = s_cost + dist[i, node] + e_cost
                if total < best:
                    best, best_start, best_end = total, i, node
        direct = self._same_segment(s0, float(snap.fraction[0]), s1, float(snap.fraction[1]))
        if direct <= best:
            if not np.isfinite(direct):
                return np.inf, None
            path_xy = np.vstack([xy[0], snap.xy[0], snap.xy[1], xy[1]])
            return float(direct + legs), self._line(path_xy)
        nodes = [best_end]
        while pred[best_start, nodes[-1]] >= 0:
            nodes.append(pred[best_start, nodes[-1]])
        nodes.reverse()
        path_xy = np.vstack([xy[0], snap.xy[0], self.node_xy[nodes], snap.xy[1], xy[1]])
        return float(best + legs), self._line(path_xy)

    def isochrones(self, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray,
                   *, minutes: Sequence[float] = (5, 10, 15), ids: Sequence | None = None,
                   max_access_m: float = 300.0) -> gpd.GeoDataFrame:
        """Areas reachable within each time from each origin, as polygons in lon/lat.

        An isochrone is the part of every road reached within the time, widened by
        the distance still coverable off the road at ``access_speed_kmh`` from
        where the time runs out (at most `max_access_m`, at least 20 m).

        Parameters
        ----------
        lon, lat : array-like
            Origins in lon/lat.
        minutes : sequence of float, default (5, 10, 15)
            Time limits.
        ids : sequence, optional
            One label per origin (default 0..n-1).
        max_access_m : float, default 300
            The widest strip on either side of a reached road.

        Returns
        -------
        geopandas.GeoDataFrame
            One row per origin and limit: ``origin``, ``minutes``, ``area_km2`` and
            the polygon (EPSG:4326).
        """
        limits = sorted(float(m) for m in minutes)
        if not limits or limits[0] <= 0:
            raise InputError("等时圈的时间必须为正数 (isochrone minutes must be positive)",
                             field="minutes")
        table = self.origins(lon, lat, limit_min=limits[-1])
        labels = list(range(len(table.rows))) if ids is None else list(ids)
        if len(labels) != len(table.rows):
            raise InputError("ids 的个数与起点个数不一致 (one id per origin)", field="ids")
        rows = []
        for i, label in enumerate(labels):
            reach = table.node_minutes(i)
            for limit in limits:
                rows.append((label, limit, self._reached_area(reach, limit, max_access_m)))
        polys = np.array([r[2] for r in rows], dtype=object)
        area = shapely.area(polys) / 1e6
        geom = shapely.transform(polys, self._lonlat_coords)
        return gpd.GeoDataFrame({"origin": [r[0] for r in rows], "minutes": [r[1] for r in rows],
                                 "area_km2": np.round(area, 3)}, geometry=geom, crs=4326)

    # --- internals ----------------------------------------------------------------
    def _exits(self, seg: int, t: float) -> tuple[list[int], list[float]]:
        """Nodes reachable from a point on a segment, with the minutes to each."""
        w = float(self.seg_min[seg])
        nodes, cost = [int(self.seg_b[seg])], [(1.0 - t) * w]
        if not self.seg_oneway[seg] or t == 0.0:  # at its first node: any way out of it
            nodes.append(int(self.seg_a[seg]))
            cost.append(t * w)
        return nodes, cost

    def _entries(self, seg: int, t: float) -> tuple[list[int], list[float]]:
        """Nodes from which a point on a segment is reached, with the minutes from each."""
        w = float(self.seg_min[seg])
        nodes, cost = [int(self.seg_a[seg])], [t * w]
        if not self.seg_oneway[seg] or t == 1.0:  # at its last node: any way into it
            nodes.append(int(self.seg_b[seg]))
            cost.append((1.0 - t) * w)
        return nodes, cost

    def _same_segment(self, s0: int, t0: float, s1: int, t1: float) -> float:
        if s0 != s1:
            return np.inf
        if t1 >= t0 or not self.seg_oneway[s0]:
            return abs(t1 - t0) * float(self.seg_min[s0])
        return np.inf

    def _reached_area(self, reach: np.ndarray, limit: float, max_access_m: float
                      ) -> shapely.Geometry:
        """The reached pieces of every segment, widened, as one polygon (plane)."""
        a, b, w = self.seg_a, self.seg_b, self.seg_min
        to_m = self.access_m_per_min
        left_a, left_b = limit - reach[a], limit - reach[b]
        ok_a = left_a > 0
        ok_b = (left_b > 0) & ~self.seg_oneway
        full_a = ok_a & (left_a >= w)
        full_b = ok_b & (left_b >= w)
        full = full_a | full_b
        # a segment reached end to end is drawn once, as wide as the better of its two ends
        spare = np.maximum(np.where(full_a, left_a - w, 0.0), np.where(full_b, left_b - w, 0.0))
        pieces = [np.stack([self.node_xy[a[full]], self.node_xy[b[full]]], axis=1)]
        widths = [spare[full] * to_m]
        for near, far, ok, left in ((a, b, ok_a & ~full, left_a), (b, a, ok_b & ~full, left_b)):
            p0 = self.node_xy[near[ok]]
            frac = (left[ok] / w[ok])[:, None]
            pieces.append(np.stack([p0, p0 + frac * (self.node_xy[far[ok]] - p0)], axis=1))
            widths.append(np.zeros(int(ok.sum())))
        seg = np.concatenate(pieces)
        if len(seg) == 0:
            return shapely.Polygon()
        width = np.clip(np.concatenate(widths), 20.0, max_access_m)
        # a few widths (each rounded down to a step); per width the pieces merged into lines:
        # fewer, longer strips make the union far cheaper than one strip per segment
        steps = np.unique(np.r_[20.0, np.geomspace(20.0, max(max_access_m, 20.0), 6)])
        level = steps[np.searchsorted(steps, width, side="right") - 1]
        strips = []
        for value in np.unique(level):
            merged = shapely.line_merge(shapely.multilinestrings(
                shapely.linestrings(seg[level == value])))
            strips.append(shapely.buffer(shapely.get_parts(merged), float(value), quad_segs=3))
        return shapely.union_all(np.concatenate(strips))

    def _lonlat_coords(self, xy: np.ndarray) -> np.ndarray:
        lon, lat = self._to_lonlat.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def _line(self, xy: np.ndarray) -> shapely.LineString:
        keep = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
        return shapely.LineString(self._lonlat_coords(xy[keep]))


class OriginTable:
    """Shortest minutes from a set of origins to every junction, for fast lookups of targets.

    Built by :meth:`RoadNetwork.origins`: one compiled Dijkstra per origin over
    the junctions only (each origin joins the graph as a node of its own, linked
    to the junctions its chain leads to). One float32 row per origin; a
    target's minutes from every origin cost a few array lookups.
    """

    def __init__(self, network: RoadNetwork, xy: np.ndarray, limit_min: float) -> None:
        self.network = network
        self.snap = network.snap(xy)
        self.limit_min = limit_min
        self._rows_t: np.ndarray | None = None
        ch = network.chains
        n, nj = len(xy), ch.n_junctions
        self.rows = np.full((n, nj), np.inf, dtype=np.float32)
        if n == 0:
            return
        seg = self.snap.segment
        p, u = ch.position(seg, self.snap.fraction, network.seg_min)
        self._p, self._u = p, u
        way = ch.reach(seg, u)
        c = ch.chain[seg]
        leg = self.snap.offroad_m / network.access_m_per_min
        virtual = nj + np.arange(n)
        src = [virtual[way["to_end"]], virtual[way["to_start"]]]
        dst = [ch.chain_end[c][way["to_end"]], ch.chain_start[c][way["to_start"]]]
        cost = [(ch.chain_minutes[c] - p)[way["to_end"]], p[way["to_start"]]]
        jg = network.junction_graph.tocoo()
        graph = _edges_graph(np.r_[jg.row, *src], np.r_[jg.col, *dst],
                             np.r_[jg.data, *cost], nj + n)
        dist = dijkstra(graph, directed=True, indices=virtual, limit=limit_min)
        self.rows = (dist[:, :nj] + leg[:, None]).astype(np.float32)

    def minutes_to(self, xy: np.ndarray, origins: np.ndarray | None = None) -> np.ndarray:
        """Minutes from the origins (all, or the given rows) to projected targets.

        Returns
        -------
        numpy.ndarray
            ``len(origins) × len(xy)``; ``inf`` where unreachable.
        """
        snap = self.network.snap(xy)
        best = self._to_points(snap.segment, snap.fraction, origins,
                               snap.offroad_m / self.network.access_m_per_min)
        best[best > self.limit_min] = np.inf
        return best

    def node_minutes(self, origin: int) -> np.ndarray:
        """Minutes from one origin to every node of the network (inf beyond reach)."""
        net = self.network
        nodes = np.arange(net.n_nodes)
        # every node is the first or the last node of some segment
        seg = np.full(net.n_nodes, -1, dtype=np.int64)
        frac = np.zeros(net.n_nodes)
        seg[net.seg_b] = np.arange(net.n_segments)
        frac[net.seg_b] = 1.0
        seg[net.seg_a] = np.arange(net.n_segments)
        frac[net.seg_a] = 0.0
        out = self._to_points(seg[nodes], frac[nodes], np.array([origin]))[0]
        out[out > self.limit_min] = np.inf
        return out

    def _to_points(self, seg: np.ndarray, t: np.ndarray, origins: np.ndarray | None,
                   leg: np.ndarray | None = None) -> np.ndarray:
        """Minutes from origins to points on segments (plus each target's off-road leg)."""
        net, ch = self.network, self.network.chains
        if self._rows_t is None:  # junction-major: a target reads its junctions' rows at once
            self._rows_t = np.ascontiguousarray(self.rows.T, dtype=np.float64)
        cols = np.arange(len(self.rows)) if origins is None \
            else np.asarray(origins, dtype=np.int64)
        p, u = ch.position(seg, t, net.seg_min)
        way = ch.reach(seg, u)
        c = ch.chain[seg]
        out = np.empty((len(seg), len(cols)))
        chain_minutes_to(self._rows_t, cols, ch.chain_start[c], ch.chain_end[c], p,
                         ch.chain_minutes[c],
                         way["from_start"], way["from_end"], np.zeros(len(seg)) if leg is None
                         else leg, out)
        best = out.T
        # an origin and a target on the same chain: straight along it where allowed
        src = cols
        o_seg = self.snap.segment[src]
        i, j = np.nonzero(ch.chain[o_seg][:, None] == c[None, :])
        if len(i):
            direct = self._along_chain(src[i], seg[j], p[j], u[j])
            if leg is not None:
                direct = direct + leg[j]
            best[i, j] = np.minimum(best[i, j], direct)
        return best

    def _along_chain(self, origin: np.ndarray, seg: np.ndarray, p: np.ndarray, u: np.ndarray
                     ) -> np.ndarray:
        """Minutes from origins to targets on the same chain without leaving it."""
        ch = self.network.chains
        o_seg = self.snap.segment[origin]
        po, uo = self._p[origin], self._u[origin]
        same = o_seg == seg
        fwd = p >= po
        # forward: the origin's segment (unless at its end), the target's (unless at its
        # start) and every segment between them must allow the chain's direction
        f_between = ch.fwd_blocks_before[seg] - ch.fwd_blocks_before[o_seg] \
            - (~ch.fwd_ok[o_seg]).astype(np.int64)
        f_ok = np.where(same, ch.fwd_ok[seg] | (u == uo),
                        (f_between == 0) & (ch.fwd_ok[o_seg] | (uo == 1.0))
                        & (ch.fwd_ok[seg] | (u == 0.0)))
        b_between = ch.bwd_blocks_before[o_seg] - ch.bwd_blocks_before[seg] \
            - (~ch.bwd_ok[seg]).astype(np.int64)
        b_ok = np.where(same, ch.bwd_ok[seg] | (u == uo),
                        (b_between == 0) & (ch.bwd_ok[o_seg] | (uo == 0.0))
                        & (ch.bwd_ok[seg] | (u == 1.0)))
        ok = np.where(fwd, f_ok, b_ok)
        leg = self.snap.offroad_m[origin] / self.network.access_m_per_min
        return np.where(ok, np.abs(p - po) + leg, np.inf)


def _column(frame: pd.DataFrame, name: str, default: object) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy()
    return np.full(len(frame), default, dtype=object if isinstance(default, bool) else float)


def _unique_rows(keys: np.ndarray, coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices with the same rounded key; the first coordinate of each key is kept."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return coords[first], inverse.ravel()


def _directed_graph(a: np.ndarray, b: np.ndarray, minutes: np.ndarray, oneway: np.ndarray,
                    n: int) -> csr_matrix:
    """Edges a→b for every segment and b→a for two-way ones; parallel edges keep the fastest."""
    return _edges_graph(np.r_[a, b[~oneway]], np.r_[b, a[~oneway]],
                        np.r_[minutes, minutes[~oneway]], n)


def _edges_graph(src: np.ndarray, dst: np.ndarray, w: np.ndarray, n: int) -> csr_matrix:
    """A sparse graph of the given edges; parallel edges keep the fastest."""
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
    # csgraph reads explicit zeros as missing edges: keep a tiny positive weight
    return csr_matrix((np.maximum(w[first], 1e-9), (src[first], dst[first])), shape=(n, n))
