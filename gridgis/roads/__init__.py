"""Roads (道路): the road layer's classes and speeds, real networks, the network of travel minutes.

- :mod:`gridgis.roads.classes`: the class table (高速/快速路, 主干路, 次干路, 支路/街巷,
  村道, 内部道路) with default speeds and the OSM ``highway`` values of each class;
- :mod:`gridgis.roads.osm`: :func:`roads_from_osm` reads an ``.osm.pbf`` extract into
  the ``roads`` layer's schema;
- :mod:`gridgis.roads.network`: :class:`RoadNetwork`, the layer as a directed graph
  weighted by minutes (snapping, one-to-many travel times, routes, isochrones).
"""

from gridgis.roads.classes import class_of_highway, default_speeds, load_road_classes
from gridgis.roads.network import OriginTable, RoadNetwork, Snap
from gridgis.roads.osm import roads_from_osm

__all__ = ["OriginTable", "RoadNetwork", "Snap", "class_of_highway", "default_speeds",
           "load_road_classes", "roads_from_osm"]
