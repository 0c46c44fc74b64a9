"""Emergency coverage on the road network (应急力量覆盖): who is within reach of help in time.

"1-3-5" wants the forces of an emergency on site within 15 minutes (DESIGN §1).
For every emergency unit kind, :func:`emergency_coverage` measures the travel
minutes by road (:class:`gridgis.roads.RoadNetwork`) from the nearest unit of
that kind to every building, and reports the share of the population,
households, buildings and grids reached within the limit. A grid is counted
two ways: *covered* when at least ``grid_share`` (default half) of its
population lives in buildings within the limit (grids without residents count
their buildings, grids without buildings their representative point), and
*covered at its point* when its representative point (a point inside the
polygon, :meth:`shapely.Geometry.representative_point`) is within the limit.

:func:`unit_isochrones` gives the 5/10/15-minute areas of every unit;
:func:`gridgis.analysis.uncovered.uncovered_areas` draws what is not reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis._progress import steps
from gridgis.analysis._common import points_lonlat, require_columns
from gridgis.categories import UNIT_KIND_NAMES, load_categories
from gridgis.emergency_plans import Plan, load_emergency_plans
from gridgis.errors import InputError, LayerError
from gridgis.roads.network import RoadNetwork

__all__ = [
    "KIND_SOURCES",
    "SUMMARY_LABELS",
    "Coverage",
    "emergency_coverage",
    "emergency_kinds",
    "kind_name",
    "unit_isochrones",
]

KIND_SOURCES = ("plans", "urgent")
"""Where the emergency unit kinds come from: ``"plans"``, the kinds the emergency
plans require (应急预案); ``"urgent"``, the unit kinds of the category table's
urgent categories."""

SUMMARY_LABELS = {
    "units": "单位数",
    "population_share": "覆盖人口比例%",
    "households_share": "覆盖户数比例%",
    "buildings_share": "覆盖建筑比例%",
    "grids_share": "覆盖网格比例%（人口过半）",
    "grids_point_share": "覆盖网格比例%（代表点）",
    "population_uncovered": "未覆盖人口",
    "buildings_uncovered": "未覆盖建筑",
    "grids_uncovered": "未覆盖网格",
    "median_min": "到达时间中位数（分钟）",
    "p90_min": "到达时间P90（分钟）",
}
"""Chinese headings of the coverage summary's columns."""

def emergency_kinds(source: str = "plans", *, plans: Mapping[str, Plan] | None = None,
                    categories: pd.DataFrame | None = None) -> tuple[str, ...]:
    """The unit kinds whose coverage matters in an emergency.

    Parameters
    ----------
    source : {"plans", "urgent"}, default "plans"
        ``"plans"``: every kind the emergency plans require, in the plan
        table's order; ``"urgent"``: the responsible unit kinds of the urgent
        categories of the category table, in its order.
    plans : mapping of str to Plan, optional
        The plan table (default :func:`gridgis.emergency_plans.load_emergency_plans`).
    categories : pandas.DataFrame, optional
        The category table (default :func:`gridgis.load_categories`).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> emergency_kinds()[:3]
    ('police_station', 'special_police', 'labour_inspection')
    >>> emergency_kinds("urgent")[:3]
    ('power_supply', 'fire_station', 'municipal_works')
    """
    if source not in KIND_SOURCES:
        raise InputError(f"应急单位类型来源须为 {'、'.join(KIND_SOURCES)} / source must be one "
                         f"of {', '.join(KIND_SOURCES)}, got {source!r}", field="source")
    if source == "plans":
        table = load_emergency_plans() if plans is None else plans
        return tuple(dict.fromkeys(f.kind for plan in table.values() for f in plan.forces))
    cats = load_categories() if categories is None else categories
    urgent = cats[cats["priority"] == "urgent"]
    return tuple(dict.fromkeys(k for kinds in urgent["unit_kinds"] for k in kinds))


def kind_name(kind: str) -> str:
    """The Chinese name of a unit kind (派出所, 消防站…), the kind itself when it has none."""
    return UNIT_KIND_NAMES.get(kind, kind)


