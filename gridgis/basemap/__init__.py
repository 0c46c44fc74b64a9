"""The offline basemap: the district's own layers as vector tiles in one local file.

Roads, building footprints, water (when the district file has a ``water``
layer), township and community boundaries and the labels of townships,
communities, grids and roads are cut into Mapbox Vector Tiles for zooms 10 to
16 (:func:`build_basemap`, ``gridgis basemap``) and kept in an MBTiles file
(:class:`TileFile`), which the service serves at ``/tiles/{z}/{x}/{y}.mvt``
and the console draws offline. No tile server, no network.
"""

from gridgis.basemap.build import (
    DEFAULT_MAX_ZOOM,
    DEFAULT_MIN_ZOOM,
    BasemapSummary,
    build_basemap,
)
from gridgis.basemap.mbtiles import TileFile, TileWriter
from gridgis.basemap.mercator import tile_bounds, tms_row

__all__ = ["DEFAULT_MAX_ZOOM", "DEFAULT_MIN_ZOOM", "BasemapSummary", "TileFile", "TileWriter",
           "build_basemap", "tile_bounds", "tms_row"]
