"""Where one more unit closes the largest gap: maximal covering location (MCLP, 选址).

:func:`propose_sites` solves spopt's maximal covering location problem
(:meth:`spopt.locate.MCLP.from_cost_matrix`, with pulp's bundled CBC solver, offline)
on a matrix of travel minutes by road:

- **demand**: the buildings weighted by population, gathered per grid and per
  square of ``cell_m`` metres on the Gauss-Krüger plane into one point each
  (their population-weighted mean), so that the matrix stays small while a
  long rural grid still keeps its villages apart;
- **facilities**: the existing units of the kind, fixed as already sited (the
  demand they cover counts whatever is chosen, so it is set aside and the model
  is solved on the demand they leave uncovered), and the candidate sites: by
  default the road network's junctions and vertices of its largest connected
  part, thinned to at most ``max_candidates`` by keeping the node nearest the
  centre of each square of a spatial grid (a new station stands on a road, and
  any road stretch can be reached) — or sites of one's own (e.g. the buildings
  of existing public facilities, where a unit could move in).

Before spopt builds the model (term by term, in Python), it is reduced without
changing its optimum: candidates whose covered demand lies within another's are
dropped, and demand points covered by the same candidates are merged. The
proposal names the chosen site(s) with the population they newly bring
within the limit: in the model (the demand points) and, measured again on every
building, exactly.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gridgis.analysis._common import points_lonlat, require_columns
from gridgis.errors import GridGisError, InputError
from gridgis.roads.network import RoadNetwork

__all__ = ["SiteProposal", "candidate_nodes", "propose_sites"]


@dataclass
class SiteProposal:
    """The sites proposed for new units of a kind, and what they bring.

    Attributes
    ----------
    kind : str
        The unit kind.
    limit_min : float
        The arrival limit.
    sites : geopandas.GeoDataFrame
        One row per proposed site (points in lon/lat): ``site`` (candidate id),
        ``grid_code`` (the grid it lies in, empty outside every grid),
        ``population_new`` (newly covered, model demand points),
        ``population_new_buildings``, ``households_new_buildings`` and
        ``buildings_new`` (newly covered, measured on every building; a
        building two new sites reach counts for the nearer).
    population : float
        The population of the district's buildings.
    covered_before, covered_after : float
        Population within the limit of a unit of the kind, without and with the
        new sites (measured on every building).
    candidates : int
        Number of candidate sites.
    demand_points : int
        Number of demand points of the model.
    """

    kind: str
    limit_min: float
    sites: gpd.GeoDataFrame
    population: float
    covered_before: float
    covered_after: float
    candidates: int
    demand_points: int

    @property
    def share_before(self) -> float:
        """Share of the population covered by the existing units."""
        return self.covered_before / self.population if self.population else float("nan")

    @property
    def share_after(self) -> float:
        """Share of the population covered with the new sites."""
        return self.covered_after / self.population if self.population else float("nan")


def candidate_nodes(network: RoadNetwork, *, max_candidates: int = 300) -> np.ndarray:
    """Road nodes thinned by a spatial grid: one per square, the nearest its centre.

    Only nodes of the largest connected part of the network are kept. The
    square's side grows until at most `max_candidates` nodes remain.

    Returns
    -------
    numpy.ndarray
        Indices of the chosen nodes (into ``network.node_xy``).
    """
    if max_candidates < 1:
        raise InputError("候选点个数须为正数 / max_candidates must be positive",
                         field="max_candidates")
    main = np.flatnonzero(network.components() == 0)
    xy = network.node_xy[main]
    if len(main) <= max_candidates:
        return main
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    side = max(float(np.sqrt(np.prod(np.maximum(hi - lo, 1.0)) / max_candidates)), 1.0)
    while True:
        cell = np.floor((xy - lo) / side).astype(np.int64)
        centre = lo + (cell + 0.5) * side
        gap = np.hypot(*(xy - centre).T)
        order = np.lexsort((gap, cell[:, 1], cell[:, 0]))
        c = cell[order]
        first = np.r_[True, np.any(c[1:] != c[:-1], axis=1)]
        chosen = order[first]
        if len(chosen) <= max_candidates:
            return np.sort(main[chosen])
        side *= 1.2


def _demand(buildings: pd.DataFrame, xy: np.ndarray, cell_m: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Population-weighted points per grid and square: (m × 2 plane xy, population)."""
    pop = buildings["population"].to_numpy(dtype=float)
    keep = pop > 0
    frame = pd.DataFrame({
        "grid": buildings["grid_code"].astype(str).to_numpy()[keep],
        "cx": np.floor(xy[keep, 0] / cell_m).astype(np.int64),
        "cy": np.floor(xy[keep, 1] / cell_m).astype(np.int64),
        "wx": xy[keep, 0] * pop[keep], "wy": xy[keep, 1] * pop[keep], "pop": pop[keep]})
    agg = frame.groupby(["grid", "cx", "cy"], sort=True)[["wx", "wy", "pop"]].sum()
    points = np.column_stack([agg["wx"] / agg["pop"], agg["wy"] / agg["pop"]])
    return points, agg["pop"].to_numpy()


