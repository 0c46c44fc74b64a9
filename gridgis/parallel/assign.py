"""``gridgis assign --dask``: every partition of a GeoParquet archive assigned on a cluster.

Each worker process loads the district's grid index once, from the cache file beside
the GeoPackage (written by the client before the work starts, then memory-mapped by
every worker: :func:`gridgis.index.cache.cached_index`), and assigns its partitions
with it exactly as :func:`gridgis.index.files.assign_file` assigns chunks: the same
columns, the same answers.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.errors import GridGisError
from gridgis.index.grid import GridIndex

__all__ = ["ASSIGNED", "assign_dask", "assign_partition"]

ASSIGNED = ("grid_code", "community_code", "township_code", "patrol_level", "match",
            "edge_distance_m")
"""The columns the assignment adds (as :func:`gridgis.index.files.assign_file` does)."""
_TEXT = ("grid_code", "community_code", "township_code", "patrol_level", "match")


@functools.lru_cache(maxsize=4)
def _index(grids_path: str) -> GridIndex:
    """The district's index in this process: from its cache, loaded once (memory-mapped)."""
    from gridgis.index.cache import cached_index

    return cached_index(grids_path)


def assign_partition(part: gpd.GeoDataFrame, grids_path: str) -> gpd.GeoDataFrame:
    """One partition of points with the assignment's columns (codes as text, NA outside).

    Parameters
    ----------
    part : geopandas.GeoDataFrame
        Points in lon/lat (EPSG:4326 or 4490); empty or missing geometries are
        ``match="invalid"``.
    grids_path : str
        The district GeoPackage (its index cache beside it).
    """
    index = _index(grids_path)
    xy = np.full((len(part), 2), np.nan)
    values = part.geometry.values
    ok = ~(part.geometry.isna().to_numpy() | shapely.is_empty(values))
    xy[ok] = shapely.get_coordinates(values[ok])[:, :2]
    result = index.assign(lon=xy[:, 0], lat=xy[:, 1])
    result.index = part.index
    drop = [c for c in result.columns if c in part.columns]
    out = part.drop(columns=drop).join(result.drop(columns=["workers"]))
    for column in _TEXT:  # one type in every partition (categories differ between them)
        out[column] = out[column].astype(object).astype("string")
    out["edge_distance_m"] = out["edge_distance_m"].astype(float)
    return out


def assign_dask(points_path: str | os.PathLike[str], grids_path: str | os.PathLike[str],
                out_path: str | os.PathLike[str], *, client: Any) -> pd.DataFrame:
    """Assign a GeoParquet archive on a Dask cluster; write a GeoParquet dataset.

    Parameters
    ----------
    points_path : path-like
        A GeoParquet file or a folder of GeoParquet partitions (points, any CRS).
    grids_path : path-like
        The district GeoPackage; the workers must see it (and its index cache)
        at the same path.
    out_path : path-like
        A folder (``….parquet``) receiving one GeoParquet file per partition
        (``part.N.parquet``): the input's rows and columns plus :data:`ASSIGNED`.
    client : distributed.Client
        Where the work runs (:func:`gridgis.parallel.dask_client`).

    Returns
    -------
    pandas.DataFrame
        Points of each ``match`` kind (as :func:`~gridgis.index.files.assign_file`).
    """
    import dask
    import dask_geopandas

    points_path, grids = Path(points_path), str(Path(grids_path).resolve())
    if not points_path.exists():
        raise FileNotFoundError(f"{points_path}: no such file or folder")
    if Path(out_path).suffix.lower() not in (".parquet", ".geoparquet"):
        raise GridGisError(f"{out_path}: with --dask the output is a GeoParquet dataset; "
                           "name it ….parquet")
    _index(grids)  # here first: builds the cache once, before any worker reads it
    frame = dask_geopandas.read_parquet(str(points_path))
    if frame.crs is None:
        raise GridGisError(f"{points_path} has no CRS; set one before assigning")
    out = Path(out_path)
    out.mkdir(parents=True, exist_ok=True)
    # one task a partition reads, assigns, writes its file and counts: one pass, no shuffle
    tasks = [dask.delayed(_assign_and_write)(part, grids, str(out / f"part.{i}.parquet"))
             for i, part in enumerate(frame.to_delayed())]
    counts = pd.concat(dask.compute(*tasks)).groupby(level=0).sum()
    return counts.rename("points").rename_axis("match").to_frame()


def _assign_and_write(part: gpd.GeoDataFrame, grids_path: str, path: str) -> pd.Series:
    if part.crs is not None and part.crs.to_epsg() not in (4326, 4490):
        part = part.to_crs(4326)
    assigned = assign_partition(part, grids_path)
    assigned.to_parquet(path)
    return assigned["match"].value_counts()
