"""Travel times on the roads: gridgis.roads against networkx, igraph and osmnx.

One-to-many travel minutes from every responsible unit of the sample district
to every incident (by default the full sample: about 120 units × 30,000
incidents on its road layer). Every route starts from the same road graph and
the same snaps (each point joined to its nearest segment), so only the
shortest-path part differs:

- gridgis: :meth:`RoadNetwork.origins` (scipy.sparse.csgraph's Dijkstra over
  the junctions only, each unit joined to the junctions its road chain leads
  to) then :meth:`OriginTable.minutes_to` (a compiled lookup per target);
- networkx: ``single_source_dijkstra_path_length`` over every node of the road
  graph from each unit's segment ends (what one writes with networkx);
- igraph: ``Graph.distances`` from the same sources over the same graph (C);
- osmnx: ``osmnx.routing.shortest_path`` per unit–incident pair (networkx's
  bidirectional Dijkstra), timed on a random subset of pairs and scaled to
  all pairs (printed as such).

Prints the time of each, the ratios and the largest disagreement (the run fails
when any route's minutes differ from gridgis's by more than 0.01 min).

    python benchmarks/bench_travel.py [--scale 1.0] [--osmnx-pairs 300]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

import numpy as np

from gridgis.roads import RoadNetwork
from gridgis.sample import sample_district


def _target_minutes(net: RoadNetwork, node_rows: np.ndarray, snap_t, snap_o) -> np.ndarray:
    """Finish from per-node minutes (origins × nodes) exactly as gridgis does."""
    seg, t = snap_t.segment, snap_t.fraction
    w = net.seg_min[seg]
    via_a = node_rows[:, net.seg_a[seg]] + t * w
    two_way = ~net.seg_oneway[seg] | (t == 1.0)
    via_b = node_rows[:, net.seg_b[seg]] + (1 - t) * w
    best = np.where(two_way, np.minimum(via_a, via_b), via_a)
    best = best + snap_t.offroad_m / net.access_m_per_min
    # a unit and an incident on the same segment: straight along it where allowed
    i, j = np.nonzero(snap_o.segment[:, None] == seg[None, :])
    ok = (t[j] >= snap_o.fraction[i]) | ~net.seg_oneway[seg[j]]
    direct = (np.abs(t[j] - snap_o.fraction[i]) * w[j]
              + (snap_o.offroad_m[i] + snap_t.offroad_m[j]) / net.access_m_per_min)
    best[i[ok], j[ok]] = np.minimum(best[i[ok], j[ok]], direct[ok])
    return best


def _origin_rows(net: RoadNetwork, snap_o, dist_of) -> np.ndarray:
    """Per-origin minutes to every node from per-source-node distances (dict or rows)."""
    rows = np.full((len(snap_o.segment), net.n_nodes), np.inf)
    for i, (seg, t) in enumerate(zip(snap_o.segment, snap_o.fraction, strict=True)):
        w = net.seg_min[seg]
        best = dist_of(int(net.seg_b[seg])) + (1 - t) * w
        if not net.seg_oneway[seg] or t == 0.0:
            best = np.minimum(best, dist_of(int(net.seg_a[seg])) + t * w)
        rows[i] = best + snap_o.offroad_m[i] / net.access_m_per_min
    return rows


def run_networkx(net: RoadNetwork, snap_o, snap_t) -> np.ndarray:
    import networkx as nx

    g = nx.DiGraph()
    coo = net.graph.tocoo()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(),
                                  strict=True))
    cache: dict[int, np.ndarray] = {}

    def dist_of(node: int) -> np.ndarray:
        if node not in cache:
            row = np.full(net.n_nodes, np.inf)
            found = nx.single_source_dijkstra_path_length(g, node, weight="weight")
            row[list(found)] = list(found.values())
            cache[node] = row
        return cache[node]

    return _target_minutes(net, _origin_rows(net, snap_o, dist_of), snap_t, snap_o)


def run_csgraph_nodes(net: RoadNetwork, snap_o, snap_t) -> np.ndarray:
    """scipy's Dijkstra over every node (no chains): what the chains save."""
    from scipy.sparse.csgraph import dijkstra

    sources = np.unique(np.r_[net.seg_a[snap_o.segment], net.seg_b[snap_o.segment]])
    table = dijkstra(net.graph, directed=True, indices=sources)
    pos = {int(s): i for i, s in enumerate(sources)}
    rows = _origin_rows(net, snap_o, lambda node: table[pos[node]])
    return _target_minutes(net, rows, snap_t, snap_o)


def run_igraph(net: RoadNetwork, snap_o, snap_t) -> np.ndarray:
    import igraph as ig

    coo = net.graph.tocoo()
    g = ig.Graph(n=net.n_nodes, edges=np.column_stack([coo.row, coo.col]).tolist(),
                 directed=True)
    sources = np.unique(np.r_[net.seg_a[snap_o.segment], net.seg_b[snap_o.segment]])
    table = np.asarray(g.distances(source=sources.tolist(), weights=coo.data.tolist(),
                                   mode="out"))
    pos = {int(s): i for i, s in enumerate(sources)}
    rows = _origin_rows(net, snap_o, lambda node: table[pos[node]])
    return _target_minutes(net, rows, snap_t, snap_o)