def propose_sites(layers: object, network: RoadNetwork, kind: str, *, new_sites: int = 1,
                  limit_min: float = 15.0, candidates: gpd.GeoDataFrame | None = None,
                  max_candidates: int = 300, cell_m: float = 500.0,
                  solver: object | None = None) -> SiteProposal:
    """Sites for `new_sites` more units of `kind` that bring the most people within the limit.

    Parameters
    ----------
    layers : Layers
        The district: ``buildings`` (``population``, ``households``,
        ``grid_code``), ``units`` (``unit_id``, ``kind``) and ``grids``.
    network : RoadNetwork
        The district's road network.
    kind : str
        The unit kind to add (its existing units stay where they are).
    new_sites : int, default 1
        How many units to add.
    limit_min : float, default 15
        The arrival limit in minutes.
    candidates : geopandas.GeoDataFrame, optional
        Candidate sites (points; ``site`` column or the index as their id);
        default :func:`candidate_nodes` of the network.
    max_candidates : int, default 300
        At most this many road nodes as candidates (when `candidates` is None).
    cell_m : float, default 500
        Side of the squares buildings are gathered in, within their grid.
    solver : pulp solver, optional
        Default ``pulp.PULP_CBC_CMD(msg=False)`` (CBC ships with pulp).

    Returns
    -------
    SiteProposal

    Raises
    ------
    InputError
        For a count, limit or cell size out of range, or no candidate site.
    LayerError
        If a layer or a column is missing.
    """
    if int(new_sites) != new_sites or new_sites < 1:
        raise InputError("新增单位个数须为正整数 / new_sites must be a positive whole number",
                         field="new_sites")
    if not (np.isfinite(limit_min) and limit_min > 0):
        raise InputError("到场时限须为正数（分钟） / limit_min must be a positive number",
                         field="limit_min")
    if not cell_m > 0:
        raise InputError("汇总格网边长须为正数 / cell_m must be positive", field="cell_m")
    buildings = getattr(layers, "buildings", None)
    units = getattr(layers, "units", None)
    what = "site proposal (选址)"
    require_columns(buildings, ("population", "households", "grid_code"), layer="buildings",
                    what=what)
    require_columns(units, ("unit_id", "kind"), layer="units", what=what)

    blon, blat = points_lonlat(buildings)
    bxy = network.plane(blon, blat)
    demand_xy, weight = _demand(buildings, bxy, cell_m)

    to_lonlat = Transformer.from_crs(network.crs, 4326, always_xy=True)
    if candidates is None:
        nodes = candidate_nodes(network, max_candidates=max_candidates)
        cxy = network.node_xy[nodes]
        clon, clat = to_lonlat.transform(cxy[:, 0], cxy[:, 1])
        clon, clat = np.asarray(clon), np.asarray(clat)
        ids = np.array([f"N{n}" for n in nodes], dtype=object)
    else:
        clon, clat = points_lonlat(candidates)
        ids = (candidates["site"] if "site" in candidates.columns
               else candidates.index.to_series()).astype(str).to_numpy()
    if len(ids) == 0:
        raise InputError("没有候选站点 / no candidate site", field="candidates")

    existing = units[units["kind"] == kind]
    if len(existing):
        elon, elat = points_lonlat(existing)
        fixed = network.origins(elon, elat, limit_min=limit_min)
        fixed_dem, fixed_bld = fixed.minutes_to(demand_xy), fixed.minutes_to(bxy)
    else:
        fixed_dem = np.zeros((0, len(demand_xy)))
        fixed_bld = np.zeros((0, len(bxy)))
    n_fixed = len(existing)
    cand_table = network.origins(clon, clat, limit_min=limit_min)
    cand_dem = cand_table.minutes_to(demand_xy)

    before_dem = fixed_dem.min(axis=0) <= limit_min if n_fixed else np.zeros(len(demand_xy),
                                                                              bool)
    chosen = _solve(cand_dem.T, before_dem, weight, limit_min, int(new_sites), solver)

    pop = buildings["population"].to_numpy(dtype=float)
    households = buildings["households"].to_numpy(dtype=float)
    before_bld = fixed_bld.min(axis=0) <= limit_min if n_fixed else np.zeros(len(bxy), bool)
    new_bld = cand_table.minutes_to(bxy, origins=chosen) if len(chosen) else \
        np.zeros((0, len(bxy)))
    new_dem = cand_dem[chosen]
    rows = []
    for k, j in enumerate(chosen):
        # a place two new sites reach counts for the nearer one (the first on ties)
        dem_mine = (new_dem[k] <= limit_min) & ~before_dem & (
            np.argmin(new_dem, axis=0) == k)
        bld_mine = (new_bld[k] <= limit_min) & ~before_bld & (
            np.argmin(new_bld, axis=0) == k)
        rows.append({"site": ids[j], "population_new": float(weight[dem_mine].sum()),
                     "population_new_buildings": float(pop[bld_mine].sum()),
                     "households_new_buildings": float(households[bld_mine].sum()),
                     "buildings_new": int(bld_mine.sum())})
    points = shapely.points(clon[chosen], clat[chosen])
    sites = gpd.GeoDataFrame(rows or None, columns=["site", "population_new",
                                                    "population_new_buildings",
                                                    "households_new_buildings",
                                                    "buildings_new"],
                             geometry=points, crs=4326)
    sites.insert(1, "grid_code", _grid_of(points, getattr(layers, "grids", None)))
    sites = sites.sort_values("population_new_buildings", ascending=False,
                              ignore_index=True)
    after_bld = before_bld | (new_bld <= limit_min).any(axis=0)
    return SiteProposal(kind=kind, limit_min=float(limit_min), sites=sites,
                        population=float(pop.sum()),
                        covered_before=float(pop[before_bld].sum()),
                        covered_after=float(pop[after_bld].sum()),
                        candidates=len(ids), demand_points=len(demand_xy))