@dataclass
class Coverage:
    """Travel minutes from the nearest unit of each kind to every building, and the shares.

    Attributes
    ----------
    limit_min : float
        The arrival limit in minutes.
    summary : pandas.DataFrame
        One row per kind (index ``kind``): ``units``, ``population_share``,
        ``households_share``, ``buildings_share``, ``grids_share`` (population
        weighted, see the module), ``grids_point_share`` (representative point),
        the uncovered ``population``/``buildings``/``grids`` counts, and the
        buildings' ``median_min`` and ``p90_min``.
    minutes : pandas.DataFrame
        One row per building (the buildings' index): ``building_id``,
        ``grid_code``, ``population``, ``households``, then one column of
        minutes per kind (``inf``: no unit of the kind can reach it).
    nearest_unit : pandas.DataFrame
        Same shape as the kind columns of ``minutes``: the id of the nearest unit.
    grids : pandas.DataFrame
        One row per grid (index: grid code): per kind ``{kind}_share`` (share of
        the grid's population within the limit), ``{kind}_covered`` and
        ``{kind}_point_min`` (minutes to the representative point).
    buildings_xy : numpy.ndarray
        The buildings on the network's Gauss-Krüger plane (n × 2, metres).
    """

    limit_min: float
    summary: pd.DataFrame
    minutes: pd.DataFrame
    nearest_unit: pd.DataFrame
    grids: pd.DataFrame
    buildings_xy: np.ndarray

    @property
    def kinds(self) -> list[str]:
        """The kinds measured, in order."""
        return list(self.summary.index)

    def labelled(self) -> pd.DataFrame:
        """The summary with Chinese headings and kind names, shares in per cent."""
        table = self.summary.rename(columns=SUMMARY_LABELS)
        shares = [SUMMARY_LABELS[c] for c in self.summary.columns if c.endswith("_share")]
        table[shares] = (100 * table[shares]).round(1)
        table.index = pd.Index([kind_name(k) for k in self.summary.index], name="单位类型")
        return table

    def covered(self, kind: str) -> pd.Series:
        """Whether each building is within the limit of a unit of ``kind``."""
        return self.minutes[kind] <= self.limit_min


def _kinds(kinds: Sequence[str] | None, source: str) -> list[str]:
    chosen = list(emergency_kinds(source)) if kinds is None else list(dict.fromkeys(kinds))
    if not chosen:
        raise InputError("未指定单位类型 / no unit kind given", field="kinds")
    return chosen


