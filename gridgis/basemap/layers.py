"""What the basemap draws: the district's own layers as the tile file's source layers.

Each :class:`SourceLayer` holds geometries in Web Mercator metres, their
properties and the zoom each feature first shows at (fewer features at low
zooms: main roads from zoom 10, lanes from 14; buildings from 14). Only the
public content of the layers goes in (names, codes, road classes, shapes):
never the households, the population or the grid workers' names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from gridgis.basemap.labels import area_labels, road_labels
from gridgis.basemap.mercator import lonlat_to_mercator

if TYPE_CHECKING:
    import geopandas as gpd

    from gridgis.layers import Layers

__all__ = ["BUILDING_MIN_ZOOM", "ROAD_MIN_ZOOM", "SourceLayer", "basemap_layers"]

ROAD_MIN_ZOOM = {"expressway": 10, "arterial": 10, "secondary": 12, "village": 13,
                 "street": 14, "service": 15}
"""The zoom each road class first shows at (an unknown class: 14)."""
BUILDING_MIN_ZOOM = 14
"""Building footprints from this zoom (a building stored as a point: one zoom later)."""
WATER_MIN_ZOOM = 10


@dataclass(frozen=True)
class SourceLayer:
    """One layer of the vector tiles.

    Parameters
    ----------
    name : str
        The layer's id in the tiles (``roads``, ``buildings``, ``water``,
        ``boundaries``, ``labels``).
    description : str
        What it holds (in the MBTiles ``json`` metadata).
    geometry : numpy.ndarray of shapely.Geometry
        In Web Mercator metres.
    properties : list of dict
        One dict per feature: the tiles' attributes.
    min_zoom : numpy.ndarray of int
        The zoom each feature first shows at.
    fields : dict
        Attribute name → type (``String`` or ``Number``), for the metadata.
    """

    name: str
    description: str
    geometry: np.ndarray
    properties: list[dict[str, Any]]
    min_zoom: np.ndarray
    fields: dict[str, str]

    def __len__(self) -> int:
        return len(self.geometry)


def _source(name: str, description: str, geometry: Any, properties: list[dict[str, Any]],
            min_zoom: Any, fields: dict[str, str]) -> SourceLayer:
    geoms = lonlat_to_mercator(np.asarray(geometry, dtype=object))
    zooms = np.broadcast_to(np.asarray(min_zoom, dtype=np.int64), (len(geoms),)).copy()
    return SourceLayer(name, description, geoms, properties, zooms, fields)


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _roads(roads: gpd.GeoDataFrame) -> SourceLayer:
    classes = roads["road_class"].astype(str).to_numpy()
    props = [{"class": c, "name": _text(n)} for c, n in zip(classes, roads["name"], strict=True)]
    zooms = [ROAD_MIN_ZOOM.get(c, 14) for c in classes]
    return _source("roads", "道路中心线 / road centre lines (class, name)", roads.geometry.array,
                   props, zooms, {"class": "String", "name": "String"})


def _buildings(buildings: gpd.GeoDataFrame) -> SourceLayer:
    geoms = np.asarray(buildings.geometry.array, dtype=object)
    points = shapely.get_type_id(geoms) == shapely.GeometryType.POINT
    # no attribute: a tile's building points go in as one multipoint (a shape is all it draws)
    return _source("buildings", "楼栋轮廓或点位 / building footprints (or points)", geoms,
                   [{}] * len(geoms), np.where(points, BUILDING_MIN_ZOOM + 1, BUILDING_MIN_ZOOM),
                   {})


def _water(water: gpd.GeoDataFrame) -> SourceLayer:
    names = water["name"] if "name" in water.columns else [None] * len(water)
    return _source("water", "水系 / rivers, lakes and canals", water.geometry.array,
                   [{"name": _text(n)} for n in names], WATER_MIN_ZOOM, {"name": "String"})


def _boundaries(layers: Layers) -> SourceLayer:
    towns = shapely.boundary(np.asarray(layers.townships.geometry.array, dtype=object))
    comms = shapely.boundary(np.asarray(layers.communities.geometry.array, dtype=object))
    geoms = np.concatenate([towns, comms])
    props = [{"kind": "township"}] * len(towns) + [{"kind": "community"}] * len(comms)
    zooms = [10] * len(towns) + [12] * len(comms)
    return _source("boundaries", "乡镇(街道)、社区(村)界线 / township and community boundaries",
                   geoms, props, zooms, {"kind": "String"})


def _labels(layers: Layers) -> SourceLayer:
    parts = [area_labels(layers.townships, "township", 10),
             area_labels(layers.communities, "community", 12),
             area_labels(layers.grids, "grid", 15)]
    if layers.roads is not None and len(layers.roads):
        parts.append(road_labels(layers.roads, 15))
    geoms = np.concatenate([p[0] for p in parts])
    props = [prop for p in parts for prop in p[1]]
    zooms = np.concatenate([p[2] for p in parts])
    return _source("labels", "注记点：乡镇(街道)、社区(村)、网格、道路名称 / label points of "
                   "townships, communities, grids and roads (kind, name)", geoms, props, zooms,
                   {"kind": "String", "name": "String", "code": "String"})


def basemap_layers(layers: Layers, *, water: gpd.GeoDataFrame | None = None
                   ) -> list[SourceLayer]:
    """The source layers of a district's basemap, drawn in this order (labels last).

    Parameters
    ----------
    layers : Layers
        The district (lon/lat). Roads and buildings are used when present.
    water : geopandas.GeoDataFrame, optional
        Rivers, lakes and canals (polygons or lines, lon/lat; a ``name`` column
        is used when present): a ``water`` layer of the district file.

    Returns
    -------
    list of SourceLayer
        Water, roads, buildings, boundaries and labels (those with features).
    """
    out = []
    if water is not None and len(water):
        out.append(_water(water))
    if layers.buildings is not None and len(layers.buildings):
        out.append(_buildings(layers.buildings))
    if layers.roads is not None and len(layers.roads):
        out.append(_roads(layers.roads))
    out.append(_boundaries(layers))
    out.append(_labels(layers))
    return out
