"""Emergency plans at the incident: can the required forces arrive in time (预案可达性).

A plan ("1-3-5") asks, per unit kind, for a number of units on site within an
arrival limit. :func:`plan_reach` measures, by road, how soon the units of each
required kind could arrive at each incident: the ``count``-th nearest unit of
the kind (a plan asking for two fire engines waits for the second), and says
which kinds cannot arrive in time — the reason a plan cannot be met there,
whoever was dispatched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis.analysis._common import points_lonlat, require_columns
from gridgis.analysis.coverage import kind_name
from gridgis.errors import InputError
from gridgis.roads.network import RoadNetwork

__all__ = ["forces_of_category", "plan_reach"]


def forces_of_category(category: str, *, limit_min: float = 15.0,
                       categories: pd.DataFrame | None = None
                       ) -> list[tuple[str, int, float]]:
    """One unit of every responsible kind of a category, within `limit_min`.

    Examples
    --------
    >>> forces_of_category("X01")
    [('police_station', 1, 15.0), ('emergency', 1, 15.0), ('mediation_committee', 1, 15.0)]
    """
    from gridgis.categories import load_categories

    table = load_categories() if categories is None else categories
    if category not in table.index:
        raise InputError(f"未知事件类别 {category} / unknown category {category}",
                         field="category")
    return [(kind, 1, float(limit_min)) for kind in table.loc[category, "unit_kinds"]]


def _force(item: Any) -> tuple[str, int, float]:
    if isinstance(item, tuple):
        kind, count, limit = item
    else:  # an object with kind, count and arrive_minutes (a plan's force)
        kind, count, limit = item.kind, item.count, item.arrive_minutes
    if int(count) != count or count < 1 or not (np.isfinite(limit) and limit > 0):
        raise InputError(f"{kind}: 数量须为正整数、时限须为正数 / count must be a positive whole "
                         "number and the limit a positive number of minutes", field="forces")
    return str(kind), int(count), float(limit)


def plan_reach(incidents: gpd.GeoDataFrame, units: gpd.GeoDataFrame, network: RoadNetwork,
               forces: Sequence[Any]) -> pd.DataFrame:
    """How soon the forces a plan requires could be on site at each incident, by road.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points (``incident_id``; ``township_code`` is kept when present).
    units : geopandas.GeoDataFrame
        The units layer (``unit_id``, ``kind``).
    network : RoadNetwork
        The district's road network.
    forces : sequence
        The plan's requirements: ``(kind, count, arrive_minutes)`` tuples, or
        objects with those attributes (a plan's forces).

    Returns
    -------
    pandas.DataFrame
        The incidents' index; ``incident_id``, ``township_code``, one column of
        minutes per kind (the ``count``-th nearest unit; inf when there are
        fewer units or none reaches), ``met`` (every kind within its limit),
        ``late_kinds`` (the kinds that are not, as a tuple) and ``reason`` (in
        Chinese: each late kind with its minutes and limit).
    """
    require_columns(incidents, ("incident_id",), layer="incidents", what="plan reach (预案可达性)")
    require_columns(units, ("unit_id", "kind"), layer="units", what="plan reach (预案可达性)")
    wanted = [_force(f) for f in forces]
    if not wanted:
        raise InputError("预案没有要求任何单位 / the plan requires no unit", field="forces")
    out = pd.DataFrame({"incident_id": incidents["incident_id"].to_numpy()},
                       index=incidents.index)
    out["township_code"] = (incidents["township_code"].to_numpy()
                            if "township_code" in incidents.columns else None)
    if len(incidents) == 0:
        for kind, _, _ in wanted:
            out[kind] = np.zeros(0)
        out["met"] = np.zeros(0, bool)
        out["late_kinds"] = []
        out["reason"] = []
        return out
    ilon, ilat = points_lonlat(incidents)
    xy = network.plane(ilon, ilat)
    chosen = units[units["kind"].isin([k for k, _, _ in wanted])]
    if len(chosen):
        ulon, ulat = points_lonlat(chosen)
        table = network.origins(ulon, ulat).minutes_to(xy)
    kind_of = chosen["kind"].to_numpy()
    late = np.zeros((len(xy), len(wanted)), dtype=bool)
    for j, (kind, count, limit) in enumerate(wanted):
        rows = np.flatnonzero(kind_of == kind)
        if len(rows) < count:
            minutes = np.full(len(xy), np.inf)
        else:
            minutes = np.sort(table[rows], axis=0)[count - 1]
        out[kind] = minutes
        late[:, j] = ~(minutes <= limit)
    out["met"] = ~late.any(axis=1)
    out["late_kinds"] = [tuple(wanted[j][0] for j in np.flatnonzero(row)) for row in late]
    out["reason"] = [
        "；".join(_why(wanted[j], out[wanted[j][0]].iat[i]) for j in np.flatnonzero(late[i]))
        for i in range(len(out))]
    return out


def _why(force: tuple[str, int, float], minutes: float) -> str:
    kind, count, limit = force
    nth = "" if count == 1 else f"第{count}支"
    if not np.isfinite(minutes):
        return f"{kind_name(kind)}{nth}无法到达（时限 {limit:g} 分钟）"
    return f"{kind_name(kind)}{nth}需 {minutes:.1f} 分钟（时限 {limit:g} 分钟）"
