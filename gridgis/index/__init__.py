"""The engine: which grid holds a point, answered by compiled cell tables.

- :mod:`gridgis.index.grid`: :class:`GridIndex`, a district's grids with their codes,
  workers and patrol zones; one point (:meth:`GridIndex.locate`) or millions
  (:meth:`GridIndex.assign`).
- :mod:`gridgis.index.polygon`: :class:`PolygonIndex`, the compiled point-in-polygon
  index under it.
- :mod:`gridgis.index.cache`: the index kept on disk beside a layers file.
- :mod:`gridgis.index.files`: assign a file of points (CSV, GeoPackage, Parquet).
- :mod:`gridgis.index.warmup`: :func:`compile_kernels`, the compiled code made ready
  up front.
- ``gridgis.index._kernels``: the compiled kernels (numba), private.
"""

from gridgis.index.grid import MATCHES, GridIndex, Location
from gridgis.index.polygon import PolygonIndex
from gridgis.index.warmup import compile_kernels  # also: a cold cache is announced

__all__ = ["MATCHES", "GridIndex", "Location", "PolygonIndex", "compile_kernels"]
