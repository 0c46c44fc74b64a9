"""The road network of the sample district (metres): arterials, streets, village roads.

Arterials (主干路) join the township seats: a spanning tree of their Delaunay
triangulation plus a few of its shorter other edges, each slightly bent, named
like 瓯江路 or 学院路; one expressway (快速路) crosses the district south of the
city core. Inside the city and the towns the streets follow the grid edges (支路;
the community edges are the secondary roads, 次干路). In the countryside each
village grid's houses gather around a few hamlets; hamlets, seats and the edge of
the built-up areas are tied together by a minimum spanning tree plus some loops
(roads between villages are secondary, within a village 村道). Lanes (内部道路 in
town, 村道 outside) then run from the network to every house and office that is
still more than :data:`REACH_M` from a road. Everything is noded once (snap
rounding at 1 cm), so lines meet only at shared end vertices, and tied into one
connected network; a few streets of the core are one-way.

Drawn from a generator of their own, so the other layers of a seed stay as they were.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from gridgis.sample._admin import Admin
from gridgis.sample._names import place_names
from gridgis.schemas import ROAD_CLASSES

__all__ = ["REACH_M", "ROAD_STREAM", "build_roads"]

ROAD_STREAM = 17
"""Second seed of the roads' generator (``default_rng([seed, ROAD_STREAM])``)."""
REACH_M = 250.0
"""Lanes are added until every building and unit lies within this distance of a road."""
HAMLET_M2 = 0.35e6
"""A village grid has one hamlet per this many square metres (at least one)."""
SNAP_M = 0.01
"""Noding precision (snap rounding grid), metres."""
ANCHOR_M = 100.0
"""Lines are given a vertex at least every this many metres: where lanes may branch off."""
STEP_M = 25.0
"""Spacing of the points along the roads that distances to the roads are measured to."""
ONEWAY_STREETS = 12
"""One-way streets in the city core of the full-size district."""
ARTERIAL_NAMES = ("瓯江路", "学院路", "人民路", "解放路", "府前路", "车站大道", "江滨路",
                  "新城大道", "飞霞路", "锦绣路", "惠民路", "龙腾路", "南浦路", "东游路",
                  "新桥路", "茶山路", "仙岩路", "郭溪路", "丽岙路", "潘桥路")
"""Names of the arterials, the longest first (more arterials get invented names)."""
EXPRESSWAY_NAME = "滨海快速路"
_RANK = {c: i for i, c in enumerate(ROAD_CLASSES)}


def _bent(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, amplitude: float,
          n: int = 4) -> np.ndarray:
    """Points from ``a`` to ``b`` bowed sideways by up to ``amplitude`` of the length."""
    t = np.linspace(0.0, 1.0, n + 2)
    d = b - a
    normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-9)
    bow = rng.uniform(-amplitude, amplitude) * np.sin(np.pi * t)
    wiggle = rng.normal(0.0, amplitude / 4, len(t)) * np.sin(np.pi * t)
    length = np.hypot(*d)
    return a + t[:, None] * d + ((bow + wiggle) * length)[:, None] * normal


def _pairs(points: np.ndarray) -> np.ndarray:
    """Unique undirected edges (i < j) of the Delaunay triangulation (all pairs if < 4)."""
    n = len(points)
    if n < 4:
        i, j = np.triu_indices(n, 1)
        return np.column_stack([i, j])
    tri = Delaunay(points).simplices
    edges = np.vstack([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]])
    return np.unique(np.sort(edges, axis=1), axis=0)


