"""Where a district's basemap lives and what else its file may hold (a water layer)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["WATER_LAYER", "basemap_path_for", "is_current", "read_water"]

WATER_LAYER = "water"
"""The name of the district file's optional layer of rivers, lakes and canals (lon/lat)."""


def basemap_path_for(layers_path: str | os.PathLike[str]) -> Path:
    """The basemap beside a district file: ``district.gpkg`` → ``district.basemap.mbtiles``."""
    path = Path(layers_path)
    return path.with_name(f"{path.stem}.basemap.mbtiles")


def is_current(tiles: str | os.PathLike[str], layers_path: str | os.PathLike[str]) -> bool:
    """Whether the tile file exists and was written after the district file last changed."""
    tiles, source = Path(tiles), Path(layers_path)
    return tiles.is_file() and tiles.stat().st_mtime >= source.stat().st_mtime


def read_water(layers_path: str | os.PathLike[str]) -> gpd.GeoDataFrame | None:
    """The district file's ``water`` layer in lon/lat, or None when it has none."""
    import pyogrio

    if WATER_LAYER not in pyogrio.list_layers(layers_path)[:, 0]:
        return None
    frame = pyogrio.read_dataframe(layers_path, layer=WATER_LAYER)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    return frame[~frame.geometry.is_empty & frame.geometry.notna()]
