"""QGIS layer styles (.qml) for district files, written into a GeoPackage's ``layer_styles``.

QGIS opens a GeoPackage layer with the style its ``layer_styles`` table marks
as default for it (the OGC/QGIS convention: one row per style, keyed by
``f_table_name`` and ``f_geometry_column``). :func:`district_styles` builds the
styles of a district — grids coloured by community with their codes as labels,
patrol zones by level, incidents by light, communities and townships as
labelled outlines — and :func:`findings_style` / :func:`diff_styles` those of
``gridgis validate --findings`` and ``gridgis diff --out``. Every style gives
the fields Chinese display names (English second). :func:`write_layer_styles`
writes them with the standard library's ``sqlite3``; QGIS is never imported.
"""

from __future__ import annotations

import os
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from gridgis.layers import Layers

__all__ = ["FIELD_ALIASES", "STYLE_COLUMNS", "STYLE_NAME", "diff_styles", "district_styles",
           "findings_style", "layer_qml", "write_district_styles", "write_layer_styles"]

STYLE_NAME = "gridgis"
"""``styleName`` of the styles gridgis writes (a later write replaces them)."""

STYLE_COLUMNS: tuple[str, ...] = (
    "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
    "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time")
"""Columns of the ``layer_styles`` table, as QGIS creates it in a GeoPackage."""

