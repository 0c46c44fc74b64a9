"""Import a planner's own files (导入规划数据) into a district GeoPackage.

Planners arrive with Shapefiles, GeoJSON or GeoPackages from a mapping vendor,
often in GCJ-02, BD-09 or a local CGCS2000 Gauss-Krüger CRS, with Chinese
column names, and with household lists in Excel or CSV. A *mapping file*
(TOML) says which file holds which gridgis layer, in which coordinate system,
and which of its columns is which schema column::

    district_code = "330304"          # optional: checked against township codes

    [layers.grids]
    file = "网格.shp"                 # relative to the mapping file
    crs = "gcj02"                     # gcj02, bd09, wgs84, cgcs2000 or EPSG:45xx
    encoding = "GBK"                  # optional, for Shapefiles without .cpg
    issue_codes = true                # optional: issue codes where 编码 is empty
    [layers.grids.columns]
    code = "编码"
    name = "名称"
    community_code = "社区"
    [layers.grids.values]             # optional constants for unmapped columns
    workers = 1

    [[joins]]                         # households from a list
    file = "户数.xlsx"
    layer = "grids"
    by = "code"                       # schema column, or a column of the layer's file
    key = "网格编码"                   # column of the list
    [joins.columns]
    households = "户数"
    population = "人口"

Coordinates are converted at the boundary with :mod:`gridgis.crs`: GCJ-02 and
BD-09 vertex by vertex, Gauss-Krüger by pyproj; the district is stored in
lon/lat (EPSG:4326). Codes are checked against the hierarchy
(:mod:`gridgis.codes`) or issued when missing. Every error is a
:class:`~gridgis.errors.SourceFileError` naming the file, the row and the column.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from gridgis.codes import DEFAULT_SCHEME, check_codes, check_hierarchy
from gridgis.crs import normalize_crs_name, to_wgs84
from gridgis.errors import CodeError, CoordinateError, LayerError, SourceFileError
from gridgis.layers import Layers, write_layers
from gridgis.schemas import CORE_LAYERS, SCHEMAS

__all__ = ["ImportReport", "LayerSource", "Mapping", "import_district", "read_mapping"]

_LEVEL = {"townships": "township", "communities": "community", "grids": "grid"}
_PARENT = {"communities": "township_code", "grids": "community_code"}
_TABLE_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".txt"}
_MAX_SEGMENT_DEG = 1e-3  # densify GCJ-02/BD-09 edges to ~100 m before the conversion


@dataclass(frozen=True)
class LayerSource:
    """Where one gridgis layer comes from.

    Parameters
    ----------
    layer : str
        The gridgis layer name (see ``gridgis schema``).
    file : pathlib.Path
        The vector file (Shapefile, GeoJSON or GeoPackage).
    crs : str
        The file's coordinate system as the mapping names it.
    columns : dict
        Schema column -> column of the file.
    values : dict
        Schema column -> constant for every row.
    source_layer : str, optional
        Layer inside a multi-layer file (GeoPackage).
    encoding : str, optional
        Text encoding of a Shapefile's attributes.
    issue_codes : bool
        Issue codes under the parent code where the code is empty.
    totals_from : str, optional
        ``"buildings"``: a grid's households and population are the sums over
        the buildings that lie in it.
    """

    layer: str
    file: Path
    crs: str
    columns: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    source_layer: str | None = None
    encoding: str | None = None
    issue_codes: bool = False
    totals_from: str | None = None


@dataclass(frozen=True)
class Join:
    """A table (Excel/CSV) whose rows fill columns of a layer, matched by a key."""

    file: Path
    layer: str
    by: str
    key: str
    columns: dict[str, str]
    sheet: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file: the sources of the layers and the joins."""

    path: Path
    layers: dict[str, LayerSource]
    joins: tuple[Join, ...] = ()
    district_code: str | None = None


@dataclass
class ImportReport:
    """What an import did: features per layer, codes issued, rows joined."""

    features: dict[str, int] = field(default_factory=dict)
    issued: dict[str, list[str]] = field(default_factory=dict)
    joined: dict[str, int] = field(default_factory=dict)


