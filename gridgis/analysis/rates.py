"""Counts and rates of incidents by area, category and time (事件统计).

:func:`incident_metrics` groups incidents by any of their columns (and by
``"month"`` or ``"week"`` of the report) and measures the closed loop:
counts, closure, on-time handling, handling time, escalation and call-back
satisfaction. :func:`area_rates` does the same per grid, community or
township and returns the areas themselves, ready to map, with incidents per
1,000 households. :func:`counts_over_time` gives the time series behind the
plots and the early warning.

Definitions (all rates are shares between 0 and 1):

- ``incidents``: reports in the group, including rejected ones;
  ``valid`` = incidents not rejected (invalid or duplicate reports).
- ``closure_rate`` = closed / valid.
- ``on_time_rate`` = on_time / due, where ``due`` counts valid incidents
  already resolved or whose handling deadline ``resolve_by`` has passed by
  ``now``, and ``on_time`` those with ``resolved_at <= resolve_by``. An
  overdue case still open therefore counts as late, not as missing.
- ``median_handling_hours``: median of ``resolved_at - reported_at``.
- ``escalation_rate`` = valid incidents escalated above the community
  (``escalation_level >= 1``) / valid.
- ``satisfaction``: mean call-back score (1-5); ``satisfied_rate`` the share
  of scores of 4 or 5 among the rated incidents.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis.analysis._common import (
    area_key,
    as_datetime,
    data_end,
    require_columns,
    to_projected,
)
from gridgis.errors import LayerError

__all__ = ["METRIC_COLUMNS", "SUMMED", "area_rates", "counts_over_time", "finish_metrics",
           "incident_metrics", "metric_parts"]

METRIC_COLUMNS: tuple[str, ...] = (
    "incidents", "valid", "closed", "closure_rate", "due", "on_time", "on_time_rate",
    "overdue_open", "median_handling_hours", "escalated", "escalation_rate", "rated",
    "satisfaction", "satisfied_rate",
)
"""Columns returned by :func:`incident_metrics`, in order."""

_NEEDED = ("reported_at", "status", "resolve_by", "resolved_at", "escalation_level",
           "satisfaction")
_TIME_KEYS = {"month": "%Y-%m", "week": None}


def _group_keys(incidents: pd.DataFrame, by: Sequence[str]) -> list[pd.Series]:
    keys = []
    for name in by:
        if name in _TIME_KEYS and name not in incidents.columns:
            reported = as_datetime(incidents["reported_at"])
            if name == "month":
                key = reported.dt.strftime("%Y-%m")
            else:  # week: the Monday the ISO week starts on
                key = (reported.dt.normalize()
                       - pd.to_timedelta(reported.dt.day_of_week, unit="D"))
            keys.append(key.rename(name))
        elif name in incidents.columns:
            keys.append(incidents[name].rename(name))
        else:
            raise LayerError(
                f"cannot group incidents by {name!r}: no such column; use a column of the "
                f"incidents layer or 'month' / 'week'", layer="incidents", column=name)
    return keys


def incident_metrics(incidents: pd.DataFrame, *, by: str | Sequence[str] = (),
                     now: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Measure counts, closure, on-time, handling-time, escalation and satisfaction.

    Parameters
    ----------
    incidents : pandas.DataFrame or geopandas.GeoDataFrame
        The incidents layer (or any subset of it).
    by : str or sequence of str, default ()
        Columns to group by, e.g. ``"township_code"``, ``["grid_code",
        "category"]``; ``"month"`` (``YYYY-MM``) and ``"week"`` (the Monday
        starting the week) are derived from ``reported_at``. Empty: one row
        for all incidents, labelled ``"all"``.
    now : timestamp, optional
        The moment of the analysis, which decides which open incidents are
        already overdue. Default: the latest timestamp in the incidents.

    Returns
    -------
    pandas.DataFrame
        One row per group (indexed by the group keys) with the columns of
        :data:`METRIC_COLUMNS`; see the module docstring for definitions.
        Rates of empty denominators are NaN.

    Raises
    ------
    LayerError
        If a needed column is missing or ``by`` names an unknown column.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import incident_metrics
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> m = incident_metrics(layers.incidents, by="category")
    >>> bool(m["closure_rate"].between(0, 1).all())
    True
    >>> int(incident_metrics(layers.incidents)["incidents"].iloc[0]) == len(layers.incidents)
    True
    """
    by = [by] if isinstance(by, str) else list(by)
    now = data_end(incidents) if now is None else pd.Timestamp(now)
    parts = metric_parts(incidents, by=by, now=now)
    if by:
        grouped = parts.groupby(by, sort=True)
        sums = grouped[list(SUMMED)].sum()
        sums["score"] = grouped["score"].mean()
        sums["hours"] = grouped["hours"].median()
    else:
        score, hours = parts["score"].to_numpy(), parts["hours"].to_numpy()
        sums = parts[list(SUMMED)].sum().to_frame("all").T
        sums["score"] = np.nanmean(score) if np.isfinite(score).any() else np.nan
        sums["hours"] = np.nanmedian(hours) if np.isfinite(hours).any() else np.nan
    return finish_metrics(sums)


