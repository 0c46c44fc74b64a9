"""Edit a grid plan: split a grid by a line, merge grids, move buildings between grids.

Every edit returns a new plan (:class:`gridgis.Layers`) and leaves its input
alone. After the geometry changes, :func:`reissue_codes` decides the codes,
the buildings of the grids involved are located again, the grids' households
and population are recounted from their buildings, and the patrol zones of
those grids point to the new grid they overlap most.

Code rule
---------
A grid of the new plan keeps the code of an old grid of its community when it
covers at least half of that old grid; when several could, the largest
overlaps are matched first and each old code goes to one grid only. Unchanged
and slightly reshaped grids therefore keep their codes, the piece of a split
that holds most of the grid keeps the code, and a merge keeps the code of the
largest grid merged. Every other grid gets the next free sequence number of
its community, never one the plan or its history has used.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import split

from gridgis.crs import local_crs
from gridgis.errors import PlanError
from gridgis.layers import Layers
from gridgis.planning._codes import reissue_codes, used_codes
from gridgis.planning._pieces import dissolve, one_piece_each, voronoi_cells

__all__ = ["merge_grids", "move_buildings", "reissue_codes", "split_grid"]


def _apply(layers: Layers, retired: Sequence[str], replacements: gpd.GeoDataFrame,
           *, relocate: pd.Series | None = None) -> Layers:
    """Swap ``retired`` grids for ``replacements`` and bring buildings and zones along."""
    grids = layers.grids
    old = grids.loc[list(retired)]
    fresh = reissue_codes(old, replacements, used=used_codes(layers))
    crs = local_crs(layers.communities)
    buildings = layers.buildings
    if buildings is not None:
        buildings = buildings.copy()
        involved = buildings["grid_code"].isin(retired)
        spots = buildings.loc[involved].to_crs(crs).geometry.representative_point()
        polygons = fresh.to_crs(crs)
        hit = gpd.sjoin(gpd.GeoDataFrame(geometry=spots, crs=crs),
                        polygons[["code", polygons.geometry.name]], predicate="intersects",
                        how="left")
        hit = hit[~hit.index.duplicated()]
        buildings.loc[involved, "grid_code"] = hit["code"].reindex(spots.index).to_numpy()
        if relocate is not None:
            buildings.loc[relocate.index, "grid_code"] = relocate.map(
                dict(zip(replacements["code"], fresh["code"], strict=True))).to_numpy()
        mine = buildings.loc[buildings["grid_code"].isin(fresh["code"])]
        sums = mine.groupby("grid_code")[["households", "population"]].sum()
        for column in ("households", "population"):
            fresh[column] = sums[column].reindex(fresh["code"], fill_value=0).astype(int)
    zones = layers.patrol_zones
    if zones is not None:
        zones = zones.copy()
        affected = zones["grid_code"].isin(retired)
        if affected.any():
            z = zones[affected].to_crs(crs).geometry.to_numpy()
            g = fresh.to_crs(crs)
            overlap = shapely.area(shapely.intersection(z[:, None],
                                                        g.geometry.to_numpy()[None, :]))
            zones.loc[affected, "grid_code"] = g["code"].to_numpy()[overlap.argmax(axis=1)]
    kept = grids.drop(index=list(retired))
    merged = pd.concat([kept, fresh[[c for c in grids.columns if c in fresh.columns]]])
    merged = gpd.GeoDataFrame(merged, geometry=grids.geometry.name, crs=grids.crs)
    return replace(layers, grids=merged, buildings=buildings, patrol_zones=zones).check()


def _known(layers: Layers, codes: Iterable[str]) -> list[str]:
    codes = list(codes)
    missing = [c for c in codes if c not in layers.grids.index]
    if missing:
        raise PlanError(f"no grid {', '.join(missing)} in this plan")
    return codes


def split_grid(layers: Layers, code: str, line: Any) -> Layers:
    """Split a grid in two (or more) along a line.

    Parameters
    ----------
    layers : Layers
    code : str
        The grid to split.
    line : shapely LineString (lon/lat) or sequence of (lon, lat)
        The cut; it must cross the grid from edge to edge.

    Returns
    -------
    Layers
        The new plan; the larger piece keeps the code when it holds most of the
        grid (see the module's code rule).

    Raises
    ------
    PlanError
        If the grid is unknown or the line does not cut it into pieces.
    """
    (code,) = _known(layers, [code])
    cut = line if isinstance(line, shapely.Geometry) else shapely.LineString(line)
    grid = layers.grids.loc[[code]]
    pieces = list(shapely.get_parts(split(grid.geometry.iloc[0], cut).geoms))
    if len(pieces) < 2:
        raise PlanError(f"the line does not cut grid {code} into pieces; it must cross the "
                        "grid from one edge to another")
    rows = grid.loc[[code] * len(pieces)].copy()
    rows = rows.set_geometry(pieces, crs=grid.crs)
    rows["name"] = [f"{grid['name'].iloc[0]}-{i + 1}" for i in range(len(pieces))]
    rows["code"] = [f"piece{i}" for i in range(len(pieces))]
    return _apply(layers, [code], rows)


def merge_grids(layers: Layers, codes: Sequence[str], *, name: str | None = None) -> Layers:
    """Merge grids of one community into one grid.

    Parameters
    ----------
    layers : Layers
    codes : sequence of str
        Two or more grids of the same community.
    name : str, optional
        Name of the merged grid (default the name of the largest).

    Returns
    -------
    Layers
        The new plan; workers are summed.

    Raises
    ------
    PlanError
        If fewer than two grids are given, a grid is unknown or they lie in
        different communities.
    """
    codes = _known(layers, dict.fromkeys(codes))
    if len(codes) < 2:
        raise PlanError("merging needs at least two grids")
    grids = layers.grids.loc[codes]
    if grids["community_code"].nunique() > 1:
        raise PlanError(f"grids {', '.join(codes)} lie in different communities "
                        f"({', '.join(sorted(grids['community_code'].unique()))}); only grids "
                        "of one community can be merged")
    largest = grids.to_crs(local_crs(grids)).area.idxmax()
    row = grids.loc[[largest]].copy()
    row = row.set_geometry([shapely.union_all(grids.geometry.to_numpy())], crs=grids.crs)
    row["name"] = name or row["name"].iloc[0]
    row["workers"] = int(grids["workers"].sum())
    names = [n for n in grids["worker_names"].dropna() if n]
    row["worker_names"] = "、".join(names) if names else None
    row["code"] = "merged"
    return _apply(layers, codes, row)


def move_buildings(layers: Layers, building_ids: Iterable[str], to_grid: str) -> Layers:
    """Move buildings (and their households) to another grid of the same community.

    The grids involved (the buildings' grids and ``to_grid``) are redrawn
    together: every building of their union gets its Voronoi cell clipped to
    the union and the cells are dissolved by grid, so the boundaries between
    them follow the buildings and the grids still tile the community (the
    outer boundary of the union does not move).

    Parameters
    ----------
    layers : Layers
    building_ids : iterable of str
    to_grid : str
        The receiving grid.

    Returns
    -------
    Layers

    Raises
    ------
    PlanError
        If a building or grid is unknown, a building lies in another community,
        or a grid would be left without buildings.
    """
    if layers.buildings is None:
        raise PlanError("moving buildings needs the buildings layer")
    (to_grid,) = _known(layers, [to_grid])
    buildings = layers.buildings.set_index("building_id", drop=False)
    ids = list(dict.fromkeys(building_ids))
    missing = [b for b in ids if b not in buildings.index]
    if missing:
        raise PlanError(f"no building {', '.join(missing[:5])} in this plan")
    community = to_grid[:12]
    sources = sorted(set(buildings.loc[ids, "grid_code"]) - {to_grid})
    foreign = [b for b in ids if buildings.loc[b, "grid_code"][:12] != community]
    if foreign:
        raise PlanError(f"buildings {', '.join(foreign[:5])} lie outside community {community}"
                        f" of grid {to_grid}; move buildings within one community")
    if not sources:
        return layers
    involved = [*sources, to_grid]
    mine = buildings[buildings["grid_code"].isin(involved)].copy()
    mine.loc[ids, "grid_code"] = to_grid
    emptied = sorted(set(involved) - set(mine["grid_code"]))
    if emptied:
        raise PlanError(f"grid {', '.join(emptied)} would have no building left; merge it "
                        "instead")
    crs = local_crs(layers.communities)
    area = shapely.union_all(layers.grids.loc[involved].to_crs(crs).geometry.to_numpy())
    xy = shapely.get_coordinates(mine.to_crs(crs).geometry.representative_point().to_numpy())
    label = np.asarray(pd.Categorical(mine["grid_code"], categories=involved).codes)
    shapes = one_piece_each(dissolve(voronoi_cells(xy, area), label))
    target = involved.index(to_grid)
    rows = layers.grids.loc[involved].copy()
    rows = rows.set_geometry(gpd.GeoSeries([shapes[i] for i in range(len(involved))],
                                           crs=crs).to_crs(layers.grids.crs).to_numpy(),
                             crs=layers.grids.crs)
    spots = mine.loc[ids].to_crs(crs).geometry.representative_point().to_numpy()
    stranded = ~shapely.covers(shapes[target], spots)
    if stranded.any():
        names = ", ".join(list(np.asarray(ids)[stranded][:5]))
        raise PlanError(f"building(s) {names} do not border grid {to_grid}; move the "
                        "buildings between them and the grid as well")
    return _apply(layers, involved, rows)
