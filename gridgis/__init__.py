"""gridgis: grid-based community governance (网格化管理) on the map.

A district is cut into townships, communities and grids; every incident is
located in exactly one grid, routed, handled within time limits and verified.
This package holds the layers and their schemas, coordinate handling, codes,
the sample district, assignment, dispatch, analysis and the planner tools.

``import gridgis`` loads only the errors: the names below, and the subpackages
:mod:`gridgis.analysis` and :mod:`gridgis.planning`, are imported on first use
(PEP 562), so a script or the command line pays only for what it touches.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _metadata_version
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from gridgis import analysis, planning
    from gridgis.categories import load_categories
    from gridgis.codes import CodeScheme, validate_code
    from gridgis.crs import gauss_kruger_epsg, local_crs, to_lonlat, to_projected, to_wgs84
    from gridgis.index.grid import GridIndex, Location
    from gridgis.layers import Layers, describe_layers, read_layers, write_layers
    from gridgis.nearest import UnitFinder, nearest_units
    from gridgis.planning import PlanHistory, diff_plans, validate
    from gridgis.sample import sample_district

__version__ = _metadata_version("gridgis")

_SUBPACKAGES = ("analysis", "planning")
_LAZY: dict[str, str] = {
    name: module
    for module, names in {
        "gridgis.categories": ("load_categories",),
        "gridgis.codes": ("CodeScheme", "validate_code"),
        "gridgis.crs": ("gauss_kruger_epsg", "local_crs", "to_lonlat", "to_projected",
                        "to_wgs84"),
        "gridgis.index.grid": ("GridIndex", "Location"),
        "gridgis.layers": ("Layers", "describe_layers", "read_layers", "write_layers"),
        "gridgis.nearest": ("UnitFinder", "nearest_units"),
        "gridgis.planning": ("PlanHistory", "diff_plans", "validate"),
        "gridgis.sample": ("sample_district",),
    }.items()
    for name in names
}
"""Public name → the module that defines it, imported when the name is first used."""

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


def __getattr__(name: str) -> Any:
    """Import a lazy public name (or subpackage) on first use and keep it."""
    if name in _SUBPACKAGES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazy ones included."""
    return sorted(set(globals()) | set(__all__))
