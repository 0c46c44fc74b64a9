"""Validation: each rule is caught on a layer broken for it, and the sample district is clean."""

from __future__ import annotations

import re

import pyogrio
import pytest
from typer.testing import CliRunner

from gridgis import read_layers, write_layers
from gridgis.cli import app
from gridgis.planning.validate import RULE_NAMES, validate
from tests.planning import broken_layers

ERRORS = {"invalid_geometry", "overlap", "gap", "outside_community", "multipart",
          "duplicate_code", "malformed_code", "code_hierarchy", "no_worker",
          "zone_unknown_grid"}


def test_the_sample_district_has_no_findings(sample_layers):
    report = validate(sample_layers)
    assert report.ok
    assert report.findings.empty, report.findings.drop(columns="geometry").head()
    assert list(report.counts().index) == list(RULE_NAMES)


@pytest.mark.parametrize("rule", sorted(broken_layers.BREAKERS))
def test_each_rule_is_caught_on_its_broken_layer(small_layers, rule):
    broken, codes = broken_layers.BREAKERS[rule](small_layers)
    report = validate(broken)
    found = report.of_rule(rule)
    assert len(found) >= 1, report.counts()
    assert any(codes in c or c in codes for c in found["codes"]), (codes, list(found["codes"]))
    severity = "error" if rule in ERRORS else "warning"
    assert set(found["severity"]) == {severity}
    assert report.ok == (rule not in ERRORS)
    assert found.crs.to_epsg() == 4326
    assert not found.geometry.is_empty.any()
    assert (found["measure"] > 0).all() or rule == "no_worker"


def test_measures_are_in_metres(small_layers):
    broken, _ = broken_layers.gap(small_layers)
    hole = validate(broken).of_rule("gap")
    # the hole is a 15 m radius disc: about 707 m²
    assert hole["measure"].iloc[0] == pytest.approx(706.9, rel=0.02)
    thin, _ = broken_layers.sliver(small_layers)
    width = validate(thin).of_rule("sliver")["measure"].min()
    assert 1.0 < width < 5.0


def test_thresholds_can_be_changed(small_layers):
    broken, code = broken_layers.households_range(small_layers)
    assert validate(broken).of_rule("households_range")["codes"].eq(code).any()
    assert validate(broken, households=(300, 1000)).of_rule("households_range").empty
    with pytest.raises(KeyError, match="no rule"):
        validate(broken).of_rule("nonsense")


def test_validate_command_exit_codes_and_outputs(small_layers, tmp_path):
    clean = write_layers(small_layers, tmp_path / "clean.gpkg")
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(clean)])
    assert ok.exit_code == 0, ok.output
    assert "no errors" in ok.output
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
    broken, _ = broken_layers.duplicate_code(small_layers)
    path = write_layers(broken, tmp_path / "dup.gpkg", strict=False)
    report = validate(read_layers(path, strict=False))
    assert not report.of_rule("duplicate_code").empty
