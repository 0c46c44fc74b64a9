"""The analyses' sums on a Dask cluster: the same answers as the single-machine functions.

Each partition of incidents gives its rows' shares (:func:`gridgis.analysis.rates.
metric_parts`); Dask adds them up per group (sums, the mean call-back score, the
median handling time by a shuffle: exact, not approximate) and
:func:`gridgis.analysis.rates.finish_metrics` turns them into rates, as
:func:`gridgis.analysis.incident_metrics` does on one machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from gridgis.analysis.early_warning import (
    warning_counts,
    warning_key,
    warning_table,
    warning_window,
)
from gridgis.analysis.rates import SUMMED, data_end, finish_metrics, metric_parts
from gridgis.analysis.workload import WORKLOAD_SUMMED, grid_workload, workload_parts

__all__ = ["archive_end", "area_counts_dask", "early_warning_dask", "metrics_dask",
           "workload_dask"]

_ALL = "__all__"


def archive_end(incidents: Any) -> pd.Timestamp:
    """The latest timestamp of a partitioned archive.

    Each partition's latest timestamp (as the single-machine analyses take "now"),
    then the latest of those.
    """
    ends = incidents.map_partitions(lambda part: pd.Series([data_end(part)]),
                                    meta=pd.Series([], dtype="datetime64[ns]"))
    return pd.Timestamp(ends.max().compute())


def metrics_dask(incidents: Any, *, by: str | Sequence[str] = (),
                 now: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """:func:`gridgis.analysis.incident_metrics` of a Dask (Geo)DataFrame of incidents.

    Parameters
    ----------
    incidents : dask DataFrame
        The incidents, partitioned (``dask_geopandas.read_parquet``).
    by, now
        As :func:`~gridgis.analysis.incident_metrics` (``now`` default: the
        archive's latest timestamp).

    Returns
    -------
    pandas.DataFrame
        The same table as the single-machine function.
    """
    by = [by] if isinstance(by, str) else list(by)
    now = archive_end(incidents) if now is None else pd.Timestamp(now)
    keys = by or [_ALL]
    meta_parts = metric_parts(incidents._meta, by=by, now=now)
    if not by:
        meta_parts[_ALL] = "all"
    parts = incidents.map_partitions(_parts, by, now, meta=meta_parts)
    grouped = parts.groupby(keys if len(keys) > 1 else keys[0], sort=True)
    sums = grouped[list(SUMMED)].sum()
    scored = grouped["score"].agg(["sum", "count"])
    hours = grouped["hours"].median(shuffle_method="tasks")
    sums, scored, hours = _compute(sums, scored, hours)
    sums = sums.sort_index()
    sums["score"] = (scored["sum"] / scored["count"].where(scored["count"] > 0)).reindex(
        sums.index)
    sums["hours"] = hours.reindex(sums.index)
    if not by:
        sums.index = pd.Index(["all"])
    return finish_metrics(sums)


def _parts(part: pd.DataFrame, by: list[str], now: pd.Timestamp) -> pd.DataFrame:
    out = metric_parts(part, by=by, now=now)
    if not by:
        out[_ALL] = "all"
    return out


def _compute(*collections: Any) -> tuple[Any, ...]:
    import dask

    return dask.compute(*collections)


def area_counts_dask(incidents: Any, key: str) -> pd.Series:
    """Incidents per area code (``key``, e.g. ``grid_code``): the hotspots' input column.

    Returns
    -------
    pandas.Series
        Counts by code, sorted by code (areas without incidents absent: reindex
        onto the layer with ``fill_value=0``).
    """
    counts = incidents[key].dropna().value_counts().compute()
    return counts.sort_index().rename("incidents").rename_axis(key)


def early_warning_dask(incidents: Any, *, level: str = "township", window_days: int = 28,
                       baseline_days: int | None = None, start: Any = None, end: Any = None,
                       categories: Sequence[str] | None = None, alpha: float = 0.05,
                       correction: str = "fdr_bh", min_count: int = 3) -> pd.DataFrame:
    """:func:`gridgis.analysis.early_warning` of a Dask (Geo)DataFrame of incidents.

    The first and last reports are two reductions; each partition counts its
    reports per area × category in the window and the baseline
    (:func:`~gridgis.analysis.early_warning.warning_counts`); the counts are added
    up and tested as on one machine. Arguments and answer as ``early_warning``.
    """
    import dask

    key = warning_key(level)
    if window_days <= 0:
        raise ValueError(f"window_days must be positive, got {window_days}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha}")
    first, last = dask.compute(incidents["reported_at"].min(), incidents["reported_at"].max())
    window = warning_window(pd.Timestamp(first), pd.Timestamp(last), window_days=window_days,
                            baseline_days=baseline_days, start=start, end=end)
    meta = _flat_counts(incidents._meta, key, window, categories)
    partial = incidents.map_partitions(_flat_counts, key, window, categories, meta=meta)
    names = [key or "area", "category"]
    counts = partial.compute().groupby(names, sort=True)[["recent", "baseline"]].sum()
    return warning_table(counts.astype(int), window=window, window_days=window_days,
                         alpha=alpha, correction=correction, min_count=min_count)


def _flat_counts(part: pd.DataFrame, key: str | None, window: Any,
                 categories: Sequence[str] | None) -> pd.DataFrame:
    return warning_counts(part, key=key, window=window, categories=categories).reset_index()


def workload_dask(grids: Any, incidents: Any, *, zones: Any = None,
                  visits_per_week: Any = None, verify_within: pd.Timedelta | str = "24h",
                  now: pd.Timestamp | str | None = None) -> Any:
    """:func:`gridgis.analysis.grid_workload` with a Dask (Geo)DataFrame of incidents.

    Each partition gives its incidents' shares
    (:func:`~gridgis.analysis.workload.workload_parts`); the grids' sums and median
    verification hours (a shuffle: exact) are computed on the cluster, the rest on
    the grid layer as on one machine. Arguments and answer as ``grid_workload``.
    """
    limit = pd.Timedelta(verify_within)
    now = archive_end(incidents) if now is None else pd.Timestamp(now)
    meta = workload_parts(incidents._meta, verify_within=limit, now=now)
    parts = incidents.map_partitions(workload_parts, verify_within=limit, now=now, meta=meta)
    grouped = parts.groupby("grid_code")
    sums, hours = _compute(grouped[list(WORKLOAD_SUMMED)].sum(),
                           grouped["hours"].median(shuffle_method="tasks"))
    table = sums.sort_index()
    table["median_verify_hours"] = hours.reindex(table.index)
    return grid_workload(grids, zones=zones, visits_per_week=visits_per_week,
                         verify_within=limit, now=now, incident_table=table)
