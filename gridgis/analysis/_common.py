"""Shared helpers of gridgis.analysis: column checks, area levels, projection, p-values."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from gridgis import crs
from gridgis.errors import CoordinateError, LayerError

__all__ = [
    "AREA_LEVELS",
    "adjust_pvalues",
    "area_key",
    "as_datetime",
    "data_end",
    "points_lonlat",
    "require_columns",
    "to_projected",
]

AREA_LEVELS: dict[str, str] = {
    "grid": "grid_code",
    "community": "community_code",
    "township": "township_code",
}
"""Area level → the incidents column holding the area's code."""

_TIMESTAMP_COLUMNS = ("reported_at", "accepted_at", "dispatched_at", "resolved_at",
                      "verified_at", "closed_at")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, layer: str,
                    what: str = "this analysis") -> None:
    """Raise LayerError naming the first missing column and how to fix it."""
    if frame is None:
        raise LayerError(f"{what} needs the {layer!r} layer; pass it (it is None)",
                         layer=layer)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LayerError(
            f"{layer} lacks column(s) {', '.join(missing)} needed by {what}; "
            f"read the layer with gridgis.read_layers (which checks the schema) or add them",
            layer=layer, column=missing[0])


def area_key(level: str) -> str:
    """Incidents column of an area level, with a helpful error for unknown levels."""
    try:
        return AREA_LEVELS[level]
    except KeyError:
        raise ValueError(f"level must be one of {', '.join(AREA_LEVELS)}, got {level!r}"
                         ) from None


def as_datetime(values: pd.Series) -> pd.Series:
    """Timestamps as datetime64 (strings from CSV or a store are parsed)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    return pd.to_datetime(values, errors="coerce")


def data_end(incidents: pd.DataFrame) -> pd.Timestamp:
    """The latest timestamp recorded in the incidents: "now" of an archive."""
    cols = [c for c in _TIMESTAMP_COLUMNS if c in incidents.columns]
    stamps = [as_datetime(incidents[c]).max() for c in cols]
    stamps = [s for s in stamps if pd.notna(s)]
    if not stamps:
        raise LayerError("incidents hold no timestamp; pass now=... explicitly",
                         layer="incidents", column="reported_at")
    return pd.Timestamp(max(stamps))


def points_lonlat(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat of a layer's features (points as they are, others' representative points)."""
    frame = frame.to_crs(4326)
    geom = frame.geometry
    if not geom.geom_type.isin(["Point"]).all():
        geom = geom.representative_point()
    return geom.x.to_numpy(), geom.y.to_numpy()


def to_projected(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in its local CGCS2000 Gauss-Krüger zone (metres), or as is if projected."""
    if frame.crs is None:
        raise CoordinateError("the layer has no CRS; set it (GeoDataFrame.set_crs) to "
                              "EPSG:4326 or EPSG:4490 first")
    if frame.crs.is_projected:
        return frame
    return crs.to_projected(frame)


def adjust_pvalues(p: np.ndarray | pd.Series, method: str) -> np.ndarray:
    """Correct p-values for multiple testing: "fdr_bh", "bonferroni" or "none".

    NaN p-values are ignored (not counted as tests) and stay NaN.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return out
    q = p[ok]
    if method == "none":
        adj = q
    elif method == "bonferroni":
        adj = np.minimum(q * m, 1.0)
    elif method == "fdr_bh":
        order = np.argsort(q)
        ranked = q[order] * m / np.arange(1, m + 1)
        ranked = np.minimum.accumulate(ranked[::-1])[::-1]
        adj = np.empty(m)
        adj[order] = np.minimum(ranked, 1.0)
    else:
        raise ValueError(f"correction must be 'fdr_bh', 'bonferroni' or 'none', got {method!r}")
    out[ok] = adj
    return out