def _fail(message: str, *, file: Path | str, row: int | None = None,
          column: str | None = None) -> SourceFileError:
    where = f"{Path(file).name}"
    if row is not None:
        where += f" 第 {row} 行"
    if column is not None:
        where += f" 列「{column}」"
    return SourceFileError(f"{where}：{message}", file=str(file), row=row, column=column)


def read_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read and check a TOML mapping file.

    Parameters
    ----------
    path : path-like
        The mapping file; data file paths in it are relative to its folder.

    Returns
    -------
    Mapping

    Raises
    ------
    SourceFileError
        If the file is not TOML, names an unknown layer or schema column, or
        leaves out a file's ``crs``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 映射文件不存在 (no such mapping file)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(f"映射文件不是有效的 TOML (not valid TOML): {exc}", file=path) from exc
    base = path.parent
    layers: dict[str, LayerSource] = {}
    for name, spec in (data.get("layers") or {}).items():
        key = f"layers.{name}"
        if name not in SCHEMAS:
            raise _fail(f"未知图层 {name!r}，可用图层: {', '.join(SCHEMAS)} (unknown layer)",
                        file=path, column=key)
        if not isinstance(spec, dict) or "file" not in spec:
            raise _fail("缺少 file (the layer's data file)", file=path, column=f"{key}.file")
        if not spec.get("crs"):
            raise _fail(f"未给出 {spec['file']} 的坐标系 crs（gcj02、bd09、wgs84、cgcs2000 或 "
                        "EPSG 编码）(missing CRS)", file=path, column=f"{key}.crs")
        try:
            _parse_crs(str(spec["crs"]))
        except ValueError as exc:
            raise _fail(f"无法识别 {spec['file']} 的坐标系 {spec['crs']!r}（可用 gcj02、bd09、"
                        "wgs84、cgcs2000 或 EPSG:45xx）(unknown CRS)", file=path,
                        column=f"{key}.crs") from exc
        columns = dict(spec.get("columns") or {})
        values = dict(spec.get("values") or {})
        schema = SCHEMAS[name]
        for target in (*columns, *values):
            if target not in schema.column_names:
                raise _fail(f"图层 {name} 没有列 {target!r}，可用列: "
                            f"{', '.join(schema.column_names)} (unknown schema column)",
                            file=path, column=f"{key}.columns.{target}")
        layers[name] = LayerSource(
            layer=name, file=base / spec["file"], crs=str(spec["crs"]), columns=columns,
            values=values, source_layer=spec.get("layer"), encoding=spec.get("encoding"),
            issue_codes=bool(spec.get("issue_codes", False)),
            totals_from=spec.get("totals_from"),
        )
        if layers[name].totals_from not in (None, "buildings") or (
                layers[name].totals_from and name != "grids"):
            raise _fail("totals_from 只能用于 grids，取值 \"buildings\"", file=path,
                        column=f"{key}.totals_from")
    for name in CORE_LAYERS:
        if name not in layers:
            raise _fail(f"缺少必需图层 [layers.{name}] (a district needs "
                        f"{', '.join(CORE_LAYERS)})", file=path, column=f"layers.{name}")
    joins = []
    for i, spec in enumerate(data.get("joins") or [], start=1):
        key = f"joins[{i}]"
        for need in ("file", "layer", "by", "key", "columns"):
            if need not in spec:
                raise _fail(f"缺少 {need}", file=path, column=f"{key}.{need}")
        if spec["layer"] not in layers:
            raise _fail(f"图层 {spec['layer']!r} 未在 [layers] 中给出", file=path,
                        column=f"{key}.layer")
        for target in spec["columns"]:
            if target not in SCHEMAS[spec["layer"]].column_names:
                raise _fail(f"图层 {spec['layer']} 没有列 {target!r} (unknown schema column)",
                            file=path, column=f"{key}.columns.{target}")
        joins.append(Join(file=base / spec["file"], layer=spec["layer"], by=spec["by"],
                          key=spec["key"], columns=dict(spec["columns"]),
                          sheet=spec.get("sheet")))
    district = data.get("district_code")
    return Mapping(path=path, layers=layers, joins=tuple(joins),
                   district_code=None if district is None else str(district))


