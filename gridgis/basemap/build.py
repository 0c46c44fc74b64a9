"""Build a district's basemap: its layers cut into vector tiles, written to one MBTiles file."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

import gridgis
from gridgis.basemap.layers import SourceLayer, basemap_layers
from gridgis.basemap.mbtiles import TileWriter
from gridgis.basemap.tiles import cut_zoom, tile_count
from gridgis.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from gridgis.layers import Layers

__all__ = ["DEFAULT_MAX_ZOOM", "DEFAULT_MIN_ZOOM", "BasemapSummary", "build_basemap",
           "source_fingerprint"]

DEFAULT_MIN_ZOOM = 10
DEFAULT_MAX_ZOOM = 16
"""Tiles are built to zoom 16; the console draws zooms 17 and 18 from them, magnified
(each zoom has four times the tiles of the one before: 17 and 18 would be 20 times as
many tiles for no more detail than the layers hold)."""
LIMITS = (0, 20)
"""The zooms a basemap may be built for."""

Progress = Callable[[int, int], None]


@dataclass
class BasemapSummary:
    """What a build wrote: the file, its tiles per zoom, its size and the time it took."""

    path: Path
    min_zoom: int
    max_zoom: int
    tiles_per_zoom: dict[int, int] = field(default_factory=dict)
    bytes: int = 0
    seconds: float = 0.0
    layers: dict[str, int] = field(default_factory=dict)

    @property
    def tiles(self) -> int:
        """Tiles written, all zooms."""
        return sum(self.tiles_per_zoom.values())


def _bounds(sources: list[SourceLayer]) -> tuple[float, float, float, float]:
    b = shapely.total_bounds(np.concatenate([s.geometry for s in sources]))
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])


def source_fingerprint(sources: list[SourceLayer]) -> str:
    """SHA-256 of what a basemap draws: each source layer's shapes, attributes and zooms.

    Kept in the file's metadata (``source_sha256``), so a district file written again with
    the same content (``gridgis sample`` before each ``make demo``) needs no new build.
    """
    digest = hashlib.sha256()
    for s in sources:
        digest.update(s.name.encode())
        digest.update(b"".join(shapely.to_wkb(s.geometry, output_dimension=2)))
        digest.update(repr(s.properties).encode())
        digest.update(s.min_zoom.tobytes())
    return digest.hexdigest()


def _metadata(layers: Layers, sources: list[SourceLayer], min_zoom: int, max_zoom: int,
              name: str) -> dict[str, Any]:
    lon0, lat0, lon1, lat1 = (float(v) for v in layers.townships.total_bounds)
    return {
        "name": name, "format": "pbf", "type": "baselayer", "version": "1",
        "description": "网格化管理离线底图：道路、楼栋、水系、界线与注记 / offline basemap of "
                       "the district: roads, buildings, water, boundaries and labels",
        "attribution": "区县图层 / district layers", "generator": f"gridgis {gridgis.__version__}",
        "bounds": f"{lon0:.6f},{lat0:.6f},{lon1:.6f},{lat1:.6f}",
        "center": f"{(lon0 + lon1) / 2:.6f},{(lat0 + lat1) / 2:.6f},{min(max_zoom, 13)}",
        "minzoom": min_zoom, "maxzoom": max_zoom, "source_sha256": source_fingerprint(sources),
        "json": {"vector_layers": [
            {"id": s.name, "description": s.description, "fields": s.fields,
             "minzoom": max(min_zoom, int(s.min_zoom.min())), "maxzoom": max_zoom}
            for s in sources]},
    }


def build_basemap(layers: Layers, path: str | os.PathLike[str], *,
                  water: gpd.GeoDataFrame | None = None, min_zoom: int = DEFAULT_MIN_ZOOM,
                  max_zoom: int = DEFAULT_MAX_ZOOM, name: str = "gridgis basemap",
                  progress: Progress | None = None) -> BasemapSummary:
    """Cut a district's layers into vector tiles and write them to an MBTiles file.

    Parameters
    ----------
    layers : Layers
        The district, lon/lat (roads and buildings used when present).
    path : path-like
        The ``.mbtiles`` file to write (replaced once complete).
    water : geopandas.GeoDataFrame, optional
        A water layer (rivers, lakes), lon/lat.
    min_zoom, max_zoom : int
        The zooms to build (default 10 to 16).
    name : str
        The tile set's name in its metadata.
    progress : callable, optional
        Called as ``progress(done, total)`` with tile positions visited.

    Returns
    -------
    BasemapSummary

    Raises
    ------
    InputError
        When the zoom range is empty or outside 0–20.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gridgis import sample_district
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "base.mbtiles"
    >>> summary = build_basemap(sample_district(scale=0.05), out, max_zoom=12)
    >>> summary.tiles > 0 and out.exists()
    True
    """
    if not LIMITS[0] <= min_zoom <= max_zoom <= LIMITS[1]:
        raise InputError(f"缩放级别应为 {LIMITS[0]}–{LIMITS[1]} 且最小不大于最大（{min_zoom}–"
                         f"{max_zoom}）/ zooms must lie within {LIMITS[0]}–{LIMITS[1]}, "
                         "min ≤ max", field="zoom")
    started = time.perf_counter()
    sources = basemap_layers(layers, water=water)
    bounds = _bounds(sources)
    zooms = range(min_zoom, max_zoom + 1)
    total = sum(tile_count(z, bounds) for z in zooms)
    summary = BasemapSummary(Path(path), min_zoom, max_zoom,
                             layers={s.name: len(s) for s in sources})
    writer = TileWriter(path)
    done = 0
    try:
        for z in zooms:
            summary.tiles_per_zoom[z] = 0
            for tile in cut_zoom(z, sources, bounds):
                done += 1
                if tile is not None:
                    writer.add(tile.z, tile.x, tile.y, tile.data)
                    summary.tiles_per_zoom[z] += 1
                if progress is not None and (done % 64 == 0 or done == total):
                    progress(done, total)
        summary.bytes = writer.bytes
        writer.close(_metadata(layers, sources, min_zoom, max_zoom, name))
    except BaseException:
        writer.abort()
        raise
    summary.seconds = time.perf_counter() - started
    return summary
