"""Plan diff: what moves between two plans, conserved totals, the command and its map."""

from __future__ import annotations

import re

import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from gridgis import GridIndex, write_layers
from gridgis.cli import app
from gridgis.planning.diff import diff_plans
from gridgis.planning.partition import partition_layers


@pytest.fixture(scope="module")
def redraw(small_layers):
    kind = small_layers.communities.set_index("code")["kind"]
    sizes = small_layers.grids.groupby("community_code")["households"].sum()
    code = sizes[kind.reindex(sizes.index) == "urban"].idxmax()
    return code, partition_layers(small_layers, code)


def test_identical_plans_give_an_empty_diff(small_layers):
    result = diff_plans(small_layers, small_layers)
    assert result.empty
    assert (result.grids["status"] == "unchanged").all()
    assert (result.grids["households_change"] == 0).all()


def test_only_the_redrawn_community_moves(small_layers, redraw):
    code, plan = redraw
    result = diff_plans(small_layers, plan)
    moved = result.buildings[result.buildings["moved"]]
    assert len(moved)
    assert moved["old_grid"].str[:12].eq(code).all()
    assert moved["new_grid"].str[:12].eq(code).all()
    changed = result.changed
    assert changed["code"].str[:12].eq(code).all()
    assert set(changed["status"]) <= {"new", "removed"}
    # totals are conserved: what one grid loses another gains
    assert result.grids["households_change"].sum() == 0
    assert result.grids["population_change"].sum() == 0
    assert result.grids["incidents_change"].sum() == 0
    assert result.movement.to_numpy().sum() == moved["households"].sum()
    summary = result.summary()
    assert summary["households_moved"] == moved["households"].sum()
    assert f"{summary['buildings_moved']:,} buildings" in result.summary_text()


def test_incident_counts_match_a_direct_count(small_layers, redraw):
    _, plan = redraw
    result = diff_plans(small_layers, plan, as_of="2026-10-01")
    inc = small_layers.incidents
    year = inc[(inc["reported_at"] > "2025-10-01") & (inc["reported_at"] <= "2026-10-01")]
    found = GridIndex(plan.grids).assign(year, with_distance=False)["grid_code"]
    direct = found.astype(object).value_counts()
    table = result.grids.set_index("code")
    for grid in table.index[table["status"] == "new"]:
        assert table.loc[grid, "incidents_new"] == direct.get(grid, 0)
    assert result.incidents["reported_at"].max() <= result.as_of


def test_areas_are_in_square_metres_and_kept_share_is_sensible(small_layers):
    grids = small_layers.grids
    code = grids.index[0]
    shrunk = grids.copy()
    geom = grids.loc[code, "geometry"]
    shrunk.loc[code, "geometry"] = shapely.affinity.scale(geom, 0.5, 0.5)
    from dataclasses import replace

    result = diff_plans(small_layers, replace(small_layers, grids=shrunk))
    row = result.grids.set_index("code").loc[code]
    assert row["status"] == "reshaped"
    assert row["area_new_m2"] == pytest.approx(row["area_old_m2"] / 4, rel=0.01)
    assert 0.2 < row["area_kept"] < 0.3
    assert row["area_old_m2"] > 10_000  # a grid is hectares, not square degrees


def test_diff_command_prints_and_writes(small_layers, redraw, tmp_path):
    _, plan = redraw
    old = write_layers(small_layers, tmp_path / "old.gpkg")
    new = write_layers(plan, tmp_path / "new.gpkg")
    html, gpkg = tmp_path / "diff.html", tmp_path / "diff.gpkg"
    result = CliRunner().invoke(app, ["diff", str(old), str(new), "--map", str(html),
                                      "--out", str(gpkg)])
    assert result.exit_code == 0, result.output
    assert "change grid" in result.output
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert layers == {"grid_changes", "moved_buildings"}
    page = html.read_text(encoding="utf-8")
    assert "old boundaries" in page
    assert not re.search(r"<script[^>]+src=[\"']https?:", page)
