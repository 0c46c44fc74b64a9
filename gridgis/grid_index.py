"""Assign points to grids, exactly once: the heart of the dispatch and the archive.

:class:`GridIndex` is built once from a district's layers (grids, communities,
townships, patrol zones) and answers, for a lon/lat point given in WGS84,
CGCS2000, GCJ-02 or BD-09: its grid, community and township, its patrol
level, the grid workers and how the answer was found:

``inside``
    the point lies inside one grid;
``boundary``
    it lies on an edge or vertex shared by grids: it goes to the grid with the
    lowest code among those whose closure contains it (a fixed rule, so the
    same point always lands in the same grid);
``snapped``
    it lies in no grid but within the snap tolerance (default 50 m) of one: it
    goes to the nearest grid;
``outside``
    farther than that: no codes;
``invalid``
    NaN or out-of-range coordinates (batch mode; single mode raises).

Each answer also gives the distance from the point to its grid's edge in
metres, so a console can warn when a pin sits so close to a boundary that the
choice of grid is fragile.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis._errors import CoordinateError, LayerError, OutsideDistrictError
from gridgis.crs import check_lonlat, normalize_crs_name, to_wgs84
from gridgis.polygon_index import BOUNDARY, INSIDE, PolygonIndex
from gridgis.schemas import PATROL_LEVELS

__all__ = ["MATCHES", "GridIndex", "Location"]

MATCHES = ("inside", "boundary", "snapped", "outside", "invalid")
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Location:
    """Where one point falls. Codes are ``None`` when the point is outside."""

    lon: float
    lat: float
    input_crs: str
    grid_code: str | None
    community_code: str | None
    township_code: str | None
    patrol_level: str | None
    workers: int | None
    worker_names: str | None
    match: str
    edge_distance_m: float


class GridIndex:
    """Index of a district's grids (and patrol zones) for locating points.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        The grid layer (``code``, ``community_code``, ``workers``,
        ``worker_names``), in lon/lat.
    communities : geopandas.GeoDataFrame or DataFrame, optional
        Maps ``community_code`` to ``township_code``; default the code prefix.
    patrol_zones : geopandas.GeoDataFrame, optional
        Zones with ``level``; the level of the zone containing the point.
    snap_tolerance_m : float, default 50
        Points in no grid but this close to one are snapped to it.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> index = GridIndex.from_layers(layers)
    >>> p = layers.grids.geometry.iloc[0].representative_point()
    >>> loc = index.locate(p.x, p.y)
    >>> loc.grid_code == layers.grids["code"].iloc[0], loc.match
    (True, 'inside')
    """

    def __init__(self, grids: gpd.GeoDataFrame, *, communities: Any = None,
                 patrol_zones: gpd.GeoDataFrame | None = None,
                 snap_tolerance_m: float = 50.0) -> None:
        if grids.crs is not None and grids.crs.to_epsg() not in (4326, 4490):
            grids = grids.to_crs(4326)
        missing = {"code", "community_code"} - set(grids.columns)
        if missing:
            raise LayerError(f"the grid layer lacks {', '.join(sorted(missing))}", layer="grids")
        order = np.argsort(grids["code"].to_numpy(dtype=str), kind="stable")
        grids = grids.iloc[order]  # lowest code = lowest id: the boundary rule
        self.codes = grids["code"].to_numpy(dtype=object)
        self.community = grids["community_code"].to_numpy(dtype=object)
        town_of = {}
        if communities is not None:
            town_of = dict(zip(communities["code"], communities["township_code"], strict=True))
        self.township = np.array([town_of.get(c, c[:9] if isinstance(c, str) else None)
                                  for c in self.community], dtype=object)
        self.workers = grids["workers"].to_numpy() if "workers" in grids else \
            np.zeros(len(grids), dtype=np.int64)
        self.worker_names = grids["worker_names"].to_numpy(dtype=object) \
            if "worker_names" in grids else np.full(len(grids), None, dtype=object)
        self.geoms = np.asarray(grids.geometry.values, dtype=object)
        self.grid_index = PolygonIndex(self.geoms)
        self.zone_index: PolygonIndex | None = None
        self.zone_levels = np.empty(0, dtype=object)
        if patrol_zones is not None and len(patrol_zones):
            zones = patrol_zones.to_crs(4326) if patrol_zones.crs is not None and \
                patrol_zones.crs.to_epsg() not in (4326, 4490) else patrol_zones
            self.zone_index = PolygonIndex(np.asarray(zones.geometry.values, dtype=object))
            self.zone_levels = zones["level"].to_numpy(dtype=object)
        self.snap_tolerance_m = float(snap_tolerance_m)
        self._tree: shapely.STRtree | None = None
        self._near: np.ndarray | None = None

    @classmethod
    def from_layers(cls, layers: Any, *, snap_tolerance_m: float = 50.0) -> GridIndex:
        """Build from a :class:`gridgis.Layers` (or anything with the same attributes)."""
        return cls(layers.grids, communities=getattr(layers, "communities", None),
                   patrol_zones=getattr(layers, "patrol_zones", None),
                   snap_tolerance_m=snap_tolerance_m)

    # -- single points ---------------------------------------------------------------------
    def locate(self, lon: float, lat: float, *, crs: str = "wgs84") -> Location:
        """Locate one point; raises for bad input or a point outside the district.

        Parameters
        ----------
        lon, lat : float
            The point, in the system named by ``crs``.
        crs : str, default "wgs84"
            ``wgs84``, ``cgcs2000``, ``gcj02`` (Amap/Tencent) or ``bd09`` (Baidu).

        Raises
        ------
        CoordinateError
            For a NaN, infinite or out-of-range coordinate or an unknown ``crs``.
        OutsideDistrictError
            When the point is farther than the snap tolerance from every grid.
        """
        name = normalize_crs_name(crs)
        try:
            x, y = float(lon), float(lat)
        except (TypeError, ValueError):
            raise CoordinateError(f"({lon!r}, {lat!r}) are not numbers") from None
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            raise CoordinateError(f"({lon}, {lat}) is not a lon/lat position: longitude must "
                                  "lie within ±180 and latitude within ±90")
        if name in ("gcj02", "bd09"):
            gx, gy = to_wgs84(x, y, name)
            x, y = float(gx), float(gy)
        pid, state = self.grid_index.query_one(x, y)
        match = "inside" if state == INSIDE else "boundary"
        dist = 0.0
        if pid < 0:
            pid, dist = self._snap_one(x, y)
            if pid < 0:
                raise OutsideDistrictError(
                    f"({x:.6f}, {y:.6f}) lies outside the district, more than "
                    f"{self.snap_tolerance_m:g} m from any grid; check the coordinates and "
                    f"their system (got crs={name!r})")
            match = "snapped"
        elif state == INSIDE:
            dist = self.grid_index.edge_distance(pid, x, y)
        return Location(x, y, name, self.codes[pid], self.community[pid], self.township[pid],
                        self._level_one(x, y), int(self.workers[pid]),
                        self.worker_names[pid], match, dist)

    def _level_one(self, x: float, y: float) -> str | None:
        if self.zone_index is None:
            return None
        zid, _ = self.zone_index.query_one(x, y)
        return None if zid < 0 else self.zone_levels[zid]

    def _snap_one(self, x: float, y: float) -> tuple[int, float]:
        ids, dist = self._snap(np.array([x]), np.array([y]))
        return int(ids[0]), float(dist[0])

    def _snap(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Nearest grid within the tolerance (metres on the local plane), else -1."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.geoms)
        ids = np.full(len(x), -1, np.int64)
        dist = np.full(len(x), np.nan)
        if len(x) == 0 or self.snap_tolerance_m <= 0:
            return ids, dist
        todo = np.flatnonzero(self._near_grids(x, y))
        if len(todo) == 0:
            return ids, dist
        sub_ids, sub_dist = self._snap_near(x[todo], y[todo])
        ids[todo], dist[todo] = sub_ids, sub_dist
        return ids, dist

    def _near_grids(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Cheap filter: points whose cell lies within the tolerance of some grid."""
        g = self.grid_index
        lat_max = max(abs(g.bounds[1]), abs(g.bounds[3]))
        reach = self.snap_tolerance_m / 110_000.0 / max(math.cos(math.radians(lat_max)), 0.05)
        if self._near is None:
            from scipy.ndimage import binary_dilation

            steps = int(math.ceil(reach / min(g.dx, g.dy))) + 1
            occupied = (g.cells != -1).reshape(g.ny, g.nx)
            pad = np.pad(occupied, steps)
            self._near = binary_dilation(pad, iterations=steps)
            self._near_steps = steps
        steps = self._near_steps
        i = np.floor((x - g.x0) / g.dx).astype(np.int64) + steps
        j = np.floor((y - g.y0) / g.dy).astype(np.int64) + steps
        ok = (i >= 0) & (j >= 0) & (i < g.nx + 2 * steps) & (j < g.ny + 2 * steps)
        out = np.zeros(len(x), dtype=bool)
        out[ok] = self._near[j[ok], i[ok]]
        return out

    def _snap_near(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = np.full(len(x), -1, np.int64)
        dist = np.full(len(x), np.nan)
        # a search radius in degrees safely larger than the tolerance, then a metric check
        radius = self.snap_tolerance_m / 110_000.0 / max(math.cos(math.radians(
            float(np.nanmax(np.abs(y))))), 0.05)
        pts = shapely.points(x, y)
        which, pid = self._tree.query_nearest(pts, max_distance=radius, all_matches=True)
        for w, p in zip(which, pid, strict=True):  # only the few points in no grid
            d = self.grid_index.edge_distance(int(p), float(x[w]), float(y[w]))
            if d <= self.snap_tolerance_m and (
                    ids[w] < 0 or d < dist[w] or (d == dist[w] and p < ids[w])):
                ids[w], dist[w] = p, d
        return ids, dist

    # -- many points -----------------------------------------------------------------------
    def assign(self, points: Any = None, *, lon: Any = None, lat: Any = None,
               crs: str = "wgs84", with_distance: bool = True) -> pd.DataFrame:
        """Locate many points at once (vectorized; compiled on the hot path).

        Parameters
        ----------
        points : geopandas.GeoDataFrame or GeoSeries, optional
            Points in any CRS (converted to lon/lat); the result keeps their index.
        lon, lat : array-like, optional
            Coordinates instead of ``points``, in the system named by ``crs``.
        crs : str, default "wgs84"
            System of ``lon``/``lat``: ``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``.
        with_distance : bool, default True
            Measure each point's distance to its grid's edge.

        Returns
        -------
        pandas.DataFrame
            One row per input point, same order and index: ``grid_code``,
            ``community_code``, ``township_code``, ``patrol_level``, ``workers``,
            ``match`` and ``edge_distance_m``. Bad coordinates give
            ``match="invalid"``; nothing is dropped or duplicated.
        """
        index: pd.Index
        if points is not None:
            geo = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
            if geo.crs is not None and geo.crs.to_epsg() not in (4326, 4490):
                geo = geo.to_crs(4326)
            index = points.index
            empty = geo.isna().to_numpy() | shapely.is_empty(geo.values)
            xy = np.full((len(geo), 2), np.nan)
            ok = ~empty
            xy[ok] = shapely.get_coordinates(geo.values[ok])[:, :2] if ok.any() else xy[ok]
            x, y = xy[:, 0], xy[:, 1]
        else:
            if lon is None or lat is None:
                raise CoordinateError("give points, or lon and lat")
            x = np.asarray(lon, dtype=np.float64).ravel()
            y = np.asarray(lat, dtype=np.float64).ravel()
            if x.shape != y.shape:
                raise CoordinateError("lon and lat differ in length")
            index = pd.RangeIndex(len(x))
            name = normalize_crs_name(crs)
            if name in ("gcj02", "bd09"):
                gx, gy = to_wgs84(x, y, name)
                x, y = np.asarray(gx, dtype=np.float64), np.asarray(gy, dtype=np.float64)
        valid = check_lonlat(x, y)
        xs = np.where(valid, x, np.nan)
        ys = np.where(valid, y, np.nan)
        ids, state, dist = self.grid_index.query(xs, ys, with_distance=with_distance)
        ids = ids.astype(np.int64)
        match = np.where(state == INSIDE, 0, np.where(state == BOUNDARY, 1, 3))
        lost = np.flatnonzero(valid & (ids < 0))
        if len(lost):
            snap_ids, snap_d = self._snap(xs[lost], ys[lost])
            got = snap_ids >= 0
            ids[lost[got]] = snap_ids[got]
            dist[lost[got]] = snap_d[got]
            match[lost[got]] = 2
        match[~valid] = 4
        level = pd.Categorical.from_codes(np.full(len(xs), -1), categories=PATROL_LEVELS)
        if self.zone_index is not None:
            zid, _, _ = self.zone_index.query(xs, ys, with_distance=False)
            codes = pd.Categorical(self.zone_levels, categories=PATROL_LEVELS).codes
            level = pd.Categorical.from_codes(np.where(zid >= 0, codes[np.maximum(zid, 0)], -1),
                                              categories=PATROL_LEVELS)
        has = ids >= 0
        pick = np.where(has, ids, 0)

        def column(values: np.ndarray) -> pd.Categorical:
            # codes as categoricals: no per-row string objects on millions of points
            codes, uniques = pd.factorize(values)
            return pd.Categorical.from_codes(np.where(has, codes[pick], -1),
                                             categories=pd.Index(uniques, dtype=object))

        workers = pd.array(np.where(has, self.workers[pick], 0), dtype="Int64")
        workers[~has] = pd.NA
        return pd.DataFrame({
            "grid_code": column(self.codes), "community_code": column(self.community),
            "township_code": column(self.township), "patrol_level": level,
            "workers": workers,
            "match": pd.Categorical.from_codes(match, categories=list(MATCHES)),
            "edge_distance_m": np.where(has, dist, np.nan),
        }, index=index)

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the index to one ``.npz`` file that :meth:`load` reads without rebuilding."""
        path = Path(path)
        arrays = {**self.grid_index.to_arrays("g_"),
                  "codes": self.codes.astype(str), "community": self.community.astype(str),
                  "township": self.township.astype(str), "workers": self.workers,
                  "worker_names": np.array([w or "" for w in self.worker_names], dtype=str),
                  "wkb": np.array(shapely.to_wkb(self.geoms), dtype=object),
                  "meta": np.array([FORMAT_VERSION, self.snap_tolerance_m])}
        if self.zone_index is not None:
            arrays |= self.zone_index.to_arrays("z_")
            arrays["zone_levels"] = self.zone_levels.astype(str)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> GridIndex:
        """Read an index written by :meth:`save`."""
        with np.load(path, allow_pickle=True) as data:
            if int(data["meta"][0]) != FORMAT_VERSION:
                raise LayerError(f"{path} was written by another gridgis version; rebuild it",
                                 layer="grids")
            self = cls.__new__(cls)
            self.grid_index = PolygonIndex.from_arrays(data, "g_")
            self.codes = data["codes"].astype(object)
            self.community = data["community"].astype(object)
            self.township = data["township"].astype(object)
            self.workers = data["workers"]
            self.worker_names = np.array([w or None for w in data["worker_names"]],
                                         dtype=object)
            self.geoms = shapely.from_wkb(data["wkb"])
            self.snap_tolerance_m = float(data["meta"][1])
            self.zone_index = PolygonIndex.from_arrays(data, "z_") \
                if "z_cells" in data else None
            self.zone_levels = data["zone_levels"].astype(object) \
                if "zone_levels" in data else np.empty(0, dtype=object)
            self._tree = None
            self._near = None
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tree"] = None
        state["_near"] = None
        state["geoms"] = shapely.to_wkb(self.geoms)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["geoms"] = shapely.from_wkb(state["geoms"])
        self.__dict__.update(state)