_CREATE = """CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256),
    f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
    useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""

FIELD_ALIASES: dict[str, str] = {
    "code": "编码 code", "name": "名称 name", "district_code": "区县编码 district code",
    "township_code": "乡镇/街道编码 township code", "kind": "类型 kind",
    "community_code": "社区/村编码 community code", "households": "户数 households",
    "population": "人口 population", "workers": "网格员数 workers",
    "worker_names": "网格员 worker names", "zone_id": "巡查区编号 zone id",
    "level": "巡查频率 level", "grid_code": "网格编码 grid code",
    "building_id": "楼栋编号 building id", "unit_id": "单位编号 unit id",
    "platform": "平台 platform", "incident_id": "事件编号 incident id",
    "reported_at": "上报时间 reported at", "category": "事件类别 category",
    "description": "事件描述 description", "source": "来源 source", "status": "状态 status",
    "priority": "优先级 priority", "respond_by": "响应时限 respond by",
    "resolve_by": "办结时限 resolve by", "closed_at": "结案时间 closed at",
    "rule": "规则 rule", "severity": "严重程度 severity", "codes": "涉及编码 codes",
    "message": "说明 message", "measure": "量值 measure", "unit": "单位 unit",
    "renamed": "改编码 renamed", "from_grids": "划入自 from grids",
    "to_grids": "划出至 to grids", "area_change_m2": "面积变化 Δ area m²",
    "households_old": "原户数 households old", "households_new": "新户数 households new",
    "old_grid": "原网格 old grid", "new_grid": "新网格 new grid",
}
"""Chinese display names (English second) of the fields the styles name."""

RULE_ZH: dict[str, str] = {
    "invalid_geometry": "几何无效", "overlap": "网格重叠", "gap": "网格缝隙",
    "outside_community": "越出社区", "sliver": "碎片", "multipart": "多部件网格",
    "duplicate_code": "编码重复", "malformed_code": "编码格式错误",
    "code_hierarchy": "编码层级不符", "households_range": "户数超出范围",
    "no_worker": "无网格员", "zone_outside_district": "巡查区越界",
    "zone_unknown_grid": "巡查区网格不存在"}
"""Chinese names of the validation rules (legend labels)."""

_SEVERITY = {"error": ("错误", "215,25,28"), "warning": ("警告", "253,174,97")}
_LEVELS = {"high": ("高频", "215,48,39"), "medium": ("中频", "252,141,89"),
           "low": ("低频", "145,207,96")}
_PALETTE = ("141,211,199", "255,255,179", "190,186,218", "251,128,114", "128,177,211",
            "253,180,98", "179,222,105", "252,205,229", "217,217,217", "188,128,189",
            "204,235,197", "255,237,111")
_FONT = "Noto Sans CJK SC"
_GEOMETRY = {"point": "0", "line": "1", "fill": "2"}


def _option(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "Option", type="QString", name=name, value=value)


def _symbol(kind: str, name: str, colour: str, *, outline: str = "60,60,60,255",
            width: float = 0.26, alpha: float = 1.0, style: str = "solid",
            size: float = 2.0) -> ET.Element:
    """One symbol: ``fill`` (colour, outline), ``line`` or ``point`` (a circle)."""
    sym = ET.Element("symbol", type="marker" if kind == "point" else kind, name=name,
                     alpha=str(alpha), clip_to_extent="1", force_rhr="0")
    cls = {"fill": "SimpleFill", "line": "SimpleLine", "point": "SimpleMarker"}[kind]
    layer = ET.SubElement(sym, "layer", {"class": cls, "enabled": "1", "locked": "0",
                                         "pass": "0"})
    opts = ET.SubElement(layer, "Option", type="Map")
    if kind == "fill":
        for key, value in (("color", colour), ("style", style), ("outline_color", outline),
                           ("outline_style", "solid"), ("outline_width", str(width)),
                           ("outline_width_unit", "MM"), ("joinstyle", "bevel")):
            _option(opts, key, value)
    elif kind == "line":
        for key, value in (("line_color", colour), ("line_style", style),
                           ("line_width", str(width)), ("line_width_unit", "MM"),
                           ("capstyle", "square"), ("joinstyle", "bevel")):
            _option(opts, key, value)
    else:
        for key, value in (("name", "circle"), ("color", colour), ("outline_color", outline),
                           ("outline_width", str(width)), ("outline_width_unit", "MM"),
                           ("size", str(size)), ("size_unit", "MM")):
            _option(opts, key, value)
    return sym


def _document(geometry: str, renderer: ET.Element, fields: Iterable[str],
              label: ET.Element | None = None) -> str:
    root = ET.Element("qgis", version="3.22.0", styleCategories="Symbology|Labeling|Fields")
    root.append(renderer)
    if label is not None:
        root.append(label)
    aliases = ET.SubElement(root, "aliases")
    for i, field in enumerate(fields):
        if field in FIELD_ALIASES:
            ET.SubElement(aliases, "alias", field=field, index=str(i), name=FIELD_ALIASES[field])
    ET.SubElement(root, "layerGeometryType").text = _GEOMETRY[geometry]
    ET.indent(root)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode") + "\n"


def _single(symbol: ET.Element) -> ET.Element:
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0",
                          enableorderby="0", forceraster="0")
    ET.SubElement(renderer, "symbols").append(symbol)
    return renderer


def _categorized(attr: str, categories: Iterable[tuple[str, str, ET.Element]]
                 ) -> ET.Element:
    """A categorized renderer on ``attr`` (a field or an expression)."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=attr,
                          symbollevels="0", enableorderby="0", forceraster="0")
    cats = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (value, label, symbol) in enumerate(categories):
        ET.SubElement(cats, "category", render="true", symbol=str(i), value=value, label=label)
        symbol.set("name", str(i))
        symbols.append(symbol)
    return renderer


def _rules(rules: Iterable[tuple[str, str, ET.Element]]) -> ET.Element:
    """A rule-based renderer: ``(filter expression, legend label, symbol)``, first match."""
    renderer = ET.Element("renderer-v2", type="RuleRenderer", symbollevels="0",
                          enableorderby="0", forceraster="0")
    root = ET.SubElement(renderer, "rules", key="{gridgis-root}")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (expression, label, symbol) in enumerate(rules):
        ET.SubElement(root, "rule", key=f"{{gridgis-{i}}}", filter=expression, label=label,
                      symbol=str(i))
        symbol.set("name", str(i))
        symbols.append(symbol)
    return renderer