def _read_vector(src: LayerSource) -> gpd.GeoDataFrame:
    if not src.file.exists():
        raise _fail("文件不存在 (no such file)", file=src.file)
    kwargs: dict[str, Any] = {}
    if src.source_layer:
        kwargs["layer"] = src.source_layer
    if src.encoding:
        kwargs["encoding"] = src.encoding
    try:
        frame = gpd.read_file(src.file, engine="pyogrio", **kwargs)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise _fail(f"无法读取为矢量文件 (cannot be read): {exc}", file=src.file) from exc
    return frame.reset_index(drop=True)


def _read_table(join: Join) -> pd.DataFrame:
    if not join.file.exists():
        raise _fail("文件不存在 (no such file)", file=join.file)
    suffix = join.file.suffix.lower()
    if suffix not in _TABLE_SUFFIXES:
        raise _fail(f"户数清单须为 Excel (.xlsx) 或 CSV，而不是 {suffix}", file=join.file)
    try:
        if suffix in (".csv", ".txt"):
            table = pd.read_csv(join.file, dtype=str, encoding="utf-8-sig")
        else:
            table = pd.read_excel(join.file, sheet_name=join.sheet or 0, dtype=str,
                                  engine="openpyxl")
    except Exception as exc:
        raise _fail(f"无法读取 (cannot be read): {exc}", file=join.file) from exc
    table.columns = [str(c).strip() for c in table.columns]
    return table.reset_index(drop=True)


def _to_lonlat(frame: gpd.GeoDataFrame, src: LayerSource) -> gpd.GeoSeries:
    """Convert the geometries to EPSG:4326, every vertex for GCJ-02/BD-09."""
    system = _parse_crs(src.crs)
    declared = frame.crs
    if isinstance(system, pyproj.CRS):
        if declared is not None and not declared.equals(system, ignore_axis_order=True):
            raise _fail(f"映射给出的坐标系 {src.crs} 与文件自带的 {declared.to_string()} 不符，"
                        "请核对 (CRS of the mapping differs from the file's)", file=src.file)
        return frame.geometry.set_crs(system, allow_override=True).to_crs(4326)
    if declared is not None and not declared.is_geographic:
        raise _fail(f"映射说是 {src.crs}（经纬度），但文件自带投影坐标系 {declared.to_string()}"
                    " (projected file declared as lon/lat)", file=src.file)
    geoms = frame.geometry.array
    if system in ("gcj02", "bd09"):
        # The offset bends straight edges: without vertices every ~100 m, a vertex
        # lying on a neighbour's long edge (a T-junction) ends up to 0.7 m off it.
        geoms = shapely.segmentize(np.asarray(geoms), _MAX_SEGMENT_DEG)

        def convert(xy: np.ndarray) -> np.ndarray:
            lon, lat = to_wgs84(xy[:, 0], xy[:, 1], system)
            return np.column_stack([lon, lat])
        geoms = shapely.transform(np.asarray(geoms), convert)
    return gpd.GeoSeries(geoms, index=frame.index, crs=4326)


def _parse_crs(text: str) -> str | pyproj.CRS:
    """A gridgis system name (gcj02, bd09, wgs84, cgcs2000) or a pyproj CRS.

    Raises
    ------
    ValueError
        If `text` is neither.
    """
    try:
        return normalize_crs_name(text)
    except CoordinateError:
        pass
    try:
        return pyproj.CRS.from_user_input(text.strip())
    except pyproj.exceptions.CRSError as exc:
        raise ValueError(text) from exc


def _row(i: int) -> int:
    """The 1-based feature number (vector files) of row label ``i``."""
    return int(i) + 1


def _convert(series: pd.Series, kind: str, *, file: Path, column: str,
             header_rows: int) -> pd.Series:
    """Cast a source column to the schema kind, naming the first bad row."""
    if kind == "str":
        text = series.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                          else (str(int(v)) if isinstance(v, float) and v.is_integer()
                                else str(v).strip()))
        return text.replace("", None)
    if kind in ("int", "float"):
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna() & series.notna() & (series.astype(str).str.strip() != "")
        if kind == "int":
            bad |= numbers.notna() & (numbers % 1 != 0)
        if bad.any():
            i = bad.idxmax()
            raise _fail(f"值 {series[i]!r} 不是{'整数' if kind == 'int' else '数值'} "
                        f"(not a number)", file=file, row=int(i) + header_rows, column=column)
        return numbers.astype("Int64") if kind == "int" else numbers.astype(float)
    return series


