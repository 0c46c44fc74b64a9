"""Batch work on a Dask cluster: assignment and the analyses' sums over GeoParquet partitions.

An archive too large for one machine is a GeoParquet dataset (a file or a folder of
partition files) read by dask-geopandas; each partition is assigned by the same
:class:`~gridgis.GridIndex`, loaded in each worker from the district's disk cache
(memory-mapped, :func:`gridgis.index.cache.cached_index`), and the analyses add up
each partition's share (:func:`gridgis.analysis.rates.metric_parts`) before finishing
as the single-machine functions do, so the answers are the same:

- :func:`assign_dask` — ``gridgis assign … --dask``;
- :func:`metrics_dask` — :func:`gridgis.analysis.incident_metrics` (the rates);
- :func:`early_warning_dask` — :func:`gridgis.analysis.early_warning` (its counts);
- :func:`workload_dask` — :func:`gridgis.analysis.grid_workload` (its incident sums);
- :func:`area_counts_dask` — incidents per area, the input of
  :func:`gridgis.analysis.hotspots`;
- :func:`dask_client` — a local cluster by default, or any ``distributed``
  scheduler's address.
"""

from gridgis.parallel.analysis import (
    area_counts_dask,
    early_warning_dask,
    metrics_dask,
    workload_dask,
)
from gridgis.parallel.assign import assign_dask, assign_partition
from gridgis.parallel.cluster import dask_client

__all__ = ["area_counts_dask", "assign_dask", "assign_partition", "dask_client",
           "early_warning_dask", "metrics_dask", "workload_dask"]
