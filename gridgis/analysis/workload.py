"""Grid-worker workload and performance (网格员工作量与绩效).

"格中有人": every grid has its grid workers. :func:`grid_workload` puts each
grid's households, area, patrol effort and incidents over its number of
workers, and measures how the workers close the loop: how many incidents
they discover themselves and whether they verify handled incidents on site
in time (``verified_at - resolved_at`` within a limit, 24 hours by default).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis.analysis._common import (
    as_datetime,
    data_end,
    require_columns,
    to_projected,
)
from gridgis.visits import weekly_visits

__all__ = ["WORKLOAD_SUMMED", "grid_workload", "workload_parts"]


def _codes(frame: pd.DataFrame) -> pd.Series:
    if "code" in frame.columns:
        return frame["code"].astype(str)
    return pd.Series(frame.index.astype(str), index=frame.index)


def grid_workload(grids: gpd.GeoDataFrame, *, incidents: pd.DataFrame | None = None,
                  zones: gpd.GeoDataFrame | None = None,
                  visits_per_week: Mapping[str, float] | None = None,
                  verify_within: pd.Timedelta | str = "24h",
                  now: pd.Timestamp | str | None = None,
                  incident_table: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Workload per grid worker and on-site verification on time, per grid.

    Parameters
    ----------
    grids : geopandas.GeoDataFrame
        The grid layer (``households``, ``workers``).
    incidents : pandas.DataFrame, optional
        The incidents layer; without it the incident columns are left out.
    zones : geopandas.GeoDataFrame, optional
        The patrol-zone layer (``level``, ``grid_code``); without it the
        patrol columns are left out.
    visits_per_week : mapping of str to float, optional
        Patrol visits a week per level (default daily / twice a week /
        weekly for high / medium / low).
    verify_within : timedelta or str, default "24h"
        Time allowed between resolution and on-site verification.
    now : timestamp, optional
        Moment of the analysis: a resolved incident not yet verified counts
        as late once ``verify_within`` has passed by then. Default: the latest
        timestamp in the incidents.
    incident_table : pandas.DataFrame, optional
        Instead of ``incidents``: their sums per grid code (the columns of
        :data:`WORKLOAD_SUMMED` and ``median_verify_hours``), as a partitioned
        archive gives them (:mod:`gridgis.parallel`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``grids`` (same index) with ``area_km2``, ``households_per_worker``,
        ``area_km2_per_worker``; with zones ``patrol_visits_per_week`` (sum
        over the grid's zones), ``patrol_km2_per_week`` and their
        ``..._per_worker``; with incidents ``incidents``,
        ``incidents_per_worker``, ``discovered`` (reported by grid workers),
        ``discovered_per_worker``, ``verify_due`` (resolved incidents whose
        verification is done or overdue), ``verified_on_time``,
        ``verification_on_time_rate`` and ``median_verify_hours``; and
        ``load_index``, the geometric mean of the per-worker measures each
        divided by its district median (1 = a typical load, 2 = twice it).

    Raises
    ------
    LayerError
        If a needed column is missing.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import grid_workload
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> load = grid_workload(layers.grids, incidents=layers.incidents,
    ...                      zones=layers.patrol_zones)
    >>> load.index.equals(layers.grids.index)
    True
    >>> bool(load["verification_on_time_rate"].dropna().between(0, 1).all())
    True
    """
    require_columns(grids, ("households", "workers"), layer="grids", what="grid_workload")
    limit = pd.Timedelta(verify_within)
    if limit <= pd.Timedelta(0):
        raise ValueError(f"verify_within must be positive, got {verify_within}")
    codes = _codes(grids)
    out = grids.copy()
    workers = out["workers"].astype(float).where(out["workers"] > 0)
    out["area_km2"] = to_projected(out[[out.geometry.name]]).area.to_numpy() / 1e6
    out["households_per_worker"] = out["households"] / workers
    out["area_km2_per_worker"] = out["area_km2"] / workers
    per_worker = ["households_per_worker", "area_km2_per_worker"]

    if zones is not None:
        require_columns(zones, ("level", "grid_code"), layer="patrol_zones",
                        what="grid_workload")
        visits = weekly_visits(visits_per_week)
        zone_visits = zones["level"].astype(str).map(visits).fillna(0).to_numpy(dtype=float)
        zone_km2 = to_projected(zones[[zones.geometry.name]]).area.to_numpy() / 1e6
        by_grid = pd.DataFrame({"grid": zones["grid_code"].astype(str).to_numpy(),
                                "visits": zone_visits, "km2": zone_km2 * zone_visits})
        sums = by_grid.groupby("grid")[["visits", "km2"]].sum()
        out["patrol_visits_per_week"] = codes.map(sums["visits"]).fillna(0).to_numpy()
        out["patrol_km2_per_week"] = codes.map(sums["km2"]).fillna(0).to_numpy()
        out["patrol_visits_per_week_per_worker"] = out["patrol_visits_per_week"] / workers
        out["patrol_km2_per_week_per_worker"] = out["patrol_km2_per_week"] / workers
        per_worker += ["patrol_visits_per_week_per_worker", "patrol_km2_per_week_per_worker"]

    if incidents is not None:
        now = data_end(incidents) if now is None else pd.Timestamp(now)
        parts = workload_parts(incidents, verify_within=limit, now=now)
        grouped = parts.groupby("grid_code")
        table = grouped[list(WORKLOAD_SUMMED)].sum()
        table["median_verify_hours"] = grouped["hours"].median()
        incident_table = table
    if incident_table is not None:
        table = incident_table.reindex(codes.to_numpy())
        for col in WORKLOAD_SUMMED:
            out[col] = table[col].fillna(0).to_numpy().astype(int)
        out["incidents_per_worker"] = out["incidents"] / workers
        out["discovered_per_worker"] = out["discovered"] / workers
        due_n = out["verify_due"].astype(float)
        out["verification_on_time_rate"] = out["verified_on_time"] / due_n.where(due_n > 0)
        out["median_verify_hours"] = table["median_verify_hours"].to_numpy(float)
        per_worker += ["incidents_per_worker"]

    logs = [np.log((out[c] / out[c].median()).where(out[c] > 0))
            for c in per_worker if out[c].median() > 0]
    out["load_index"] = np.exp(pd.concat(logs, axis=1).mean(axis=1)) if logs else np.nan
    return out


