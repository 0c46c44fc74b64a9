"""The nearest responsible units of an incident, in metres or along the roads.

Units and incidents are projected once to the district's CGCS2000
Gauss-Krüger zone; straight-line neighbours come from one k-d tree per unit
kind (and per township when the search is kept inside the incident's
township). With a road layer, distances run along the network: shortest paths
from every unit over a sparse graph (scipy.sparse.csgraph), plus the straight
legs from the incident and the unit to their nearest road nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from gridgis.categories import load_categories
from gridgis.crs import gauss_kruger_epsg
from gridgis.errors import CategoryError, LayerError

__all__ = ["UnitFinder", "nearest_units"]


class _RoadGraph:
    """Shortest road distances from each unit to every road node."""

    def __init__(self, roads: gpd.GeoDataFrame, crs: CRS, unit_xy: np.ndarray,
                 speed_kmh: float) -> None:
        lines = roads.to_crs(crs)
        coords, ring = shapely.get_coordinates(lines.geometry.values, return_index=True)
        if len(coords) < 2:
            raise LayerError("the road layer holds no lines", layer="roads")
        keys = np.round(coords, 1)
        nodes, node_of = np.unique(keys, axis=0, return_inverse=True)
        same_line = ring[1:] == ring[:-1]
        a, b = node_of[:-1][same_line], node_of[1:][same_line]
        length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
        n = len(nodes)
        graph = coo_matrix((np.r_[length, length], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        self.nodes = nodes
        self.tree = cKDTree(nodes)
        self.speed_m_per_min = speed_kmh * 1000 / 60
        leg, unit_node = self.tree.query(unit_xy)
        self.unit_leg = leg
        self.dist = dijkstra(graph.tocsr(), directed=False, indices=unit_node)  # units × nodes

    def distances(self, xy: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Road distance from each point (row) to each of its candidate units (n × m)."""
        leg, node = self.tree.query(xy)
        return self.dist[units, node[:, None]] + leg[:, None] + self.unit_leg[units]


class UnitFinder:
    """Find the nearest units of given kinds to incident locations.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The ``units`` layer (points in lon/lat with ``unit_id``, ``name``,
        ``kind``, ``township_code``).
    roads : geopandas.GeoDataFrame, optional
        Road centre lines; when given, distances run along the roads.
    speed_kmh : float, default 30
        Travel speed on the roads, for travel times.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.1)
    >>> finder = UnitFinder(layers.units)
    >>> p = layers.incidents.geometry.iloc[0]
    >>> hits = finder.nearest([p.x], [p.y], kinds=["police_station"], k=1)
    >>> hits[["kind", "method"]].iloc[0].tolist()
    ['police_station', 'euclidean']
    """

    def __init__(self, units: gpd.GeoDataFrame, *, roads: gpd.GeoDataFrame | None = None,
                 speed_kmh: float = 30.0) -> None:
        if units.crs is None:
            raise LayerError("the units layer has no CRS", layer="units")
        if len(units) == 0:
            raise LayerError("the units layer is empty", layer="units")
        lonlat = units.to_crs(4326)
        centre = float(np.mean(lonlat.geometry.x))
        self.crs = CRS.from_epsg(gauss_kruger_epsg(centre))
        self._to_plane = Transformer.from_crs(4326, self.crs, always_xy=True)
        xy = np.column_stack(self._to_plane.transform(lonlat.geometry.x.to_numpy(),
                                                      lonlat.geometry.y.to_numpy()))
        self.units = pd.DataFrame({
            "unit_id": units["unit_id"].to_numpy(), "name": units["name"].to_numpy(),
            "kind": units["kind"].to_numpy(), "township_code": units["township_code"].to_numpy(),
        })
        self.xy = xy
        self._trees: dict[tuple[str, str | None], tuple[cKDTree, np.ndarray]] = {}
        self.roads = None if roads is None else _RoadGraph(roads, self.crs, xy, speed_kmh)

    def _labels(self, column: str, picked: np.ndarray) -> pd.Categorical:
        """Unit attributes as categoricals: no per-row string copies on large batches."""
        codes, uniques = pd.factorize(self.units[column])
        return pd.Categorical.from_codes(codes[picked], categories=pd.Index(uniques))

    def _tree(self, kind: str, township: str | None) -> tuple[cKDTree, np.ndarray] | None:
        key = (kind, township)
        if key not in self._trees:
            mask = (self.units["kind"] == kind).to_numpy()
            if township is not None:
                mask = mask & (self.units["township_code"] == township).to_numpy()
            idx = np.flatnonzero(mask)
            self._trees[key] = (cKDTree(self.xy[idx]), idx) if len(idx) else None
        return self._trees[key]

    def plane(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Project lon/lat to the finder's Gauss-Krüger plane (n × 2, metres)."""
        return np.column_stack(self._to_plane.transform(np.asarray(lon, dtype=float),
                                                        np.asarray(lat, dtype=float)))

    def query(self, xy: np.ndarray, *, kinds: Sequence[str], k: int,
              township_code: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest units for projected points: (unit positions, metres, minutes), n × k.

        Missing neighbours (fewer than ``k`` units of those kinds) are -1 / inf.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        n = len(xy)
        cand_d, cand_i = [], []
        for kind in kinds:
            found = self._tree(kind, township_code)
            if found is None:
                continue
            tree, idx = found
            kk = min(k if self.roads is None else max(k * 3, 8), len(idx))
            d, j = tree.query(xy, k=kk, workers=-1)
            cand_d.append(d.reshape(n, kk))
            cand_i.append(idx[j.reshape(n, kk)])
        if not cand_d:
            empty = np.full((n, k), -1)
            return empty, np.full((n, k), np.inf), np.full((n, k), np.nan)
        dist = cand_d[0] if len(cand_d) == 1 else np.hstack(cand_d)
        unit = cand_i[0] if len(cand_i) == 1 else np.hstack(cand_i)
        if self.roads is not None:
            dist = self.roads.distances(xy, unit)
        if dist.shape[1] > 1:
            order = np.argsort(dist, axis=1, kind="stable")[:, :k]
            dist = np.take_along_axis(dist, order, axis=1)
            unit = np.take_along_axis(unit, order, axis=1)
        if dist.shape[1] < k:
            pad = k - dist.shape[1]
            dist = np.hstack([dist, np.full((n, pad), np.inf)])
            unit = np.hstack([unit, np.full((n, pad), -1)])
        travel = dist / self.roads.speed_m_per_min if self.roads is not None \
            else np.full(dist.shape, np.nan)
        return unit, dist, travel

    @property
    def method(self) -> str:
        """``"network"`` with a road layer, else ``"euclidean"``."""
        return "euclidean" if self.roads is None else "network"

    def frame(self, unit: np.ndarray, dist: np.ndarray, travel: np.ndarray) -> pd.DataFrame:
        """Long table of :meth:`query` results (one row per point and rank)."""
        n, k = unit.shape
        found = unit.ravel() >= 0
        point = np.repeat(np.arange(n), k)[found]
        picked = unit.ravel()[found]
        return pd.DataFrame({
            "point": point,
            "rank": np.tile(np.arange(1, k + 1), n)[found],
            **{col: self._labels(col, picked) for col in ("unit_id", "name", "kind")},
            "distance_m": dist.ravel()[found].round(1),
            "travel_min": travel.ravel()[found].round(1),
            "method": self.method,
        })

    def nearest(self, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray, *,
                kinds: Sequence[str], k: int = 3, township_code: str | None = None
                ) -> pd.DataFrame:
        """The ``k`` nearest units of any of ``kinds`` for each point.

        Parameters
        ----------
        lon, lat : array-like
            Points in WGS84/CGCS2000 lon/lat.
        kinds : sequence of str
            Unit kinds to consider.
        k : int, default 3
            Units per point.
        township_code : str, optional
            Keep the search inside this township.

        Returns
        -------
        pandas.DataFrame
            Long format: ``point`` (position in the input), ``rank`` (1 = nearest),
            ``unit_id``, ``name``, ``kind``, ``distance_m``, ``travel_min``
            (roads only) and ``method`` (``"euclidean"`` or ``"network"``).
        """
        xy = self.plane(lon, lat)
        return self.frame(*self.query(xy, kinds=kinds, k=k, township_code=township_code))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
        ("point", "int64"), ("rank", "int64"), ("unit_id", object), ("name", object),
        ("kind", object), ("distance_m", "float64"), ("travel_min", "float64"),
        ("method", object))})