def _solve(cost: np.ndarray, covered: np.ndarray, weight: np.ndarray, limit_min: float,
           p: int, solver: object | None) -> np.ndarray:
    """Columns of `cost` (demand × candidates) an MCLP of `p` new facilities chooses.

    The existing units are fixed: the demand they cover (`covered`) is set aside
    (it counts whatever is chosen) and so is demand no candidate reaches. The
    rest is reduced without changing the optimum: a candidate whose covered
    demand is within another's is dropped, and demand points covered by the same
    candidates are merged (weights summed). spopt builds its constraints term by
    term, so this keeps a district's model to seconds.
    """
    import pulp
    from spopt.locate import MCLP

    reach = cost <= limit_min
    active = ~covered & reach.any(axis=1)
    if not active.any():
        return np.zeros(0, dtype=int)
    a = reach[active].astype(np.int32)
    inter = a.T @ a  # demand points two candidates both cover
    size = np.diag(inter)
    n = len(size)
    idx = np.arange(n)
    # j is dominated by k when j's cover lies within k's (k first among equals)
    within = (inter == size[:, None]) & ((size[None, :] > size[:, None])
                                         | ((size[None, :] == size[:, None])
                                            & (idx[None, :] < idx[:, None])))
    keep = ~within.any(axis=1) & (size > 0)
    if keep.sum() < p:  # too few candidates left: add back the largest others
        extra = [j for j in np.argsort(-size, kind="stable") if not keep[j]]
        keep[extra[:p - keep.sum()]] = True
    cols = np.flatnonzero(keep)
    patterns, inverse = np.unique(a[:, cols], axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=weight[active], minlength=len(patterns))
    matrix = np.where(patterns > 0, 0.0, 2.0 * limit_min)  # merged: only the pattern counts
    with warnings.catch_warnings():
        # spopt builds its model with pulp's pre-4.0 calls; pulp 3.3 warns about each
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="pulp")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="spopt")
        model = MCLP.from_cost_matrix(matrix, weights, service_radius=float(limit_min),
                                      p_facilities=min(p, len(cols)))
        model = model.solve(solver or pulp.PULP_CBC_CMD(msg=False), results=False)
    status = pulp.LpStatus[model.problem.status]
    if status != "Optimal":
        raise GridGisError(f"选址模型未求得最优解（{status}） / the MCLP model was not solved "
                           f"to optimality ({status})")
    return cols[[j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]]


def _grid_of(points: np.ndarray, grids: gpd.GeoDataFrame | None) -> list[str]:
    if grids is None or len(points) == 0 or "code" not in grids.columns:
        return [""] * len(points)
    polys = np.asarray(grids.to_crs(4326).geometry.values)
    codes = grids["code"].astype(str).to_numpy()
    tree = shapely.STRtree(polys)
    pt, poly = tree.query(points, predicate="intersects")
    found = pd.Series(codes[poly]).groupby(pt).min()
    return [str(found.get(i, "")) for i in range(len(points))]
