"""Patrol compliance (巡查达标): visits against each zone's required frequency.

From the zone visits of the patrol log (:class:`gridgis.store.patrols.PatrolLog`
``.visits()``) and the patrol-zone layer:

- :func:`zone_compliance` — per zone the visits and visits per week against
  its level's requirement, the share of weeks that met it, the longest gap
  between visits (hours), the compliance ratio, and the state at the end
  of the period: ``missed`` (a high-frequency zone with no visit in the
  last 24 hours or fewer than its weekly visits in the last 7 days),
  ``behind`` (another zone under its weekly visits in the last 7 days) or
  ``on_track``;
- :func:`compliance_summary` — the same by level, grid, community…;
- :func:`worker_compliance` — per grid worker: patrols, days, kilometres,
  hours, visits, and the compliance of their grids' zones;
- :func:`patrol_vs_incidents` — patrol effort against incident density
  per zone (does more patrol go where incidents are?), with Spearman's rank
  correlation overall and per level.

Visits of one zone that overlap or follow each other within ``merge_hours``
(two workers walking it together, a worker passing twice in a morning)
count once.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis.analysis._common import require_columns, to_projected
from gridgis.schemas import PATROL_LEVELS
from gridgis.visits import weekly_visits

__all__ = ["STATUS_NAMES", "compliance_summary", "patrol_vs_incidents", "worker_compliance",
           "zone_compliance"]

STATUS_NAMES = {"missed": "漏巡", "behind": "滞后", "on_track": "达标"}
"""The Chinese name of each compliance state (red, yellow, green in the console)."""
_HOUR = pd.Timedelta(hours=1)


def _occasions(visits: pd.DataFrame, merge_hours: float) -> pd.DataFrame:
    """Visits of each zone merged when they overlap or follow within ``merge_hours``."""
    if visits.empty:
        return pd.DataFrame({"zone_id": pd.Series(dtype=object),
                             "entered_at": pd.Series(dtype="datetime64[ns]"),
                             "left_at": pd.Series(dtype="datetime64[ns]")})
    v = visits[["zone_id", "entered_at", "left_at"]].copy()
    v["entered_at"] = pd.to_datetime(v["entered_at"])
    v["left_at"] = pd.to_datetime(v["left_at"])
    v = v.sort_values(["zone_id", "entered_at"], kind="stable").reset_index(drop=True)
    reach = v.groupby("zone_id")["left_at"].cummax()
    prev = reach.groupby(v["zone_id"]).shift()
    new = prev.isna() | (v["entered_at"] - prev > merge_hours * _HOUR)
    key = new.cumsum()
    return v.groupby(key).agg(zone_id=("zone_id", "first"), entered_at=("entered_at", "min"),
                              left_at=("left_at", "max")).reset_index(drop=True)


def zone_compliance(zones: gpd.GeoDataFrame, visits: pd.DataFrame, *,
                    start: pd.Timestamp | str, end: pd.Timestamp | str,
                    visits_per_week: Mapping[str, float] | None = None,
                    merge_hours: float = 1.0) -> pd.DataFrame:
    """Visits of every patrol zone in [start, end) against its level's frequency.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The patrol-zone layer (``zone_id``, ``level``, ``grid_code``).
    visits : pandas.DataFrame
        Zone visits: ``zone_id``, ``entered_at``, ``left_at`` (naive times).
    start, end : Timestamp or str
        The period; its end is "now" for the missed / behind states.
    visits_per_week : mapping, optional
        Required visits a week per level (default 7 / 2 / 1).
    merge_hours : float, default 1
        Visits of a zone this close count once.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``zones``: ``zone_id``, ``level``, ``grid_code``,
        ``visits``, ``weeks``, ``visits_per_week``, ``required_per_week``,
        ``compliance`` (visits over required, at most 1), ``weeks_met_share``
        (whole weeks from ``start`` with at least the required visits),
        ``longest_gap_h`` (the longest time without a visit, the period's
        ends included), ``last_visit_at``, ``visits_last_7d``,
        ``hours_since_last`` and ``status``.

    Examples
    --------
    >>> import shapely
    >>> z = gpd.GeoDataFrame({"zone_id": ["A"], "level": ["medium"], "grid_code": ["g"]},
    ...                      geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    >>> v = pd.DataFrame({"zone_id": ["A", "A"],
    ...                   "entered_at": pd.to_datetime(["2026-10-02 09:00", "2026-10-12 09:00"]),
    ...                   "left_at": pd.to_datetime(["2026-10-02 10:00", "2026-10-12 10:00"])})
    >>> t = zone_compliance(z, v, start="2026-10-01", end="2026-10-15")
    >>> r = t.iloc[0]
    >>> int(r["visits"]), float(r["compliance"]), float(r["longest_gap_h"]), r["status"]
    (2, 0.5, 239.0, 'behind')
    """
    require_columns(zones, ("zone_id", "level", "grid_code"), layer="patrol_zones",
                    what="zone_compliance")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end <= start:
        raise ValueError(f"the period must end after it starts ({start} → {end})")
    need = weekly_visits(visits_per_week)
    unknown = sorted(set(zones["level"].astype(str)) - set(need))
    if unknown:
        raise ValueError(f"no patrol frequency for level(s) {', '.join(unknown)}")
    v = visits[(pd.to_datetime(visits["entered_at"]) < end)
               & (pd.to_datetime(visits["left_at"]) >= start)] if len(visits) else visits
    occ = _occasions(v, merge_hours)
    occ = occ[occ["zone_id"].isin(set(zones["zone_id"].astype(str)))]
    weeks = (end - start) / pd.Timedelta(weeks=1)
    out = pd.DataFrame({"zone_id": zones["zone_id"].astype(str),
                        "level": zones["level"].astype(str),
                        "grid_code": zones["grid_code"].astype(str)}, index=zones.index)
    count = occ.groupby("zone_id").size()
    out["visits"] = out["zone_id"].map(count).fillna(0).astype(int)
    out["weeks"] = weeks
    out["visits_per_week"] = out["visits"] / weeks
    out["required_per_week"] = out["level"].map(need).astype(float)
    required = out["required_per_week"] * weeks
    out["compliance"] = np.minimum(1.0, out["visits"] / required.where(required > 0)).fillna(1.0)
    # whole weeks from start that met the requirement
    full = max(int(weeks), 1)
    week_no = ((occ["entered_at"].clip(lower=start) - start) // pd.Timedelta(weeks=1)
               ).astype(int)
    per_week = occ[week_no < full].groupby([occ["zone_id"], week_no]).size()
    met = np.zeros(len(out))
    if len(per_week):
        table = per_week.unstack(fill_value=0).reindex(columns=range(full), fill_value=0)
        table = table.reindex(out["zone_id"], fill_value=0)
        met = (table.to_numpy() >= np.ceil(out["required_per_week"].to_numpy()[:, None] - 1e-9)
               ).mean(axis=1)
    out["weeks_met_share"] = np.where(out["required_per_week"] > 0, met, 1.0)
    # gaps: from start to the first visit, between visits, from the last to end
    bounds = pd.concat([
        pd.DataFrame({"zone_id": out["zone_id"], "entered_at": start, "left_at": start}),
        occ, pd.DataFrame({"zone_id": out["zone_id"], "entered_at": end, "left_at": end})],
        ignore_index=True).sort_values(["zone_id", "entered_at"], kind="stable")
    prev = bounds.groupby("zone_id")["left_at"].shift()
    gap = (bounds["entered_at"] - prev).dt.total_seconds() / 3600
    out["longest_gap_h"] = out["zone_id"].map(gap.groupby(bounds["zone_id"]).max()).round(1)
    last = occ.groupby("zone_id")["left_at"].max()
    out["last_visit_at"] = pd.to_datetime(last.reindex(out["zone_id"]).to_numpy())
    recent = occ[occ["left_at"] > end - pd.Timedelta(days=7)].groupby("zone_id").size()
    out["visits_last_7d"] = out["zone_id"].map(recent).fillna(0).astype(int)
    out["hours_since_last"] = ((end - out["last_visit_at"]).dt.total_seconds() / 3600).round(1)
    high = out["level"] == "high"
    below = out["visits_last_7d"] < np.ceil(out["required_per_week"] - 1e-9)
    stale = out["hours_since_last"].isna() | (out["hours_since_last"] > 24)
    out["status"] = np.where(high & (stale | below), "missed",
                             np.where(~high & below, "behind", "on_track"))
    return out


def _order(index: pd.Index) -> list[str]:
    return [lv for lv in PATROL_LEVELS if lv in index] + [
        lv for lv in index if lv not in PATROL_LEVELS]


def compliance_summary(table: pd.DataFrame, by: str = "level") -> pd.DataFrame:
    """Zone compliance summed up by ``level``, ``grid_code`` or another column.

    Returns
    -------
    pandas.DataFrame
        ``zones``, ``visits``, ``required`` (visits the period needed),
        ``compliance`` (visits made over visits needed, each zone capped at
        its need), ``mean_weeks_met``, ``on_track_share``, ``missed``,
        ``behind`` and ``median_longest_gap_h``; levels in the order high,
        medium, low.

    Examples
    --------
    >>> t = pd.DataFrame({"level": ["high", "high"], "visits": [7, 3], "weeks": [1.0, 1.0],
    ...                   "required_per_week": [7.0, 7.0], "weeks_met_share": [1.0, 0.0],
    ...                   "status": ["on_track", "missed"], "longest_gap_h": [30.0, 80.0]})
    >>> s = compliance_summary(t).loc["high"]
    >>> round(float(s["compliance"]), 4), int(s["missed"])
    (0.7143, 1)
    """
    require_columns(table, ("visits", "weeks", "required_per_week", "weeks_met_share",
                            "status", "longest_gap_h", by), layer="zone compliance",
                    what="compliance_summary (run zone_compliance first)")
    t = table.assign(required=table["required_per_week"] * table["weeks"])
    t["credited"] = np.minimum(t["visits"], t["required"])
    g = t.groupby(by)
    out = pd.DataFrame({
        "zones": g.size(), "visits": g["visits"].sum(), "required": g["required"].sum(),
        "credited": g["credited"].sum(), "mean_weeks_met": g["weeks_met_share"].mean(),
        "on_track_share": g["status"].apply(lambda s: float((s == "on_track").mean())),
        "missed": g["status"].apply(lambda s: int((s == "missed").sum())),
        "behind": g["status"].apply(lambda s: int((s == "behind").sum())),
        "median_longest_gap_h": g["longest_gap_h"].median()})
    out["compliance"] = out["credited"] / out["required"].where(out["required"] > 0)
    out = out.drop(columns="credited")
    if by == "level":
        out = out.loc[_order(out.index)]
    cols = ["zones", "visits", "required", "compliance", "mean_weeks_met", "on_track_share",
            "missed", "behind", "median_longest_gap_h"]
    return out[cols]


def worker_compliance(patrols: pd.DataFrame, visits: pd.DataFrame, table: pd.DataFrame, *,
                      grids_of: Mapping[str, tuple[str, ...]] | None = None) -> pd.DataFrame:
    """Per grid worker: effort and the compliance of their grids' zones.

    Parameters
    ----------
    patrols : pandas.DataFrame
        Patrols of the period (``person``, ``started_at``, ``ended_at``, ``length_m``,
        ``grid_code``).
    visits : pandas.DataFrame
        Their zone visits (``person``, ``zone_id``).
    table : pandas.DataFrame
        :func:`zone_compliance` of the period.
    grids_of : mapping, optional
        Each worker's grids (default: the grids of their patrols).

    Returns
    -------
    pandas.DataFrame
        Indexed by person: ``patrols``, ``days``, ``km``, ``hours``,
        ``visits``, ``zones_visited``, ``grid_zones`` and ``grid_compliance``
        (the compliance of the zones of their grids, whoever walked them).
    """
    p = patrols.copy()
    p["day"] = pd.to_datetime(p["started_at"]).dt.normalize()
    p["hours"] = (pd.to_datetime(p["ended_at"]) - pd.to_datetime(p["started_at"])
                  ).dt.total_seconds() / 3600
    g = p.groupby("person")
    out = pd.DataFrame({"patrols": g.size(), "days": g["day"].nunique(),
                        "km": g["length_m"].sum() / 1000, "hours": g["hours"].sum()})
    vg = visits.groupby("person")
    out["visits"] = vg.size().reindex(out.index).fillna(0).astype(int)
    out["zones_visited"] = vg["zone_id"].nunique().reindex(out.index).fillna(0).astype(int)
    if grids_of is None:
        grids_of = {k: tuple(sorted(set(v))) for k, v in g["grid_code"].agg(list).items()}
    else:
        extra = pd.Index(sorted(set(grids_of) - set(out.index)), name=out.index.name)
        out = pd.concat([out, pd.DataFrame(0, index=extra, columns=out.columns)])
    by_grid = table.groupby("grid_code").agg(zones=("zone_id", "size"),
                                             visits=("visits", "sum"),
                                             need=("required_per_week", "sum"),
                                             weeks=("weeks", "first"))
    credited = (np.minimum(table["visits"], table["required_per_week"] * table["weeks"])
                .groupby(table["grid_code"]).sum())
    zones_n, comp = [], []
    for person in out.index:
        grids = [gc for gc in grids_of.get(person, ()) if gc in by_grid.index]
        need = float((by_grid.loc[grids, "need"] * by_grid.loc[grids, "weeks"]).sum())
        zones_n.append(int(by_grid.loc[grids, "zones"].sum()))
        comp.append(float(credited.loc[grids].sum()) / need if need > 0 else np.nan)
    out["grid_zones"] = zones_n
    out["grid_compliance"] = comp
    out.index.name = "person"
    return out


def patrol_vs_incidents(table: pd.DataFrame, zones: gpd.GeoDataFrame,
                        incidents: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patrol effort against incident density per zone (does more patrol go where incidents are).

    Effort is a zone's visits per week (from :func:`zone_compliance`);
    density its incidents per km² (Gauss-Krüger plane). Spearman's rank
    correlation (scipy) is given over all zones and within each level (the
    level itself sets most of the effort, so the within-level figure says
    whether workers go more where more happens).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per zone (``table``'s index): ``visits_per_week``, ``incidents``,
        ``area_km2``, ``incidents_per_km2``, ``effort_rank``,
        ``density_rank``; and per level plus ``all``: ``zones``,
        ``mean_visits_per_week``, ``incidents_per_km2`` (pooled),
        ``spearman_rho`` and ``p_value``.
    """
    from scipy.stats import spearmanr

    zones_m = to_projected(zones[[zones.geometry.name]].reset_index(drop=True))
    pts = gpd.GeoDataFrame(geometry=incidents.geometry.values, crs=incidents.crs
                           ).to_crs(zones_m.crs)
    hit = gpd.sjoin(pts, zones_m, predicate="within", how="inner")
    hit = hit[~hit.index.duplicated(keep="first")]
    counts = np.bincount(hit["index_right"].to_numpy(int), minlength=len(zones))
    per_zone = pd.DataFrame({"level": zones["level"].astype(str).to_numpy(),
                             "visits_per_week": table["visits_per_week"].to_numpy(),
                             "incidents": counts,
                             "area_km2": zones_m.area.to_numpy() / 1e6}, index=zones.index)
    per_zone["incidents_per_km2"] = per_zone["incidents"] / per_zone["area_km2"]
    per_zone["effort_rank"] = per_zone["visits_per_week"].rank(pct=True)
    per_zone["density_rank"] = per_zone["incidents_per_km2"].rank(pct=True)

    def row(part: pd.DataFrame) -> dict[str, float]:
        rho = p = np.nan
        if len(part) >= 3 and part["visits_per_week"].nunique() > 1 and \
                part["incidents_per_km2"].nunique() > 1:
            res = spearmanr(part["visits_per_week"], part["incidents_per_km2"])
            rho, p = float(res.statistic), float(res.pvalue)
        return {"zones": len(part), "mean_visits_per_week": part["visits_per_week"].mean(),
                "incidents_per_km2": part["incidents"].sum() / part["area_km2"].sum(),
                "spearman_rho": rho, "p_value": p}

    levels = {lv: row(part) for lv, part in per_zone.groupby("level")}
    summary = pd.DataFrame.from_dict(levels, orient="index")
    summary = summary.loc[_order(summary.index)]
    summary.loc["all"] = row(per_zone)
    summary.index.name = "level"
    return per_zone.drop(columns="level"), summary
