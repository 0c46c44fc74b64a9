"""GeoJSON pages written straight to bytes: only the page's features, column by column.

A :class:`PageWriter` holds one layer; :meth:`PageWriter.features` turns the
rows of a page into GeoJSON features (RFC 7946, lon/lat rounded to 7
decimals, about 1 cm): geometries through GEOS (``shapely.to_geojson``,
embedded as they come with ``orjson.Fragment``), properties read column by
column from the page's rows (times as RFC 3339 in China time, ``+08:00``;
missing values as ``null``). :func:`dumps` writes a body with orjson.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

__all__ = ["CST_SUFFIX", "PageWriter", "dumps"]

CST_SUFFIX = "+08:00"
"""The offset written after the layers' naive China times."""


def dumps(body: Any) -> bytes:
    """JSON bytes of ``body`` (numpy scalars and arrays allowed; NaN written as null)."""
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)


def _round(xy: np.ndarray) -> np.ndarray:
    return np.round(xy, 7)


def _times(values: np.ndarray) -> list[str | None]:
    missing = np.isnat(values)
    whole = values.astype("datetime64[s]")
    unit = "s" if bool(np.all((values - whole)[~missing] == np.timedelta64(0))) else "ms"
    text = np.char.add(np.datetime_as_string(values, unit=unit), CST_SUFFIX).astype(object)
    text[missing] = None
    return text.tolist()


class PageWriter:
    """Writes pages of one layer's features.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The layer; its index labels are the feature ids.
    hidden : iterable of str
        Columns left out of the properties (a reader who may not see them).
    """

    def __init__(self, frame: gpd.GeoDataFrame, *, hidden: Iterable[str] = ()) -> None:
        geometry = frame.geometry.name
        skip = {geometry, *hidden}
        self.names = [c for c in frame.columns if c not in skip]
        self._series = [frame[c] for c in self.names]
        self._geoms = np.asarray(frame.geometry.values, dtype=object)
        self._ids = frame.index.to_numpy()

    def _column(self, series: pd.Series, rows: np.ndarray) -> list[Any]:
        dtype = series.dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            if getattr(dtype, "tz", None) is not None:  # aware: shown in China time
                page = series.iloc[rows].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
                return _times(page.to_numpy(dtype="datetime64[ms]"))
            return _times(series.to_numpy()[rows])
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # nullable ints, strings
            return series.array[rows].to_numpy(dtype=object, na_value=None).tolist()
        values = series.to_numpy()[rows]
        if values.dtype == object:
            out = values.tolist()
            missing = pd.isna(values)
            if missing.any():
                for i in np.flatnonzero(missing):
                    out[i] = None
            return out
        return values.tolist()  # numbers and booleans (NaN is written as null)

    def features(self, rows: np.ndarray) -> list[dict[str, Any]]:
        """The GeoJSON features of these row positions, in their order."""
        rows = np.asarray(rows, dtype=np.int64)
        geoms = shapely.to_geojson(shapely.transform(self._geoms[rows], _round))
        columns = [self._column(s, rows) for s in self._series]
        props = ([dict(zip(self.names, values, strict=True)) for values in zip(*columns,
                                                                               strict=True)]
                 if columns else [{} for _ in range(len(rows))])
        return [{"type": "Feature", "id": str(fid),
                 "geometry": None if geom is None else orjson.Fragment(geom),
                 "properties": p}
                for fid, geom, p in zip(self._ids[rows].tolist(), geoms, props, strict=True)]
