"""Point coordinates straight out of Arrow memory: GeoArrow input that skips GEOS.

:meth:`gridgis.GridIndex.assign` accepts, besides a GeoDataFrame, a GeoArrow point
array: a ``pyarrow`` array or chunked array, or any object exporting the Arrow C
data interface (``__arrow_c_array__`` / ``__arrow_c_stream__``), such as
``geopandas.GeoSeries.to_arrow(geometry_encoding="geoarrow")``. Both GeoArrow
point layouts are read (``geoarrow.point``, stored as interleaved
``fixed_size_list<xy: double>[2]`` or separated ``struct<x: double, y: double>``;
a third or fourth dimension is ignored), without making a shapely geometry. A
null point gives NaN (the assignment's ``invalid``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridgis.errors import CoordinateError

__all__ = ["arrow_lonlat", "is_arrow"]

_POINT = "geoarrow.point"


def is_arrow(obj: Any) -> bool:
    """Whether ``obj`` is an Arrow array (pyarrow, or the Arrow C data interface)."""
    return hasattr(obj, "__arrow_c_array__") or hasattr(obj, "__arrow_c_stream__") or \
        type(obj).__module__.startswith("pyarrow")


def _chunks(obj: Any) -> list[Any]:
    import pyarrow as pa

    if isinstance(obj, pa.ChunkedArray):
        return list(obj.chunks)
    if isinstance(obj, pa.Array):
        return [obj]
    if hasattr(obj, "__arrow_c_array__"):
        return [pa.array(obj)]
    if hasattr(obj, "__arrow_c_stream__"):
        return list(pa.chunked_array(obj).chunks)
    raise CoordinateError(f"{type(obj).__name__} is not an Arrow array of points")


def _chunk_xy(arr: Any, x: np.ndarray, y: np.ndarray) -> None:
    """Write one chunk's coordinates into ``x`` and ``y`` (its length each)."""
    import pyarrow as pa

    t = arr.type
    if isinstance(t, pa.ExtensionType):
        if not t.extension_name.startswith(_POINT):
            raise CoordinateError(f"Arrow 扩展类型 {t.extension_name} 不是点 / "
                                  f"{t.extension_name} is not a GeoArrow point array")
        arr, t = arr.storage, t.storage_type
    if pa.types.is_fixed_size_list(t) and t.list_size >= 2 and \
            pa.types.is_floating(t.value_type):
        size = t.list_size
        values = arr.values.slice(arr.offset * size, len(arr) * size)
        xy = values.to_numpy(zero_copy_only=False).reshape(-1, size)
        x[:], y[:] = xy[:, 0], xy[:, 1]
    elif pa.types.is_struct(t) and t.num_fields >= 2 and \
            all(pa.types.is_floating(t.field(i).type) for i in range(2)):
        fields = arr.flatten()  # the parent's offset and nulls taken into account
        x[:] = fields[0].to_numpy(zero_copy_only=False)
        y[:] = fields[1].to_numpy(zero_copy_only=False)
    else:
        raise CoordinateError(f"Arrow 类型 {t} 不是 GeoArrow 点 / an Arrow array of {t} is not "
                              "GeoArrow points (interleaved fixed_size_list<double>[2] or "
                              "struct<x: double, y: double>)")
    if arr.null_count:
        null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        x[null] = np.nan
        y[null] = np.nan


def arrow_lonlat(obj: Any) -> tuple[np.ndarray, np.ndarray]:
    """The x and y of every point of a GeoArrow point array, as float64 arrays.

    Parameters
    ----------
    obj : pyarrow.Array, pyarrow.ChunkedArray or Arrow C data interface object
        GeoArrow points, interleaved or separated.

    Returns
    -------
    tuple of numpy.ndarray
        x and y, NaN for a null point.

    Raises
    ------
    CoordinateError
        The array is not of points.

    Examples
    --------
    >>> import pyarrow as pa
    >>> xy = pa.array([[120.5, 28.0], None], pa.list_(pa.float64(), 2))
    >>> arrow_lonlat(xy)[0].tolist()
    [120.5, nan]
    """
    chunks = _chunks(obj)
    n = sum(len(c) for c in chunks)
    x, y = np.empty(n), np.empty(n)
    at = 0
    for c in chunks:
        _chunk_xy(c, x[at:at + len(c)], y[at:at + len(c)])
        at += len(c)
    return x, y