def _labels(field: str, *, size: float = 8.0, colour: str = "40,40,40,255",
            max_scale: int = 0, is_expression: bool = False) -> ET.Element:
    """Simple labels of ``field`` at polygon centres (shown below ``max_scale``, 0: always)."""
    labeling = ET.Element("labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(settings, "text-style", fieldName=field,
                         isExpression="1" if is_expression else "0", fontFamily=_FONT,
                         fontSize=str(size), fontSizeUnit="Point", textColor=colour,
                         textOpacity="1", namedStyle="Regular", fontWeight="50",
                         fontItalic="0", multilineHeight="1", blendMode="0",
                         previewBkgrdColor="255,255,255,255", allowHtml="0")
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="0.8",
                  bufferSizeUnits="MM", bufferColor="255,255,255,255", bufferOpacity="0.85",
                  bufferJoinStyle="128", bufferNoFill="1", bufferBlendMode="0")
    ET.SubElement(text, "text-format", wrapChar="", multilineAlign="3", plussign="0",
                  reverseDirectionSymbol="0", formatNumbers="0", decimals="3",
                  addDirectionSymbol="0", placeDirectionSymbol="0")
    ET.SubElement(settings, "placement", placement="1", offsetType="0", dist="0",
                  priority="5", centroidWhole="1", centroidInside="1", fitInPolygonOnly="0",
                  overrunDistance="0", quadOffset="4", placementFlags="10")
    # QGIS reads scaleMax as the most zoomed-out scale at which labels show
    ET.SubElement(settings, "rendering", scaleVisibility="1" if max_scale else "0",
                  scaleMin="0", scaleMax=str(max_scale), obstacle="1", obstacleType="1",
                  displayAll="0", upsidedownLabels="0", limitNumLabels="0",
                  mergeLines="0", fontLimitPixelSize="0", drawLabels="1", zIndex="0",
                  labelPerPart="0")
    return labeling


def _fields(frame: pd.DataFrame | None, fallback: Iterable[str]) -> list[str]:
    if frame is None:
        return list(fallback)
    geometry = frame.geometry.name if hasattr(frame, "geometry") else None
    return [str(c) for c in frame.columns if c != geometry]


def _fill(rgb: str, *, fill_alpha: int = 160, outline: str = "60,60,60,255",
          width: float = 0.26, style: str = "solid") -> ET.Element:
    """A fill symbol of colour ``rgb`` ("r,g,b") at ``fill_alpha`` (0-255)."""
    return _symbol("fill", "0", f"{rgb},{fill_alpha}", outline=outline, width=width,
                   style=style)


def layer_qml(name: str, frame: pd.DataFrame | None = None) -> str | None:
    """The QML style of district layer ``name`` (None for a layer gridgis does not style).

    Parameters
    ----------
    name : str
        A layer of the district file (``grids``, ``patrol_zones``, ``incidents`` …).
    frame : pandas.DataFrame, optional
        The layer, for styles that list its values (the communities of the grids).

    Returns
    -------
    str or None
        The QML document.
    """
    from gridgis.schemas import SCHEMAS

    columns = [c.name for c in SCHEMAS[name].columns] if name in SCHEMAS else []
    fields = _fields(frame, columns)
    if name == "grids":
        codes = sorted(set(frame["community_code"].dropna())) if frame is not None else []
        cats = [(code, f"社区 {code}", _fill(_PALETTE[i % len(_PALETTE)], outline="90,90,90,255",
                                           width=0.2)) for i, code in enumerate(codes)]
        renderer = (_categorized("community_code", cats) if cats
                    else _single(_fill(_PALETTE[0], width=0.2)))
        return _document("fill", renderer, fields, _labels("code", size=7, max_scale=60000))
    if name == "communities":
        return _document("fill", _single(_symbol("fill", "0", "255,255,255,0", style="no",
                                                 outline="50,50,50,255", width=0.6)),
                         fields, _labels("name", size=9, max_scale=150000))
    if name == "townships":
        return _document("fill", _single(_symbol("fill", "0", "255,255,255,0", style="no",
                                                 outline="20,20,20,255", width=1.2)),
                         fields, _labels("name", size=11, colour="0,0,0,255"))
    if name == "patrol_zones":
        cats = [(level, f"{zh} {level}", _fill(rgb, fill_alpha=80, outline=f"{rgb},255",
                                               width=0.4))
                for level, (zh, rgb) in _LEVELS.items()]
        return _document("fill", _categorized("level", cats), fields)
    if name == "incidents":
        return _document("point", _rules(_light_rules()), fields)
    if name == "buildings":
        return _document("point", _single(_symbol("point", "0", "120,120,120,255",
                                                  outline="255,255,255,255", width=0.1,
                                                  size=1.2)), fields)
    if name == "units":
        return _document("point", _single(_symbol("point", "0", "49,130,189,255",
                                                  outline="255,255,255,255", size=3.0)),
                         fields, _labels("name", size=7, max_scale=50000))
    return None