WORKLOAD_SUMMED: tuple[str, ...] = ("incidents", "discovered", "verify_due", "verified_on_time")
"""The per-incident counts :func:`workload_parts` gives and grids add up."""


def workload_parts(incidents: pd.DataFrame, *, verify_within: pd.Timedelta,
                   now: pd.Timestamp) -> pd.DataFrame:
    """Each incident's share of its grid's workload (the rows :func:`grid_workload` adds up).

    ``grid_code`` (text), the 0/1 columns of :data:`WORKLOAD_SUMMED` and ``hours``
    (resolution to verification, of a verified valid incident, else NaN).

    Raises
    ------
    LayerError
        If a needed column is missing.
    """
    require_columns(incidents, ("grid_code", "source", "status", "resolved_at",
                                "verified_at"), layer="incidents", what="grid_workload")
    resolved = as_datetime(incidents["resolved_at"])
    verified = as_datetime(incidents["verified_at"])
    valid = (incidents["status"].astype(str) != "rejected").to_numpy()
    is_resolved = resolved.notna().to_numpy() & valid
    lag = verified - resolved
    done = is_resolved & verified.notna().to_numpy()
    due = done | (is_resolved & ((now - resolved) > verify_within).to_numpy())
    hours = (lag.dt.total_seconds() / 3600).to_numpy(dtype=float, copy=True)
    hours[~done] = np.nan
    return pd.DataFrame({
        "grid_code": incidents["grid_code"].astype(str).to_numpy(),
        "incidents": 1,
        "discovered": (incidents["source"].astype(str) == "grid_worker").to_numpy(int),
        "verify_due": due.astype(int),
        "verified_on_time": (done & (lag <= verify_within).to_numpy()).astype(int),
        "hours": hours,
    })