def _check_layer_codes(frame: pd.DataFrame, src: LayerSource, report: ImportReport) -> None:
    name = src.layer
    if name not in _LEVEL:
        return
    code_col = src.columns.get("code", "code")
    missing = frame["code"].isna()
    if missing.any():
        parent = _PARENT.get(name)
        if not src.issue_codes or parent is None:
            i = missing.idxmax()
            raise _fail("编码为空（可在映射中设 issue_codes = true 自动编码）(missing code)",
                        file=src.file, row=_row(i), column=code_col)
        issued: list[str] = []
        for parent_code, rows in frame[missing].groupby(parent, dropna=False).groups.items():
            if pd.isna(parent_code):
                i = min(rows)
                raise _fail("编码与上级编码都为空，无法编码 (no parent code to issue under)",
                            file=src.file, row=_row(i), column=src.columns.get(parent, parent))
            try:
                codes = DEFAULT_SCHEME.issue(str(parent_code), len(rows),
                                             existing=frame["code"].dropna())
            except CodeError as exc:
                raise _fail(str(exc), file=src.file, row=_row(min(rows)),
                            column=src.columns.get(parent, parent)) from exc
            frame.loc[list(rows), "code"] = codes
            issued.extend(codes)
        report.issued[name] = issued
    ok = check_codes(frame["code"], level=_LEVEL[name])
    if not ok.all():
        i = (~ok).idxmax()
        raise _fail(f"编码 {frame.at[i, 'code']!r} 不是{_LEVEL_ZH[name]}编码 "
                    f"({DEFAULT_SCHEME.length(_LEVEL[name])} 位)", file=src.file, row=_row(i),
                    column=code_col)
    dup = frame["code"].duplicated()
    if dup.any():
        i = dup.idxmax()
        raise _fail(f"编码 {frame.at[i, 'code']!r} 重复 (duplicate code)", file=src.file,
                    row=_row(i), column=code_col)
    parent = _PARENT.get(name)
    if parent is not None:
        fits = check_hierarchy(frame["code"], frame[parent])
        if not fits.all():
            i = (~fits).idxmax()
            raise _fail(f"编码 {frame.at[i, 'code']!r} 不在上级 {frame.at[i, parent]!r} 之下 "
                        "(code not under its parent)", file=src.file, row=_row(i),
                        column=code_col)


_LEVEL_ZH = {"townships": "乡镇/街道", "communities": "社区/村", "grids": "网格"}


