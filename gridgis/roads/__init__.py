"""Road networks: the roads layer as a graph of travel minutes (snapping, paths, isochrones)."""

from gridgis.roads.network import OriginTable, RoadNetwork, Snap

__all__ = ["OriginTable", "RoadNetwork", "Snap"]
