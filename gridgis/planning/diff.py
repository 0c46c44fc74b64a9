"""What a redraw moves: buildings, households, incidents and workload, grid by grid.

:func:`diff_plans` locates every building and incident in the old and in the
new grid layer with :class:`gridgis.GridIndex` (by position, not by the
``grid_code`` columns, which a hand-edited plan may leave stale) and compares
the two plans grid by grid:

- **status** of every grid code of either plan: ``unchanged`` (same shape
  within ``tolerance_m2``), ``reshaped`` (same code, other shape), ``new``,
  ``removed``, or ``renamed`` (a code that disappears while a new code takes
  the same shape);
- areas in m² on the local CGCS2000 Gauss-Krüger plane, and the share of the
  old area the grid keeps;
- households and population (summed from the buildings located in each plan),
  incidents of the 365 days before ``as_of``, and patrol workload: the area of
  each patrol zone that falls in the grid times its visits a week
  (km² patrolled a week, the measure of :func:`gridgis.analysis.grid_workload`,
  here apportioned by area so that zones with stale ``grid_code`` count right).

A building or incident **moves** when the place it lies in belongs to another
grid in the new plan; a grid that is only renamed moves nothing (its buildings
are flagged ``renamed`` instead).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridgis.crs import local_crs
from gridgis.index.grid import GridIndex
from gridgis.layers import Layers
from gridgis.visits import weekly_visits

__all__ = ["STATUSES", "STATUS_COLOURS", "PlanDiff", "diff_plans"]

STATUSES = ("unchanged", "reshaped", "new", "removed", "renamed")
STATUS_COLOURS = {"new": "#1a9641", "reshaped": "#fdae61", "removed": "#d7191c",
                  "renamed": "#2b83ba", "unchanged": "#bababa"}
STATUS_ZH = {"new": "新增", "reshaped": "调整", "removed": "撤销", "renamed": "改编码",
             "unchanged": "未变"}
DESTINATION_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                       "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939", "#843c39"]
OUTSIDE = "(outside)"
"""Label of buildings and incidents that no grid of a plan holds."""
YEAR = pd.Timedelta(days=365)
_SHOWN = 5  # codes named in one sentence of the summary


# -- locating -------------------------------------------------------------------------------
def _grid_frame(layers: Layers) -> gpd.GeoDataFrame:
    grids = layers.grids
    if grids.crs is not None and grids.crs.to_epsg() not in (4326, 4490):
        grids = grids.to_crs(4326)
    return grids.set_index(pd.Index(grids["code"].astype(str).to_numpy(), dtype=object))


def _spots(frame: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """Points where features lie: the points themselves, or representative points."""
    geo = frame.geometry
    if geo.crs is not None and geo.crs.to_epsg() not in (4326, 4490):
        geo = geo.to_crs(4326)
    if len(geo) and not geo.geom_type.eq("Point").all():
        geo = geo.representative_point()
    return geo


def _locate(grids: gpd.GeoDataFrame, spots: gpd.GeoSeries) -> np.ndarray:
    """Grid code holding each point (``None`` outside every grid)."""
    if len(spots) == 0:
        return np.empty(0, dtype=object)
    found = GridIndex(grids).assign(spots, with_distance=False)["grid_code"]
    return found.astype(object).where(found.notna(), None).to_numpy()


def _changes(key: str, frame: gpd.GeoDataFrame, old: gpd.GeoDataFrame,
             new: gpd.GeoDataFrame, keep: Iterable[str],
             renamed: Mapping[str, str]) -> gpd.GeoDataFrame:
    """One row per feature: its grid in each plan, whether it moves or is only renamed."""
    spots = _spots(frame)
    before, after = _locate(old, spots), _locate(new, spots)
    table = gpd.GeoDataFrame({key: frame[key].astype(str).to_numpy(),
                              "old_grid": before, "new_grid": after},
                             geometry=spots.to_numpy(), crs=spots.crs)
    for column in keep:
        table[column] = frame[column].to_numpy()
    old_label = table["old_grid"].fillna(OUTSIDE)
    new_label = table["new_grid"].fillna(OUTSIDE)
    table["renamed"] = (old_label.map(renamed) == new_label).to_numpy()
    table["moved"] = (old_label != new_label).to_numpy() & ~table["renamed"].to_numpy()
    return table


# -- comparing grids ------------------------------------------------------------------------
def _projected(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> tuple[gpd.GeoSeries,
                                                                      gpd.GeoSeries]:
    crs = local_crs(old)
    return old.geometry.to_crs(crs), new.geometry.to_crs(crs)


def _overlaps(po: gpd.GeoSeries, pn: gpd.GeoSeries, tolerance_m2: float) -> pd.DataFrame:
    """Area shared by each old and new grid that overlap by more than the tolerance."""
    if len(po) == 0 or len(pn) == 0:
        return pd.DataFrame({"old": [], "new": [], "area": []})
    tree = shapely.STRtree(pn.to_numpy())
    i_old, i_new = tree.query(po.to_numpy(), predicate="intersects")
    area = shapely.area(shapely.intersection(po.to_numpy()[i_old], pn.to_numpy()[i_new]))
    pairs = pd.DataFrame({"old": po.index.to_numpy()[i_old], "new": pn.index.to_numpy()[i_new],
                          "area": area})
    return pairs[pairs["area"] > tolerance_m2].reset_index(drop=True)


def _renames(only_old: pd.Index, only_new: pd.Index, pairs: pd.DataFrame,
             area_old: pd.Series, area_new: pd.Series, tolerance_m2: float) -> dict[str, str]:
    """Old code → new code for grids whose shape survives under another code."""
    mine = pairs[pairs["old"].isin(only_old) & pairs["new"].isin(only_new)]
    same = ((area_old.reindex(mine["old"]).to_numpy() - mine["area"].to_numpy() <= tolerance_m2)
            & (area_new.reindex(mine["new"]).to_numpy() - mine["area"].to_numpy()
               <= tolerance_m2))
    found = mine[same]
    return dict(zip(found["old"], found["new"], strict=True))


def _shares(pairs: pd.DataFrame, by: str, other: str, total: pd.Series) -> pd.Series:
    """Text like ``"A 60%, B 40%"``: which grids of the other plan share each grid's area."""
    if pairs.empty:
        return pd.Series(dtype=object)
    rows = pairs.assign(share=pairs["area"] / total.reindex(pairs[by]).to_numpy())
    rows = rows.sort_values([by, "share"], ascending=[True, False])
    text = rows[other].astype(str) + " " + (rows["share"] * 100).round().astype(int).astype(
        str) + "%"
    return text.groupby(rows[by].to_numpy()).agg(", ".join)