SUMMED: tuple[str, ...] = ("incidents", "valid", "closed", "due", "on_time", "overdue_open",
                           "escalated", "rated", "satisfied")
"""The per-incident 0/1 columns of :func:`metric_parts` that groups add up."""


def metric_parts(incidents: pd.DataFrame, *, by: Sequence[str] = (),
                 now: pd.Timestamp) -> pd.DataFrame:
    """Each incident's share of the metrics: the rows :func:`incident_metrics` adds up.

    One row per incident (same index): the group keys of ``by`` (``month`` and
    ``week`` derived), the 0/1 columns of :data:`SUMMED`, ``score`` (the
    call-back score or NaN) and ``hours`` (handling hours of a resolved valid
    incident, else NaN). Groups of these rows, summed (means of ``score``,
    medians of ``hours``) and passed to :func:`finish_metrics`, give
    :func:`incident_metrics`: a partitioned archive (:mod:`gridgis.parallel`)
    computes them partition by partition.

    Raises
    ------
    LayerError
        If a needed column is missing or ``by`` names an unknown column.
    """
    require_columns(incidents, _NEEDED, layer="incidents", what="incident_metrics")
    reported = as_datetime(incidents["reported_at"])
    resolved = as_datetime(incidents["resolved_at"])
    resolve_by = as_datetime(incidents["resolve_by"])
    status = incidents["status"].astype(str)
    valid = (status != "rejected").to_numpy()
    is_resolved = resolved.notna().to_numpy() & valid
    due = is_resolved | (valid & (resolve_by < now).to_numpy())
    on_time = is_resolved & (resolved <= resolve_by).to_numpy()
    score = pd.to_numeric(incidents["satisfaction"], errors="coerce").to_numpy(dtype=float,
                                                                        copy=True)
    hours = ((resolved - reported).dt.total_seconds() / 3600).to_numpy(dtype=float, copy=True)
    hours[~is_resolved] = np.nan
    keys = {k.name: k.to_numpy() for k in _group_keys(incidents, list(by))}
    return pd.DataFrame({
        **keys,
        "incidents": 1,
        "valid": valid.astype(int),
        "closed": ((status == "closed").to_numpy() & valid).astype(int),
        "due": due.astype(int),
        "on_time": on_time.astype(int),
        "overdue_open": (due & ~is_resolved).astype(int),
        "escalated": (valid & (incidents["escalation_level"].to_numpy() >= 1)).astype(int),
        "rated": np.isfinite(score).astype(int),
        "satisfied": (score >= 4).astype(int),
        "score": score,
        "hours": hours,
    }, index=incidents.index)


def finish_metrics(sums: pd.DataFrame) -> pd.DataFrame:
    """The metrics of groups from their sums, mean ``score`` and median ``hours``.

    ``sums`` holds the :data:`SUMMED` columns added up per group, ``score`` and
    ``hours``; the answer has the columns of :data:`METRIC_COLUMNS`, rates of empty
    denominators NaN.
    """

    def ratio(num: str, den: str) -> pd.Series:
        d = sums[den].astype(float)
        return (sums[num] / d.where(d > 0)).astype(float)

    out = sums.copy()
    out["closure_rate"] = ratio("closed", "valid")
    out["on_time_rate"] = ratio("on_time", "due")
    out["escalation_rate"] = ratio("escalated", "valid")
    out["satisfied_rate"] = ratio("satisfied", "rated")
    out["satisfaction"] = sums["score"].astype(float)
    out["median_handling_hours"] = sums["hours"].astype(float)
    return out[list(METRIC_COLUMNS)]


def _infer_level(areas: pd.DataFrame) -> str:
    if "community_code" in areas.columns:
        return "grid"
    if "township_code" in areas.columns:
        return "community"
    if "district_code" in areas.columns:
        return "township"
    raise LayerError("cannot tell whether the areas are grids, communities or townships; "
                     "pass level='grid', 'community' or 'township'", layer="areas")


def _area_codes(areas: pd.DataFrame) -> pd.Series:
    if "code" in areas.columns:
        return areas["code"].astype(str)
    return pd.Series(areas.index.astype(str), index=areas.index)


