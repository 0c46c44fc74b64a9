"""Whether emergency plans can be met where emergencies happen (应急预案可达性, "1-3-5").

For every incident whose category starts a plan (:mod:`gridgis.emergency_plans`)
and every kind the plan requires, :func:`plan_feasibility` measures how long
the plan's ``count``-th nearest unit of that kind takes to reach the site (the
force is only complete when the last of them is there) against the kind's
arrival limit. Times come from the finder: road travel times where it has a
road layer (``travel_min``), else the straight-line metres at ``speed_kmh``
(``eta_source`` ``estimate``): so the same call measures along the roads once
the district has them. Units are taken as free (no other plan holds them):
the figure is what the district's placement of units allows at best.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.categories import UNIT_KIND_NAMES
from gridgis.emergency_plans import Plan, load_emergency_plans, plan_for
from gridgis.nearest import UnitFinder

__all__ = ["feasibility_summary", "plan_feasibility"]


def plan_feasibility(incidents: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None = None,
                     plans: Mapping[str, Plan] | None = None,
                     finder: UnitFinder | None = None, *, speed_kmh: float = 30.0
                     ) -> pd.DataFrame:
    """Per incident with a plan and per required kind: the arrival time against the limit.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Points with a ``category`` column (any CRS with lon/lat or a projected one).
    units : geopandas.GeoDataFrame, optional
        The units layer; not needed when ``finder`` is given.
    plans : mapping of str to Plan, optional
        Default :func:`gridgis.emergency_plans.load_emergency_plans`.
    finder : UnitFinder, optional
        Default ``UnitFinder(units)`` (straight lines; pass one built with the
        district's roads to measure along them).
    speed_kmh : float, default 30
        The assumed speed where the finder gives no travel time.

    Returns
    -------
    pandas.DataFrame
        One row per incident and required kind, indexed by the incident's
        index: ``category``, ``plan``, ``kind``, ``kind_name``, ``count``,
        ``limit_min``, ``unit_id`` (the ``count``-th quickest unit, None when
        the district has fewer), ``distance_m``, ``eta_min``, ``eta_source``
        and ``met`` (on site within the limit).

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.1)
    >>> x01 = layers.incidents[layers.incidents["category"] == "X01"]
    >>> table = plan_feasibility(x01, layers.units)
    >>> sorted(table["kind"].unique())[:2]
    ['labour_inspection', 'mediation_committee']
    """
    plans = load_emergency_plans() if plans is None else plans
    if finder is None:
        if units is None:
            raise ValueError("give the units layer or a finder")
        finder = UnitFinder(units)
    pts = incidents.to_crs(4326) if incidents.crs is not None and \
        incidents.crs.to_epsg() != 4326 else incidents
    xy = shapely.get_coordinates(pts.geometry.values)
    speed = speed_kmh * 1000 / 60
    rows = []
    for category, where in pd.Series(np.arange(len(pts)), index=pts.index).groupby(
            pts["category"].to_numpy()):
        plan = plan_for(plans, str(category))
        if plan is None:
            continue
        pos = where.to_numpy()
        for need in plan.forces:
            hits = finder.nearest(xy[pos, 0], xy[pos, 1], kinds=[need.kind], k=need.count)
            eta = hits["travel_min"].where(hits["travel_min"].notna(),
                                           hits["distance_m"] / speed)
            hits = hits.assign(eta_min=eta, eta_source=np.where(
                hits["travel_min"].notna(), "network", "estimate"))
            # the force of this kind is complete when its slowest unit is there
            last = hits.sort_values(["point", "eta_min"]).groupby("point").nth(need.count - 1)
            last = last.set_index("point").reindex(np.arange(len(pos)))
            rows.append(pd.DataFrame({
                "category": category, "plan": plan.code, "kind": need.kind,
                "kind_name": UNIT_KIND_NAMES.get(need.kind, need.kind), "count": need.count,
                "limit_min": need.arrive_minutes,
                "unit_id": last["unit_id"].astype(object).where(last["unit_id"].notna(), None)
                .to_numpy(),
                "distance_m": last["distance_m"].to_numpy(dtype=float),
                "eta_min": last["eta_min"].to_numpy(dtype=float).round(1),
                "eta_source": last["eta_source"].to_numpy(),
            }, index=pts.index[pos]))
    if not rows:
        return pd.DataFrame(columns=["category", "plan", "kind", "kind_name", "count",
                                     "limit_min", "unit_id", "distance_m", "eta_min",
                                     "eta_source", "met"])
    out = pd.concat(rows)
    out["met"] = out["eta_min"].le(out["limit_min"])  # no unit of the kind: not met
    return out


def feasibility_summary(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How many incidents' plans cannot be met, and which kinds are too far.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`plan_feasibility`'s result.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per plan: ``incidents``, ``unmet`` (at least one kind late) and
        ``unmet_share``; per plan and kind: ``late`` (incidents where that kind
        is late), ``only_late`` (where it is the only late kind), ``late_share``
        and the median ``eta_min`` with the ``limit_min``.
    """
    if table.empty:
        return (pd.DataFrame(columns=["incidents", "unmet", "unmet_share"]),
                pd.DataFrame(columns=["late", "only_late", "late_share", "eta_min",
                                      "limit_min"]))
    late = ~table["met"]
    per_incident = late.groupby([table["plan"], table.index]).agg(["any", "sum"])
    plans = per_incident.groupby(level=0)["any"].agg(incidents="size", unmet="sum")
    plans["unmet_share"] = (plans["unmet"] / plans["incidents"]).round(3)
    lone = table.assign(_n=per_incident["sum"].reindex(
        pd.MultiIndex.from_arrays([table["plan"], table.index])).to_numpy())
    kinds = lone.assign(_late=late, _only=late & (lone["_n"] == 1)).groupby(
        ["plan", "kind"]).agg(late=("_late", "sum"), only_late=("_only", "sum"),
                              n=("_late", "size"), eta_min=("eta_min", "median"),
                              limit_min=("limit_min", "first"))
    kinds["late_share"] = (kinds["late"] / kinds.pop("n")).round(3)
    return plans, kinds[["late", "only_late", "late_share", "eta_min", "limit_min"]]
