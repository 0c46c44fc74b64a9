"""Plan diff: what moves between two plans, conserved totals, the command and its map.

The new plan is drawn here by hand on the small sample district: two
neighbouring grids of one community merged under a new code, a strip of one
grid handed to its neighbour (a moved shared edge), and one grid given a new
code without changing shape. The buildings' ``grid_code`` columns are left
stale on purpose: the diff must locate by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from gridgis import Layers, write_layers
from gridgis.analysis import grid_workload
from gridgis.cli import app
from gridgis.crs import local_crs
from gridgis.planning.diff import diff_plans

AS_OF = pd.Timestamp("2026-06-30")


@dataclass
class Redraw:
    plan: Layers
    merged: tuple[str, str]  # old codes merged into ``merged_into``
    merged_into: str
    gives: str  # grid that hands a strip to ``takes``
    takes: str
    strip: object  # the strip, lon/lat
    renamed: tuple[str, str]


def _touching_pair(grids: gpd.GeoDataFrame, skip: set[str]) -> tuple[str, str]:
    """Two grids of one community sharing an edge (not a corner), codes not in ``skip``."""
    for _, mine in grids[~grids.index.isin(skip)].groupby("community_code"):
        geoms = mine.geometry.to_numpy()
        for i in range(len(mine)):
            for j in range(i + 1, len(mine)):
                shared = shapely.intersection(geoms[i], geoms[j])
                if shared.length > 0.002:  # a few hundred metres of common edge
                    return mine.index[i], mine.index[j]
    raise AssertionError("no two neighbouring grids in one community")


def _new_code(grids: gpd.GeoDataFrame, community: str) -> str:
    seq = [int(c[12:]) for c in grids.index if c.startswith(community)]
    return f"{community}{max(seq) + 101:03d}"


def _with_code(grids: gpd.GeoDataFrame, old_code: str, code: str, geometry) -> pd.DataFrame:
    row = grids.loc[[old_code]].copy()
    row.index = pd.Index([code], dtype=object)
    row["code"] = code
    row["geometry"] = [geometry]
    return row


@pytest.fixture(scope="module")
def redraw(small_layers: Layers) -> Redraw:
    grids = small_layers.grids
    a, b = _touching_pair(grids, set())
    merged_into = _new_code(grids, grids.loc[a, "community_code"])
    union = shapely.union_all([grids.loc[a, "geometry"], grids.loc[b, "geometry"]])
    takes, gives = _touching_pair(grids, {a, b})
    strip = shapely.intersection(grids.loc[gives, "geometry"],
                                 grids.loc[takes, "geometry"].buffer(0.002))  # ~200 m
    spare = next(c for c in grids.index if c not in {a, b, takes, gives}
                 and not shapely.intersects(grids.loc[c, "geometry"],
                                            shapely.union_all([union, strip])))
    renamed_to = _new_code(grids, grids.loc[spare, "community_code"])
    new = grids.drop(index=[a, b, spare]).copy()
    new.loc[takes, "geometry"] = shapely.union(grids.loc[takes, "geometry"], strip)
    new.loc[gives, "geometry"] = shapely.difference(grids.loc[gives, "geometry"], strip)
    new = pd.concat([new, _with_code(grids, a, merged_into, union),
                     _with_code(grids, spare, renamed_to, grids.loc[spare, "geometry"])])
    new = gpd.GeoDataFrame(new, geometry="geometry", crs=grids.crs)
    plan = replace(small_layers, grids=new).check()
    return Redraw(plan, (a, b), merged_into, gives, takes, strip, (spare, renamed_to))


@pytest.fixture(scope="module")
def result(small_layers, redraw):
    return diff_plans(small_layers, redraw.plan, as_of=AS_OF)


def _inside(geom, frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.contains(geom, frame.geometry.to_numpy())


def test_identical_plans_give_an_empty_diff(small_layers):
    renoded = small_layers.grids.copy()  # same shapes, other vertex order and orientation
    renoded["geometry"] = shapely.orient_polygons(shapely.normalize(renoded.geometry.values),
                                                  exterior_cw=True)
    for plan in (small_layers, replace(small_layers, grids=renoded)):
        same = diff_plans(small_layers, plan)
        assert same.empty
        assert (same.grids["status"] == "unchanged").all()
        assert not same.buildings["moved"].any() and not same.incidents["moved"].any()
        assert (same.grids[["households_change", "incidents_change"]] == 0).all().all()
        assert same.movement.empty
        assert same.summary_text().startswith("The two plans are the same")


def test_statuses_and_areas(result, redraw):
    status = result.grids["status"]
    (a, b), into = redraw.merged, redraw.merged_into
    assert status[a] == status[b] == "removed"
    assert status[into] == "new"
    assert status[redraw.gives] == status[redraw.takes] == "reshaped"
    assert status[redraw.renamed[0]] == status[redraw.renamed[1]] == "renamed"
    assert result.grids.loc[redraw.renamed[0], "renamed"] == redraw.renamed[1]
    others = ~result.grids.index.isin([a, b, into, redraw.gives, redraw.takes,
                                       *redraw.renamed])
    assert (status[others] == "unchanged").all()
    area = result.grids["area_old_m2"]
    assert result.grids.loc[into, "area_new_m2"] == pytest.approx(area[a] + area[b], rel=1e-6)
    assert area[a] > 10_000  # square metres, not square degrees
    strip_m2 = gpd.GeoSeries([redraw.strip], crs=4326).to_crs(local_crs(
        result.old_grids)).area.iloc[0]
    gives = result.grids.loc[redraw.gives]
    assert gives["area_change_m2"] == pytest.approx(-strip_m2, rel=1e-3)
    assert gives["area_kept"] == pytest.approx(1 - strip_m2 / gives["area_old_m2"], rel=1e-3)
    assert result.grids.loc[redraw.takes, "area_kept"] == pytest.approx(1.0)
    assert result.grids["area_change_m2"].sum() == pytest.approx(
        0, abs=1e-6 * area.sum())
    assert redraw.gives in result.grids.loc[redraw.takes, "from_grids"]
    assert a in result.grids.loc[into, "from_grids"]


def test_buildings_in_the_changed_area_move_and_others_do_not(small_layers, redraw, result):
    buildings = small_layers.buildings
    old = small_layers.grids
    (a, b), into = redraw.merged, redraw.merged_into
    in_merge = _inside(old.loc[a, "geometry"], buildings) | \
        _inside(old.loc[b, "geometry"], buildings)
    in_strip = _inside(redraw.strip, buildings) & _inside(old.loc[redraw.gives, "geometry"],
                                                          buildings)
    table = result.buildings.set_index("building_id")
    expected = set(buildings["building_id"][in_merge | in_strip])
    assert in_strip.any() and in_merge.any()
    assert set(table.index[table["moved"]]) == expected
    moves = set(zip(table.loc[table["moved"], "old_grid"], table.loc[table["moved"], "new_grid"],
                    strict=True))
    assert moves <= {(a, into), (b, into), (redraw.gives, redraw.takes)}
    # the renamed grid's buildings are flagged renamed, not moved
    in_spare = _inside(old.loc[redraw.renamed[0], "geometry"], buildings)
    renamed = set(table.index[table["renamed"]])
    assert renamed == set(buildings["building_id"][in_spare]) and renamed
    # the plan's buildings still carry their stale grid_code: the diff did not trust it
    stale = redraw.plan.buildings.set_index("building_id").loc[sorted(expected), "grid_code"]
    assert stale.isin([a, b, redraw.gives]).all()


def test_households_are_conserved_and_changes_add_up_to_zero(small_layers, result, redraw):
    grids, total = result.grids, int(small_layers.buildings["households"].sum())
    assert grids["households_old"].sum() == grids["households_new"].sum() == total
    for what in ("households", "population", "incidents"):
        assert grids[f"{what}_change"].sum() == 0
        assert (grids[f"{what}_change"] == grids[f"{what}_new"] - grids[f"{what}_old"]).all()
    moved = result.buildings[result.buildings["moved"]]
    assert result.movement.to_numpy().sum() == moved["households"].sum()
    (a, _), into = redraw.merged, redraw.merged_into
    assert result.movement.loc[a, into] == grids.loc[a, "households_old"]
    merged_hh = grids.loc[list(redraw.merged), "households_old"].sum()
    assert grids.loc[into, "households_new"] == merged_hh
    summary = result.summary()
    assert summary["households_moved"] == moved["households"].sum()
    assert summary["households_old"] == summary["households_new"] == total
    assert summary["households_outside_new"] == 0


def _direct_counts(incidents: gpd.GeoDataFrame, grids: gpd.GeoDataFrame) -> pd.Series:
    hit = gpd.sjoin(incidents[["geometry"]], grids[["code", "geometry"]], predicate="within")
    return hit["code"].value_counts().reindex(grids.index, fill_value=0)


def test_incident_counts_of_the_last_year_match_a_direct_count(small_layers, redraw, result):
    inc = small_layers.incidents
    year = inc[(inc["reported_at"] > AS_OF - pd.Timedelta(days=365))
               & (inc["reported_at"] <= AS_OF)]
    assert 0 < len(year) < len(inc)  # the window really cuts
    table = result.grids
    for plan, column in ((small_layers, "incidents_old"), (redraw.plan, "incidents_new")):
        direct = _direct_counts(year, plan.grids)
        assert (table.loc[direct.index, column] == direct).all()
    assert result.summary()["incidents_year"] == len(year)
    assert result.incidents["moved"].sum() >= result.summary()["incidents_moved"] > 0


def test_patrol_workload_matches_the_workload_measure(small_layers, result):
    load = grid_workload(small_layers.grids, zones=small_layers.patrol_zones)
    unchanged = result.grids.index[result.grids["status"] == "unchanged"]
    assert np.allclose(result.grids.loc[unchanged, "patrol_km2_week_old"],
                       load.loc[unchanged, "patrol_km2_per_week"], rtol=1e-3, atol=1e-4)
    assert result.grids["patrol_km2_week_new"].sum() == pytest.approx(
        result.grids["patrol_km2_week_old"].sum(), rel=1e-6)


def test_summary_reads_like_sentences(result, redraw):
    text = result.summary_text()
    s = result.summary()
    assert f"New grid {redraw.merged_into}" in text
    assert f"Grid {redraw.merged[0]} is removed" in text
    assert f"{s['households_moved']:,} households" in text
    assert f"under the new code {redraw.renamed[1]}" in text
    assert "Largest gains" in text and "Largest losses" in text
    assert "2026-06-30" in text
    assert (s["new"], s["removed"], s["reshaped"], s["renamed"]) == (1, 2, 2, 2)


def test_write_and_map(result, tmp_path):
    gpkg = result.write(tmp_path / "diff.gpkg")
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {"grid_changes", "old_boundaries", "moved_buildings",
                           "moved_incidents"}
    back = pyogrio.read_dataframe(gpkg, layer="grid_changes")
    assert len(back) == len(result.grids) and back["households_change"].sum() == 0
    moved = pyogrio.read_dataframe(gpkg, layer="moved_buildings")
    assert len(moved) == result.summary()["buildings_moved"]
    page = result.map(tmp_path / "diff.html").read_text(encoding="utf-8")
    assert "old boundaries (dashed)" in page and "dashArray" in page
    assert "buildings that change grid" in page and "moved buildings \\u2192 new grid" in page
    assert not re.search(r"<script[^>]+src=[\"']https?:", page)


def test_diff_command_prints_and_writes(small_layers, redraw, tmp_path):
    old = write_layers(small_layers, tmp_path / "old.gpkg")
    new = write_layers(redraw.plan, tmp_path / "new.gpkg")
    html, gpkg, csv = tmp_path / "diff.html", tmp_path / "out.gpkg", tmp_path / "csv"
    result = CliRunner().invoke(app, ["diff", str(old), str(new), "--map", str(html),
                                      "--out", str(gpkg), "--csv", str(csv),
                                      "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert "change grid" in result.output and "Changed grids" in result.output
    assert redraw.merged_into in result.output
    assert {name for name, _ in pyogrio.list_layers(gpkg)} >= {"grid_changes",
                                                                "moved_buildings"}
    assert {p.name for p in csv.iterdir()} == {"grids.csv", "moved_buildings.csv",
                                               "moved_incidents.csv", "movement.csv"}
    assert pd.read_csv(csv / "grids.csv")["households_change"].sum() == 0
    assert not re.search(r"<script[^>]+src=[\"']https?:", html.read_text(encoding="utf-8"))


def test_diff_command_refuses_a_missing_file(tmp_path):
    result = CliRunner().invoke(app, ["diff", str(tmp_path / "no.gpkg"),
                                      str(tmp_path / "none.gpkg")])
    assert result.exit_code == 2


@pytest.mark.slow
def test_full_district_diff_counts_what_a_merge_moves(sample_layers):
    grids = sample_layers.grids
    a, b = _touching_pair(grids, set())
    code = _new_code(grids, grids.loc[a, "community_code"])
    merged = _with_code(grids, a, code, shapely.union(grids.loc[a, "geometry"],
                                                      grids.loc[b, "geometry"]))
    new = gpd.GeoDataFrame(pd.concat([grids.drop(index=[a, b]), merged]), crs=grids.crs)
    result = diff_plans(sample_layers, replace(sample_layers, grids=new))
    assert len(result.buildings) == len(sample_layers.buildings) > 50_000
    moved = result.buildings[result.buildings["moved"]]
    assert set(moved["new_grid"]) == {code}
    assert moved["households"].sum() == grids.loc[[a, b], "households"].sum()
