"""What a redraw moves: buildings, households, incidents and workload, grid by grid.

:func:`diff_plans` locates every building and incident in the old and in the
new grid layer (by position, not by the ``grid_code`` columns, which a hand-
edited plan may leave stale) and compares the two plans grid by grid. Areas
are measured on the local Gauss-Krüger plane; incidents are those of the last
365 days before ``as_of``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridgis.analysis.workload import grid_workload
from gridgis.crs import local_crs
from gridgis.grid_index import GridIndex
from gridgis.layers import Layers

__all__ = ["PlanDiff", "diff_plans"]

STATUS_COLOURS = {"new": "#1a9641", "reshaped": "#fdae61", "removed": "#d7191c",
                  "unchanged": "#bababa"}


def _locate(grids: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> np.ndarray:
    spots = points.geometry.representative_point()
    found = GridIndex(grids).assign(lon=spots.x.to_numpy(), lat=spots.y.to_numpy(),
                                    with_distance=False)
    return found["grid_code"].astype(object).to_numpy()


def _moves(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, frame: gpd.GeoDataFrame,
           key: str, keep: list[str]) -> pd.DataFrame:
    table = pd.DataFrame({key: frame[key].to_numpy(),
                          "old_grid": _locate(old, frame), "new_grid": _locate(new, frame)})
    for column in keep:
        table[column] = frame[column].to_numpy()
    table["moved"] = table["old_grid"].fillna("") != table["new_grid"].fillna("")
    return table


def _patrol(layers: Layers) -> pd.Series:
    if layers.patrol_zones is None:
        return pd.Series(0.0, index=layers.grids.index)
    load = grid_workload(layers.grids, zones=layers.patrol_zones)
    return load["patrol_km2_per_week"].astype(float)


@dataclass
class PlanDiff:
    """The difference between two grid plans.

    Attributes
    ----------
    buildings : pandas.DataFrame
        ``building_id``, ``old_grid``, ``new_grid``, ``households``,
        ``population``, ``moved``.
    incidents : pandas.DataFrame
        ``incident_id``, ``old_grid``, ``new_grid``, ``reported_at``, ``moved``
        (the last year's incidents; empty without an incidents layer).
    grids : geopandas.GeoDataFrame
        One row per grid code of either plan: ``status`` (unchanged, reshaped,
        new, removed), ``area_old_m2``/``area_new_m2``/``area_change_m2``,
        ``area_kept`` (share of the old area still in the grid),
        ``households_*``, ``population_*`` and ``incidents_*`` (old, new,
        change) and ``patrol_km2_week_*``; geometry: the new shape, or the old
        one for removed grids.
    movement : pandas.DataFrame
        Households moved, old grid (rows) × new grid (columns).
    as_of : pandas.Timestamp or None
        End of the incident year.
    """

    buildings: pd.DataFrame
    incidents: pd.DataFrame
    grids: gpd.GeoDataFrame
    movement: pd.DataFrame
    as_of: pd.Timestamp | None
    old_grids: gpd.GeoDataFrame
    new_grids: gpd.GeoDataFrame

    @property
    def changed(self) -> gpd.GeoDataFrame:
        """The grids that are not unchanged."""
        return self.grids[self.grids["status"] != "unchanged"]

    @property
    def empty(self) -> bool:
        """True when the plans place every grid, building and incident alike."""
        return self.changed.empty and not self.buildings["moved"].any() and \
            not self.incidents["moved"].any()

    def summary(self) -> dict[str, Any]:
        """Counts of what the redraw changes."""
        moved = self.buildings[self.buildings["moved"]]
        status = self.grids["status"].value_counts()
        return {
            "grids_old": len(self.old_grids), "grids_new": len(self.new_grids),
            "new": int(status.get("new", 0)), "removed": int(status.get("removed", 0)),
            "reshaped": int(status.get("reshaped", 0)),
            "unchanged": int(status.get("unchanged", 0)),
            "buildings_moved": len(moved), "households_moved": int(moved["households"].sum()),
            "people_moved": int(moved["population"].sum()),
            "incidents_moved": int(self.incidents["moved"].sum()),
        }

    def summary_text(self) -> str:
        """The diff in a few sentences a district office can read."""
        s = self.summary()
        lines = [
            f"The redraw turns {s['grids_old']} grids into {s['grids_new']}: {s['new']} new, "
            f"{s['removed']} removed, {s['reshaped']} reshaped, {s['unchanged']} unchanged.",
            f"{s['buildings_moved']:,} buildings with {s['households_moved']:,} households "
            f"({s['people_moved']:,} people) change grid.",
        ]
        if self.as_of is not None:
            lines.append(f"{s['incidents_moved']:,} incidents of the year to "
                         f"{self.as_of:%Y-%m-%d} would now be counted in another grid.")
        changed = self.changed.sort_values("households_change")
        if len(changed):
            loss, gain = changed.iloc[0], changed.iloc[-1]
            if gain["households_change"] > 0:
                lines.append(f"Largest gain: grid {gain['code']} "
                             f"(+{int(gain['households_change']):,} households).")
            if loss["households_change"] < 0:
                lines.append(f"Largest loss: grid {loss['code']} "
                             f"({int(loss['households_change']):,} households).")
        return "\n".join(lines)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the per-grid table and the moved buildings to a GeoPackage."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pyogrio.write_dataframe(self.grids.reset_index(drop=True), path, layer="grid_changes",
                                driver="GPKG", promote_to_multi=True)
        moved = self.buildings[self.buildings["moved"]]
        pyogrio.write_dataframe(pd.DataFrame(moved).reset_index(drop=True), path,
                                layer="moved_buildings", driver="GPKG")
        return path

    def map(self, path: str | os.PathLike[str], layers: Layers | None = None) -> Path:
        """An offline HTML map: old boundaries dashed, new ones coloured by status."""
        import folium

        from gridgis.maps import _for_map, add_features, add_legend, district_map, save_map

        bounds = self.grids.total_bounds
        m = district_map(layers, bounds=None if layers is not None else bounds)
        add_features(m, self.grids, name="changes", colour=self.grids["status"].map(
            STATUS_COLOURS), fields=["code", "status", "households_old", "households_new",
                                     "incidents_old", "incidents_new"], fill_opacity=0.35)
        old = _for_map(m, self.old_grids[["code", self.old_grids.geometry.name]])
        folium.GeoJson(old, name="old boundaries", style_function=lambda _: {
            "color": "#333333", "weight": 1.5, "dashArray": "5 5", "fillOpacity": 0}
        ).add_to(m)
        if layers is not None and layers.buildings is not None:
            ids = self.buildings.loc[self.buildings["moved"], "building_id"]
            moved = layers.buildings[layers.buildings["building_id"].isin(ids)]
            if len(moved):
                add_features(m, moved, name="moved buildings", colour="#7b3294",
                             fields=["building_id", "households"], radius=3)
        add_legend(m, "grids", [*STATUS_COLOURS.items(), ("moved building", "#7b3294")])
        return save_map(m, path)


def diff_plans(old: Layers, new: Layers, *, as_of: Any = None) -> PlanDiff:
    """Compare two grid plans of one district.

    Parameters
    ----------
    old, new : Layers
        The plans; buildings and incidents are taken from ``new`` (or ``old``
        when ``new`` lacks them).
    as_of : datetime-like, optional
        End of the incident year; default the latest report.

    Returns
    -------
    PlanDiff
    """
    buildings = new.buildings if new.buildings is not None else old.buildings
    incidents = new.incidents if new.incidents is not None else old.incidents
    og, ng = old.grids, new.grids
    if buildings is not None:
        b = _moves(og, ng, buildings, "building_id", ["households", "population"])
    else:
        b = pd.DataFrame(columns=["building_id", "old_grid", "new_grid", "households",
                                  "population", "moved"])
    end = None
    if incidents is not None and len(incidents):
        end = pd.Timestamp(as_of) if as_of is not None else incidents["reported_at"].max()
        year = incidents[(incidents["reported_at"] > end - pd.Timedelta(days=365))
                         & (incidents["reported_at"] <= end)]
        inc = _moves(og, ng, year, "incident_id", ["reported_at"])
    else:
        inc = pd.DataFrame(columns=["incident_id", "old_grid", "new_grid", "reported_at",
                                    "moved"])
    codes = sorted(set(og.index) | set(ng.index))
    crs = local_crs(og)
    po, pn = og.to_crs(crs).geometry, ng.to_crs(crs).geometry
    table = pd.DataFrame(index=pd.Index(codes, name="code"))
    table["code"] = codes
    table["area_old_m2"] = shapely.area(po.reindex(codes).to_numpy())
    table["area_new_m2"] = shapely.area(pn.reindex(codes).to_numpy())
    table[["area_old_m2", "area_new_m2"]] = table[["area_old_m2", "area_new_m2"]].fillna(0.0)
    table["area_change_m2"] = table["area_new_m2"] - table["area_old_m2"]
    kept = shapely.area(shapely.intersection(po.reindex(codes).to_numpy(),
                                             pn.reindex(codes).to_numpy()))
    table["area_kept"] = np.where(table["area_old_m2"] > 0,
                                  np.nan_to_num(kept) / table["area_old_m2"].where(
                                      table["area_old_m2"] > 0, 1.0), np.nan)
    for what, frame, cols in (("households", b, "households"),
                              ("population", b, "population"), ("incidents", inc, None)):
        o = frame.groupby("old_grid")[cols].sum() if cols else frame.groupby("old_grid").size()
        n = frame.groupby("new_grid")[cols].sum() if cols else frame.groupby("new_grid").size()
        table[f"{what}_old"] = o.reindex(codes, fill_value=0).astype(int).to_numpy()
        table[f"{what}_new"] = n.reindex(codes, fill_value=0).astype(int).to_numpy()
        table[f"{what}_change"] = table[f"{what}_new"] - table[f"{what}_old"]
    table["patrol_km2_week_old"] = _patrol(old).reindex(codes).fillna(0.0).to_numpy()
    table["patrol_km2_week_new"] = _patrol(new).reindex(codes).fillna(0.0).to_numpy()
    in_old, in_new = table.index.isin(og.index), table.index.isin(ng.index)
    same = np.zeros(len(codes), dtype=bool)
    both = in_old & in_new
    same[both] = shapely.equals_exact(
        shapely.normalize(og.geometry.reindex(table.index[both]).to_numpy()),
        shapely.normalize(ng.geometry.reindex(table.index[both]).to_numpy()), tolerance=1e-9)
    table["status"] = np.select([~in_old, ~in_new, same], ["new", "removed", "unchanged"],
                                "reshaped")
    geometry = ng.geometry.reindex(codes).fillna(og.geometry.reindex(codes))
    grids = gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=og.crs)
    moved = b[b["moved"]]
    movement = pd.crosstab(moved["old_grid"], moved["new_grid"], values=moved["households"],
                           aggfunc="sum").fillna(0).astype(int) if len(moved) else pd.DataFrame()
    return PlanDiff(b, inc, grids, movement, end, og, ng)
