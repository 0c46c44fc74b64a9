"""Uncovered areas (未覆盖区域): where people live beyond the arrival limit, for a map.

:func:`uncovered_areas` draws what a :class:`~gridgis.analysis.coverage.Coverage`
does not reach as the places where people live: each building owns the part of
its grid nearer to it than to the grid's other buildings (a Voronoi cell
clipped to the grid, on the Gauss-Krüger plane); the cells of the buildings
beyond the limit are merged into areas, each with its population and the
longest wait. Unlike the complement of the isochrones, this leaves out fields,
hills and water where nobody lives, and every area on the map is a place whose
residents wait too long.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from gridgis.analysis.coverage import Coverage
from gridgis.errors import InputError
from gridgis.roads.network import RoadNetwork

__all__ = ["uncovered_areas"]

_DENSIFY_DEG = 0.001  # grid edges are straight in lon/lat: densify before projecting


def _plane_polygons(polygons: np.ndarray, network: RoadNetwork) -> np.ndarray:
    to_plane = Transformer.from_crs(4326, network.crs, always_xy=True)

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(to_plane.transform(coords[:, 0], coords[:, 1]))

    return shapely.transform(shapely.segmentize(polygons, _DENSIFY_DEG), project)


class _Cells:
    """The part of its grid each building owns: Voronoi cells clipped to the grid (plane).

    Cells are made only for grids whose buildings are partly late; a grid whose
    buildings are all late is taken whole (its cells tile it). Buildings at the
    same spot share one cell; a building whose grid is not in `grids` gets a
    disc of `stray_m` metres.
    """

    def __init__(self, buildings: gpd.GeoDataFrame, grids: gpd.GeoDataFrame, xy: np.ndarray,
                 network: RoadNetwork, *, stray_m: float = 50.0) -> None:
        grids = grids.to_crs(4326)
        self.polygons = dict(zip(grids["code"].astype(str),
                                 _plane_polygons(np.asarray(grids.geometry.values), network),
                                 strict=True))
        codes = buildings["grid_code"].astype(str).to_numpy()
        self.groups = pd.Series(np.arange(len(codes))).groupby(codes, sort=True).indices
        self.xy = xy
        self.stray_m = stray_m
        self._cells: dict[str, np.ndarray] = {}

    def cells(self, code: str) -> np.ndarray:
        """The cells of one grid's buildings, in the order of its members."""
        if code not in self._cells:
            members = self.groups[code]
            grid = self.polygons[code]
            keys = np.round(self.xy[members], 2)
            unique, first, inverse = np.unique(keys, axis=0, return_index=True,
                                               return_inverse=True)
            if len(unique) == 1:
                self._cells[code] = np.full(len(members), grid, dtype=object)
            else:
                voronoi = shapely.voronoi_polygons(
                    shapely.multipoints(self.xy[members][first]), extend_to=grid,
                    ordered=True)
                parts = shapely.intersection(np.asarray(shapely.get_parts(voronoi)), grid)
                self._cells[code] = parts[inverse.ravel()]
        return self._cells[code]

    def area(self, late: np.ndarray) -> shapely.Geometry:
        """The union of the cells of the late buildings."""
        pieces = []
        for code, members in self.groups.items():
            mine = late[members]
            if not mine.any():
                continue
            grid = self.polygons.get(code)
            if grid is None or grid.is_empty:
                pieces.extend(shapely.buffer(shapely.points(self.xy[members[mine]]),
                                             self.stray_m))
            elif mine.all():
                pieces.append(grid)
            else:
                pieces.append(shapely.union_all(self.cells(code)[mine]))
        return shapely.union_all(pieces)


def uncovered_areas(coverage: Coverage, layers: object, network: RoadNetwork, *,
                    kinds: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """The places whose residents no unit of a kind reaches within the limit, for a map.

    Each area is a union of the buildings' cells (see the module) of the
    buildings beyond the limit, split into its separate parts.

    Parameters
    ----------
    coverage : Coverage
        From :func:`emergency_coverage` on the same layers and network.
    layers : Layers
        The district (``buildings`` and ``grids``).
    network : RoadNetwork
        The network the coverage was measured on (its plane measures the areas).
    kinds : sequence of str, optional
        Default every kind of `coverage`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per kind and separate area: ``kind``, ``population``,
        ``households``, ``buildings``, ``area_km2`` (Gauss-Krüger plane),
        ``max_min`` (the longest wait, inf when no unit reaches some building)
        and the polygon in lon/lat (EPSG:4326), largest population first per kind.
    """
    chosen = coverage.kinds if kinds is None else list(kinds)
    unknown = [k for k in chosen if k not in coverage.minutes.columns]
    if unknown:
        raise InputError(f"覆盖结果中没有单位类型 {', '.join(unknown)} / the coverage has no "
                         f"kind {', '.join(unknown)}", field="kinds")
    frame = coverage.minutes
    cells: _Cells | None = None
    to_lonlat = Transformer.from_crs(network.crs, 4326, always_xy=True)

    def lonlat(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(to_lonlat.transform(coords[:, 0], coords[:, 1]))

    out = []
    for kind in chosen:
        late = np.flatnonzero(~(frame[kind].to_numpy() <= coverage.limit_min))
        if len(late) == 0:
            continue
        if cells is None:
            cells = _Cells(layers.buildings, layers.grids, coverage.buildings_xy, network)
        merged = cells.area(np.isin(np.arange(len(frame)), late))
        parts = np.asarray(shapely.get_parts(merged))
        parts = parts[shapely.area(parts) > 0]
        tree = shapely.STRtree(parts)
        point_idx, part_idx = tree.query(shapely.points(coverage.buildings_xy[late]),
                                         predicate="intersects")
        first = pd.Series(part_idx).groupby(point_idx).min()
        owner = np.full(len(late), -1)
        owner[first.index.to_numpy()] = first.to_numpy()
        rows = frame.iloc[late].assign(_part=owner)
        agg = rows.groupby("_part").agg(population=("population", "sum"),
                                        households=("households", "sum"),
                                        buildings=("building_id", "size"),
                                        max_min=(kind, "max"))
        agg = agg[agg.index >= 0]
        geoms = parts[agg.index.to_numpy()]
        out.append(gpd.GeoDataFrame({
            "kind": kind, "population": agg["population"].to_numpy(),
            "households": agg["households"].to_numpy(),
            "buildings": agg["buildings"].to_numpy(),
            "area_km2": np.round(shapely.area(geoms) / 1e6, 4),
            "max_min": agg["max_min"].to_numpy()},
            geometry=shapely.transform(geoms, lonlat), crs=4326)
            .sort_values("population", ascending=False, kind="stable"))
    if not out:
        return gpd.GeoDataFrame({"kind": [], "population": [], "households": [],
                                 "buildings": [], "area_km2": [], "max_min": []},
                                geometry=[], crs=4326)
    return pd.concat(out, ignore_index=True)
