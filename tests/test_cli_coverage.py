"""``gridgis coverage``: the coverage table per unit kind, the map layers and clear errors."""

from __future__ import annotations

import dataclasses

import pyogrio
import pytest
from typer.testing import CliRunner

from gridgis.analysis import emergency_coverage
from gridgis.cli import app
from gridgis.layers import read_layers, write_layers
from gridgis.roads import RoadNetwork

runner = CliRunner()
KINDS = ["emergency", "police_station"]


@pytest.fixture(scope="module")
def run(small_gpkg, tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage") / "cov.gpkg"
    args = ["coverage", str(small_gpkg), "--minutes", "10", "--out", str(out), "--quiet"]
    for kind in KINDS:
        args += ["--kind", kind]
    return runner.invoke(app, args), out


def test_the_table_gives_the_shares_per_kind(run, small_gpkg):
    result, _ = run
    assert result.exit_code == 0, result.output
    assert "覆盖人口比例" in result.output and "覆盖建筑比例" in result.output
    assert "覆盖网格比例" in result.output and "10 分钟应急覆盖" in result.output
    layers = read_layers(small_gpkg, strict=False)
    cov = emergency_coverage(layers, RoadNetwork(layers.roads), kinds=KINDS, limit_min=10)
    for kind in KINDS:
        line = next(row for row in result.output.splitlines()
                    if row.startswith("│") and f" {kind} " in row)
        row = cov.summary.loc[kind]
        for share in ("population_share", "buildings_share", "grids_share"):
            assert f"{100 * row[share]:.1f}%" in line


def test_isochrones_and_uncovered_areas_are_written(run, small_gpkg):
    result, out = run
    assert result.exit_code == 0, result.output
    assert set(pyogrio.list_layers(out)[:, 0]) == {"isochrones", "uncovered_areas"}
    layers = read_layers(small_gpkg, strict=False)
    units = layers.units[layers.units["kind"].isin(KINDS)]
    iso = pyogrio.read_dataframe(out, layer="isochrones")
    assert len(iso) == 3 * len(units)  # 5, 10 and 15 minutes
    assert sorted(iso["minutes"].unique()) == [5, 10, 15]
    assert set(iso["unit_id"]) == set(units["unit_id"])
    areas = pyogrio.read_dataframe(out, layer="uncovered_areas")
    cov = emergency_coverage(layers, RoadNetwork(layers.roads), kinds=KINDS, limit_min=10)
    for kind in KINDS:
        assert areas.loc[areas["kind"] == kind, "population"].sum() == pytest.approx(
            cov.summary.loc[kind, "population_uncovered"])


def test_a_district_without_roads_is_one_clear_line(small_layers, tmp_path):
    path = write_layers(dataclasses.replace(small_layers, roads=None), tmp_path / "no.gpkg")
    result = runner.invoke(app, ["coverage", str(path), "--out", str(tmp_path / "c.gpkg")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "没有道路图层" in lines[0]
    assert not (tmp_path / "c.gpkg").exists()


def test_bad_paths_and_overwriting_the_input_are_refused(small_gpkg, tmp_path):
    missing = runner.invoke(app, ["coverage", str(tmp_path / "none.gpkg")])
    assert missing.exit_code == 2
    same = runner.invoke(app, ["coverage", str(small_gpkg), "--out", str(small_gpkg)])
    assert same.exit_code == 2 and "输入文件" in same.output


def test_help_and_a_bad_source(small_gpkg, tmp_path):
    helped = runner.invoke(app, ["coverage", "--help"])
    assert helped.exit_code == 0 and "--minutes" in helped.stdout
    bad = runner.invoke(app, ["coverage", str(small_gpkg), "--source", "guess",
                              "--out", str(tmp_path / "c.gpkg")])
    assert bad.exit_code == 2 and "来源" in bad.output
