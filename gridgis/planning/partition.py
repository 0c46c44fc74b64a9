"""Auto-partition a community into grids of a workable number of households.

The method, in four steps, all on the local Gauss-Krüger plane:

1. **Blocks.** The community's buildings are grouped into compact blocks of
   about ``block_households`` households (k-means on the building positions,
   weighted by households, scikit-learn). Blocks keep the regionalization
   small: max-p on buildings takes minutes for a 1,000-building community, on
   blocks well under a second.
2. **Regions.** PySAL spopt's max-p-regions heuristic groups contiguous blocks
   (adjacency: two blocks touch when the Voronoi cells of their buildings,
   clipped to the community, share an edge; blocks are first split into their
   connected pieces) into regions of at least a
   threshold of households. The threshold is the household count that gives
   the fewest grids the upper bound allows (``ceil(total / max)`` grids), lowered
   step by step until no region exceeds the upper bound.
3. **Polygons.** Each building gets its Voronoi cell, taken to lon/lat and
   clipped there to the community (the edge model of
   :mod:`gridgis.planning.edges`: the grids end on the community's own
   lon/lat edges, which its neighbours share); the cells are dissolved by
   region, so the grids tile the community exactly (no gap, no overlap). A
   region whose cells fall apart keeps its largest piece; the others go to
   the neighbour with the longest shared edge.
4. **Grids.** Households and population are recounted from the buildings
   inside each polygon; codes are the community code plus a sequence number.
"""

from __future__ import annotations

import math
import signal
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.crs import local_crs
from gridgis.errors import PlanError, PlanWorseError
from gridgis.planning._codes import reissue_codes, used_codes
from gridgis.planning._pieces import dissolve, one_piece_each, voronoi_cells
from gridgis.planning.edges import polygonal
from gridgis.planning.metrics import OBJECTIVES, compare_plans, plan_metrics, plan_summary

if TYPE_CHECKING:
    from libpysal import weights

__all__ = ["PartitionResult", "auto_partition", "partition_layers"]

SEED = 2026
SLACK = 0.85
"""The max-p threshold stays below this share of the mean region (no slack stalls spopt)."""
MAXP_CPU_SECONDS = 10.0
"""Budget of one max-p run in processor time (a stalled run is retried with a lower
threshold). Processor time, not wall time: a busy machine stretches the wall clock of a
run, not the work it does, so the same community gives the same plan under any load.
Runs of the sample's urban communities take at most about 3 s."""
ITERATIONS = 3
"""Construction and annealing rounds of spopt's max-p heuristic (its default, 99, takes minutes)."""


@dataclass
class PartitionResult:
    """Grids proposed for one community.

    Attributes
    ----------
    grids : geopandas.GeoDataFrame
        In lon/lat, with ``code`` (placeholder sequence ``001``…), ``name``,
        ``community_code``, ``households``, ``population``, ``workers``,
        ``worker_names``.
    building_region : pandas.Series
        The grid code of each building (index: ``building_id``).
    threshold : int
        The max-p household threshold that produced the regions.
    """

    grids: gpd.GeoDataFrame
    building_region: pd.Series
    threshold: int


def _blocks(xy: np.ndarray, households: np.ndarray, n_blocks: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    if n_blocks >= len(xy):
        return np.arange(len(xy))
    model = KMeans(n_clusters=n_blocks, n_init=1, random_state=SEED)
    labels = model.fit_predict(xy, sample_weight=np.maximum(households, 1))
    _, dense = np.unique(labels, return_inverse=True)
    return dense


def _touching_pairs(cells: np.ndarray) -> np.ndarray:
    """Pairs of buildings whose clipped Voronoi cells share an edge (not just a corner)."""
    tree = shapely.STRtree(cells)
    a, b = tree.query(cells, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(cells[a]),
                                                 shapely.boundary(cells[b])))
    edge = shared > 0.01
    return np.c_[a[edge], b[edge]]


