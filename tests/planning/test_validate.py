"""Validation: each rule is caught on a layer broken for it, and the sample district is clean."""

from __future__ import annotations

import re
from dataclasses import replace

import geopandas as gpd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from gridgis import read_layers, write_layers
from gridgis.cli import app
from gridgis.crs import local_crs
from gridgis.planning.findings import FINDING_COLUMNS, ValidationReport
from gridgis.planning.validate import RULE_NAMES, validate
from tests.planning import broken_layers

WARNINGS = {"sliver", "households_range"}


def test_the_sample_district_has_no_findings(sample_layers):
    report = validate(sample_layers)
    assert report.ok
    assert report.findings.empty, report.findings.drop(columns="geometry").head()
    assert list(report.counts().index) == list(RULE_NAMES)
    assert report.counts().to_numpy().sum() == 0


def test_the_small_district_is_clean(small_layers):
    assert validate(small_layers).findings.empty


def test_every_rule_has_a_broken_layer():
    assert set(broken_layers.BREAKERS) == set(RULE_NAMES)


@pytest.mark.parametrize("rule", sorted(broken_layers.BREAKERS))
def test_each_rule_is_caught_on_its_broken_layer(small_layers, rule):
    broken, codes = broken_layers.BREAKERS[rule](small_layers)
    report = validate(broken)
    assert set(report.findings["rule"]) == {rule}, report.counts()  # exactly this rule
    found = report.of_rule(rule)
    assert any(codes in c or c in codes for c in found["codes"]), (codes, list(found["codes"]))
    severity = "warning" if rule in WARNINGS else "error"
    assert set(found["severity"]) == {severity}
    assert report.ok == (severity == "warning")
    assert found.crs.to_epsg() == 4326
    assert not found.geometry.is_empty.any() and found.geometry.is_valid.all()
    assert list(found.columns) == [*FINDING_COLUMNS, "geometry"]
    assert (found["measure"] > 0).all() or rule == "no_worker"
    assert found["message"].str.len().gt(10).all()


def _m2(layers, geom) -> float:
    return float(gpd.GeoSeries([geom], crs=4326).to_crs(local_crs(layers.communities)).area[0])


def test_measures_are_in_metres(small_layers):
    hole = validate(broken_layers.gap(small_layers)[0]).of_rule("gap")
    assert hole["measure"].iloc[0] == pytest.approx(706.9, rel=0.02)  # a 15 m radius disc
    assert set(hole["unit"]) == {"m2"}
    width = validate(broken_layers.sliver(small_layers)[0]).of_rule("sliver")
    assert 0.5 < width["measure"].min() < 3.0 and set(width["unit"]) == {"m"}
    broken, pair = broken_layers.overlap(small_layers)
    a, b = pair.split(",")
    shared = shapely.intersection(broken.grids.loc[a, "geometry"], broken.grids.loc[b, "geometry"])
    found = validate(broken).of_rule("overlap")
    assert found["measure"].iloc[0] == pytest.approx(_m2(broken, shared), rel=1e-3)
    assert found["measure"].iloc[0] > 1000
    thin, code = broken_layers.overhang(small_layers, 0.8)
    outside = validate(thin).of_rule("outside_community")
    assert outside["codes"].tolist() == [code]
    assert outside["measure"].iloc[0] > 1.0


def test_invalid_geometry_carries_shapelys_reason(small_layers):
    broken, code = broken_layers.invalid_geometry(small_layers)
    found = validate(broken).of_rule("invalid_geometry")
    assert "Self-intersection" in found["message"].iloc[0]
    grids = broken.grids.copy()
    grids.loc[code, "geometry"] = shapely.Polygon()
    empty = validate(replace(broken, grids=grids)).of_rule("invalid_geometry")
    assert empty["codes"].tolist() == [code] and "empty" in empty["message"].iloc[0]
    assert not empty.geometry.is_empty.any()