def run_osmnx(net: RoadNetwork, snap_o, snap_t, pairs: np.ndarray) -> tuple[np.ndarray, float]:
    """Minutes for the given (origin, target) pairs through osmnx's shortest_path."""
    import networkx as nx
    import osmnx as ox

    g = nx.MultiDiGraph()
    coo = net.graph.tocoo()
    g.add_edges_from((int(a), int(b), {"travel_time": float(w)})
                     for a, b, w in zip(coo.row, coo.col, coo.data, strict=True))
    g.graph["crs"] = net.crs.to_wkt()
    out = np.full(len(pairs), np.inf)
    t0 = time.perf_counter()
    for n, (i, j) in enumerate(pairs):
        best = np.inf
        so, st = int(snap_o.segment[i]), int(snap_t.segment[j])
        to, tt = float(snap_o.fraction[i]), float(snap_t.fraction[j])
        exits = [(int(net.seg_b[so]), (1 - to) * net.seg_min[so])]
        if not net.seg_oneway[so] or to == 0.0:
            exits.append((int(net.seg_a[so]), to * net.seg_min[so]))
        entries = [(int(net.seg_a[st]), tt * net.seg_min[st])]
        if not net.seg_oneway[st] or tt == 1.0:
            entries.append((int(net.seg_b[st]), (1 - tt) * net.seg_min[st]))
        for u, cu in exits:
            for v, cv in entries:
                path = ox.routing.shortest_path(g, u, v, weight="travel_time")
                if path is None:
                    continue
                length = sum(g[a][b][0]["travel_time"] for a, b in itertools.pairwise(path))
                best = min(best, cu + length + cv)
        out[n] = best + (snap_o.offroad_m[i] + snap_t.offroad_m[j]) / net.access_m_per_min
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--osmnx-pairs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    layers = sample_district(scale=args.scale)
    if layers.roads is None or len(layers.roads) == 0:
        print("the sample district has no roads", file=sys.stderr)
        return 2
    units, incidents = layers.units, layers.incidents
    ux, uy = units.geometry.x.to_numpy(), units.geometry.y.to_numpy()
    ix, iy = incidents.geometry.x.to_numpy(), incidents.geometry.y.to_numpy()

    t0 = time.perf_counter()
    net = RoadNetwork(layers.roads)
    t_build = time.perf_counter() - t0
    print(f"roads: {len(layers.roads):,} lines, {net.n_nodes:,} nodes, {net.n_segments:,} "
          f"segments (graph built in {t_build:.2f} s, not timed below)")
    print(f"units × incidents: {len(units)} × {len(incidents):,}")

    # the compiled kernels are loaded once per process (a running service has them)
    net.travel_minutes(ux[:1], uy[:1], ix[:1], iy[:1])
    t0 = time.perf_counter()
    table = net.origins(ux, uy)
    ours = table.minutes_to(net.plane(ix, iy))
    t_ours = time.perf_counter() - t0
    print(f"gridgis (csgraph)   {t_ours:8.2f} s")

    snap_o, snap_t = table.snap, net.snap(net.plane(ix, iy))
    worst = 0.0
    results = {}
    for name, run in (("networkx", run_networkx), ("igraph", run_igraph),
                      ("csgraph, all nodes", run_csgraph_nodes)):
        t0 = time.perf_counter()
        got = run(net, snap_o, snap_t)
        took = time.perf_counter() - t0
        results[name] = took
        both = np.isfinite(got) & np.isfinite(ours)
        if not np.array_equal(np.isfinite(got), np.isfinite(ours)):
            print(f"{name}: reachability differs from gridgis", file=sys.stderr)
            return 1
        diff = float(np.max(np.abs(got[both] - ours[both]))) if both.any() else 0.0
        worst = max(worst, diff)
        print(f"{name:<19} {took:8.2f} s   gridgis is {took / t_ours:6.1f}x faster "
              f"(largest difference {diff:.2e} min)")

    rng = np.random.default_rng(args.seed)
    pairs = np.column_stack([rng.integers(0, len(units), args.osmnx_pairs),
                             rng.integers(0, len(incidents), args.osmnx_pairs)])
    got, took = run_osmnx(net, snap_o, snap_t, pairs)
    want = ours[pairs[:, 0], pairs[:, 1]]
    both = np.isfinite(got) & np.isfinite(want)
    if not np.array_equal(np.isfinite(got), np.isfinite(want)):
        print("osmnx: reachability differs from gridgis", file=sys.stderr)
        return 1
    diff = float(np.max(np.abs(got[both] - want[both]))) if both.any() else 0.0
    worst = max(worst, diff)
    full = took / len(pairs) * ours.size
    print(f"osmnx (per pair)    {took:8.2f} s for {len(pairs)} pairs → {full:,.0f} s for all "
          f"{ours.size:,} pairs (scaled); gridgis is {full / t_ours:,.0f}x faster "
          f"(largest difference {diff:.2e} min)")
    reach = np.isfinite(ours).mean()
    print(f"reachable pairs: {reach:.1%}; largest disagreement {worst:.2e} min")
    ratio = results["networkx"] / t_ours
    print(f"RATIO gridgis/networkx {ratio:.1f}x (goal ≥ 20x)")
    if worst > 0.01:
        print("the routes disagree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
