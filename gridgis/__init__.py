"""gridgis: grid-based community governance (网格化管理) on the map.

A district is cut into townships, communities and grids; every incident is
located in exactly one grid, routed, handled within time limits and verified.
This package holds the layers and their schemas, coordinate handling, codes,
the sample district, assignment, dispatch, analysis and the planner tools.
"""

import os

# The compiled passes run on OpenMP threads (numba), and between them shapely reads
# coordinates on Python threads. OpenMP threads that spin while waiting for the next
# pass take a core from those readers; waiting threads that sleep do not. Read by the
# OpenMP runtime when it starts, so set before anything here loads it; a value the user
# gave is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from gridgis import (
    analysis,
    planning,
)
from gridgis.categories import load_categories
from gridgis.codes import CodeScheme, validate_code
from gridgis.crs import gauss_kruger_epsg, local_crs, to_lonlat, to_projected, to_wgs84
from gridgis.errors import (
    CategoryError,
    CodeError,
    CoordinateError,
    GridGisError,
    LayerError,
    MissingLayerError,
    OutsideDistrictError,
    PlanError,
)
from gridgis.index.grid import GridIndex, Location
from gridgis.layers import Layers, describe_layers, read_layers, write_layers
from gridgis.nearest import UnitFinder, nearest_units
from gridgis.planning import PlanHistory, diff_plans, validate
from gridgis.sample import sample_district

__version__ = "0.1.0"

__all__ = [
    "CategoryError",
    "CodeError",
    "CodeScheme",
    "CoordinateError",
    "GridGisError",
    "GridIndex",
    "LayerError",
    "Layers",
    "Location",
    "MissingLayerError",
    "OutsideDistrictError",
    "PlanError",
    "PlanHistory",
    "UnitFinder",
    "__version__",
    "analysis",
    "describe_layers",
    "diff_plans",
    "gauss_kruger_epsg",
    "load_categories",
    "local_crs",
    "nearest_units",
    "planning",
    "read_layers",
    "sample_district",
    "to_lonlat",
    "to_projected",
    "to_wgs84",
    "validate",
    "validate_code",
    "write_layers",
]