def test_tolerances_and_ranges_can_be_changed(small_layers):
    broken, code = broken_layers.households_range(small_layers)
    assert validate(broken).of_rule("households_range")["codes"].eq(code).any()
    assert validate(broken, households=(300, 1000)).of_rule("households_range").empty
    gap, _ = broken_layers.gap(small_layers)
    assert validate(gap, gap_tolerance_m2=1000).ok
    thin, _ = broken_layers.sliver(small_layers)
    assert validate(thin, sliver_width_m=0.5, sliver_area_m2=1).findings.empty
    multi, _ = broken_layers.multipart(small_layers)
    assert validate(multi, allow_multipart=True).ok
    with pytest.raises(KeyError, match="no rule"):
        validate(broken).of_rule("nonsense")


def test_rural_grids_have_their_own_range(small_layers):
    kind = small_layers.communities.set_index("code")["kind"]
    rural = small_layers.grids[small_layers.grids["community_code"].map(kind) == "rural"]
    code = rural.index[0]
    grids = small_layers.grids.copy()
    grids.loc[code, "households"] = 700  # too many for an urban grid, fine for a village
    plan = replace(small_layers, grids=grids)
    assert validate(plan).findings.empty
    assert validate(plan, rural_households=(200, 600)).of_rule("households_range")[
        "codes"].tolist() == [code]
    grids.loc[code, "households"] = 50
    assert validate(replace(small_layers, grids=grids), rural_households=None).findings.empty


def test_report_writes_an_errors_layer_and_an_offline_map(small_layers, tmp_path):
    broken, code = broken_layers.overlap(small_layers)
    report = validate(broken)
    assert isinstance(report, ValidationReport) and len(report.errors) == 1
    path = report.write(tmp_path / "out.gpkg")
    layer = pyogrio.read_dataframe(path, layer="findings")
    assert layer["codes"].tolist() == [code] and layer["rule"].tolist() == ["overlap"]
    html = report.map(tmp_path / "findings.html").read_text(encoding="utf-8")
    assert "overlap" in html and code.split(",")[0] in html
    assert not re.search(r"<script[^>]+src=[\"']https?:", html)
    assert not re.search(r"<link[^>]+href=[\"']https?:", html)
    clean = validate(small_layers)
    clean.write(tmp_path / "clean.gpkg")
    assert pyogrio.read_dataframe(tmp_path / "clean.gpkg", layer="findings").empty
    assert "Validation: no errors" in str(clean.table().title)


def test_validate_command_exit_codes_and_outputs(small_layers, tmp_path):
    clean = write_layers(small_layers, tmp_path / "clean.gpkg")
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(clean)])
    assert ok.exit_code == 0, ok.output
    assert "no errors" in ok.output
    narrow = runner.invoke(app, ["validate", str(clean), "--households", "400", "410"])
    assert narrow.exit_code == 0 and "households_range" in narrow.output  # warnings only
    broken, code = broken_layers.invalid_geometry(small_layers)
    path = write_layers(broken, tmp_path / "broken.gpkg", strict=False)
    findings, html = tmp_path / "findings.gpkg", tmp_path / "findings.html"
    bad = runner.invoke(app, ["validate", str(path), "--findings", str(findings),
                              "--map", str(html)])
    assert bad.exit_code == 1, bad.output
    assert "invalid_geometry" in bad.output
    layer = pyogrio.read_dataframe(findings, layer="findings")
    assert code in set(layer["codes"])
    page = html.read_text(encoding="utf-8")
    assert "invalid_geometry" in page
    assert not re.search(r"<script[^>]+src=[\"']https?:", page)
    missing = runner.invoke(app, ["validate", str(tmp_path / "nope.gpkg")])
    assert missing.exit_code == 2


def test_validation_reads_a_broken_file(small_layers, tmp_path):
    broken, code = broken_layers.duplicate_code(small_layers)
    path = write_layers(broken, tmp_path / "dup.gpkg", strict=False)
    report = validate(read_layers(path, strict=False))
    assert report.of_rule("duplicate_code")["codes"].tolist() == [code, code]
