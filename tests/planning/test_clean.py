"""Cleaning with GEOS coverage_clean: planted defects fixed and reported, no multipart made."""

from __future__ import annotations

from dataclasses import replace

import pytest
import shapely
from typer.testing import CliRunner

from gridgis import write_layers
from gridgis.cli import app
from gridgis.planning.clean import OVERLAP_RULES, clean
from gridgis.planning.validate import validate
from tests.planning import broken_layers
from tests.planning.planted import plant
from tests.planning.test_repair import assert_buildings_follow_grids, assert_untouched, snapshot


@pytest.fixture(scope="module")
def planted(small_layers):
    return plant(small_layers, 16, seed=3)


def test_every_planted_defect_is_caught(planted):
    broken, defects = planted
    assert len(defects) >= 12 and set(defects["kind"]) == {
        "overlap", "gap_between", "gap_outline", "overhang"}
    report = validate(broken)
    for kind, codes in zip(defects["kind"], defects["codes"], strict=True):
        a = codes.split(",")[0]
        rule = {"overlap": "overlap", "overhang": "outside_community"}.get(kind, "gap")
        found = report.of_rule(rule)
        if rule == "gap":  # a gap names its community; it lies beside the grid cut back
            near = shapely.dwithin(found[found["codes"] == a[:12]].geometry.to_numpy(),
                                   broken.grids.loc[a, "geometry"], 1e-6)
            assert near.any(), (kind, codes)
        else:
            assert found["codes"].str.contains(a).any(), (kind, codes)


def test_clean_fixes_every_planted_defect_and_reports_it(planted):
    broken, defects = planted
    before = snapshot(broken)
    fixed, report = clean(broken)
    assert_untouched(broken, before)
    left = validate(fixed)
    geometric = left.errors[left.errors["rule"].isin(
        ["overlap", "gap", "outside_community", "multipart", "invalid_geometry"])]
    assert geometric.empty, geometric.drop(columns="geometry")
    assert (shapely.get_num_geometries(fixed.grids.geometry.to_numpy()) == 1).all()
    actions = set(report["action"])
    assert {"resolve_overlap", "fill_gap", "clip_to_community"} <= actions
    for codes in defects["codes"]:  # each defect's grids show up in the report
        assert set(codes.split(",")) & set(report["code"]), codes
    assert (report.loc[report["area_m2"].notna(), "area_m2"] > 0).all()
    assert_buildings_follow_grids(fixed)
    fixed.check(strict=True)


def test_a_clean_plan_is_left_alone(small_layers):
    plan, report = clean(small_layers)
    assert report.empty
    for code in small_layers.grids.index:
        assert plan.grids.loc[code, "geometry"].equals(small_layers.grids.loc[code, "geometry"])


def test_overlaps_go_by_the_stated_rule(small_layers):
    broken, pair = broken_layers.overlap(small_layers)  # grid a grew 20 m into b
    a, b = pair.split(",")
    area = {c: broken.grids.loc[c, "geometry"].area for c in (a, b)}
    larger, smaller = sorted((a, b), key=area.get, reverse=True)
    for rule, keeper in (("min_index", min(a, b)), ("max_area", larger),
                         ("min_area", smaller)):
        fixed, report = clean(broken, overlap_rule=rule)
        row = report[report["action"] == "resolve_overlap"]
        assert len(row) == 1 and row["code"].iloc[0] == ({a, b} - {keeper}).pop(), rule
        assert keeper in row["detail"].iloc[0] and rule in row["detail"].iloc[0]
        assert validate(fixed).ok
    with pytest.raises(ValueError, match="重叠规则"):
        clean(broken, overlap_rule="coin")
    assert set(OVERLAP_RULES) == {"longest_border", "max_area", "min_area", "min_index"}


def test_wide_gaps_are_left_for_a_planner(small_layers):
    broken, community = broken_layers.gap(small_layers)  # a hole 30 m across
    kept, report = clean(broken)
    assert "fill_gap" not in set(report["action"])
    assert validate(kept).of_rule("gap")["codes"].tolist() == [community]
    filled, report = clean(broken, gap_width_m=40.0)
    assert report["action"].tolist() == ["fill_gap"]
    assert report["area_m2"].iloc[0] == pytest.approx(706.9, rel=0.02)
    assert validate(filled).ok


def test_the_repair_command_cleans(planted, tmp_path):
    broken, _ = planted
    plan = replace(broken, incidents=None, roads=None, sensors=None, units=None)  # quicker I/O
    source = write_layers(plan, tmp_path / "broken.gpkg", strict=False)
    out = tmp_path / "clean.gpkg"
    runner = CliRunner()
    done = runner.invoke(app, ["repair", str(source), "-o", str(out), "--clean",
                               "--gap-width", "2", "--overlap-rule", "min_index"])
    assert done.exit_code == 0, done.output
    assert "resolve_overlap" in done.output and "修复后：0 个错误" in done.output
    assert out.exists()
    bad = runner.invoke(app, ["repair", str(source), "-o", str(tmp_path / "x.gpkg"),
                              "--clean", "--overlap-rule", "coin"])
    assert bad.exit_code == 2 and "重叠规则" in bad.output
