"""The road network layer (道路): road classes and speeds, real networks from OpenStreetMap.

- :mod:`gridgis.roads.classes`: the class table (高速/快速路, 主干路, 次干路, 支路/街巷,
  村道, 内部道路) with default speeds and the OSM ``highway`` values of each class;
- :mod:`gridgis.roads.osm`: :func:`roads_from_osm` reads an ``.osm.pbf`` extract into
  the ``roads`` layer's schema.
"""

from gridgis.roads.classes import class_of_highway, default_speeds, load_road_classes
from gridgis.roads.osm import roads_from_osm

__all__ = ["class_of_highway", "default_speeds", "load_road_classes", "roads_from_osm"]
