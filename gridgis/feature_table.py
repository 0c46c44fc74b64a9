"""Paged feature queries on a layer: indexes built once, each query paid by what it keeps.

A :class:`FeatureTable` wraps one layer (a GeoDataFrame) for the feature
queries of OGC API Features: a bounding box, a time instant or interval on
the layer's temporal column, equality on queryable columns and a
jurisdiction (grid-code prefixes or unit ids). Each kind of filter has an
index made on first use and kept: a shapely ``STRtree`` of the geometries,
the temporal column sorted once, the rows of every value of a queryable
column, the grid codes sorted once. A query looks its filters up in these,
intersects the (sorted) row positions, and keeps the answer for the pages
that follow (a client paging through a result asks the same filters again
with another offset). Nothing here serialises features: a caller takes the
rows of its page from :attr:`FeatureTable.frame`.

Times of the layers are naive China Standard Time (see :mod:`gridgis.schemas`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridgis.errors import FilterError
from gridgis.people.access import Scope
from gridgis.schemas import SCHEMAS

__all__ = ["FREE_TEXT", "TEMPORAL", "FeatureTable", "Interval", "layer_table"]

TEMPORAL = {"incidents": "reported_at"}
"""The temporal column of each layer that has one (the ``datetime`` filter's)."""
FREE_TEXT = frozenset({"description", "worker_names", "escalation_reason", "whistle_calls",
                       "reopenings"})
"""Columns of free text or lists: never queryable by equality."""
_SIMPLE = ("str", "int", "bool")
_CACHED = 16  # selections kept per table


@dataclass(frozen=True)
class Interval:
    """A closed time interval in naive China time; ``None`` leaves a side open.

    An instant is the interval whose start and end are equal.
    """

    start: np.datetime64 | None = None
    end: np.datetime64 | None = None


class FeatureTable:
    """One layer ready for paged feature queries.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The layer; its index labels are the feature ids.
    temporal : str, optional
        The column the ``datetime`` filter reads (absent: every feature matches,
        as OGC API Features asks of features without a time).
    queryables : sequence of str
        Columns that may be filtered by equality; those absent from ``frame``
        are left out.

    Examples
    --------
    >>> from gridgis import sample_district
    >>> table = layer_table("grids", sample_district().grids)
    >>> rows = table.select(equals={"community_code": "330399001001"})
    >>> sorted(set(table.frame["community_code"].iloc[rows]))
    ['330399001001']
    """

    def __init__(self, frame: gpd.GeoDataFrame, *, temporal: str | None = None,
                 queryables: tuple[str, ...] = ()) -> None:
        self.frame = frame
        self.temporal = temporal if temporal in frame.columns else None
        self.queryables = tuple(q for q in queryables if q in frame.columns)
        self._lock = threading.Lock()
        self._built: dict[str, Any] = {}
        self._selections: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self.frame)

    # --- indexes, each made on first use --------------------------------------------------

    def _index(self, key: str, make: Any) -> Any:
        with self._lock:
            if key not in self._built:
                self._built[key] = make()
            return self._built[key]

    def _tree(self) -> shapely.STRtree:
        return self._index("tree", lambda: shapely.STRtree(self.frame.geometry.values))

    def bounds(self) -> np.ndarray:
        """Each feature's (minx, miny, maxx, maxy), made once."""
        return self._index("bounds", lambda: shapely.bounds(self.frame.geometry.values))

    def _times(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        def make() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            # microseconds: any time of the calendar (years 1 to 9999) compares without wrapping
            t = self.frame[self.temporal].to_numpy(dtype="datetime64[us]")
            missing = np.flatnonzero(np.isnat(t))
            keep = np.flatnonzero(~np.isnat(t))
            order = keep[np.argsort(t[keep], kind="stable")]
            return t[order], order, missing, t
        return self._index("times", make)

    def _groups(self, column: str) -> tuple[dict[Any, slice], np.ndarray]:
        def make() -> tuple[dict[Any, slice], np.ndarray]:
            codes, uniques = pd.factorize(self.frame[column], use_na_sentinel=True)
            order = np.argsort(codes, kind="stable")
            counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
            starts = np.searchsorted(codes[order], 0) + np.concatenate([[0],
                                                                       np.cumsum(counts)])
            where = {_plain(v): slice(int(starts[i]), int(starts[i + 1]))
                     for i, v in enumerate(uniques)}
            return where, order
        return self._index(f"groups:{column}", make)

    def _sorted_codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        def make() -> tuple[np.ndarray, np.ndarray]:
            codes = self.frame[column].fillna("").astype(str).to_numpy(dtype=str)
            order = np.argsort(codes, kind="stable")
            return codes[order], order
        return self._index(f"codes:{column}", make)

    # --- filters ------------------------------------------------------------------------------

    def value_of(self, column: str, text: str) -> Any:
        """The value ``text`` stands for in queryable ``column`` (400 when it cannot).

        Raises
        ------
        FilterError
            When ``column`` is not queryable or ``text`` is not of its type.
        """
        if column not in self.queryables:
            raise FilterError(f"不可查询的属性 {column} / {column!r} is not a queryable of "
                              f"this collection (see its /queryables)", field=column)
        dtype = self.frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype):
            if text not in ("true", "false"):
                raise FilterError(f"{column} 须为 true 或 false / {column} is true or false",
                                  field=column)
            return text == "true"
        if pd.api.types.is_integer_dtype(dtype):
            try:
                return int(text)
            except ValueError:
                raise FilterError(f"{column} 须为整数 / {column} must be an integer, not "
                                  f"{text!r}", field=column) from None
        return text

    def select(self, *, bbox: tuple[float, float, float, float] | None = None,
               interval: Interval | None = None, equals: Mapping[str, Any] | None = None,
               scope: Scope | None = None) -> np.ndarray:
        """Positions of the features that pass every filter given, in layer order.

        Parameters
        ----------
        bbox : (minx, miny, maxx, maxy), optional
            Keep features whose geometry intersects the box (lon/lat).
        interval : Interval, optional
            Keep features whose temporal value lies in the closed interval, and
            those without a time.
        equals : mapping, optional
            Keep features whose queryable column equals the value (see :meth:`value_of`).
        scope : gridgis.people.Scope, optional
            Keep features whose ``grid_code`` starts with one of the area codes
            or whose ``unit_id`` is one of the unit ids (a jurisdiction).

        Returns
        -------
        numpy.ndarray of int64
            Sorted row positions, never modified by the caller (kept for later pages).
        """
        equals = dict(equals or {})
        key = (bbox, interval, tuple(sorted(equals.items())), scope)
        with self._lock:
            if key in self._selections:
                self._selections.move_to_end(key)
                return self._selections[key]
        parts = []
        if scope is not None:
            parts.append(self._in_scope(scope))
        if bbox is not None:
            parts.append(np.sort(self._tree().query(shapely.box(*bbox),
                                                    predicate="intersects")).astype(np.int64))
        if interval is not None and self.temporal is not None:
            parts.append(self._in_interval(interval))
        for column, value in equals.items():
            parts.append(self._equal(column, value))
        out = _intersect(parts) if parts else np.arange(len(self.frame), dtype=np.int64)
        out.setflags(write=False)
        with self._lock:
            self._selections[key] = out
            while len(self._selections) > _CACHED:
                self._selections.popitem(last=False)
        return out

    def _in_interval(self, interval: Interval) -> np.ndarray:
        sorted_t, order, missing, _ = self._times()
        lo = 0 if interval.start is None else int(np.searchsorted(
            sorted_t, interval.start.astype("datetime64[us]"), side="left"))
        hi = len(sorted_t) if interval.end is None else int(np.searchsorted(
            sorted_t, interval.end.astype("datetime64[us]"), side="right"))
        return np.sort(np.concatenate([order[lo:max(lo, hi)], missing])).astype(np.int64)

    def _equal(self, column: str, value: Any) -> np.ndarray:
        where, order = self._groups(column)
        rows = where.get(_plain(value))
        if rows is None:
            return np.empty(0, dtype=np.int64)
        return np.sort(order[rows]).astype(np.int64)

    def _in_scope(self, scope: Scope) -> np.ndarray:
        parts = []
        if scope.area_codes and "grid_code" in self.frame.columns:
            codes, order = self._sorted_codes("grid_code")
            for prefix in scope.area_codes:
                lo = np.searchsorted(codes, prefix, side="left")
                hi = np.searchsorted(codes, prefix + "\U0010ffff", side="left")
                parts.append(order[lo:hi])
        if scope.unit_ids and "unit_id" in self.frame.columns:
            where, order = self._groups("unit_id")
            parts += [order[where[u]] for u in scope.unit_ids if u in where]
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(parts)).astype(np.int64)

    def extent(self, rows: np.ndarray | None = None) -> tuple[float, float, float, float] | None:
        """The bounding box of the rows (all features by default); None when there are none."""
        b = self.bounds() if rows is None else self.bounds()[rows]
        if not len(b):
            return None
        return (float(np.nanmin(b[:, 0])), float(np.nanmin(b[:, 1])),
                float(np.nanmax(b[:, 2])), float(np.nanmax(b[:, 3])))

    def time_extent(self, rows: np.ndarray | None = None
                    ) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and last time of the rows (all features by default); None without any."""
        if self.temporal is None:
            return None
        sorted_t, _, _, raw = self._times()
        if rows is not None:
            sorted_t = raw[rows]
            sorted_t = np.sort(sorted_t[~np.isnat(sorted_t)])
        if not len(sorted_t):
            return None
        return pd.Timestamp(sorted_t[0]), pd.Timestamp(sorted_t[-1])


def _plain(value: Any) -> Any:
    """A lookup key: numpy scalars as Python ones."""
    return value.item() if isinstance(value, np.generic) else value


def _intersect(parts: list[np.ndarray]) -> np.ndarray:
    parts = sorted(parts, key=len)
    out = parts[0]
    for other in parts[1:]:
        if not len(out):
            break
        out = out[np.isin(out, other, assume_unique=True)]
    return np.ascontiguousarray(out, dtype=np.int64)


def layer_table(name: str, frame: gpd.GeoDataFrame) -> FeatureTable:
    """A :class:`FeatureTable` of a district layer: its temporal column and queryables.

    Queryable are the layer's declared text, integer and boolean columns but
    free text and lists (:data:`FREE_TEXT`).

    Parameters
    ----------
    name : str
        The layer's name (see :data:`gridgis.schemas.SCHEMAS`).
    frame : geopandas.GeoDataFrame
        The layer.

    Returns
    -------
    FeatureTable
    """
    schema = SCHEMAS[name]
    queryables = tuple(c.name for c in schema.columns
                       if c.kind in _SIMPLE and c.name not in FREE_TEXT)
    return FeatureTable(frame, temporal=TEMPORAL.get(name), queryables=queryables)
