"""QGIS styles in the GeoPackage's layer_styles table, checked without QGIS."""

from __future__ import annotations

import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pyogrio
import pytest
from typer.testing import CliRunner

from gridgis import read_layers
from gridgis.cli import app
from gridgis.qgis_styles import (
    STYLE_COLUMNS,
    diff_styles,
    district_styles,
    findings_style,
    write_district_styles,
    write_layer_styles,
)

runner = CliRunner()


def _rows(path: Path) -> dict[str, dict]:
    with sqlite3.connect(path) as con:
        con.row_factory = sqlite3.Row
        rows = con.execute("SELECT * FROM layer_styles WHERE useAsDefault = 1").fetchall()
    return {row["f_table_name"]: dict(row) for row in rows}


def _renderer(qml: str) -> ET.Element:
    root = ET.fromstring(qml.split("\n", 1)[1])
    assert root.tag == "qgis"
    return root.find("renderer-v2")


def test_grids_are_coloured_by_community_and_labelled_by_code(small_layers):
    styles = district_styles(small_layers)
    assert {"grids", "communities", "townships", "patrol_zones", "incidents"} <= set(styles)
    renderer = _renderer(styles["grids"])
    assert renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "community_code"
    values = [c.get("value") for c in renderer.iter("category")]
    assert values == sorted(small_layers.communities["code"])
    symbols = {s.get("name") for s in renderer.find("symbols")}
    assert {c.get("symbol") for c in renderer.iter("category")} == symbols
    root = ET.fromstring(styles["grids"].split("\n", 1)[1])
    assert root.find("labeling/settings/text-style").get("fieldName") == "code"
    shown = root.find("labeling/settings/rendering")  # codes from 1:60,000 in
    assert (shown.get("scaleVisibility"), shown.get("scaleMax")) == ("1", "60000")
    aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
    assert aliases["households"] == "户数 households"


def test_patrol_zones_by_level_and_incidents_by_light(small_layers):
    styles = district_styles(small_layers)
    zones = _renderer(styles["patrol_zones"])
    assert [c.get("value") for c in zones.iter("category")] == ["high", "medium", "low"]
    assert next(c.get("label") for c in zones.iter("category")).startswith("高频")
    lights = _renderer(styles["incidents"])
    assert lights.get("type") == "RuleRenderer"
    labels = [r.get("label") for r in lights.iter("rule")]
    assert [label[:2] for label in labels] == ["已结", "红灯", "黄灯", "绿灯"]
    assert all(r.get("filter") for r in lights.iter("rule"))
    assert {s.get("type") for s in lights.iter("symbol")} == {"marker"}  # QGIS's point type
    assert {r.get("symbol") for r in lights.iter("rule")} == {
        s.get("name") for s in lights.find("symbols")}


def test_findings_style_lists_the_pairs_found_errors_first():
    import pandas as pd

    found = pd.DataFrame({"severity": ["warning", "error", "error"],
                          "rule": ["households_range", "overlap", "overlap"]})
    renderer = _renderer(findings_style(found))
    assert [c.get("value") for c in renderer.iter("category")] == [
        "error/overlap", "warning/households_range"]
    assert next(c.get("label") for c in renderer.iter("category")) == "错误 · 网格重叠 overlap"
    assert len(list(_renderer(findings_style()).iter("category"))) == 26


def test_table_has_the_qgis_columns_and_a_rewrite_replaces(small_layers, small_gpkg,
                                                           tmp_path):
    path = shutil.copy(small_gpkg, tmp_path / "d.gpkg")
    write_district_styles(path, small_layers)
    with sqlite3.connect(path) as con:
        columns = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        kind = con.execute("SELECT data_type FROM gpkg_contents "
                           "WHERE table_name = 'layer_styles'").fetchone()
    assert set(STYLE_COLUMNS) <= set(columns)
    assert kind == ("attributes",)
    rows = _rows(path)
    assert rows["grids"]["f_geometry_column"] == "geom"
    assert rows["grids"]["f_table_catalog"] == "" and rows["grids"]["styleName"] == "gridgis"
    # a second write replaces; a planner's own style stays but is no longer the default
    with sqlite3.connect(path) as con:
        con.execute("UPDATE layer_styles SET styleName = 'mine' WHERE f_table_name = 'units'")
    write_district_styles(path, small_layers)
    with sqlite3.connect(path) as con:
        count = dict(con.execute("SELECT f_table_name, COUNT(*) FROM layer_styles "
                                 "GROUP BY f_table_name").fetchall())
        mine = con.execute("SELECT useAsDefault FROM layer_styles "
                           "WHERE styleName = 'mine'").fetchone()
    assert count["grids"] == 1 and count["units"] == 2 and mine == (0,)
    assert write_layer_styles(path, {"no_such_layer": "<qgis/>"}) == 0
    # the district still reads, and OGR lists the table as a plain attribute table
    assert len(read_layers(path).grids) == len(small_layers.grids)
    assert "layer_styles" in set(pyogrio.list_layers(path)[:, 0])


@pytest.mark.parametrize("command", ["sample", "validate", "diff"])
def test_commands_write_their_styles(command, small_gpkg, tmp_path):
    if command == "sample":
        out = tmp_path / "s.gpkg"
        result = runner.invoke(app, ["sample", str(out), "--scale", "0.05", "-q"])
        expected = {"grids", "communities", "townships", "patrol_zones", "incidents"}
    elif command == "validate":
        out = tmp_path / "findings.gpkg"
        result = runner.invoke(app, ["validate", str(small_gpkg), "--findings", str(out)])
        expected = {"findings"}
    else:
        out = tmp_path / "diff.gpkg"
        result = runner.invoke(app, ["diff", str(small_gpkg), str(small_gpkg), "--out",
                                     str(out)])
        expected = set(diff_styles())
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert expected <= set(rows)
    for row in rows.values():
        ET.fromstring(row["styleQML"].split("\n", 1)[1])
