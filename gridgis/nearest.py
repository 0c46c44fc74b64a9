"""The nearest responsible units of an incident, by travel time on the roads or in metres.

Units and incidents are projected once to the district's CGCS2000
Gauss-Krüger zone. With a road layer, units are ranked by travel minutes on
the network (:class:`gridgis.roads.RoadNetwork`: one shortest-path table from
every unit, built once, so that an incident's nearest units cost a few array
lookups); without one, straight-line neighbours come from one k-d tree per
unit kind (and per township when the search is kept inside the incident's
township). ``distance_m`` is always the straight-line distance.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from scipy.spatial import cKDTree

from gridgis.categories import load_categories
from gridgis.crs import gauss_kruger_epsg, pipeline_transformer
from gridgis.errors import CategoryError, InputError, LayerError
from gridgis.roads.network import OriginTable, RoadNetwork

__all__ = ["UnitFinder", "nearest_units"]

_BY = ("time", "distance")


class UnitFinder:
    """Find the nearest units of given kinds to incident locations.

    Build one finder per units layer and keep it: the k-d trees and, with
    roads, the shortest-path table from every unit are made once.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The ``units`` layer (points in lon/lat with ``unit_id``, ``name``,
        ``kind``, ``township_code``).
    roads : geopandas.GeoDataFrame, optional
        The road layer; units are then ranked by travel time on it.
    speed_kmh : float, default 30
        Speed of road lines without their own ``speed_kmh``.
    network : RoadNetwork, optional
        A road network already built (instead of `roads`).

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.1)
    >>> finder = UnitFinder(layers.units)
    >>> p = layers.incidents.geometry.iloc[0]
    >>> hits = finder.nearest([p.x], [p.y], kinds=["police_station"], k=1, by="distance")
    >>> hits[["kind", "method"]].iloc[0].tolist()
    ['police_station', 'euclidean']
    """

    def __init__(self, units: gpd.GeoDataFrame, *, roads: gpd.GeoDataFrame | None = None,
                 speed_kmh: float = 30.0, network: RoadNetwork | None = None) -> None:
        if units.crs is None:
            raise LayerError("单位图层没有坐标系 (the units layer has no CRS)", layer="units")
        if len(units) == 0:
            raise LayerError("单位图层为空 (the units layer is empty)", layer="units")
        lonlat = units.to_crs(4326)
        lon, lat = lonlat.geometry.x.to_numpy(), lonlat.geometry.y.to_numpy()
        self.crs = CRS.from_epsg(gauss_kruger_epsg(float(np.mean(lon))))
        # a pipeline: each thread of a service builds its copy in microseconds, not seconds
        self._to_plane = pipeline_transformer(4326, self.crs)
        self.xy = np.column_stack(self._to_plane.transform(lon, lat))
        self.units = pd.DataFrame({
            "unit_id": units["unit_id"].to_numpy(), "name": units["name"].to_numpy(),
            "kind": units["kind"].to_numpy(), "township_code": units["township_code"].to_numpy(),
        })
        self._factors = {col: pd.factorize(self.units[col]) for col in ("unit_id", "name", "kind")}
        self._kind = self.units["kind"].to_numpy()
        self._kind_code = self._factors["kind"][0]  # integers: np.unique on them is cheap
        self._ids = self.units["unit_id"].to_numpy().astype(object)
        self._names = self.units["name"].to_numpy().astype(object)
        self._township = self.units["township_code"].to_numpy()
        self._trees: dict[tuple[str, str | None], tuple[cKDTree, np.ndarray] | None] = {}
        if network is None and roads is not None:
            network = RoadNetwork(roads, default_speed_kmh=speed_kmh)
        self.network = network
        self._origins: OriginTable | None = None
        if network is not None:
            self._origins = network.origins(lon, lat)

    def _labels(self, column: str, picked: np.ndarray) -> pd.Categorical:
        """Unit attributes as categoricals: no per-row string copies on large batches."""
        codes, uniques = self._factors[column]
        return pd.Categorical.from_codes(codes[picked], categories=pd.Index(uniques))

    def _tree(self, kind: str, township: str | None) -> tuple[cKDTree, np.ndarray] | None:
        key = (kind, township)
        if key not in self._trees:
            idx = self._candidates([kind], township, None)
            self._trees[key] = (cKDTree(self.xy[idx]), idx) if len(idx) else None
        return self._trees[key]

    def _candidates(self, kinds: Sequence[str], township: str | None,
                    exclude: Sequence[str] | None) -> np.ndarray:
        mask = np.isin(self._kind, list(kinds))
        if township is not None:
            mask &= self._township == township
        if exclude:
            mask &= ~np.isin(self.units["unit_id"].to_numpy(), list(exclude))
        return np.flatnonzero(mask)

    def plane(self, lon: Sequence[float] | np.ndarray, lat: Sequence[float] | np.ndarray
              ) -> np.ndarray:
        """Project lon/lat to the finder's Gauss-Krüger plane (n × 2, metres)."""
        return np.column_stack(self._to_plane.transform(np.asarray(lon, dtype=float),
                                                        np.asarray(lat, dtype=float)))

    def _by(self, by: str | None) -> str:
        if by is None:
            return "distance" if self.network is None else "time"
        if by not in _BY:
            raise InputError(f"by 只能是 time 或 distance (by must be one of {_BY}), got {by!r}",
                             field="by")
        if by == "time" and self.network is None:
            raise InputError("按行程时间排序需要道路图层 (ranking by travel time needs a "
                             "road layer)", field="by")
        return by

    def query(self, xy: np.ndarray, *, kinds: Sequence[str], k: int,
              township_code: str | None = None, by: str | None = None,
              exclude: Sequence[str] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest units for projected points: (unit positions, metres, minutes), n × k.

        Parameters
        ----------
        xy : numpy.ndarray
            Points on the finder's plane (n × 2).
        kinds : sequence of str
            Unit kinds to consider.
        k : int
            Units per point.
        township_code : str, optional
            Keep the search inside this township.
        by : {"time", "distance"}, optional
            Rank by travel minutes on the roads (the default with a road
            layer) or by straight-line metres (the default without).
        exclude : sequence of str, optional
            Unit ids to leave out (e.g. units already committed elsewhere).

        Returns
        -------
        tuple of numpy.ndarray
            Unit positions in the layer, straight-line metres and travel minutes
            (NaN without roads); missing neighbours are -1 / inf.
        """
        if k < 1:
            raise InputError("k 至少为 1 (k must be at least 1)", field="k")
        by = self._by(by)
        n = len(xy)
        if self.network is None and not exclude:
            return self._query_trees(xy, kinds, k, township_code)
        idx = self._candidates(kinds, township_code, exclude)
        if len(idx) == 0:
            return np.full((n, k), -1), np.full((n, k), np.inf), np.full((n, k), np.nan)
        dist = np.hypot(xy[:, None, 0] - self.xy[idx, 0], xy[:, None, 1] - self.xy[idx, 1])
        if self._origins is not None:
            travel = self._origins.minutes_to(xy, origins=idx).T
            key = (travel, dist) if by == "time" else (dist, travel)
        else:
            travel = np.full(dist.shape, np.nan)
            key = (dist, dist)
        # rank by the key, ties by the other measure; a stable order keeps the layer's order
        order = np.lexsort((key[1], key[0]), axis=1)[:, :k]
        unit = idx[order]
        dist = np.take_along_axis(dist, order, axis=1)
        travel = np.take_along_axis(travel, order, axis=1)
        return _pad(unit, dist, travel, k)

    def _query_trees(self, xy: np.ndarray, kinds: Sequence[str], k: int,
                     township_code: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(xy)
        cand_d, cand_i = [], []
        for kind in kinds:
            found = self._tree(kind, township_code)
            if found is None:
                continue
            tree, idx = found
            kk = min(k, len(idx))
            # threads pay off only on large batches (a single point would wait on them)
            d, j = tree.query(xy, k=kk, workers=-1 if n > 4096 else 1)
            cand_d.append(d.reshape(n, kk))
            cand_i.append(idx[j.reshape(n, kk)])
        if not cand_d:
            return np.full((n, k), -1), np.full((n, k), np.inf), np.full((n, k), np.nan)
        dist = cand_d[0] if len(cand_d) == 1 else np.hstack(cand_d)
        unit = cand_i[0] if len(cand_i) == 1 else np.hstack(cand_i)
        if dist.shape[1] > 1:
            order = np.argsort(dist, axis=1, kind="stable")[:, :k]
            dist = np.take_along_axis(dist, order, axis=1)
            unit = np.take_along_axis(unit, order, axis=1)
        return _pad(unit, dist, np.full(dist.shape, np.nan), k)

    @property
    def method(self) -> str:
        """``"network"`` with a road layer, else ``"euclidean"``."""
        return "euclidean" if self.network is None else "network"

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
                kinds: Sequence[str], k: int = 3, township_code: str | None = None,
                by: str | None = None, exclude: Sequence[str] | None = None) -> pd.DataFrame:
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
        by : {"time", "distance"}, optional
            Rank by travel time (default with roads) or straight-line distance.
        exclude : sequence of str, optional
            Unit ids to leave out.

        Returns
        -------
        pandas.DataFrame
            Long format: ``point`` (position in the input), ``rank`` (1 = nearest),
            ``unit_id``, ``name``, ``kind``, ``distance_m`` (straight line),
            ``travel_min`` (on the roads; NaN without them) and ``method``
            (``"network"`` or ``"euclidean"``).
        """
        xy = self.plane(lon, lat)
        return self.frame(*self.query(xy, kinds=kinds, k=k, township_code=township_code,
                                      by=by, exclude=exclude))


    def records(self, lon: float, lat: float, *, kinds: Sequence[str], k: int = 3,
                township_code: str | None = None, by: str | None = None,
                exclude: Sequence[str] | None = None) -> list[dict]:
        """The nearest units of one point as plain records (no frame: the fast path).

        Returns
        -------
        list of dict
            ``unit_id``, ``name``, ``kind``, ``distance_m`` (straight line),
            ``travel_min`` (None without roads or when unreachable) and ``method``,
            nearest first.
        """
        xy = np.array(self._to_plane.transform(float(lon), float(lat))).reshape(1, 2)
        unit, dist, travel = self.query(xy, kinds=kinds, k=k, township_code=township_code,
                                        by=by, exclude=exclude)
        return [self._record(u, d, t) for u, d, t in
                zip(unit[0].tolist(), dist[0].tolist(), travel[0].tolist(), strict=True)
                if u >= 0]

    def nearest_of_each_kind(self, lon: float, lat: float) -> list[dict]:
        """The nearest unit of every kind to one point, nearest first (one query for all).

        Returns
        -------
        list of dict
            As :meth:`records`, one per kind, ordered by travel minutes with roads
            (unreachable last) or by metres without.
        """
        xy = np.array(self._to_plane.transform(float(lon), float(lat))).reshape(1, 2)
        dist = np.hypot(xy[0, 0] - self.xy[:, 0], xy[0, 1] - self.xy[:, 1])
        if self._origins is not None:
            travel = self._origins.minutes_to(xy)[:, 0]
            order = np.lexsort((dist, travel))
        else:
            travel = np.full(len(dist), np.nan)
            order = np.argsort(dist, kind="stable")
        _, first = np.unique(self._kind_code[order], return_index=True)
        best = np.sort(first)  # positions in `order`: nearest first
        return [self._record(int(u), float(dist[u]), float(travel[u])) for u in order[best]]

    def _record(self, u: int, d: float, t: float) -> dict:
        return {"unit_id": self._ids[u], "name": self._names[u], "kind": self._kind[u],
                "distance_m": round(d, 1), "travel_min": round(t, 1) if np.isfinite(t) else None,
                "method": self.method}


def _pad(unit: np.ndarray, dist: np.ndarray, travel: np.ndarray, k: int
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, have = unit.shape
    if have >= k:
        return unit, dist, travel
    pad = k - have
    return (np.hstack([unit, np.full((n, pad), -1)]), np.hstack([dist, np.full((n, pad), np.inf)]),
            np.hstack([travel, np.full((n, pad), np.nan)]))


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
        ("point", "int64"), ("rank", "int64"), ("unit_id", object), ("name", object),
        ("kind", object), ("distance_m", "float64"), ("travel_min", "float64"),
        ("method", object))})


def nearest_units(incidents: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, k: int = 3,
                  categories: pd.DataFrame | None = None, same_township: bool = False,
                  roads: gpd.GeoDataFrame | None = None, by: str | None = None,
                  finder: UnitFinder | None = None) -> pd.DataFrame:
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
        The road layer: units are ranked by travel time on it.
    by : {"time", "distance"}, optional
        Rank by travel minutes (the default with roads) or straight-line metres.
    finder : UnitFinder, optional
        A finder already built for `units` (and the roads), reused instead of
        building one for this call.

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
    if finder is None:
        finder = UnitFinder(units, roads=roads)
    by = finder._by(by)
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
        u, d, t = finder.query(xy[pos], kinds=kinds_g, k=k, township_code=town, by=by)
        unit[pos], dist[pos], travel[pos] = u, d, t
    out = finder.frame(unit, dist, travel)
    out.index = incidents.index[out.pop("point").to_numpy()]
    return out
