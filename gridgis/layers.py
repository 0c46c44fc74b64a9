"""Read, check and write the layers of a district as one GeoPackage.

:class:`Layers` holds the GeoDataFrames of one district. :func:`read_layers`
opens a GeoPackage with pyogrio and checks every layer against its schema in
:mod:`gridgis.schemas`; :func:`write_layers` checks again and writes all layers
to a new file atomically, so a failed write never leaves a half-written plan.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from gridgis._schema_check import check_layer
from gridgis.errors import LayerError, MissingLayerError
from gridgis.schemas import CORE_LAYERS, LAYER_NAMES, SCHEMAS

__all__ = ["Layers", "describe_layers", "read_layers", "replace_layer", "write_layers"]


@dataclass
class Layers:
    """The layers of one district.

    Parameters
    ----------
    townships, communities, grids : geopandas.GeoDataFrame
        The administrative hierarchy and the unified grid layer (required).
    patrol_zones, buildings, units, incidents : geopandas.GeoDataFrame, optional
        The other layers of DESIGN §2, ``None`` when the district has none.
    grid_history : geopandas.GeoDataFrame, optional
        Retired versions of grids from earlier plans (see
        :mod:`gridgis.planning.versions`).
    sensors : geopandas.GeoDataFrame, optional
        The IoT devices (smoke, water level, manhole cover, gas, fume; see
        :mod:`gridgis.sensors`).
    roads : geopandas.GeoDataFrame, optional
        The road network: noded centre lines with class, speed and one-way
        (see :mod:`gridgis.roads`).

    Examples
    --------
    >>> from gridgis import sample_district
    >>> layers = sample_district(scale=0.05)
    >>> sorted(layers.names())[:3]
    ['buildings', 'communities', 'grids']
    """

    townships: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    grids: gpd.GeoDataFrame
    patrol_zones: gpd.GeoDataFrame | None = None
    buildings: gpd.GeoDataFrame | None = None
    units: gpd.GeoDataFrame | None = None
    incidents: gpd.GeoDataFrame | None = None
    grid_history: gpd.GeoDataFrame | None = None
    sensors: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None

    def names(self) -> list[str]:
        """Names of the layers present (not ``None``), in schema order."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def items(self) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
        """Iterate over ``(name, frame)`` pairs of the layers present."""
        for name in self.names():
            yield name, getattr(self, name)

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        if name not in LAYER_NAMES:
            raise MissingLayerError(
                f"no layer called {name!r}; gridgis layers are {', '.join(LAYER_NAMES)}",
                layer=name,
            )
        frame = getattr(self, name)
        if frame is None:
            raise MissingLayerError(f"this district has no {name!r} layer", layer=name)
        return frame

    def check(self, *, strict: bool = True) -> Layers:
        """Check every layer against its schema and return the normalized layers.

        Parameters
        ----------
        strict : bool, default True
            Also reject invalid geometries, duplicate keys and malformed codes
            (planners' validation tools pass ``False`` to read broken plans
            and report on them; missing columns, wrong types and empty
            geometries are refused either way).

        Returns
        -------
        Layers
            A new object whose frames have the declared dtypes, in lon/lat.

        Raises
        ------
        LayerError
            Naming the layer, the column and the first offending rows.
        """
        checked = {
            name: check_layer(frame, SCHEMAS[name], strict=strict)
            for name, frame in self.items()
        }
        return Layers(**checked)