def _mst(n: int, edges: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Mask of the edges in a minimum spanning forest (weights must be > 0)."""
    graph = coo_matrix((weight, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph).tocoo()
    chosen = set(zip(np.minimum(tree.row, tree.col).tolist(),
                     np.maximum(tree.row, tree.col).tolist(), strict=True))
    return np.array([(int(i), int(j)) in chosen for i, j in edges], dtype=bool)


def _stem(name: str) -> str:
    for suffix in ("社区", "村", "镇", "乡", "街道"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


class _Lines:
    """Source lines with their class and name, before noding."""

    def __init__(self) -> None:
        self.geoms: list[shapely.Geometry] = []
        self.klass: list[str] = []
        self.names: list[str] = []

    def add(self, geom: shapely.Geometry, klass: str, name: str = "") -> None:
        self.geoms.append(geom)
        self.klass.append(klass)
        self.names.append(name)

    def extend(self, geoms: np.ndarray, klass: str, names: list[str] | None = None) -> None:
        self.geoms.extend(geoms)
        self.klass.extend([klass] * len(geoms))
        self.names.extend(names if names is not None else [""] * len(geoms))


def _seats(admin: Admin, buildings: gpd.GeoDataFrame) -> np.ndarray:
    """Each township's seat: the centre of its most populous community."""
    hh = buildings.groupby(buildings["grid_code"].str.slice(0, 12))["households"].sum()
    comm = admin.communities.assign(hh=admin.communities["code"].map(hh).fillna(0))
    out = []
    for code in admin.townships["code"]:
        mine = comm[comm["township_code"] == code]
        out.append(shapely.get_coordinates(mine.geometry.loc[mine["hh"].idxmax()].centroid)[0])
    return np.array(out)


def _hamlets(admin: Admin, buildings: gpd.GeoDataFrame, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray]:
    """Hamlet centres of the village grids and the community code of each."""
    grids = admin.grids[~admin.grids["_urban"].to_numpy()]
    xy = shapely.get_coordinates(buildings.geometry.values)
    rows = pd.Series(np.arange(len(buildings))).groupby(
        buildings["grid_code"].to_numpy()).indices
    centres, comm = [], []
    for code, poly in zip(grids["code"], grids.geometry.values, strict=True):
        if code not in rows:
            continue
        pts = xy[rows[code]]
        k = int(min(len(pts), max(1, round(poly.area / HAMLET_M2))))
        with warnings.catch_warnings():  # an empty cluster keeps its seed: harmless here
            warnings.simplefilter("ignore")
            c, _ = kmeans2(pts, k, minit="++", seed=rng)
        centres.append(c)
        comm.extend([code[:12]] * len(c))
    if not centres:
        return np.empty((0, 2)), np.empty(0, dtype=object)
    return np.vstack(centres), np.array(comm, dtype=object)


def _urban_lattice(admin: Admin, lines: _Lines) -> list[np.ndarray]:
    """Streets along the urban grids' edges; returns the outer vertices of each built-up area."""
    urban = admin.grids[admin.grids["_urban"].to_numpy()]
    lines.extend(np.asarray(shapely.boundary(urban.geometry.values)), "street")
    comms = admin.communities[admin.communities["kind"].to_numpy() == "urban"]
    lines.extend(np.asarray(shapely.boundary(comms.geometry.values)), "secondary")
    areas = shapely.get_parts(shapely.coverage_union_all(urban.geometry.values))
    return [np.unique(np.round(shapely.get_coordinates(shapely.boundary(a)), 6), axis=0)
            for a in areas]


def _village_roads(admin: Admin, buildings: gpd.GeoDataFrame, edges_of_areas: list[np.ndarray],
                   rural_seats: np.ndarray, rng: np.random.Generator, lines: _Lines) -> None:
    """Hamlets, rural seats and the built-up areas' edges joined by a spanning tree + loops."""
    hamlets, comm = _hamlets(admin, buildings, rng)
    names = admin.communities.set_index("code")["name"]
    parts = [hamlets, rural_seats, *edges_of_areas]
    area_of = np.concatenate([np.full(len(hamlets) + len(rural_seats), -1)]
                             + [np.full(len(e), k) for k, e in enumerate(edges_of_areas)])
    pts = np.vstack(parts)
    n = len(pts)
    if n < 2:
        return
    edges = _pairs(pts)
    same_area = (area_of[edges[:, 0]] >= 0) & (area_of[edges[:, 0]] == area_of[edges[:, 1]])
    edges = edges[~same_area]
    length = np.hypot(*(pts[edges[:, 0]] - pts[edges[:, 1]]).T)
    # each built-up area is already connected by its streets: a hub ties its edge together
    hub = [(n + k, i) for k in range(len(edges_of_areas)) for i in np.flatnonzero(area_of == k)]
    all_edges = np.vstack([edges, np.array(hub, dtype=int).reshape(-1, 2)])
    weight = np.concatenate([length + 1e-3, np.full(len(hub), 1e-6)])
    in_tree = _mst(n + len(edges_of_areas), all_edges, weight)[: len(edges)]
    loops = ~in_tree & (length < 1200) & (area_of[edges].max(axis=1) < 0)
    loops &= rng.random(len(edges)) < 0.15
    keep = in_tree | loops
    # the community of each point: a hamlet's own, else the one it lies in (or nearest)
    point_comm = admin.communities["code"].to_numpy()[shapely.STRtree(
        admin.communities.geometry.values).query_nearest(shapely.points(pts),
                                                         all_matches=False)[1]]
    point_comm[: len(comm)] = comm
    for i, j in edges[keep]:
        a, b = pts[i], pts[j]
        ca, cb = point_comm[i], point_comm[j]
        line = shapely.linestrings(_bent(a, b, rng, 0.04, n=1))
        if ca == cb:
            lines.add(line, "village", f"{_stem(names[ca])}村道")
        else:
            lines.add(line, "secondary", f"{_stem(names[ca])}{_stem(names[cb])}线")


def _arterials(seats: np.ndarray, outline: shapely.Polygon, rng: np.random.Generator,
               lines: _Lines) -> None:
    """A spanning tree of the seats plus the shorter other Delaunay edges, bent and named."""
    if len(seats) < 2:
        return
    edges = _pairs(seats)
    length = np.hypot(*(seats[edges[:, 0]] - seats[edges[:, 1]]).T)
    in_tree = _mst(len(seats), edges, length + 1e-3)
    extra = ~in_tree & (length < 1.3 * np.median(length[in_tree]))
    extra &= rng.random(len(edges)) < 0.5
    keep = np.flatnonzero(in_tree | extra)
    keep = keep[np.argsort(-length[keep], kind="stable")]
    names = list(ARTERIAL_NAMES[: len(keep)])
    if len(keep) > len(names):
        names += place_names(rng, len(keep) - len(names), "路", set(names))
    room = outline.buffer(200)
    for e, name in zip(keep, names, strict=True):
        a, b = seats[edges[e, 0]], seats[edges[e, 1]]
        line = shapely.linestrings(_bent(a, b, rng, 0.05))
        if not room.contains(line):
            line = shapely.linestrings([a, b])
            if not room.contains(line) and not in_tree[e]:
                continue
        lines.add(line, "arterial", name)


def _expressway(admin: Admin, rng: np.random.Generator, lines: _Lines) -> None:
    """West to east across the district, just south of the city core."""
    city = admin.settlements[0]
    minx, _, maxx, _ = admin.outline.bounds
    y = city.y - 1.1 * city.radius
    path = np.array([[minx - 1000, y + rng.uniform(-1500, 1500)],
                     [city.x - 1.5 * city.radius, y + rng.uniform(-300, 300)],
                     [city.x, y], [city.x + 1.5 * city.radius, y + rng.uniform(-300, 300)],
                     [maxx + 1000, y + rng.uniform(-1500, 1500)]])
    inside = shapely.intersection(shapely.linestrings(path), admin.outline.buffer(-50))
    parts = shapely.get_parts(inside)
    parts = parts[shapely.get_type_id(parts) == 1]
    if len(parts):
        lines.add(parts[np.argmax(shapely.length(parts))], "expressway", EXPRESSWAY_NAME)


def _distance(points: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest vertex of ``geoms`` densified to STEP_M.

    Never less than the distance to the lines themselves, so a point found within
    REACH_M of a vertex is within REACH_M of a road.
    """
    vertices = shapely.get_coordinates(shapely.segmentize(geoms, STEP_M))
    return cKDTree(vertices).query(points)[0]


def _lanes(lines: _Lines, targets: np.ndarray, urban_target: np.ndarray) -> None:
    """Lanes from the network to every target farther than REACH_M, farthest first."""
    geoms = np.asarray(lines.geoms, dtype=object)
    dist = _distance(targets, geoms)
    anchors = shapely.get_coordinates(geoms)
    for _ in range(40):
        todo = np.flatnonzero(dist > REACH_M)
        if not len(todo):
            return
        todo = todo[np.argsort(-dist[todo], kind="stable")]
        near = cKDTree(targets[todo])
        blocked = np.zeros(len(todo), dtype=bool)
        picks = []
        for k in range(len(todo)):
            if blocked[k]:
                continue
            picks.append(todo[k])
            blocked[near.query_ball_point(targets[todo[k]], 2 * REACH_M)] = True
        _, at = cKDTree(anchors).query(targets[picks])
        new = shapely.segmentize(shapely.linestrings(
            np.stack([anchors[at], targets[picks]], axis=1)), ANCHOR_M)
        for line, p in zip(new, picks, strict=True):
            lines.add(line, "service" if urban_target[p] else "village")
        dist[todo] = np.minimum(dist[todo], _distance(targets[todo], new))
        anchors = np.vstack([anchors, shapely.get_coordinates(new)])


def _node(lines: _Lines) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node all lines at 1 cm; each piece takes the best class of the lines it lies on."""
    sources = np.asarray(lines.geoms, dtype=object)
    merged = shapely.unary_union(sources, grid_size=SNAP_M)
    pieces = shapely.get_parts(merged)
    pieces = pieces[shapely.length(pieces) > 0]
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    left, right = shapely.STRtree(sources).query(mid, predicate="dwithin", distance=5 * SNAP_M)
    rank = np.array([_RANK[k] for k in lines.klass])[right]
    order = np.lexsort((right, rank, left))
    left, right = left[order], right[order]
    first = np.r_[True, left[1:] != left[:-1]]
    best = np.full(len(pieces), -1)
    best[left[first]] = right[first]
    if (best < 0).any():  # a piece off every source: snap rounding moved it; nearest line
        lost = np.flatnonzero(best < 0)
        best[lost] = shapely.STRtree(sources).query_nearest(mid[lost])[1]
    klass = np.array(lines.klass, dtype=object)[best]
    names = np.array(lines.names, dtype=object)[best]
    return pieces, klass, names


def _ends(pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node id of each piece's start and end, and the node coordinates."""
    first = shapely.get_coordinates(shapely.get_point(pieces, 0))
    last = shapely.get_coordinates(shapely.get_point(pieces, -1))
    nodes, inverse = np.unique(np.round(np.vstack([first, last]), 4), axis=0,
                               return_inverse=True)
    inverse = inverse.ravel()
    return inverse[: len(pieces)], inverse[len(pieces):], nodes


def _components(u: np.ndarray, v: np.ndarray, n: int, *, strong: bool = False,
                oneway: np.ndarray | None = None) -> tuple[int, np.ndarray]:
    if strong:
        two = ~oneway
        rows = np.concatenate([u, v[two]])
        cols = np.concatenate([v, u[two]])
        graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        return connected_components(graph, directed=True, connection="strong")
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    return connected_components(graph, directed=False)


def _connect(lines: _Lines) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node the lines and tie stray pieces to the main network until it is one component."""
    for _ in range(6):
        pieces, klass, names = _node(lines)
        u, v, nodes = _ends(pieces)
        count, label = _components(u, v, len(nodes))
        if count == 1:
            return pieces, klass, names
        main = np.argmax(np.bincount(label))
        tree = cKDTree(nodes[label == main])
        main_nodes = nodes[label == main]
        for c in range(count):
            if c == main:
                continue
            mine = nodes[label == c]
            d, at = tree.query(mine)
            k = int(np.argmin(d))
            lines.add(shapely.linestrings([mine[k], main_nodes[at[k]]]), "village")
    raise RuntimeError("the sample road network could not be connected")


def _oneways(pieces: np.ndarray, klass: np.ndarray, admin: Admin, n: int,
             rng: np.random.Generator) -> np.ndarray:
    """A few streets of the core made one-way, keeping every junction reachable from every other."""
    u, v, nodes = _ends(pieces)
    degree = np.bincount(np.concatenate([u, v]), minlength=len(nodes))
    city = admin.settlements[0]
    mid = shapely.get_coordinates(shapely.line_interpolate_point(pieces, 0.5, normalized=True))
    core = np.hypot(mid[:, 0] - city.x, mid[:, 1] - city.y) < 0.35 * city.radius
    cand = np.flatnonzero((klass == "street") & core & (degree[u] >= 3) & (degree[v] >= 3)
                          & (shapely.length(pieces) > 60) & (u != v))
    oneway = np.zeros(len(pieces), dtype=bool)
    for p in rng.permutation(cand):
        if oneway.sum() >= n:
            break
        oneway[p] = True
        if _components(u, v, len(nodes), strong=True, oneway=oneway)[0] != 1:
            oneway[p] = False
    return oneway


def build_roads(admin: Admin, buildings: gpd.GeoDataFrame, units: gpd.GeoDataFrame,
                speeds: dict[str, float], rng: np.random.Generator, scale: float
                ) -> gpd.GeoDataFrame:
    """The sample district's roads in metres, in the schema of the ``roads`` layer."""
    lines = _Lines()
    seats = _seats(admin, buildings)
    areas = _urban_lattice(admin, lines)
    lattice = np.vstack(areas) if areas else np.empty((0, 2))
    kinds = admin.townships["code"].str.slice(6, 9).astype(int).to_numpy()
    rural = kinds >= 201  # 乡: the seat lies among villages
    if len(lattice):  # street and town seats sit on a street corner
        urban = admin.grids.geometry.values[admin.grids["_urban"].to_numpy()]
        corners = np.unique(shapely.get_coordinates(shapely.boundary(urban)), axis=0)
        seats[~rural] = corners[cKDTree(corners).query(seats[~rural])[1]]
    _village_roads(admin, buildings, areas, seats[rural], rng, lines)
    _arterials(seats, admin.outline, rng, lines)
    _expressway(admin, rng, lines)
    targets = np.vstack([shapely.get_coordinates(buildings.geometry.values),
                         shapely.get_coordinates(units.geometry.values)])
    urban_code = set(admin.grids.loc[admin.grids["_urban"].to_numpy(), "code"])
    unit_grid = admin.grids["code"].to_numpy()[shapely.STRtree(
        admin.grids.geometry.values).query_nearest(units.geometry.values)[1]]
    urban_target = np.concatenate([buildings["grid_code"].isin(urban_code).to_numpy(),
                                   np.isin(unit_grid, list(urban_code))])
    lines.geoms = list(shapely.segmentize(np.asarray(lines.geoms, dtype=object), ANCHOR_M))
    _lanes(lines, targets, urban_target)
    pieces, klass, names = _connect(lines)
    oneway = _oneways(pieces, klass, admin, max(2, round(ONEWAY_STREETS * min(scale, 1.0))),
                      rng)
    flip = oneway & (rng.random(len(pieces)) < 0.5)  # either way along the street
    pieces[flip] = shapely.reverse(pieces[flip])
    mid = shapely.get_coordinates(shapely.line_interpolate_point(pieces, 0.5, normalized=True))
    rank = np.array([_RANK[k] for k in klass])
    order = np.lexsort((np.round(mid[:, 0]), -np.round(mid[:, 1]), rank))
    return gpd.GeoDataFrame(
        {"road_id": [f"R{i:05d}" for i in range(1, len(order) + 1)],
         "name": names[order], "road_class": klass[order],
         "speed_kmh": np.array([speeds[k] for k in klass[order]], dtype=float),
         "oneway": oneway[order]},
        geometry=pieces[order])