def nearest_units(incidents: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, k: int = 3,
                  categories: pd.DataFrame | None = None, same_township: bool = False,
                  roads: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """The nearest responsible units of each incident, by its category's unit kinds.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Points with a ``category`` column (and ``township_code`` when
        ``same_township``).
    units : geopandas.GeoDataFrame
        The units layer.
    k : int, default 3
        Units per incident.
    categories : pandas.DataFrame, optional
        Category table; default :func:`gridgis.load_categories`.
    same_township : bool, default False
        Search only the incident's own township.
    roads : geopandas.GeoDataFrame, optional
        Road lines: distances along the network instead of straight lines.

    Returns
    -------
    pandas.DataFrame
        Long format indexed by the incidents' index (one row per incident and
        rank) with ``rank``, ``unit_id``, ``name``, ``kind``, ``distance_m``,
        ``travel_min`` and ``method``.

    Raises
    ------
    CategoryError
        If an incident's category is not in the table.
    """
    table = load_categories() if categories is None else categories
    cat_code, cats = pd.factorize(incidents["category"])
    unknown = set(cats) - set(table.index)
    if unknown:
        raise CategoryError(f"unknown categories {', '.join(sorted(map(str, unknown)))}; "
                            "add them to the category table")
    finder = UnitFinder(units, roads=roads)
    pts = incidents.to_crs(4326) if incidents.crs and incidents.crs.to_epsg() != 4326 \
        else incidents
    coords = shapely.get_coordinates(pts.geometry.values)
    if len(coords) != len(pts):
        raise LayerError("incidents must be single points with coordinates", layer="incidents")
    xy = finder.plane(coords[:, 0], coords[:, 1])
    n = len(incidents)
    unit = np.full((n, k), -1)
    dist = np.full((n, k), np.inf)
    travel = np.full((n, k), np.nan)
    # group points by (unit kinds[, township]) with integer codes: no per-point Python work
    kind_sets = [table.loc[c, "unit_kinds"] for c in cats]
    set_code, set_list = pd.factorize(pd.Series(kind_sets, dtype=object).map(tuple))
    group = set_code[cat_code] if len(cats) else np.zeros(n, dtype=int)
    towns: list = [None]
    if same_township:
        town_code, towns = pd.factorize(incidents["township_code"])
        group = group * len(towns) + town_code
    order = np.argsort(group, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(group[order]) != 0])
    for a, b in zip(starts, np.r_[starts[1:], n], strict=True):
        pos = order[a:b]
        g = int(group[pos[0]])
        kinds_g = set_list[g // len(towns)] if same_township else set_list[g]
        town = towns[g % len(towns)] if same_township else None
        u, d, t = finder.query(xy[pos], kinds=kinds_g, k=k, township_code=town)
        unit[pos], dist[pos], travel[pos] = u, d, t
    out = finder.frame(unit, dist, travel)
    out.index = incidents.index[out.pop("point").to_numpy()]
    return out