def _build_layer(src: LayerSource, raw: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    schema = SCHEMAS[src.layer]
    for target, column in src.columns.items():
        if column not in raw.columns:
            have = ", ".join(str(c) for c in raw.columns if c != raw.geometry.name)
            hint = ("；列名若是乱码，请在映射中设 encoding = \"GBK\""
                    if src.file.suffix.lower() == ".shp" and not src.encoding else "")
            raise _fail(f"文件中没有映射的列（图层 {src.layer}.{target}）；文件的列有: {have}"
                        f"{hint} (unknown column)", file=src.file, column=column)
    if raw.geometry.isna().any() or raw.geometry.is_empty.any():
        i = (raw.geometry.isna() | raw.geometry.is_empty).idxmax()
        raise _fail("几何为空 (empty geometry)", file=src.file, row=_row(i))
    data: dict[str, pd.Series] = {}
    for col in schema.columns:
        if col.name in src.columns:
            data[col.name] = _convert(raw[src.columns[col.name]], col.kind, file=src.file,
                                      column=src.columns[col.name], header_rows=1)
        elif col.name in src.values:
            data[col.name] = pd.Series([src.values[col.name]] * len(raw), index=raw.index)
        elif col.nullable or (col.name == "code" and src.issue_codes):
            data[col.name] = pd.Series([None] * len(raw), index=raw.index, dtype=object)
    return gpd.GeoDataFrame(data, geometry=_to_lonlat(raw, src), crs=4326)


def _apply_join(join: Join, frame: gpd.GeoDataFrame, raw: gpd.GeoDataFrame,
                src: LayerSource) -> int:
    table = _read_table(join)
    for column in (join.key, *join.columns.values()):
        if column not in table.columns:
            raise _fail(f"清单中没有此列；清单的列有: {', '.join(table.columns)} "
                        "(unknown column)", file=join.file, column=column)
    if join.by in frame.columns and join.by in src.columns:
        target_keys = frame[join.by].astype("string").str.strip()
        by_label = src.columns[join.by]
    elif join.by in raw.columns:
        target_keys = raw[join.by].astype("string").str.strip()
        by_label = join.by
    else:
        raise _fail(f"{src.file.name} 中没有连接列 {join.by!r} (no such join column)",
                    file=join.file, column=join.by)
    keys = table[join.key].astype("string").str.strip()
    empty = keys.isna() | (keys == "")
    if empty.any():
        i = empty.idxmax()
        raise _fail("键为空 (empty key)", file=join.file, row=int(i) + 2, column=join.key)
    dup = keys.duplicated()
    if dup.any():
        i = dup.idxmax()
        raise _fail(f"键 {keys[i]!r} 重复 (duplicate key)", file=join.file, row=int(i) + 2,
                    column=join.key)
    known = set(target_keys.dropna())
    unknown = ~keys.isin(known)
    if unknown.any():
        i = unknown.idxmax()
        raise _fail(f"键 {keys[i]!r} 在 {src.file.name} 的「{by_label}」中找不到 "
                    "(key not found)", file=join.file, row=int(i) + 2, column=join.key)
    position = pd.Series(np.arange(len(keys)), index=keys.to_numpy())
    schema = SCHEMAS[join.layer]
    for target, column in join.columns.items():
        values = _convert(table[column], schema.column(target).kind, file=join.file,
                          column=column, header_rows=2)
        matched = target_keys.map(position)
        missing = matched.isna()
        if missing.any() and not schema.column(target).nullable:
            i = missing.idxmax()
            raise _fail(f"「{by_label}」= {target_keys[i]!r} 在清单 {join.file.name} 中没有"
                        f"「{column}」(no row in the list)", file=src.file, row=_row(i),
                        column=by_label)
        frame[target] = values.to_numpy()[matched.fillna(0).astype(int).to_numpy()]
        if missing.any():
            frame.loc[missing.to_numpy(), target] = None
    return int(len(keys))


def import_district(mapping: str | os.PathLike[str] | Mapping,
                    out: str | os.PathLike[str]) -> tuple[Layers, ImportReport]:
    """Import the files a mapping describes and write a district GeoPackage.

    Parameters
    ----------
    mapping : path-like or Mapping
        The TOML mapping file (see the module docstring), or a parsed one.
    out : path-like
        The district GeoPackage to write (replaced atomically).

    Returns
    -------
    layers : Layers
        The imported, schema-checked layers in lon/lat.
    report : ImportReport
        Features per layer, codes issued, list rows joined.

    Raises
    ------
    SourceFileError
        Naming the file, the row and the column of the first problem.
    """
    if not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    report = ImportReport()
    frames: dict[str, gpd.GeoDataFrame] = {}
    raws: dict[str, gpd.GeoDataFrame] = {}
    for name, src in mapping.layers.items():
        raw = _read_vector(src)
        raws[name] = raw
        frames[name] = _build_layer(src, raw)
    order = [name for name in SCHEMAS if name in frames]
    for name in order:  # codes first: a list is joined to checked (or issued) codes
        _check_layer_codes(frames[name], mapping.layers[name], report)
    if "buildings" in frames and "grid_code" not in frames["buildings"].columns:
        _locate_buildings(frames["buildings"], frames["grids"], mapping.layers["buildings"])
    for join in mapping.joins:
        report.joined[join.file.name] = _apply_join(
            join, frames[join.layer], raws[join.layer], mapping.layers[join.layer])
    if mapping.layers["grids"].totals_from == "buildings":
        _grid_totals(frames, mapping)
    for name in order:
        src = mapping.layers[name]
        for col in SCHEMAS[name].columns:
            if col.name not in frames[name].columns and not col.optional:
                raise _fail(f"图层 {name} 的必填列 {col.name!r} 既未映射也未给值 "
                            "(required column not mapped)", file=mapping.path,
                            column=f"layers.{name}.columns")
            if name in _LEVEL and col.name == "code":
                continue  # checked, or issued, with the codes below
            if col.name in frames[name].columns and not col.nullable:
                empty = frames[name][col.name].isna()
                if empty.any():
                    i = empty.idxmax()
                    raise _fail(f"必填列 {col.name} 为空 (empty value)", file=src.file,
                                row=_row(i), column=src.columns.get(col.name, col.name))
        report.features[name] = len(frames[name])
    _check_parents(frames, mapping)
    layers = Layers(**frames)
    try:
        write_layers(layers, out)
    except LayerError as exc:
        src = mapping.layers.get(exc.layer)
        file = src.file if src else mapping.path
        column = src.columns.get(exc.column, exc.column) if src and exc.column else exc.column
        row = _row(exc.rows[0]) if exc.rows else None
        raise _fail(str(exc), file=file, row=row, column=column) from exc
    return layers.check(), report


def _check_parents(frames: dict[str, gpd.GeoDataFrame], mapping: Mapping) -> None:
    """Every parent code names a feature of the parent layer."""
    if mapping.district_code is not None:
        src = mapping.layers["townships"]
        bad = frames["townships"]["district_code"] != mapping.district_code
        if bad.any():
            i = bad.idxmax()
            raise _fail(f"区县编码 {frames['townships'].at[i, 'district_code']!r} 不是 "
                        f"{mapping.district_code}", file=src.file, row=_row(i),
                        column=src.columns.get("district_code", "district_code"))
    for child, parent_layer in (("communities", "townships"), ("grids", "communities")):
        src = mapping.layers[child]
        column = _PARENT[child]
        known = set(frames[parent_layer]["code"])
        bad = ~frames[child][column].isin(known)
        if bad.any():
            i = bad.idxmax()
            raise _fail(f"上级编码 {frames[child].at[i, column]!r} 不在 "
                        f"{mapping.layers[parent_layer].file.name} 中 (unknown parent)",
                        file=src.file, row=_row(i), column=src.columns.get(column, column))


def _locate_buildings(buildings: gpd.GeoDataFrame, grids: gpd.GeoDataFrame,
                      src: LayerSource) -> None:
    """Fill ``grid_code`` with the grid each building's point (or centroid) lies in."""
    points = gpd.GeoDataFrame(geometry=buildings.geometry.representative_point(), crs=4326)
    hits = gpd.sjoin(points, grids[["code", "geometry"]], how="left", predicate="within")
    hits = hits[~hits.index.duplicated(keep="first")]
    outside = hits["code"].isna()
    if outside.any():
        i = outside.idxmax()
        raise _fail("楼栋不在任何网格内，无法确定所属网格 (building outside every grid)",
                    file=src.file, row=_row(i))
    buildings["grid_code"] = hits["code"].astype(str).to_numpy()


def _grid_totals(frames: dict[str, gpd.GeoDataFrame], mapping: Mapping) -> None:
    """A grid's households and population: the sums over its buildings."""
    if "buildings" not in frames:
        raise _fail("totals_from = \"buildings\" 需要 [layers.buildings]", file=mapping.path,
                    column="layers.grids.totals_from")
    buildings = frames["buildings"]
    grids = frames["grids"]
    for column in ("households", "population"):
        if column not in buildings.columns or buildings[column].isna().any():
            src = mapping.layers["buildings"]
            i = buildings[column].isna().idxmax() if column in buildings.columns else None
            raise _fail(f"楼栋的 {column} 为空，无法汇总到网格 (empty)", file=src.file,
                        row=None if i is None else _row(i), column=src.columns.get(column,
                                                                                   column))
        sums = buildings.groupby("grid_code")[column].sum()
        grids[column] = grids["code"].map(sums).fillna(0).astype("int64").to_numpy()