def _light_rules() -> list[tuple[str, str, ET.Element]]:
    """Incidents by light, as of the latest report of the layer (the file's day).

    Closed: grey; open past ``resolve_by``: red (红灯); open with 80 % of the
    time limit used: yellow (黄灯); open otherwise: green (绿灯).
    """
    asof = 'maximum(to_datetime("reported_at"))'
    limit = 'second(to_datetime("resolve_by") - to_datetime("reported_at"))'
    used = f'second({asof} - to_datetime("reported_at"))'
    open_ = '"closed_at" IS NULL'
    late = f'to_datetime("resolve_by") < {asof}'
    soon = f"{used} >= 0.8 * {limit}"
    # QGIS draws every rule a feature matches: the filters exclude one another
    return [
        (f"NOT ({open_})", "已结案 closed", _symbol("point", "", "170,170,170,200", size=1.6)),
        (f"{open_} AND {late}", "红灯 overdue (red)",
         _symbol("point", "", "227,26,28,255", size=2.6)),
        (f"{open_} AND NOT ({late}) AND {soon}", "黄灯 due soon (yellow)",
         _symbol("point", "", "253,190,40,255", size=2.4)),
        (f"{open_} AND NOT ({late}) AND NOT ({soon})", "绿灯 in time (green)",
         _symbol("point", "", "26,150,65,255", size=2.2)),
    ]


def district_styles(layers: Layers) -> dict[str, str]:
    """The QML style of every layer of ``layers`` that gridgis styles, by layer name."""
    styles = {}
    for name, frame in layers.items():
        qml = layer_qml(name, frame)
        if qml is not None:
            styles[name] = qml
    return styles


def findings_style(findings: pd.DataFrame | None = None) -> str:
    """The QML of a findings layer: colour by severity, one legend entry per rule.

    The categories are ``severity/rule`` pairs: of the findings given, or every
    pair when ``findings`` is None or empty.
    """
    from gridgis.planning.validate import RULE_NAMES

    if findings is not None and len(findings):
        pairs = sorted(set(zip(findings["severity"], findings["rule"], strict=True)),
                       key=lambda p: (list(_SEVERITY).index(p[0]), RULE_NAMES.index(p[1])
                                      if p[1] in RULE_NAMES else 99, p[1]))
    else:
        pairs = [(s, r) for s in _SEVERITY for r in RULE_NAMES]
    cats = [(f"{sev}/{rule}", f"{_SEVERITY[sev][0]} · {RULE_ZH.get(rule, rule)} {rule}",
             _fill(_SEVERITY[sev][1], fill_alpha=150, outline=f"{_SEVERITY[sev][1]},255",
                   width=0.8, style="solid" if sev == "error" else "b_diagonal"))
            for sev, rule in pairs if sev in _SEVERITY]
    fields = ["rule", "severity", "codes", "message", "measure", "unit"]
    return _document("fill", _categorized('concat("severity", \'/\', "rule")', cats), fields,
                     _labels('concat(attribute(\'rule\'), \' \', "codes")', size=7,
                             colour="150,0,0,255", is_expression=True))