def _contiguous_blocks(block: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Split every block into its connected pieces, so blocks are contiguous."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(block)
    same = block[pairs[:, 0]] == block[pairs[:, 1]]
    inner = pairs[same]
    graph = coo_matrix((np.ones(len(inner)), (inner[:, 0], inner[:, 1])), shape=(n, n))
    _, pieces = connected_components(graph, directed=False)
    return pieces


def _block_weights(pairs: np.ndarray, block: np.ndarray, n_blocks: int) -> weights.W:
    from libpysal import weights

    a, b = block[pairs[:, 0]], block[pairs[:, 1]]
    keep = a != b
    links: dict[int, set[int]] = {i: set() for i in range(n_blocks)}
    for i, j in zip(a[keep], b[keep], strict=True):
        links[int(i)].add(int(j))
        links[int(j)].add(int(i))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return weights.W({i: sorted(v) for i, v in links.items()}, silence_warnings=True)


class _StalledError(Exception):
    """spopt's annealing ran past its time budget."""


@contextmanager
def _cpu_budget(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` of this process's processor time.

    Main thread only (elsewhere no limit).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _StalledError

    previous = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _maxp(block_frame: pd.DataFrame, w: weights.W, threshold: float) -> np.ndarray | None:
    """Max-p regions of the blocks, or None when spopt's annealing stalls."""
    from spopt.region import MaxPHeuristic

    np.random.seed(SEED)  # spopt's heuristic draws from numpy's global generator
    try:
        with warnings.catch_warnings(), _cpu_budget(MAXP_CPU_SECONDS):
            warnings.simplefilter("ignore")
            model = MaxPHeuristic(block_frame, w, ["x", "y"], "households", threshold,
                                  top_n=2, max_iterations_construction=ITERATIONS,
                                  max_iterations_sa=ITERATIONS)
            model.solve()
    except _StalledError:
        return None
    if model.labels_ is None:
        return None
    return np.asarray(model.labels_, dtype=int)


def _connected_without(members: set[int], drop: int, w: weights.W) -> bool:
    rest = members - {drop}
    if not rest:
        return False
    start = next(iter(rest))
    seen, todo = {start}, [start]
    while todo:
        for j in w.neighbors[todo.pop()]:
            if j in rest and j not in seen:
                seen.add(j)
                todo.append(j)
    return len(seen) == len(rest)


def _rebalance(labels: np.ndarray, block_hh: np.ndarray, w: weights.W,
               bounds: tuple[int, int], rounds: int = 200) -> np.ndarray:
    """Move border blocks out of regions above the bound (or into regions below it).

    A block moves only when both regions end within bounds (or closer to them)
    and the region it leaves stays contiguous.
    """
    low, high = bounds
    labels = labels.copy()
    for _ in range(rounds):
        sums = np.bincount(labels, block_hh)
        bad = [r for r in range(len(sums)) if sums[r] > high or sums[r] < low]
        if not bad:
            break
        moved = False
        for r in bad:
            members = set(np.flatnonzero(labels == r).tolist())
            options = []
            for b in members if sums[r] > high else range(len(labels)):
                if sums[r] > high:
                    src, dst_set = r, {labels[j] for j in w.neighbors[b]} - {r}
                else:
                    if labels[b] == r or not any(labels[j] == r for j in w.neighbors[b]):
                        continue
                    src, dst_set = labels[b], {r}
                for dst in dst_set:
                    new_src, new_dst = sums[src] - block_hh[b], sums[dst] + block_hh[b]
                    if new_dst > high or (new_src < low <= sums[src]):
                        continue
                    options.append((block_hh[b], b, src, dst))
            for _, b, src, dst in sorted(options):
                if _connected_without(set(np.flatnonzero(labels == src).tolist()), b, w):
                    labels[b] = dst
                    moved = True
                    break
        if not moved:
            break
    return labels


def _regions(xy: np.ndarray, households: np.ndarray, pairs: np.ndarray,
             bounds: tuple[int, int], block_households: int) -> tuple[np.ndarray, int]:
    low, high = bounds
    total = int(households.sum())
    fewest = max(1, math.ceil(total / high))
    if fewest == 1:
        return np.zeros(len(xy), dtype=int), total
    n_blocks = min(len(xy), max(2 * fewest, math.ceil(total / block_households)))
    block = _contiguous_blocks(_blocks(xy, households, n_blocks), pairs)
    n_blocks = int(block.max()) + 1
    w = _block_weights(pairs, block, n_blocks)
    frame = pd.DataFrame({"x": np.bincount(block, xy[:, 0]) / np.bincount(block),
                          "y": np.bincount(block, xy[:, 1]) / np.bincount(block),
                          "households": np.bincount(block, households)})
    best: tuple[int, np.ndarray, int] | None = None
    # spopt's annealing stalls when the threshold leaves no slack (e.g. exactly
    # total / fewest), so the threshold stays below SLACK times the mean region
    ceiling = SLACK * total / fewest
    threshold = min(ceiling, max(float(low), high - block_households))
    while True:
        found = _maxp(frame, w, threshold)
        if found is not None:
            _, dense = np.unique(found, return_inverse=True)
            labels = _rebalance(dense.ravel(), frame["households"].to_numpy(), w, bounds)
            sums = np.bincount(labels, frame["households"].to_numpy())
            over = int((sums > high).sum() + (sums < low).sum())
            if best is None or over < best[0]:
                best = (over, labels, int(threshold))
        else:
            over = -1
        floor = min(low, ceiling)
        if over == 0 or threshold <= floor / 2 or (threshold <= floor and best is not None):
            break
        if threshold <= floor:  # no run finished yet: try below the bound
            threshold = threshold - block_households / 2
            continue
        threshold = min(ceiling, max(float(low), threshold - block_households / 2))
    if best is None:
        raise PlanError("spopt's max-p found no regions for this community; try other "
                        "household bounds")
    _, labels, used = best
    return labels[block], used


def _lonlat_cells(xy: np.ndarray, area: Any, community: Any, crs: Any) -> np.ndarray:
    """Building cells in lon/lat, clipped to the community in lon/lat (the edge model).

    The Voronoi diagram is drawn on the plane and its cells taken to lon/lat
    unclipped; clipping there keeps the community's own edges, straight in
    lon/lat, so the grids end exactly on the outline their neighbours share.
    """
    cells = voronoi_cells(xy, area, clip=False)
    lonlat = gpd.GeoSeries(cells, crs=crs).to_crs(4326).to_numpy()
    return np.array([polygonal(g) for g in shapely.intersection(lonlat, community)],
                    dtype=object)


def auto_partition(community: Any, buildings: gpd.GeoDataFrame, *,
                   community_code: str | None = None, community_name: str = "",
                   households: tuple[int, int] = (300, 500),
                   block_households: int = 60) -> PartitionResult:
    """Cut a community into contiguous, compact grids within a household range.

    Parameters
    ----------
    community : shapely geometry or a one-row GeoDataFrame
        The community polygon in lon/lat.
    buildings : geopandas.GeoDataFrame
        Its buildings (points or polygons) with ``building_id``, ``households``
        and ``population``.
    community_code : str, optional
        Prefix of the grid codes (taken from the GeoDataFrame's ``code``).
    community_name : str, optional
        Used in the grid names.
    households : (int, int), default (300, 500)
        Households per grid; the fewest grids the upper bound allows.
    block_households : int, default 60
        Households per block of step 1 (smaller: finer, slower).

    Returns
    -------
    PartitionResult

    Raises
    ------
    PlanError
        If the community has no buildings or the bounds are not ``0 < min <= max``.
    """
    low, high = households
    if not 0 < low <= high:
        raise PlanError(f"household bounds must satisfy 0 < min <= max, got {households}")
    if isinstance(community, gpd.GeoDataFrame):
        community_code = community_code or str(community["code"].iloc[0])
        if "name" in community:
            community_name = community_name or str(community["name"].iloc[0])
        community = community.to_crs(4326).geometry.iloc[0]
    if community_code is None:
        raise PlanError("give the community code (or a GeoDataFrame with a 'code' column)")
    if buildings.empty:
        raise PlanError(f"community {community_code} has no buildings to partition")
    crs = local_crs(buildings)
    area = gpd.GeoSeries([community], crs=4326).to_crs(crs).iloc[0]
    spots = buildings.to_crs(crs).geometry.representative_point()
    xy = shapely.get_coordinates(spots.to_numpy())
    hh = buildings["households"].to_numpy(dtype=float)
    cells = voronoi_cells(xy, area)
    labels, threshold = _regions(xy, hh, _touching_pairs(cells), (low, high), block_households)
    shapes = one_piece_each(dissolve(_lonlat_cells(xy, area, community, crs), labels))
    order = sorted(shapes, key=lambda r: (-shapes[r].centroid.y, shapes[r].centroid.x))
    polygons = gpd.GeoSeries([shapes[r] for r in order], crs=4326)
    codes = [f"{community_code}{i + 1:03d}" for i in range(len(order))]
    owner = gpd.GeoDataFrame({"code": codes}, geometry=polygons.to_numpy(), crs=4326)
    hit = gpd.sjoin(gpd.GeoDataFrame(geometry=spots.to_crs(4326).to_numpy(), crs=4326), owner,
                    predicate="intersects", how="left")
    region_of = hit[~hit.index.duplicated()]["code"].reindex(range(len(xy))).to_numpy()
    per = pd.DataFrame({"code": region_of, "households": hh,
                        "population": buildings["population"].to_numpy()}
                       ).groupby("code")[["households", "population"]].sum()
    grids = gpd.GeoDataFrame({
        "code": codes,
        "name": [f"{community_name}第{i + 1}网格" for i in range(len(codes))],
        "community_code": community_code,
        "households": per["households"].reindex(codes, fill_value=0).astype(int).to_numpy(),
        "population": per["population"].reindex(codes, fill_value=0).astype(int).to_numpy(),
        "workers": 1,
        "worker_names": None,
    }, geometry=polygons.to_numpy(), crs=4326)
    grids.index = pd.Index(codes)
    return PartitionResult(grids, pd.Series(region_of, index=buildings["building_id"].to_numpy()),
                           threshold)


def _refuse_if_worse(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, community_code: str,
                     households: tuple[int, int], objective: str) -> None:
    current = plan_summary(plan_metrics(old, households=households))
    proposed = plan_summary(plan_metrics(new, households=households))
    if compare_plans(current, proposed, objective):
        key, _, label = OBJECTIVES[objective]
        raise PlanWorseError(
            f"社区 {community_code} 的新方案在{label.split(' (')[0]}上比现行方案差："
            f"{key} {current[key]:.3f} → {proposed[key]:.3f}；未采用（加 --force 仍要采用）"
            f"(the proposal is worse on {objective})",
            objective=objective, current=current, proposed=proposed)


def partition_layers(layers: Any, community_code: str, *,
                     households: tuple[int, int] = (300, 500),
                     block_households: int = 60, objective: str = "balance",
                     force: bool = False) -> Any:
    """Replace one community's grids by an auto-partition; return the new plan.

    The proposal is compared with the community's current grids
    (:func:`gridgis.planning.metrics.plan_summary` of both) and refused when
    it is worse on ``objective``, unless ``force``.

    Parameters
    ----------
    layers : Layers
        The plan (left untouched).
    community_code : str
        The community to redraw.
    households : (int, int), default (300, 500)
    block_households : int, default 60
    objective : str, default "balance"
        What a redraw must not make worse: a key of
        :data:`gridgis.planning.metrics.OBJECTIVES` (``balance``,
        ``compactness`` or ``bounds``).
    force : bool, default False
        Accept a proposal that is worse on ``objective``.

    Returns
    -------
    Layers
        The new plan: the community's grids are redrawn and coded by the rule of
        :func:`gridgis.planning.reissue_codes` (a new grid covering most of an old
        one keeps its code; the others get the next free sequence numbers, never
        a code the plan or its history has used); its buildings point to their
        new grid and its patrol zones to the new grid they overlap most.

    Raises
    ------
    PlanError
        If the community is unknown, the district has no buildings or the
        objective is unknown.
    PlanWorseError
        If the proposal is worse than the current grids on ``objective`` (and
        not ``force``); it carries both summaries.
    """
    if objective not in OBJECTIVES:
        raise PlanError(f"未知的目标 {objective!r}，可选 {'、'.join(OBJECTIVES)} "
                        f"(unknown objective)")
    communities = layers.communities.set_index("code", drop=False)
    if community_code not in communities.index:
        raise PlanError(f"本区县没有社区 {community_code!r} (no community {community_code!r} in "
                        "this district)")
    if layers.buildings is None:
        raise PlanError("auto-partition needs the buildings layer (households per building)")
    old_codes = set(layers.grids.index[layers.grids["community_code"] == community_code])
    buildings = layers.buildings
    mine = buildings["grid_code"].isin(old_codes)
    result = auto_partition(communities.loc[[community_code]], buildings[mine],
                            households=households, block_households=block_households)
    issued = reissue_codes(layers.grids.loc[sorted(old_codes)],
                           result.grids.assign(community_code=community_code),
                           used=used_codes(layers))
    fresh = dict(zip(result.grids["code"], issued["code"], strict=True))
    new_grids = result.grids.assign(code=result.grids["code"].map(fresh))
    new_grids.index = pd.Index(new_grids["code"].to_numpy())
    if old_codes and not force:
        _refuse_if_worse(layers.grids.loc[sorted(old_codes)], new_grids, community_code,
                         households, objective)
    grids = pd.concat([layers.grids[~layers.grids.index.isin(old_codes)],
                       new_grids[[c for c in layers.grids.columns if c in new_grids]]])
    grids = gpd.GeoDataFrame(grids, geometry=layers.grids.geometry.name, crs=layers.grids.crs)
    moved = buildings.copy()
    moved.loc[mine, "grid_code"] = result.building_region.map(fresh).to_numpy()
    zones = layers.patrol_zones
    if zones is not None:
        zones = zones.copy()
        affected = zones["grid_code"].isin(old_codes)
        if affected.any():
            crs = local_crs(layers.communities)
            z = zones[affected].to_crs(crs)
            g = new_grids.to_crs(crs)
            overlap = shapely.area(shapely.intersection(
                z.geometry.to_numpy()[:, None], g.geometry.to_numpy()[None, :]))
            zones.loc[affected, "grid_code"] = g["code"].to_numpy()[overlap.argmax(axis=1)]
    return replace(layers, grids=grids, buildings=moved, patrol_zones=zones).check()