def _nearest_by_kind(network: RoadNetwork, units: gpd.GeoDataFrame, kinds: list[str],
                     xy: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Minutes from the nearest unit of each kind to every target, and that unit's id."""
    chosen = units[units["kind"].isin(kinds)]
    minutes: dict[str, np.ndarray] = {}
    nearest: dict[str, np.ndarray] = {}
    if len(chosen):
        lon, lat = points_lonlat(chosen)
        table = network.origins(lon, lat).minutes_to(xy)
    ids = chosen["unit_id"].to_numpy() if len(chosen) else np.array([], dtype=object)
    kind_of = chosen["kind"].to_numpy() if len(chosen) else np.array([], dtype=object)
    for kind in kinds:
        rows = np.flatnonzero(kind_of == kind)
        if len(rows) == 0:
            minutes[kind] = np.full(len(xy), np.inf)
            nearest[kind] = np.full(len(xy), None, dtype=object)
            continue
        block = table[rows]
        best = np.argmin(block, axis=0)
        got = block[best, np.arange(len(xy))]
        minutes[kind] = got
        nearest[kind] = np.where(np.isfinite(got), ids[rows[best]], None)
    return minutes, nearest


def emergency_coverage(layers: object, network: RoadNetwork, *,
                       kinds: Sequence[str] | None = None, limit_min: float = 15.0,
                       source: str = "plans", grid_share: float = 0.5) -> Coverage:
    """Share of population, households, buildings and grids within reach of each kind.

    Parameters
    ----------
    layers : Layers
        The district: ``buildings`` (``building_id``, ``population``,
        ``households``, ``grid_code``), ``units`` (``unit_id``, ``kind``) and ``grids``.
    network : RoadNetwork
        The district's road network.
    kinds : sequence of str, optional
        Unit kinds to measure; default :func:`emergency_kinds` of `source`.
    limit_min : float, default 15
        The arrival limit in minutes.
    source : {"plans", "urgent"}, default "plans"
        Where the default kinds come from (see :func:`emergency_kinds`).
    grid_share : float, default 0.5
        A grid is covered when at least this share of its population is.

    Returns
    -------
    Coverage

    Raises
    ------
    LayerError
        If a layer or a column is missing.
    InputError
        For a limit or a grid share out of range.
    """
    if not (np.isfinite(limit_min) and limit_min > 0):
        raise InputError("到场时限须为正数（分钟） / limit_min must be a positive number",
                         field="limit_min")
    if not 0 < grid_share <= 1:
        raise InputError("grid_share 须在 (0, 1] 之间 / grid_share must lie in (0, 1]",
                         field="grid_share")
    buildings = getattr(layers, "buildings", None)
    units = getattr(layers, "units", None)
    grids = getattr(layers, "grids", None)
    what = "emergency coverage (应急覆盖)"
    require_columns(buildings, ("building_id", "population", "households", "grid_code"),
                    layer="buildings", what=what)
    require_columns(units, ("unit_id", "kind"), layer="units", what=what)
    require_columns(grids, ("code",), layer="grids", what=what)
    if len(buildings) == 0:
        raise LayerError("建筑图层为空 / the buildings layer is empty", layer="buildings")
    chosen = _kinds(kinds, source)

    lon, lat = points_lonlat(buildings)
    xy = network.plane(lon, lat)
    glon, glat = points_lonlat(grids)
    gxy = network.plane(glon, glat)
    minutes, nearest = _nearest_by_kind(network, units, chosen, np.vstack([xy, gxy]))
    n = len(xy)

    frame = pd.DataFrame({
        "building_id": buildings["building_id"].to_numpy(),
        "grid_code": buildings["grid_code"].astype(str).to_numpy(),
        "population": pd.to_numeric(buildings["population"], errors="coerce").fillna(0)
        .to_numpy(dtype=float),
        "households": pd.to_numeric(buildings["households"], errors="coerce").fillna(0)
        .to_numpy(dtype=float),
    }, index=buildings.index)
    near = pd.DataFrame(index=buildings.index)
    for kind in chosen:
        frame[kind] = minutes[kind][:n]
        near[kind] = nearest[kind][:n]

    codes = grids["code"].astype(str).to_numpy()
    grid_rows = pd.DataFrame(index=pd.Index(codes, name="grid_code"))
    pop_by_grid = frame.groupby("grid_code")["population"].sum().reindex(codes).fillna(0)
    count_by_grid = frame.groupby("grid_code").size().reindex(codes).fillna(0)
    rows = []
    for kind in chosen:
        ok = frame[kind] <= limit_min
        pop_ok = frame["population"].where(ok, 0).groupby(frame["grid_code"]).sum()
        bld_ok = ok.groupby(frame["grid_code"]).sum()
        point_min = minutes[kind][n:]
        point_ok = point_min <= limit_min
        share = np.where(pop_by_grid > 0, pop_ok.reindex(codes).fillna(0) / pop_by_grid.where(
            pop_by_grid > 0, 1), np.where(count_by_grid > 0, bld_ok.reindex(codes).fillna(0)
                                          / count_by_grid.where(count_by_grid > 0, 1),
                                          point_ok.astype(float)))
        grid_rows[f"{kind}_share"] = share
        grid_rows[f"{kind}_covered"] = share >= grid_share - 1e-12
        grid_rows[f"{kind}_point_min"] = point_min
        total_pop, total_hh = frame["population"].sum(), frame["households"].sum()
        rows.append({
            "kind": kind,
            "units": int((units["kind"] == kind).sum()),
            "population_share": frame["population"][ok].sum() / total_pop if total_pop else
            np.nan,
            "households_share": frame["households"][ok].sum() / total_hh if total_hh else
            np.nan,
            "buildings_share": float(ok.mean()),
            "grids_share": float(grid_rows[f"{kind}_covered"].mean()) if len(codes) else np.nan,
            "grids_point_share": float(point_ok.mean()) if len(codes) else np.nan,
            "population_uncovered": float(frame["population"][~ok].sum()),
            "buildings_uncovered": int((~ok).sum()),
            "grids_uncovered": int((~grid_rows[f"{kind}_covered"]).sum()),
            "median_min": _quantile(frame[kind].to_numpy(), 0.5),
            "p90_min": _quantile(frame[kind].to_numpy(), 0.9),
        })
    summary = pd.DataFrame(rows).set_index("kind")
    return Coverage(limit_min=float(limit_min), summary=summary, minutes=frame,
                    nearest_unit=near, grids=grid_rows, buildings_xy=xy)


def _quantile(values: np.ndarray, q: float) -> float:
    """A quantile that stays exact with inf values (no interpolation across them)."""
    if len(values) == 0:
        return float("nan")
    return float(np.quantile(values, q, method="inverted_cdf"))


def unit_isochrones(units: gpd.GeoDataFrame, network: RoadNetwork, *,
                    kinds: Sequence[str] | None = None,
                    minutes: Sequence[float] = (5, 10, 15),
                    progress: bool = False) -> gpd.GeoDataFrame:
    """The areas each unit reaches within each time, as polygons.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        The units layer (``unit_id``, ``name``, ``kind``).
    network : RoadNetwork
    kinds : sequence of str, optional
        Only units of these kinds (default all).
    minutes : sequence of float, default (5, 10, 15)
    progress : bool, default False
        A progress bar on standard error, one step per unit.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit and time: ``unit_id``, ``name``, ``kind``, ``minutes``,
        ``area_km2`` and the polygon (EPSG:4326).
    """
    require_columns(units, ("unit_id", "name", "kind"), layer="units",
                    what="isochrones (等时圈)")
    chosen = units if kinds is None else units[units["kind"].isin(list(kinds))]
    lon, lat = points_lonlat(chosen) if len(chosen) else (np.zeros(0), np.zeros(0))
    frames = []
    with steps("等时圈 isochrones", len(chosen), show=progress) as step:
        for i in range(len(chosen)):
            row = chosen.iloc[i]
            iso = network.isochrones(lon[i:i + 1], lat[i:i + 1], minutes=minutes,
                                     ids=[row["unit_id"]])
            frames.append(iso.rename(columns={"origin": "unit_id"})
                          .assign(name=row["name"], kind=row["kind"]))
            step(str(row["unit_id"]))
    columns = ["unit_id", "name", "kind", "minutes", "area_km2"]
    if not frames:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=4326)
    iso = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(iso[columns], geometry=iso.geometry.values, crs=4326)
