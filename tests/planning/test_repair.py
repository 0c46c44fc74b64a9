"""Repairs fix what they claim, report it, leave the input alone, and the plan validates after."""

from __future__ import annotations

import shapely
from typer.testing import CliRunner

from gridgis import read_layers, write_layers
from gridgis.cli import app
from gridgis.planning.repair import fill_gaps, make_valid, repair, snap_to_community
from gridgis.planning.validate import validate
from tests.planning import broken_layers


def test_make_valid_fixes_a_bowtie(small_layers):
    broken, code = broken_layers.invalid_geometry(small_layers)
    fixed, report = make_valid(broken)
    assert list(report["code"]) == [code]
    assert "Self-intersection" in report["detail"].iloc[0]
    assert shapely.is_valid(fixed.grids.loc[code, "geometry"])
    assert validate(fixed).of_rule("invalid_geometry").empty
    assert not shapely.is_valid(broken.grids.loc[code, "geometry"])  # input untouched


def test_fill_gaps_gives_the_hole_to_its_grid(small_layers):
    broken, community = broken_layers.gap(small_layers)
    fixed, report = fill_gaps(broken)
    assert list(report["action"]) == ["fill_gap"]
    assert report["area_m2"].iloc[0] > 600
    assert validate(fixed).of_rule("gap").empty
    code = report["code"].iloc[0]
    assert code.startswith(community)
    assert fixed.buildings["households"].sum() == small_layers.buildings["households"].sum()


def test_fill_gaps_moves_a_detached_sliver(small_layers):
    a, b = broken_layers.neighbours(small_layers.grids)
    ga, gb = small_layers.grids.loc[a, "geometry"], small_layers.grids.loc[b, "geometry"]
    edge = shapely.intersection(ga, gb)
    strip = shapely.intersection(gb, shapely.buffer(edge, 0.00002))  # about 2 m wide
    strip = max(shapely.get_parts(strip), key=shapely.area)
    # the strip of b becomes a detached part of a grid of the community far from it
    far = next(c for c in small_layers.grids.index
               if c[:12] == a[:12] and c not in (a, b)
               and not shapely.intersects(small_layers.grids.loc[c, "geometry"], strip))
    grids = small_layers.grids.copy()
    grids.loc[b, "geometry"] = shapely.difference(gb, strip)
    grids.loc[far, "geometry"] = shapely.union(grids.loc[far, "geometry"], strip)
    from dataclasses import replace

    broken = replace(small_layers, grids=grids)
    assert not validate(broken).of_rule("multipart").empty
    fixed, report = fill_gaps(broken)
    assert "move_sliver" in set(report["action"])
    after = validate(fixed)
    assert after.of_rule("multipart").empty and after.of_rule("gap").empty


def test_snap_clips_overhang_beyond_the_district(small_layers):
    broken, code = broken_layers.outside_community(small_layers)
    fixed, report = snap_to_community(broken, tolerance_m=2.0)
    assert "clip_to_community" in set(report["action"])
    assert report.loc[report["action"] == "clip_to_community", "code"].eq(code).all()
    assert validate(fixed).ok


def test_repair_chains_and_the_command_never_overwrites(small_layers, tmp_path):
    broken, _ = broken_layers.gap(small_layers)
    fixed, report = repair(broken, valid=True, snap_m=1.0, gaps=True)
    assert validate(fixed).ok
    assert len(report) >= 1
    source = write_layers(broken, tmp_path / "broken.gpkg", strict=False)
    out = tmp_path / "fixed.gpkg"
    runner = CliRunner()
    done = runner.invoke(app, ["repair", str(source), "-o", str(out), "--fill-gaps"])
    assert done.exit_code == 0, done.output
    assert "0 error(s)" in done.output
    assert validate(read_layers(out)).ok
    same = runner.invoke(app, ["repair", str(source), "-o", str(source), "--fill-gaps"])
    assert same.exit_code == 2
    nothing = runner.invoke(app, ["repair", str(source), "-o", str(out)])
    assert nothing.exit_code == 2
    assert not validate(read_layers(source, strict=False)).ok
