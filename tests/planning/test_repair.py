"""Repairs fix what they claim, report it, leave the input alone, and the plan validates after."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from gridgis import Layers, read_layers, write_layers
from gridgis.cli import app
from gridgis.planning.repair import (
    REPORT_COLUMNS,
    fill_gaps_and_slivers,
    make_valid,
    repair,
    snap_to_community,
)
from gridgis.planning.validate import validate
from tests.planning import broken_layers


def snapshot(layers: Layers) -> dict[str, gpd.GeoDataFrame]:
    return {name: frame.copy(deep=True) for name, frame in layers.items()}


def assert_untouched(layers: Layers, before: dict[str, gpd.GeoDataFrame]) -> None:
    for name, frame in layers.items():
        assert frame.equals(before[name]), f"the input's {name} layer changed"


def assert_buildings_follow_grids(layers: Layers) -> None:
    """Every building lies in the grid its grid_code names; households add up."""
    points = gpd.GeoDataFrame(geometry=layers.buildings.geometry.representative_point(),
                              crs=layers.buildings.crs)
    hit = gpd.sjoin(points, layers.grids[["code", "geometry"]], predicate="intersects")
    hit = hit[~hit.index.duplicated()]["code"]
    assert (layers.buildings.loc[hit.index, "grid_code"] == hit).all()
    sums = layers.buildings.groupby("grid_code")["households"].sum()
    assert (sums.reindex(layers.grids["code"]).fillna(0).to_numpy()
            == layers.grids["households"].to_numpy()).all()


def test_make_valid_fixes_an_invalid_grid(small_layers):
    broken, code = broken_layers.invalid_geometry(small_layers)
    before = snapshot(broken)
    fixed, report = make_valid(broken)
    assert list(report.columns) == REPORT_COLUMNS
    assert report["action"].tolist() == ["make_valid"] and report["code"].tolist() == [code]
    assert "Self-intersection" in report["detail"].iloc[0]
    assert shapely.is_valid(fixed.grids.loc[code, "geometry"])
    assert validate(fixed).findings.empty
    assert_untouched(broken, before)
    fixed.check(strict=True)


def test_fill_gaps_gives_the_hole_to_its_grid(small_layers):
    broken, community = broken_layers.gap(small_layers)
    before = snapshot(broken)
    fixed, report = fill_gaps_and_slivers(broken)
    assert report["action"].tolist() == ["fill_gap"]
    assert report["area_m2"].iloc[0] == pytest.approx(706.9, rel=0.02)
    assert report["code"].iloc[0].startswith(community)
    assert validate(fixed).findings.empty
    assert_untouched(broken, before)
    assert_buildings_follow_grids(fixed)


def test_a_gap_goes_to_the_neighbour_with_the_longest_shared_edge(small_layers):
    a, b = broken_layers.neighbours(small_layers.grids)
    ga = small_layers.grids.loc[a, "geometry"]
    edge = shapely.intersection(ga, small_layers.grids.loc[b, "geometry"])
    # a band 3 m wide cut from a along its edge with b: its long sides touch a and b
    band = shapely.intersection(ga, shapely.buffer(edge, 0.00003))
    broken = broken_layers.with_grid(small_layers, a, geometry=shapely.difference(ga, band))
    fixed, report = fill_gaps_and_slivers(broken)
    assert report.loc[report["action"] == "fill_gap", "code"].isin([a, b]).all()
    assert validate(fixed).ok


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
    broken = replace(small_layers, grids=grids)
    assert not validate(broken).of_rule("multipart").empty
    fixed, report = fill_gaps_and_slivers(broken)
    moved = report[report["action"] == "move_sliver"]
    assert moved["code"].isin([a, b]).all() and len(moved) == 1
    assert validate(fixed).findings.empty


def test_a_sliver_grid_is_dissolved_with_its_zones(small_layers):
    broken, code = broken_layers.sliver(small_layers)
    zones = broken.patrol_zones.copy()
    zones.loc[zones.index[0], "grid_code"] = code
    broken = replace(broken, patrol_zones=zones)
    fixed, report = fill_gaps_and_slivers(broken)
    assert "dissolve_sliver_grid" in set(report["action"])
    assert code not in set(fixed.grids["code"])
    assert code not in set(fixed.patrol_zones["grid_code"])
    assert "reassign_zone" in set(report["action"])
    assert validate(fixed).findings.empty
    assert_buildings_follow_grids(fixed)


@pytest.mark.parametrize("build", [broken_layers.strip_along_boundary, broken_layers.overhang])
def test_snap_works_within_its_tolerance_only(small_layers, build):
    broken, code = build(small_layers, 0.8)
    before = snapshot(broken)
    assert not validate(broken).ok
    kept, nothing = snap_to_community(broken, tolerance_m=0.5)
    assert nothing.empty and not validate(kept).ok
    fixed, report = snap_to_community(broken, tolerance_m=1.0)
    assert report["code"].tolist() == [code]
    assert report["action"].iloc[0] in {"snap_strip", "clip_to_community"}
    assert report["area_m2"].iloc[0] > 100  # a 0.8 m band along a long boundary
    assert validate(fixed).findings.empty
    assert_untouched(broken, before)
    fixed.check(strict=True)


def test_snap_clips_a_large_overhang_with_a_large_tolerance(small_layers):
    broken, code = broken_layers.outside_community(small_layers)  # 25 m beyond
    assert snap_to_community(broken, tolerance_m=2.0)[1].empty
    fixed, report = snap_to_community(broken, tolerance_m=30.0)
    assert report["action"].tolist() == ["clip_to_community"]
    assert report["code"].tolist() == [code]
    assert validate(fixed).findings.empty


def test_buildings_follow_a_repaired_grid(small_layers):
    broken, code = broken_layers.outside_community(small_layers)
    # mislabel one building of the repaired grid: relocating the community puts it back
    buildings = broken.buildings.copy()
    mine = buildings.index[buildings["grid_code"] == code][0]
    other = next(c for c in broken.grids.index if c[:12] == code[:12] and c != code)
    buildings.loc[mine, "grid_code"] = other
    broken = replace(broken, buildings=buildings)
    fixed, report = snap_to_community(broken, tolerance_m=30.0)
    assert fixed.buildings.loc[mine, "grid_code"] == code
    assert "reassign_buildings" in set(report["action"])
    assert broken.buildings.loc[mine, "grid_code"] == other  # input untouched


def test_repair_chains_the_chosen_steps(small_layers):
    broken, _ = broken_layers.gap(small_layers)
    broken, _ = broken_layers.invalid_geometry(broken, code=broken.grids.index[-1])
    plan, report = repair(broken)
    assert report.empty and plan is broken
    fixed, report = repair(broken, make_valid=True, snap_m=1.0, fill_gaps=True)
    assert report["action"].tolist() == ["make_valid", "fill_gap"]
    assert validate(fixed).findings.empty
    fixed.check(strict=True)


def test_the_repair_command_never_overwrites(small_layers, tmp_path):
    broken, _ = broken_layers.gap(small_layers)
    source = write_layers(broken, tmp_path / "broken.gpkg", strict=False)
    stamp = source.read_bytes()
    out = tmp_path / "fixed.gpkg"
    runner = CliRunner()
    done = runner.invoke(app, ["repair", str(source), "-o", str(out), "--fill-gaps"])
    assert done.exit_code == 0, done.output
    assert "fill_gap" in done.output and "0 error(s)" in done.output
    assert validate(read_layers(out)).ok
    same = runner.invoke(app, ["repair", str(source), "-o", str(source), "--fill-gaps"])
    assert same.exit_code == 2
    nothing = runner.invoke(app, ["repair", str(source), "-o", str(tmp_path / "x.gpkg")])
    assert nothing.exit_code == 2
    assert source.read_bytes() == stamp


def test_snap_survives_thin_strips_that_come_out_self_touching_in_metres(sample_layers):
    """Planted gaps along outlines leave strips that GEOS could not subtract once projected."""
    from tests.planning.planted import plant

    broken, _ = plant(sample_layers, 288, seed=0)
    before = snapshot(broken)
    fixed, report = snap_to_community(broken, tolerance_m=1.0)
    assert_untouched(broken, before)
    assert set(report["action"]) <= {"snap_strip", "clip_to_community", "reassign_buildings"}
    assert (report["action"] == "clip_to_community").sum() > 0
    assert (report["action"] == "snap_strip").sum() > 0
    assert shapely.is_valid(fixed.grids.geometry.to_numpy()).all()