def diff_styles() -> dict[str, str]:
    """The QML styles of the layers ``gridgis diff --out`` writes, by layer name."""
    from gridgis.planning.diff import STATUS_COLOURS, STATUS_ZH, STATUSES

    def rgb(hex_colour: str) -> str:
        return ",".join(str(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5))

    cats = [(s, f"{STATUS_ZH[s]} {s}", _fill(rgb(STATUS_COLOURS[s]),
                                             fill_alpha=40 if s == "unchanged" else 150,
                                             outline="70,70,70,255", width=0.25))
            for s in STATUSES]
    changes = ["code", "community_code", "status", "renamed", "from_grids", "to_grids",
               "area_change_m2", "households_old", "households_new"]
    moved = _symbol("point", "0", "117,112,179,255", outline="255,255,255,255", size=2.0)
    return {
        "grid_changes": _document("fill", _categorized("status", cats), changes,
                                  _labels("code", size=7, max_scale=60000)),
        "old_boundaries": _document("line", _single(_symbol("line", "0", "20,20,20,255",
                                                            width=0.5, style="dash")),
                                    ["code", "community_code"]),
        "moved_buildings": _document("point", _single(moved), ["building_id", "old_grid",
                                                               "new_grid", "households"]),
        "moved_incidents": _document("point", _single(_symbol(
            "point", "0", "231,41,138,255", outline="255,255,255,255", size=2.0)),
            ["incident_id", "old_grid", "new_grid", "category"]),
    }


def write_layer_styles(path: str | os.PathLike[str], styles: Mapping[str, str], *,
                       style_name: str = STYLE_NAME) -> int:
    """Write ``styles`` into the ``layer_styles`` table of GeoPackage ``path`` as defaults.

    The table is created (and registered as an attribute table) when missing;
    a style of the same name for the same layer is replaced, and any other
    style of that layer stops being the default. Layers ``path`` does not hold
    are skipped.

    Parameters
    ----------
    path : path-like
        An existing GeoPackage.
    styles : mapping of str to str
        QML documents by layer name.
    style_name : str
        ``styleName`` of the rows written.

    Returns
    -------
    int
        Styles written.
    """
    con = sqlite3.connect(os.fspath(path))
    try:
        geometry = dict(con.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        con.execute(_CREATE)
        con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                    "SELECT 'layer_styles', 'attributes', 'layer_styles' WHERE NOT EXISTS "
                    "(SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')")
        written = 0
        for name, qml in styles.items():
            if name not in geometry:
                continue
            key = ("", "", name, geometry[name])
            where = ("f_table_catalog = ? AND f_table_schema = ? AND f_table_name = ? "
                     "AND f_geometry_column = ?")
            con.execute(f"DELETE FROM layer_styles WHERE {where} AND styleName = ?",
                        (*key, style_name))
            con.execute(f"UPDATE layer_styles SET useAsDefault = 0 WHERE {where}", key)
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                        "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                        "useAsDefault, description, owner, ui) "
                        "VALUES (?, ?, ?, ?, ?, ?, '', 1, ?, '', '')",
                        (*key, style_name, qml, f"gridgis 样式 / style of {name}"))
            written += 1
        if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'gpkg_ogr_contents'"
                       ).fetchone():
            con.execute("INSERT OR REPLACE INTO gpkg_ogr_contents (table_name, feature_count) "
                        "SELECT 'layer_styles', COUNT(*) FROM layer_styles")
        con.commit()
    finally:
        con.close()
    return written


def write_district_styles(path: str | os.PathLike[str], layers: Layers) -> Path:
    """Write the styles of ``layers`` into district file ``path``; return ``path``."""
    write_layer_styles(path, district_styles(layers))
    return Path(path)
