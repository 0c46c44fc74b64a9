"""Check one GeoDataFrame against its LayerSchema and normalize its dtypes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from gridgis.errors import LayerError
from gridgis.schemas import Column, LayerSchema

__all__ = ["check_layer"]

LONLAT_EPSG = (4326, 4490)
SHOWN_ROWS = 5


def _fail(schema: LayerSchema, column: str | None, what: str, bad: pd.Series,
          values: pd.Series | None = None) -> None:
    rows = list(bad.index[bad.to_numpy()][:SHOWN_ROWS])
    count = int(bad.sum())
    where = f"layer {schema.name!r}" + (f", column {column!r}" if column else "")
    shown = ", ".join(
        f"{r!r}" + (f" ({values.loc[r]!r})" if values is not None else "") for r in rows
    )
    more = f" and {count - len(rows)} more" if count > len(rows) else ""
    raise LayerError(f"{where}: {count} row(s) {what}: {shown}{more}",
                     layer=schema.name, column=column, rows=rows)


def _check_crs(frame: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise LayerError(
            f"layer {schema.name!r} has no coordinate reference system; store lon/lat "
            "(EPSG:4326 or CGCS2000 EPSG:4490) or set the CRS the data is in "
            "(GeoDataFrame.set_crs) before saving",
            layer=schema.name,
        )
    epsg = frame.crs.to_epsg()
    if epsg in LONLAT_EPSG:
        return frame
    try:
        return frame.to_crs(CRS.from_epsg(4326))
    except Exception as exc:
        raise LayerError(
            f"layer {schema.name!r} is in a CRS that cannot be converted to lon/lat "
            f"({frame.crs.name}): {exc}",
            layer=schema.name,
        ) from exc


def _check_column(frame: gpd.GeoDataFrame, schema: LayerSchema, col: Column,
                  strict: bool) -> pd.Series:
    values = frame[col.name]
    null = values.isna()
    if col.kind == "str":
        if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
            _fail(schema, col.name, f"are {values.dtype} values where text is declared "
                  "(store codes as text so leading zeros survive)", ~null, values)
        is_text = values.map(lambda v: isinstance(v, str)).astype(bool)
        not_text = ~null & ~is_text
        if not_text.any():
            _fail(schema, col.name, "are not text", not_text, values)
        values = values.astype("string").astype(object).where(~null, None)
    elif col.kind == "int":
        numeric = pd.to_numeric(values, errors="coerce")
        bad = ~null & (numeric.isna() | (numeric % 1 != 0))
        if bad.any():
            _fail(schema, col.name, "are not whole numbers", bad, values)
        if not col.nullable and null.any():
            _fail(schema, col.name, "are empty but the column is required", null)
        values = numeric.astype("Int64" if col.nullable else "int64")
    elif col.kind == "float":
        numeric = pd.to_numeric(values, errors="coerce")
        bad = ~null & numeric.isna()
        if bad.any():
            _fail(schema, col.name, "are not numbers", bad, values)
        values = numeric.astype("float64")
    elif col.kind == "datetime":
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            values = values.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
        elif not pd.api.types.is_datetime64_dtype(values):
            parsed = pd.to_datetime(values, errors="coerce", format="mixed")
            bad = ~null & parsed.isna()
            if bad.any():
                _fail(schema, col.name, "are not dates/times", bad, values)
            if isinstance(parsed.dtype, pd.DatetimeTZDtype):
                parsed = parsed.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
            values = parsed
        values = values.astype("datetime64[ms]")
    elif col.kind == "bool":
        values = _as_bool(schema, col, values, null)
    null = values.isna()
    if not col.nullable and null.any():
        _fail(schema, col.name, "are empty but the column is required", null)
    if strict and col.pattern:
        text = values.astype("string")
        bad = ~null & ~text.str.fullmatch(col.pattern).fillna(False).astype(bool)
        if bad.any():
            _fail(schema, col.name, f"do not match the pattern {col.pattern}", bad, values)
    if col.above is not None:
        bad = ~null & ~(np.isfinite(values.astype("float64")) & (values > col.above))
        if bad.any():
            _fail(schema, col.name, f"are not finite numbers greater than {col.above:g}", bad,
                  values)
    if col.choices:
        bad = ~null & ~values.isin(col.choices)
        if bad.any():
            _fail(schema, col.name, f"are not one of {', '.join(col.choices)}", bad, values)
    return values


_TRUTH = {"true": True, "false": False, "1": True, "0": False}


def _truth(value: object) -> bool | None:
    """True or False for a boolean, 1/0 or the text true/false/1/0; None for anything else."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.number) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _TRUTH.get(value.strip().lower())
    return None


def _as_bool(schema: LayerSchema, col: Column, values: pd.Series, null: pd.Series
             ) -> pd.Series:
    """True/false values (1/0 too, as a GeoPackage without a boolean type keeps them)."""
    if pd.api.types.is_bool_dtype(values) and not null.any():
        return values.astype(bool)
    truth = [None if n else _truth(v) for v, n in zip(values, null, strict=True)]
    bad = pd.Series([t is None for t in truth], index=values.index) & ~null
    if bad.any():
        _fail(schema, col.name, "are not true/false", bad, values)
    out = pd.Series(pd.array(truth, dtype="boolean"), index=values.index)
    return out if null.any() else out.astype(bool)


def _check_geometry(frame: gpd.GeoDataFrame, schema: LayerSchema, strict: bool) -> None:
    geoms = frame.geometry
    missing = pd.Series(geoms.isna().to_numpy() | shapely.is_empty(geoms.values),
                        index=frame.index)
    if missing.any():
        _fail(schema, frame.geometry.name, "have an empty or missing geometry", missing)
    kinds = geoms.geom_type
    wrong = ~kinds.isin(schema.geometry)
    if wrong.any():
        _fail(schema, frame.geometry.name,
              f"have a geometry that is not {' or '.join(schema.geometry)}", wrong, kinds)
    if strict:
        valid = shapely.is_valid(geoms.values)
        if not valid.all():
            reasons = pd.Series(shapely.is_valid_reason(geoms.values), index=frame.index)
            _fail(schema, frame.geometry.name, "have an invalid geometry",
                  pd.Series(~valid, index=frame.index), reasons)


def check_layer(frame: gpd.GeoDataFrame, schema: LayerSchema, *,
                strict: bool = True) -> gpd.GeoDataFrame:
    """Return a normalized copy of ``frame`` or raise LayerError naming the problem."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame._geometry_column_name not in frame:
        raise LayerError(f"layer {schema.name!r} is not a GeoDataFrame with a geometry column",
                         layer=schema.name)
    missing = [c.name for c in schema.columns if c.name not in frame.columns and not c.optional]
    if missing:
        raise LayerError(
            f"layer {schema.name!r} lacks column(s) {', '.join(map(repr, missing))}; "
            f"the layer needs {', '.join(schema.column_names)} (see layers/README.md)",
            layer=schema.name, column=missing[0],
        )
    frame = _check_crs(frame, schema).copy()
    for col in schema.columns:
        if col.optional and col.name not in frame.columns:
            frame[col.name] = None
    if not frame[schema.key].duplicated().any():  # features are addressed by key
        frame.index = pd.Index(frame[schema.key].astype(str).to_numpy(), dtype=object)
    for col in schema.columns:
        frame[col.name] = _check_column(frame, schema, col, strict)
    dup = frame[schema.key].duplicated(keep=False)
    if strict and dup.any():
        _fail(schema, schema.key, "repeat a key that must be unique", dup, frame[schema.key])
    if len(frame):
        _check_geometry(frame, schema, strict)
    return frame