def area_rates(incidents: pd.DataFrame, areas: gpd.GeoDataFrame, *, level: str | None = None,
               grids: gpd.GeoDataFrame | None = None,
               category: str | Sequence[str] | None = None,
               start: pd.Timestamp | str | None = None, end: pd.Timestamp | str | None = None,
               now: pd.Timestamp | str | None = None) -> gpd.GeoDataFrame:
    """Incident metrics per grid, community or township, as a layer to map.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The incidents layer.
    areas : geopandas.GeoDataFrame
        Grids, communities or townships; their ``code`` column (or the index
        when there is none) is matched to the incidents' area code.
    level : {"grid", "community", "township"}, optional
        Level of ``areas``; inferred from their columns when omitted.
    grids : geopandas.GeoDataFrame, optional
        The grid layer, to sum households up to communities or townships
        when ``areas`` has no ``households`` column.
    category : str or sequence of str, optional
        Keep only these incident categories (e.g. ``"D06"``).
    start, end : timestamp, optional
        Keep incidents reported at or after ``start`` and before ``end``.
    now : timestamp, optional
        Moment of the analysis (see :func:`incident_metrics`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``areas`` (same index, columns and geometry) with ``households``, the
        columns of :data:`METRIC_COLUMNS` (counts 0 where nothing happened),
        ``per_1000_households``, ``area_km2`` (measured in the local
        Gauss-Krüger plane) and ``incidents_per_km2``.

    Raises
    ------
    LayerError
        If a needed column is missing.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import area_rates
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> towns = area_rates(layers.incidents, layers.townships, grids=layers.grids)
    >>> int(towns["incidents"].sum()) == len(layers.incidents)
    True
    >>> towns.index.equals(layers.townships.index)
    True
    """
    level = _infer_level(areas) if level is None else level
    key = area_key(level)
    require_columns(incidents, (key, *_NEEDED), layer="incidents", what="area_rates")
    now = data_end(incidents) if now is None else pd.Timestamp(now)
    chosen = incidents
    if category is not None:
        wanted = [category] if isinstance(category, str) else list(category)
        chosen = chosen[chosen["category"].isin(wanted)]
    reported = as_datetime(chosen["reported_at"])
    if start is not None:
        chosen = chosen[(reported >= pd.Timestamp(start)).to_numpy()]
        reported = as_datetime(chosen["reported_at"])
    if end is not None:
        chosen = chosen[(reported < pd.Timestamp(end)).to_numpy()]
    codes = _area_codes(areas)
    metrics = incident_metrics(chosen, by=key, now=now)
    table = metrics.reindex(codes.to_numpy())
    table.index = areas.index
    for col in ("incidents", "valid", "closed", "due", "on_time", "overdue_open",
                "escalated", "rated"):
        table[col] = table[col].fillna(0).astype(int)
    out = areas.copy()
    if "households" not in out.columns:
        if grids is not None:
            require_columns(grids, ("households",), layer="grids", what="area_rates")
            width = len(codes.iloc[0]) if len(codes) else 0
            gcodes = _area_codes(grids)
            hh = grids["households"].groupby(gcodes.str.slice(0, width).to_numpy()).sum()
            out["households"] = codes.map(hh).fillna(0).astype(int).to_numpy()
        else:
            out["households"] = np.nan
    for col in METRIC_COLUMNS:
        out[col] = table[col]
    households = out["households"].astype(float)
    out["per_1000_households"] = out["incidents"] / households.where(households > 0) * 1000
    area = to_projected(out[[out.geometry.name]]).area.to_numpy() / 1e6
    out["area_km2"] = area
    out["incidents_per_km2"] = out["incidents"] / np.where(area > 0, area, np.nan)
    return out


def counts_over_time(incidents: pd.DataFrame, *, freq: str = "W-MON",
                     by: str | None = None) -> pd.DataFrame:
    """Incident counts per period, one column per group.

    Parameters
    ----------
    incidents : pandas.DataFrame
        The incidents layer (or a subset).
    freq : str, default "W-MON"
        A pandas frequency: ``"D"`` (days), ``"W-MON"`` (weeks labelled by
        their last day, a Monday), ``"MS"`` (months labelled by their
        first day).
    by : str, optional
        Column to split by, e.g. ``"category"`` or ``"township_code"``;
        without it the single column is ``"incidents"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by period (empty periods are 0), one column per group.

    Examples
    --------
    >>> import gridgis
    >>> from gridgis.analysis import counts_over_time
    >>> layers = gridgis.sample_district(scale=0.05)
    >>> monthly = counts_over_time(layers.incidents, freq="MS", by="category")
    >>> int(monthly.to_numpy().sum()) == len(layers.incidents)
    True
    """
    require_columns(incidents, ("reported_at",), layer="incidents", what="counts_over_time")
    frame = pd.DataFrame({"reported_at": as_datetime(incidents["reported_at"]).to_numpy()},
                         index=incidents.index)
    grouper = pd.Grouper(key="reported_at", freq=freq)
    if by is None:
        return frame.groupby(grouper).size().to_frame("incidents")
    require_columns(incidents, (by,), layer="incidents", what="counts_over_time")
    frame[by] = incidents[by].to_numpy()
    counts = frame.groupby([grouper, by]).size().unstack(by, fill_value=0)
    counts.columns = counts.columns.astype(str)
    counts.columns.name = by
    return counts

