"""Assign a file of points to grids: GeoPackage, GeoParquet or CSV in, the same out.

For archives too large to hold twice in memory, the points are assigned in
chunks with a progress bar; the output keeps every input row in order and
adds ``grid_code``, ``community_code``, ``township_code``, ``patrol_level``,
``match`` and ``edge_distance_m``.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from gridgis._progress import steps
from gridgis.errors import GridGisError, LayerError
from gridgis.index.grid import GridIndex

__all__ = ["assign_file", "read_points"]

FORMATS = (".gpkg", ".parquet", ".geoparquet", ".csv")


def read_points(path: str | os.PathLike[str], *, lon_col: str = "lon", lat_col: str = "lat",
                crs: str = "wgs84", layer: str | None = None) -> tuple[pd.DataFrame, str]:
    """Read points from GeoPackage, GeoParquet or CSV.

    Returns the frame and the coordinate system of its lon/lat (CSV input
    names it with ``crs``; geometry files are converted to lon/lat).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise GridGisError(f"{path}: unknown format; use one of {', '.join(FORMATS)}")
    if suffix == ".csv":
        frame = pd.read_csv(path)
        for col in (lon_col, lat_col):
            if col not in frame.columns:
                raise LayerError(f"{path} has no column {col!r}; name the coordinate columns "
                                 "with --lon-col/--lat-col", layer=path.name, column=col)
        return frame, crs
    if suffix == ".gpkg":
        if layer is None:
            names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
            layer = "incidents" if "incidents" in names else names[0]
        frame = gpd.read_file(path, layer=layer)
    else:
        frame = gpd.read_parquet(path)
    if frame.crs is None:
        raise LayerError(f"{path} has no CRS; set one before assigning", layer=path.name)
    return frame.to_crs(4326), "wgs84"


def _index_for(grids_path: Path) -> GridIndex:
    from gridgis.index.cache import cached_index

    return cached_index(grids_path)


def assign_file(points_path: str | os.PathLike[str], grids_path: str | os.PathLike[str],
                out_path: str | os.PathLike[str], *, lon_col: str = "lon",
                lat_col: str = "lat", crs: str = "wgs84", chunk_size: int = 500_000,
                progress: bool = False) -> pd.DataFrame:
    """Assign every point of a file to the grids of a district GeoPackage.

    Parameters
    ----------
    points_path : path-like
        GeoPackage (layer ``incidents`` or the first layer), GeoParquet, or CSV.
    grids_path : path-like
        The district GeoPackage.
    out_path : path-like
        Output of the same kind (by extension): the input rows plus the assignment.
    lon_col, lat_col, crs : str
        For CSV input: coordinate columns and their system (wgs84, cgcs2000,
        gcj02, bd09).
    chunk_size : int, default 500,000
        Points per chunk (and per step of the progress bar).
    progress : bool, default False
        Show a progress bar on standard error.

    Returns
    -------
    pandas.DataFrame
        Counts of each ``match`` kind.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() not in FORMATS:
        raise GridGisError(f"{out_path}: unknown output format; use one of {', '.join(FORMATS)}")
    frame, crs = read_points(points_path, lon_col=lon_col, lat_col=lat_col, crs=crs)
    index = _index_for(Path(grids_path))
    if isinstance(frame, gpd.GeoDataFrame):
        xy = np.full((len(frame), 2), np.nan)
        ok = ~(frame.geometry.isna().to_numpy() | shapely.is_empty(frame.geometry.values))
        xy[ok] = shapely.get_coordinates(frame.geometry.values[ok])[:, :2]
    else:
        xy = np.column_stack([pd.to_numeric(frame[lon_col], errors="coerce"),
                              pd.to_numeric(frame[lat_col], errors="coerce")])
    n = len(frame)
    parts = []
    chunks = max(1, -(-n // chunk_size))
    with steps("assigning points", chunks, show=progress) as step:
        for c in range(chunks):
            sl = slice(c * chunk_size, min(n, (c + 1) * chunk_size))
            parts.append(index.assign(lon=xy[sl, 0], lat=xy[sl, 1], crs=crs))
            step(f"{sl.stop:,} of {n:,} points")
    result = pd.concat(parts, ignore_index=True) if parts else index.assign(lon=[], lat=[])
    result.index = frame.index
    drop = [c for c in result.columns if c in frame.columns]
    out = frame.drop(columns=drop).join(result.drop(columns=["workers"]))
    out["match"] = out["match"].astype(str)
    suffix = out_path.suffix.lower()
    if suffix == ".csv":
        pd.DataFrame(out.drop(columns="geometry", errors="ignore")).to_csv(out_path, index=False)
    elif suffix == ".gpkg":
        gpd.GeoDataFrame(out, geometry="geometry" if "geometry" in out else
                         gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4326).to_file(
            out_path, layer="assigned", driver="GPKG")
    else:
        gpd.GeoDataFrame(out, geometry="geometry" if "geometry" in out else
                         gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4326).to_parquet(out_path)
    return out["match"].value_counts().rename_axis("match").to_frame("points")