def read_layers(
    path: str | os.PathLike[str],
    *,
    require: tuple[str, ...] = CORE_LAYERS,
    strict: bool = True,
) -> Layers:
    """Read a district GeoPackage and check it against the layer schemas.

    Parameters
    ----------
    path : path-like
        The GeoPackage file.
    require : tuple of str, default ("townships", "communities", "grids")
        Layers that must be present; the other known layers are read when the
        file has them.
    strict : bool, default True
        Reject invalid geometries, duplicate keys and malformed codes.

    Returns
    -------
    Layers

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    LayerError
        If the file cannot be read as a GeoPackage, or a layer breaks its schema.
    MissingLayerError
        If a required layer is absent.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gridgis import sample_district, write_layers
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "d.gpkg"
    >>> _ = write_layers(sample_district(scale=0.05), out)
    >>> read_layers(out).grids.crs.to_epsg()
    4326
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise LayerError(f"{path} is a folder, not a GeoPackage file", layer="*")
    try:
        listed = pyogrio.list_layers(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise LayerError(f"{path} cannot be opened as a GeoPackage: {exc}", layer="*") from exc
    present = {str(name) for name in listed[:, 0]}
    for name in require:
        if name not in present:
            have = ", ".join(sorted(present)) or "no layers"
            raise MissingLayerError(
                f"{path} has no {name!r} layer (it has: {have}); a district file needs "
                f"{', '.join(require)}",
                layer=name,
            )
    frames: dict[str, gpd.GeoDataFrame] = {}
    for name in LAYER_NAMES:
        if name not in present:
            continue
        try:
            frame = pyogrio.read_dataframe(path, layer=name)
        except Exception as exc:
            raise LayerError(f"layer {name!r} of {path} cannot be read: {exc}",
                             layer=name) from exc
        frames[name] = frame
    return Layers(**frames).check(strict=strict)


def write_layers(
    layers: Layers, path: str | os.PathLike[str], *, strict: bool = True
) -> Path:
    """Check the layers and write them to a new GeoPackage, atomically.

    The file is written beside ``path`` under a temporary name and renamed
    over ``path`` only when every layer was written, so an error never leaves
    a half-written district behind.

    Parameters
    ----------
    layers : Layers
        The district.
    path : path-like
        Destination ``.gpkg`` file; replaced if it exists.
    strict : bool, default True
        Refuse invalid geometries, duplicate keys and malformed codes.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    LayerError
        If a layer breaks its schema (nothing is written).
    """
    path = Path(path)
    checked = layers.check(strict=strict)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".gpkg", prefix=f".{path.stem}-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name, frame in checked.items():
            schema = SCHEMAS[name]
            out = frame[[*schema.column_names, frame.geometry.name]].reset_index(drop=True)
            pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG",
                                    promote_to_multi=False)
        tmp.replace(path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    return path


def replace_layer(path: str | os.PathLike[str], name: str, frame: gpd.GeoDataFrame, *,
                  strict: bool = True) -> Path:
    """Write or replace one layer of an existing GeoPackage, leaving the others as they are.

    The layer is checked against its schema first; the file is copied beside
    itself, the layer written into the copy, and the copy renamed over
    ``path``, so a failure never leaves a half-written file.

    Parameters
    ----------
    path : path-like
        An existing GeoPackage (a district file).
    name : str
        The layer, one of :data:`gridgis.schemas.LAYER_NAMES`.
    frame : geopandas.GeoDataFrame
        Its features.
    strict : bool, default True
        Refuse invalid geometries, duplicate keys and malformed codes.

    Returns
    -------
    pathlib.Path
        The file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    LayerError
        If the file is no GeoPackage, or the layer breaks its schema (nothing
        is written).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from gridgis import sample_district, write_layers
    >>> layers = sample_district(scale=0.05)
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "d.gpkg"
    >>> _ = write_layers(Layers(layers.townships, layers.communities, layers.grids), out)
    >>> _ = replace_layer(out, "roads", layers.roads)
    >>> len(read_layers(out).roads) == len(layers.roads)
    True
    """
    path = Path(path)
    if name not in SCHEMAS:
        raise MissingLayerError(f"no layer called {name!r}; gridgis layers are "
                                f"{', '.join(LAYER_NAMES)}", layer=name)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        pyogrio.list_layers(path)
    except Exception as exc:
        raise LayerError(f"{path} cannot be opened as a GeoPackage: {exc}", layer="*") from exc
    checked = check_layer(frame, SCHEMAS[name], strict=strict)
    out = checked[[*SCHEMAS[name].column_names, checked.geometry.name]].reset_index(drop=True)
    fd, tmp_name = tempfile.mkstemp(suffix=".gpkg", prefix=f".{path.stem}-", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(path, tmp)
        pyogrio.write_dataframe(out, tmp, layer=name, driver="GPKG", promote_to_multi=False)
        tmp.replace(path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    return path


def describe_layers(layers: Layers) -> pd.DataFrame:
    """Summarize each layer: feature count, CRS, extent and columns.

    Parameters
    ----------
    layers : Layers

    Returns
    -------
    pandas.DataFrame
        One row per layer present, indexed by layer name, with columns
        ``features``, ``geometry``, ``crs``, ``minx``, ``miny``, ``maxx``,
        ``maxy`` and ``columns``.
    """
    rows = []
    for name, frame in layers.items():
        bounds = frame.total_bounds if len(frame) else [float("nan")] * 4
        kinds = sorted(set(frame.geom_type.dropna())) if len(frame) else []
        rows.append(
            {
                "layer": name,
                "features": len(frame),
                "geometry": "/".join(kinds),
                "crs": frame.crs.to_string() if frame.crs else "none",
                "minx": bounds[0],
                "miny": bounds[1],
                "maxx": bounds[2],
                "maxy": bounds[3],
                "columns": ", ".join(c for c in frame.columns if c != frame.geometry.name),
            }
        )
    return pd.DataFrame(rows).set_index("layer")
