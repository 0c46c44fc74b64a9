"""Patrol coverage: incidents and patrol effort in high / medium / low zones (巡查覆盖).

Each patrol-frequency zone (高、中、低频率巡查区域) has a level, and each level
a patrol interval: by default high zones are patrolled daily (7 visits a
week), medium zones twice a week and low zones weekly. :func:`patrol_coverage`
counts the incidents inside every zone and sets them against the zone's area
(km², measured in the local CGCS2000 Gauss-Krüger plane) and patrol effort;
:func:`patrol_summary` sums that up by level; :func:`patrol_level_review`
flags zones whose level looks wrong for what happens in them.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis.analysis._common import as_datetime, require_columns, to_projected
from gridgis.schemas import PATROL_LEVELS
from gridgis.visits import weekly_visits

__all__ = ["patrol_coverage", "patrol_level_review", "patrol_summary"]


def _weeks(incidents: pd.DataFrame, weeks: float | None) -> float:
    if weeks is not None:
        if weeks <= 0:
            raise ValueError(f"weeks must be positive, got {weeks}")
        return float(weeks)
    reported = as_datetime(incidents["reported_at"])
    if reported.notna().sum() == 0:
        return 1.0
    span = (reported.max() - reported.min()) / pd.Timedelta(weeks=1)
    return max(float(span), 1.0)


def patrol_coverage(zones: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, *,
                    visits_per_week: Mapping[str, float] | None = None,
                    weeks: float | None = None,
                    visits: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """Incidents, incident density and patrol effort of every patrol zone.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The patrol-zone layer (``level`` high / medium / low).
    incidents : geopandas.GeoDataFrame
        Incident points; each is counted in the zone that contains it.
    visits_per_week : mapping of str to float, optional
        Patrol visits a week per level; defaults ``{"high": 7, "medium": 2,
        "low": 1}`` (daily, twice a week, weekly), partly overridable.
    weeks : float, optional
        Length of the period the incidents cover, in weeks; default the span
        of their ``reported_at`` (at least one week).
    visits : pandas.DataFrame, optional
        Real zone visits from the patrol log (``zone_id``, ``entered_at``;
        :meth:`gridgis.store.patrols.PatrolLog.visits`). Given, the effort is
        what was walked: ``visits_per_week`` is each zone's visits over the
        span of the visits (whole weeks, at least one); without it, each
        level's required frequency is assumed (the old behaviour).

    Returns
    -------
    geopandas.GeoDataFrame
        ``zones`` (same index) with ``area_km2``, ``incidents``,
        ``incidents_per_km2``, ``visits_per_week`` (assumed, or measured
        when ``visits`` are given), ``patrol_km2_per_week``
        (area × visits), ``patrol_visits`` (visits made in the period) and
        ``incidents_per_visit``.

    Raises
    ------
    LayerError
        If a needed column is missing.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import patrol_coverage
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> cov = patrol_coverage(layers.patrol_zones, layers.incidents)
    >>> cov.index.equals(layers.patrol_zones.index)
    True
    >>> int(cov["incidents"].sum()) <= len(layers.incidents)
    True
    """
    require_columns(zones, ("level",), layer="patrol_zones", what="patrol_coverage")
    require_columns(incidents, ("reported_at",), layer="incidents", what="patrol_coverage")
    made_visits = visits
    visits = weekly_visits(visits_per_week)
    unknown = sorted(set(zones["level"].astype(str)) - set(visits))
    if unknown:
        raise ValueError(f"no patrol interval for level(s) {', '.join(unknown)}; "
                         "add them to visits_per_week")
    zones_m = to_projected(zones[[zones.geometry.name]].reset_index(drop=True))
    points = gpd.GeoDataFrame(geometry=incidents.geometry.values, crs=incidents.crs)
    points_m = points.to_crs(zones_m.crs)
    hit = gpd.sjoin(points_m, zones_m, predicate="within", how="inner")
    hit = hit[~hit.index.duplicated(keep="first")]
    counts = np.bincount(hit["index_right"].to_numpy(dtype=int), minlength=len(zones))
    n_weeks = _weeks(incidents, weeks)
    out = zones.copy()
    out["area_km2"] = zones_m.area.to_numpy() / 1e6
    out["incidents"] = counts
    area = out["area_km2"].where(out["area_km2"] > 0)
    out["incidents_per_km2"] = out["incidents"] / area
    out["visits_per_week"] = out["level"].astype(str).map(visits).astype(float)
    if made_visits is not None:
        require_columns(made_visits, ("zone_id", "entered_at"), layer="patrol visits",
                        what="patrol_coverage")
        require_columns(zones, ("zone_id",), layer="patrol_zones", what="patrol_coverage")
        entered = as_datetime(made_visits["entered_at"])
        span = (entered.max() - entered.min()) / pd.Timedelta(weeks=1) if len(entered) else 1.0
        walked = np.ceil(max(float(span), 1.0))
        count = made_visits.groupby(made_visits["zone_id"].astype(str)).size()
        out["visits_per_week"] = (zones["zone_id"].astype(str).map(count).fillna(0)
                                  .to_numpy(float) / walked)
    out["patrol_km2_per_week"] = out["area_km2"] * out["visits_per_week"]
    out["patrol_visits"] = out["visits_per_week"] * n_weeks
    made = out["patrol_visits"]
    out["incidents_per_visit"] = out["incidents"] / made.where(made > 0)
    return out


def patrol_summary(coverage: pd.DataFrame) -> pd.DataFrame:
    """Zones, area, incidents, density and patrol effort by patrol level.

    Parameters
    ----------
    coverage : pandas.DataFrame
        Output of :func:`patrol_coverage`.

    Returns
    -------
    pandas.DataFrame
        Indexed by level (high, medium, low first, then any other), with
        ``zones``, ``area_km2``, ``area_share``, ``incidents``,
        ``incident_share``, ``incidents_per_km2`` (pooled), ``median_zone_density``,
        ``visits_per_week``, ``patrol_km2_per_week`` and
        ``incidents_per_visit`` (pooled).

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import patrol_coverage, patrol_summary
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> table = patrol_summary(patrol_coverage(layers.patrol_zones, layers.incidents))
    >>> round(float(table["area_share"].sum()), 6)
    1.0
    """
    require_columns(coverage, ("level", "area_km2", "incidents", "incidents_per_km2",
                               "visits_per_week", "patrol_km2_per_week",
                               "patrol_visits"),
                    layer="patrol coverage", what="patrol_summary (run patrol_coverage first)")
    frame = pd.DataFrame(coverage.drop(columns=coverage.geometry.name)
                         if isinstance(coverage, gpd.GeoDataFrame) else coverage)
    grouped = frame.groupby(frame["level"].astype(str))
    table = pd.DataFrame({
        "zones": grouped.size(),
        "area_km2": grouped["area_km2"].sum(),
        "incidents": grouped["incidents"].sum(),
        "median_zone_density": grouped["incidents_per_km2"].median(),
        "visits_per_week": grouped["visits_per_week"].first(),
        "patrol_km2_per_week": grouped["patrol_km2_per_week"].sum(),
    })
    table["area_share"] = table["area_km2"] / table["area_km2"].sum()
    table["incident_share"] = table["incidents"] / max(int(table["incidents"].sum()), 1)
    table["incidents_per_km2"] = table["incidents"] / table["area_km2"]
    visits = grouped["patrol_visits"].sum()
    table["incidents_per_visit"] = table["incidents"] / visits.where(visits > 0)
    order = [lv for lv in PATROL_LEVELS if lv in table.index]
    order += [lv for lv in table.index if lv not in order]
    table.index.name = "level"
    return table.loc[order, ["zones", "area_km2", "area_share", "incidents", "incident_share",
                             "incidents_per_km2", "median_zone_density", "visits_per_week",
                             "patrol_km2_per_week", "incidents_per_visit"]]


def patrol_level_review(coverage: gpd.GeoDataFrame, *, up_quantile: float = 0.75,
                        down_quantile: float = 0.1, min_incidents: int = 5,
                        levels: tuple[str, ...] = PATROL_LEVELS) -> gpd.GeoDataFrame:
    """Flag zones whose patrol level should go up or down.

    The rule compares each zone's incident density with the densities of the
    zones at other levels:

    - **raise**: a zone with at least ``min_incidents`` incidents whose
      density reaches the ``up_quantile`` of a more frequent level's zones
      (by default: it ranks in the upper quartile of the high zones) → that level
      (the most frequent one it qualifies for);
    - **lower**: a zone whose density is at most the ``down_quantile`` of a
      less frequent level's zones (by default: sparser than 90 % of the
      medium zones; "a high zone with almost none") → that level (the least
      frequent one it qualifies for);
    - otherwise **keep**.

    Parameters
    ----------
    coverage : geopandas.GeoDataFrame
        Output of :func:`patrol_coverage`.
    up_quantile : float, default 0.75
        Quantile of the higher level a zone must reach to be raised (0.5:
        as dense as the median zone of that level).
    down_quantile : float, default 0.1
        Quantile of the lower level a zone must fall to to be lowered.
    min_incidents : int, default 5
        Fewest incidents for a raise (a tiny zone with two incidents is
        dense only by accident).
    levels : tuple of str, default ("high", "medium", "low")
        Levels from most to least frequent.

    Returns
    -------
    geopandas.GeoDataFrame
        ``coverage`` (same index) with ``suggested_level``, ``change``
        (``"raise"``, ``"lower"`` or ``"keep"``) and ``reason``.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import patrol_coverage, patrol_level_review
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> review = patrol_level_review(patrol_coverage(layers.patrol_zones, layers.incidents))
    >>> set(review["change"]) <= {"raise", "lower", "keep"}
    True
    """
    require_columns(coverage, ("level", "incidents", "incidents_per_km2"),
                    layer="patrol coverage",
                    what="patrol_level_review (run patrol_coverage first)")
    if not (0 < up_quantile < 1 and 0 < down_quantile < 1):
        raise ValueError("up_quantile and down_quantile must lie between 0 and 1")
    level = coverage["level"].astype(str).to_numpy()
    density = coverage["incidents_per_km2"].fillna(0).to_numpy(dtype=float)
    count = coverage["incidents"].to_numpy()
    rank = {lv: i for i, lv in enumerate(levels)}
    up_at = {lv: float(np.quantile(density[level == lv], up_quantile))
             for lv in levels if (level == lv).any()}
    down_at = {lv: float(np.quantile(density[level == lv], down_quantile))
               for lv in levels if (level == lv).any()}
    suggested = level.astype(object).copy()
    change = np.full(len(level), "keep", dtype=object)
    reason = np.full(len(level), "", dtype=object)
    for i, (lv, d) in enumerate(zip(level, density, strict=True)):
        if lv not in rank:
            continue
        higher = [h for h in levels[: rank[lv]] if h in up_at]  # most frequent first
        lower = [h for h in levels[rank[lv] + 1:] if h in down_at][::-1]  # least first
        target = next((h for h in higher if count[i] >= min_incidents and d >= up_at[h]), None)
        if target is not None:
            suggested[i], change[i] = target, "raise"
            reason[i] = (f"{d:.0f} incidents/km² reaches the {up_quantile:.0%} quantile of "
                         f"{target} zones ({up_at[target]:.0f})")
            continue
        target = next((h for h in lower if d <= down_at[h]), None)
        if target is not None:
            suggested[i], change[i] = target, "lower"
            reason[i] = (f"{d:.0f} incidents/km² is at most the {down_quantile:.0%} quantile "
                         f"of {target} zones ({down_at[target]:.0f})")
    out = coverage.copy()
    out["suggested_level"] = suggested
    out["change"] = change
    out["reason"] = reason
    return out