def _patrol(layers: Layers, grids: gpd.GeoDataFrame, projected: gpd.GeoSeries,
            visits_per_week: Mapping[str, float] | None) -> pd.Series:
    """km² patrolled a week per grid: zone area inside the grid × the zone's visits a week."""
    zones = layers.patrol_zones
    if zones is None or len(zones) == 0 or len(grids) == 0:
        return pd.Series(0.0, index=grids.index)
    visits = weekly_visits(visits_per_week)
    zone_geoms = zones.geometry.to_crs(projected.crs).to_numpy()
    weight = zones["level"].astype(str).map(visits).fillna(0.0).to_numpy(dtype=float)
    tree = shapely.STRtree(zone_geoms)
    i_grid, i_zone = tree.query(projected.to_numpy(), predicate="intersects")
    km2 = shapely.area(shapely.intersection(projected.to_numpy()[i_grid],
                                            zone_geoms[i_zone])) / 1e6
    load = np.bincount(i_grid, weights=km2 * weight[i_zone], minlength=len(grids))
    return pd.Series(load, index=grids.index)


def _counts(table: pd.DataFrame, column: str | None, codes: pd.Index) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Per code: the sum of ``column`` (or the row count) by old and by new grid."""
    values = table[column] if column else pd.Series(1, index=table.index)
    values = values.astype(np.int64)
    old = values.groupby(table["old_grid"].to_numpy()).sum().reindex(codes, fill_value=0)
    new = values.groupby(table["new_grid"].to_numpy()).sum().reindex(codes, fill_value=0)
    return old.to_numpy(), new.to_numpy()


def _status(codes: pd.Index, in_old: np.ndarray, in_new: np.ndarray, kept: np.ndarray,
            area_old: np.ndarray, area_new: np.ndarray, renamed: set[str],
            tolerance_m2: float) -> np.ndarray:
    same = in_old & in_new & (area_old - kept <= tolerance_m2) & (area_new - kept <= tolerance_m2)
    status = np.select([codes.isin(list(renamed)), ~in_old, ~in_new, same],
                       ["renamed", "new", "removed", "unchanged"], "reshaped")
    return status.astype(object)


@dataclass
class _Shapes:
    """Both grid layers on the local plane, their areas, overlaps and renames."""

    old: gpd.GeoSeries
    new: gpd.GeoSeries
    area_old: pd.Series
    area_new: pd.Series
    pairs: pd.DataFrame
    renamed: dict[str, str]

    @classmethod
    def compare(cls, og: gpd.GeoDataFrame, ng: gpd.GeoDataFrame,
                tolerance_m2: float) -> _Shapes:
        po, pn = _projected(og, ng)
        area_old = pd.Series(shapely.area(po.to_numpy()), index=og.index)
        area_new = pd.Series(shapely.area(pn.to_numpy()), index=ng.index)
        pairs = _overlaps(po, pn, tolerance_m2)
        renamed = _renames(og.index.difference(ng.index), ng.index.difference(og.index),
                           pairs, area_old, area_new, tolerance_m2)
        return cls(po, pn, area_old, area_new, pairs, renamed)


def _grid_table(old: Layers, new: Layers, og: gpd.GeoDataFrame, ng: gpd.GeoDataFrame,
                shapes: _Shapes, buildings: pd.DataFrame, incidents: pd.DataFrame, *,
                tolerance_m2: float, visits_per_week: Mapping[str, float] | None
                ) -> gpd.GeoDataFrame:
    """The per-grid comparison."""
    po, pn, pairs, renamed = shapes.old, shapes.new, shapes.pairs, shapes.renamed
    area_old, area_new = shapes.area_old, shapes.area_new
    codes = pd.Index(sorted(set(og.index) | set(ng.index)), dtype=object)
    same_code = pairs[pairs["old"] == pairs["new"]].set_index("old")["area"]
    partner = {**renamed, **{v: k for k, v in renamed.items()}}

    table = pd.DataFrame(index=codes)
    table["code"] = codes.to_numpy()
    table["community_code"] = pd.concat([og["community_code"], ng["community_code"]]).groupby(
        level=0).last().reindex(codes).astype(str).to_numpy()
    a_old = area_old.reindex(codes, fill_value=0.0).to_numpy()
    a_new = area_new.reindex(codes, fill_value=0.0).to_numpy()
    kept = same_code.reindex(codes, fill_value=0.0).to_numpy()
    table["status"] = _status(codes, codes.isin(og.index), codes.isin(ng.index), kept,
                              a_old, a_new, set(partner), tolerance_m2)
    table["renamed"] = [partner.get(code, "") for code in codes]
    table["area_old_m2"], table["area_new_m2"] = a_old, a_new
    table["area_change_m2"] = a_new - a_old
    kept = np.where(table["status"] == "renamed", a_old, kept)
    table["area_kept"] = np.where(a_old > 0, kept / np.where(a_old > 0, a_old, 1.0), np.nan)
    for what, frame, column in (("households", buildings, "households"),
                                ("population", buildings, "population"),
                                ("incidents", incidents, None)):
        before, after = _counts(frame, column, codes)
        table[f"{what}_old"], table[f"{what}_new"] = before, after
        table[f"{what}_change"] = after - before
    patrol_old = _patrol(old, og, po, visits_per_week).reindex(codes, fill_value=0.0)
    patrol_new = _patrol(new, ng, pn, visits_per_week).reindex(codes, fill_value=0.0)
    table["patrol_km2_week_old"] = patrol_old.to_numpy()
    table["patrol_km2_week_new"] = patrol_new.to_numpy()
    table["patrol_km2_week_change"] = table["patrol_km2_week_new"] - table["patrol_km2_week_old"]
    moved_pairs = pairs[pairs["old"] != pairs["new"]]
    moved_pairs = moved_pairs[~moved_pairs["old"].map(renamed).eq(moved_pairs["new"])]
    table["from_grids"] = _shares(moved_pairs, "new", "old", area_new).reindex(codes)
    table["to_grids"] = _shares(moved_pairs, "old", "new", area_old).reindex(codes)
    for column in ("from_grids", "to_grids"):
        table[column] = table[column].astype(object).where(table[column].notna(), "")
    geometry = ng.geometry.reindex(codes)
    geometry = geometry.where(geometry.notna(), og.geometry.reindex(codes))
    return gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=og.crs)


def _as_of(incidents: gpd.GeoDataFrame | None, as_of: Any) -> pd.Timestamp | None:
    if as_of is not None:
        return pd.Timestamp(as_of)
    if incidents is None or len(incidents) == 0:
        return None
    latest = pd.to_datetime(incidents["reported_at"]).max()
    return None if pd.isna(latest) else pd.Timestamp(latest)


def _same_zone(when: pd.Timestamp, reported: pd.Series) -> pd.Timestamp:
    """``when`` in the time zone of the report times (naive when they are naive)."""
    zone = getattr(reported.dt, "tz", None)
    if zone is not None and when.tzinfo is None:
        return when.tz_localize(zone)
    if zone is None and when.tzinfo is not None:
        return when.tz_convert(None)
    return when


def _empty_moves(key: str, keep: Iterable[str]) -> gpd.GeoDataFrame:
    columns = {key: [], "old_grid": [], "new_grid": [], **{c: [] for c in keep},
               "renamed": np.empty(0, bool), "moved": np.empty(0, bool)}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=4326), crs=4326)


# -- the result -----------------------------------------------------------------------------
@dataclass
class PlanDiff:
    """The difference between two grid plans (build it with :func:`diff_plans`).

    Attributes
    ----------
    buildings : geopandas.GeoDataFrame
        One row per building: ``building_id``, ``old_grid``, ``new_grid``
        (``None`` outside every grid), ``households``, ``population``,
        ``renamed`` (only its grid's code changes), ``moved`` (it lies in
        another grid); geometry: the point where it lies.
    incidents : geopandas.GeoDataFrame
        One row per incident of the incidents layer: ``incident_id``,
        ``old_grid``, ``new_grid``, ``reported_at``, ``in_year`` (reported in
        the 365 days up to ``as_of``), ``renamed``, ``moved``.
    grids : geopandas.GeoDataFrame
        One row per grid code of either plan, indexed by code: ``code``,
        ``community_code``, ``status`` (see :data:`STATUSES`), ``renamed``
        (the other code of a renamed grid), ``area_old_m2``, ``area_new_m2``,
        ``area_change_m2``, ``area_kept`` (share of the old area still in the
        grid), ``households_*``, ``population_*``, ``incidents_*`` (last
        year) and ``patrol_km2_week_*`` (each ``old``, ``new``, ``change``),
        ``from_grids`` / ``to_grids`` (other grids that give area to / take
        area from it, with shares). Geometry: the new shape, or the old one
        for removed grids.
    movement : pandas.DataFrame
        Households of moved buildings, old grid (rows) × new grid (columns).
    as_of : pandas.Timestamp or None
        End of the incident year (``None`` without incidents).
    old_grids, new_grids : geopandas.GeoDataFrame
        The two grid layers, indexed by code.
    """

    buildings: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    movement: pd.DataFrame
    as_of: pd.Timestamp | None
    old_grids: gpd.GeoDataFrame
    new_grids: gpd.GeoDataFrame

    @property
    def changed(self) -> gpd.GeoDataFrame:
        """The grids whose status is not ``unchanged``."""
        return self.grids[self.grids["status"] != "unchanged"]

    @property
    def empty(self) -> bool:
        """True when both plans have the same grids, codes and shapes."""
        return (self.changed.empty and not self.buildings["moved"].any()
                and not self.incidents["moved"].any())

    @property
    def moved_buildings(self) -> gpd.GeoDataFrame:
        """The buildings that lie in another grid in the new plan."""
        return self.buildings[self.buildings["moved"]]

    @property
    def moved_incidents(self) -> gpd.GeoDataFrame:
        """The incidents of the last year that lie in another grid in the new plan."""
        return self.incidents[self.incidents["moved"] & self.incidents["in_year"]]

    def summary(self) -> dict[str, Any]:
        """Counts of what the redraw changes.

        Returns
        -------
        dict
            ``grids_old``, ``grids_new``, one count per status, and
            ``buildings_moved``, ``households_moved``, ``people_moved``,
            ``incidents_moved`` (of the last year), ``incidents_year``,
            ``households_old``, ``households_new`` (in any grid of each plan),
            ``households_outside_new`` (in no grid of the new plan).
        """
        moved = self.moved_buildings
        status = self.grids["status"].value_counts()
        b = self.buildings
        return {
            "grids_old": len(self.old_grids), "grids_new": len(self.new_grids),
            **{name: int(status.get(name, 0)) for name in STATUSES},
            "buildings_moved": len(moved),
            "households_moved": int(moved["households"].sum()),
            "people_moved": int(moved["population"].sum()),
            "incidents_moved": len(self.moved_incidents),
            "incidents_year": int(self.incidents["in_year"].sum()),
            "households_old": int(b.loc[b["old_grid"].notna(), "households"].sum()),
            "households_new": int(b.loc[b["new_grid"].notna(), "households"].sum()),
            "households_outside_new": int(b.loc[b["new_grid"].isna(), "households"].sum()),
        }

    def summary_text(self) -> str:
        """The diff in plain sentences a district office can read.

        Examples
        --------
        >>> from gridgis import sample_district
        >>> layers = sample_district(scale=0.05)
        >>> diff_plans(layers, layers).summary_text().startswith("The two plans are the same")
        True
        """
        s = self.summary()
        if self.changed.empty and s["buildings_moved"] == 0 and s["incidents_moved"] == 0:
            return (f"The two plans are the same: {s['grids_old']:,} grids, no building or "
                    "incident changes grid.")
        lines = [self._grid_sentence(s), *self._status_sentences()]
        if len(self.buildings):
            lines.append(f"{s['buildings_moved']:,} buildings with {s['households_moved']:,} "
                         f"households ({s['people_moved']:,} people) change grid.")
        else:
            lines.append("No buildings: households and people are not compared.")
        if s["households_outside_new"]:
            lines.append(f"Warning: {s['households_outside_new']:,} households lie in no grid "
                         "of the new plan.")
        if self.as_of is not None and len(self.incidents):
            lines.append(f"{s['incidents_moved']:,} of the {s['incidents_year']:,} incidents "
                         f"of the year to {self.as_of:%Y-%m-%d} would be counted in another "
                         "grid.")
        lines += self._gain_loss_sentences()
        return "\n".join(lines)

    def _grid_sentence(self, s: dict[str, Any]) -> str:
        parts = [f"{s[name]} {name}" for name in ("new", "removed", "reshaped", "renamed")
                 if s[name]]
        return (f"Grids: {s['grids_old']:,} before, {s['grids_new']:,} after — "
                f"{', '.join(parts) or 'no grid changes'}; {s['unchanged']:,} unchanged.")

    def _status_sentences(self) -> list[str]:
        grids = self.grids
        lines = []
        for row in grids[grids["status"] == "new"].head(_SHOWN).itertuples():
            origin = f" from {row.from_grids}" if row.from_grids else ""
            lines.append(f"New grid {row.code}{origin}: {row.households_new:,} households, "
                         f"{row.area_new_m2 / 1e4:,.1f} ha.")
        for row in grids[grids["status"] == "removed"].head(_SHOWN).itertuples():
            to = f", its area goes to {row.to_grids}" if row.to_grids else ""
            lines.append(f"Grid {row.code} is removed{to}.")
        renamed = grids[(grids["status"] == "renamed") & grids.index.isin(self.old_grids.index)]
        for row in renamed.head(_SHOWN).itertuples():
            lines.append(f"Grid {row.code} keeps its shape under the new code {row.renamed}.")
        reshaped = grids[grids["status"] == "reshaped"]
        if len(reshaped):
            lines.append(f"Reshaped: {_names(reshaped['code'])}.")
        for status in ("new", "removed"):
            extra = int((grids["status"] == status).sum()) - _SHOWN
            if extra > 0:
                lines.append(f"… and {extra} more {status} grids.")
        return lines

    def _gain_loss_sentences(self) -> list[str]:
        changed = self.changed[self.changed["status"] != "renamed"]
        gains = changed[changed["households_change"] > 0].nlargest(3, "households_change")
        losses = changed[changed["households_change"] < 0].nsmallest(3, "households_change")
        lines = []
        for label, rows in (("Largest gains", gains), ("Largest losses", losses)):
            if len(rows):
                items = [f"{r.code} {r.households_change:+,} households "
                         f"({r.households_old:,} → {r.households_new:,})"
                         for r in rows.itertuples()]
                lines.append(f"{label}: {'; '.join(items)}.")
        patrol = changed["patrol_km2_week_change"]
        if len(patrol) and patrol.abs().max() > 0.005:
            top = changed.loc[patrol.abs().idxmax()]
            lines.append(f"Largest change of patrol workload: {top['code']} "
                         f"{top['patrol_km2_week_old']:.2f} → {top['patrol_km2_week_new']:.2f}"
                         " km² patrolled a week.")
        return lines

    # -- output -----------------------------------------------------------------------------
    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the diff to a new GeoPackage, atomically.

        Layers: ``grid_changes`` (the per-grid table, every code of either
        plan), ``old_boundaries`` (old shapes of the grids that are not
        unchanged), ``moved_buildings`` and ``moved_incidents``.

        Parameters
        ----------
        path : path-like
            Destination ``.gpkg``; replaced if it exists.

        Returns
        -------
        pathlib.Path
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(suffix=".gpkg", prefix=f".{path.stem}-", dir=path.parent)
        os.close(fd)
        tmp = Path(name)
        tmp.unlink()
        old = self.old_grids[~self.old_grids.index.isin(
            self.grids.index[self.grids["status"] == "unchanged"])]
        layers = {"grid_changes": self.grids,
                  "old_boundaries": old[["code", "community_code", old.geometry.name]],
                  "moved_buildings": self.moved_buildings,
                  "moved_incidents": self.moved_incidents}
        try:
            for layer, frame in layers.items():
                frame = frame.reset_index(drop=True)
                pyogrio.write_dataframe(frame, tmp, layer=layer, driver="GPKG",
                                        promote_to_multi=frame.geom_type.ne("Point").any())
            tmp.replace(path)
        finally:
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
        return path

    def write_csv(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write the tables of the diff as CSV files to ``folder``.

        Files: ``grids.csv``, ``moved_buildings.csv``, ``moved_incidents.csv`` and
        ``movement.csv`` (households, old grid × new grid).

        Returns
        -------
        list of pathlib.Path
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables = {"grids": self.grids, "moved_buildings": self.moved_buildings,
                  "moved_incidents": self.moved_incidents}
        written = []
        for name, frame in tables.items():
            target = folder / f"{name}.csv"
            pd.DataFrame(frame.drop(columns=frame.geometry.name)).to_csv(target, index=False)
            written.append(target)
        target = folder / "movement.csv"
        self.movement.to_csv(target)
        return [*written, target]

    def map(self, path: str | os.PathLike[str], layers: Layers | None = None, *,
            basemap: str = "none") -> Path:
        """Write an offline HTML map of the changes (Leaflet inlined, no CDN).

        New boundaries are solid and coloured by status, the old boundaries of
        the grids that change are dashed lines (below the new grids, so hovering
        a grid shows its figures), and the buildings that move are dots
        coloured by the grid they move to. The map opens on the changes, with a
        title, Chinese labels and a legend entry (with its count) for each
        status drawn.

        Parameters
        ----------
        path : path-like
            The ``.html`` file.
        layers : Layers, optional
            A plan whose community boundaries are drawn for orientation.
        basemap : str, default "none"
            See :func:`gridgis.maps.district_map`.

        Returns
        -------
        pathlib.Path
        """
        import html

        import folium

        from gridgis.maps import add_features, add_legend, district_map, map_frame, save_map

        changed = self.changed
        focus = changed if len(changed) else self.grids
        m = district_map(bounds=tuple(focus.total_bounds), basemap=basemap)
        if layers is not None:
            around = layers.communities[layers.communities["code"].isin(
                self.grids.loc[changed.index, "community_code"])]
            add_features(m, around, name="社区 communities", colour="#000000",
                         fields=["code", "name"], aliases=["社区编码", "社区名称"],
                         fill_opacity=0.0, weight=2.5)
        # old boundaries as dashed lines only, below the new plan: their interiors must
        # not catch the hover that shows the new grids' figures
        old = self.old_grids.loc[changed.index.intersection(self.old_grids.index)]
        lines = old[["code"]].set_geometry(old.geometry.boundary.to_numpy(), crs=old.crs)
        folium.GeoJson(map_frame(m, lines),
                       name="旧边界（虚线） old boundaries (dashed)",
                       tooltip=folium.GeoJsonTooltip(fields=["code"], aliases=["旧网格 old grid"]),
                       style_function=lambda _: {"color": "#222222", "weight": 2,
                                                 "dashArray": "6 5", "fillOpacity": 0}
                       ).add_to(m)
        fields = ["code", "status", "renamed", "from_grids", "households_old",
                  "households_new", "population_change", "incidents_old", "incidents_new",
                  "area_change_m2", "patrol_km2_week_change"]
        aliases = ["网格 grid", "状态 status", "原编码 renamed", "来自 from", "原户数 hh old",
                   "新户数 hh new", "人口变化 Δ people", "原事件 inc. old", "新事件 inc. new",
                   "面积变化 Δ m²", "巡查变化 Δ km²/wk"]
        shown = self.grids[self.grids["status"] != "removed"]
        add_features(m, shown, name="新方案（实线） new plan (solid)", fields=fields,
                     aliases=aliases, weight=1.5,
                     colour=shown["status"].map(STATUS_COLOURS), fill_opacity=0.25)
        counts = shown["status"].value_counts()
        legend = [(f"{STATUS_ZH[name]} {name}（{counts[name]}）", colour)
                  for name, colour in STATUS_COLOURS.items() if counts.get(name, 0)]
        if len(old):  # the dashed lines, removed grids among them
            removed = int((self.grids["status"] == "removed").sum())
            legend.append((f"旧边界（虚线，含撤销 {removed} 个） old boundary", "#222222"))
        add_legend(m, "网格（新实线、旧虚线） grids (new solid, old dashed)", legend)
        moved = self.moved_buildings
        if len(moved):
            palette = _destination_palette(moved["new_grid"].fillna(OUTSIDE))
            add_features(m, moved, name="换网格的建筑 buildings that change grid",
                         colour=moved["new_grid"].fillna(OUTSIDE).map(palette),
                         fields=["building_id", "old_grid", "new_grid", "households"],
                         aliases=["建筑 building", "原网格 old grid", "新网格 new grid",
                                  "户数 households"],
                         radius=3, weight=1, fill_opacity=0.9)
            add_legend(m, "迁移的建筑 → 新网格 moved buildings → new grid",
                       _legend_items(palette))
        title = (f"网格调整对比：{len(changed)} 个网格变化，"
                 f"{len(moved)} 栋建筑换网格")
        m.get_root().html.add_child(folium.Element(
            "<div style='position:fixed;top:10px;left:60px;z-index:1000;background:#fff;"
            "padding:4px 10px;border-radius:4px;box-shadow:0 1px 4px rgba(0,0,0,.3);"
            f"font:15px sans-serif'><b>{html.escape(title)}</b></div>"))
        return save_map(m, path)


def _names(codes: pd.Series) -> str:
    codes = list(codes)
    shown = ", ".join(codes[:_SHOWN])
    return shown if len(codes) <= _SHOWN else f"{shown} and {len(codes) - _SHOWN} more"


def _destination_palette(destinations: pd.Series) -> dict[str, str]:
    names = sorted(set(destinations))
    return {name: DESTINATION_COLOURS[i % len(DESTINATION_COLOURS)]
            for i, name in enumerate(names)}


def _legend_items(palette: dict[str, str]) -> list[tuple[str, str]]:
    items = list(palette.items())
    if len(items) > len(DESTINATION_COLOURS):
        return [*items[:len(DESTINATION_COLOURS)],
                (f"… {len(items) - len(DESTINATION_COLOURS)} more (colours repeat)", "#ffffff")]
    return items


# -- the entry point ------------------------------------------------------------------------
def diff_plans(old: Layers, new: Layers, *, as_of: Any = None, tolerance_m2: float = 1.0,
               visits_per_week: Mapping[str, float] | None = None) -> PlanDiff:
    """Compare two grid plans of one district: what moves, grid by grid.

    Buildings and incidents are taken from ``new`` (from ``old`` when ``new``
    lacks the layer) and located in both grid layers by position; patrol
    zones are each plan's own.

    Parameters
    ----------
    old, new : Layers
        The plan in force and the proposed plan.
    as_of : datetime-like, optional
        End of the incident year: incidents reported in the 365 days up to it
        are counted per grid. Default: the latest ``reported_at``.
    tolerance_m2 : float, default 1.0
        Area (m², local Gauss-Krüger plane) under which two shapes count as
        the same and an overlap as none.
    visits_per_week : mapping of str to float, optional
        Patrol visits a week per level (default 7 / 2 / 1 for high / medium / low).

    Returns
    -------
    PlanDiff

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> diff_plans(layers, layers).empty
    True
    """
    og, ng = _grid_frame(old), _grid_frame(new)
    buildings = new.buildings if new.buildings is not None else old.buildings
    incidents = new.incidents if new.incidents is not None else old.incidents
    end = _as_of(incidents, as_of)
    shapes = _Shapes.compare(og, ng, tolerance_m2)  # renames first: features need them
    renamed = shapes.renamed
    keep_b = ("households", "population")
    b = (_changes("building_id", buildings, og, ng, keep_b, renamed) if buildings is not None
         else _empty_moves("building_id", keep_b))
    if incidents is not None and len(incidents):
        inc = _changes("incident_id", incidents, og, ng, ("reported_at",), renamed)
        reported = pd.to_datetime(inc["reported_at"])
        end = _same_zone(end, reported)
        inc.insert(inc.columns.get_loc("reported_at") + 1, "in_year",
                   ((reported > end - YEAR) & (reported <= end)).to_numpy())
    else:
        inc = _empty_moves("incident_id", ("reported_at", "in_year"))
    year = inc[inc["in_year"].astype(bool)]
    grids = _grid_table(old, new, og, ng, shapes, b, year, tolerance_m2=tolerance_m2,
                        visits_per_week=visits_per_week)
    moved = b[b["moved"]]
    movement = pd.crosstab(moved["old_grid"].fillna(OUTSIDE), moved["new_grid"].fillna(OUTSIDE),
                           values=moved["households"], aggfunc="sum").fillna(0).astype(int) \
        if len(moved) else pd.DataFrame(dtype=int)
    movement.index.name, movement.columns.name = "old_grid", "new_grid"
    return PlanDiff(b, inc, grids, movement, end, og, ng)
