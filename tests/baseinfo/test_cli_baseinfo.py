"""``gridgis baseinfo …`` end to end through typer's test runner."""

from __future__ import annotations

import shutil

from openpyxl import load_workbook
from typer.testing import CliRunner

from gridgis.cli import app
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore

runner = CliRunner()


def bi(*args):
    return runner.invoke(app, ["baseinfo", *map(str, args)])


def test_sample_stats_reassign_import_export(small_gpkg, small_layers, tmp_path):
    district = shutil.copy(small_gpkg, tmp_path / "d.gpkg")
    store = tmp_path / "s.sqlite"
    done = bi("sample", district, "--store", store)
    assert done.exit_code == 0, done.output
    assert str(int(small_layers.buildings["population"].sum())) in done.output.replace(",", "")
    again = bi("sample", district, "--store", store)
    assert again.exit_code == 2 and "已有记录" in again.output
    shown = bi("stats", district, "--store", store, "--level", "township")
    assert shown.exit_code == 0 and "tag_elderly_alone" in shown.output
    assert bi("stats", district, "--store", store, "--level", "x").exit_code == 2
    moved = bi("reassign", district, "--store", store)  # the same plan: nothing moves
    assert moved.exit_code == 0 and "'people': 0" in moved.output

    grid = small_layers.grids.iloc[0]
    s = SQLiteStore(store)
    s.staff.save(StaffMember("wg1", "王五", "grid_worker", grid["community_code"],
                             grade="full_time", grids=(grid["code"],)))
    s.close()
    roster = tmp_path / "bad.csv"
    roster.write_text("road,door_no,lon,lat\n某路,1号,999,28\n", encoding="utf-8")
    bad = bi("import", district, "addresses", roster, "--as", "wg1", "--store", store)
    assert bad.exit_code == 2 and "第 2 行" in bad.output
    assert bi("import", district, "addresses", roster, "--as", "nobody",
              "--store", store).exit_code == 2
    out = tmp_path / "mine.xlsx"
    done = bi("export", district, out, "--as", "wg1", "--store", store)
    assert done.exit_code == 0, done.output
    book = load_workbook(out, read_only=True)
    rows = list(book["实有人口"].iter_rows(values_only=True))
    column = rows[0].index("grid_code")
    assert len(rows) > 1 and {r[column] for r in rows[1:]} == {grid["code"]}
    assert rows[1][rows[0].index("masked") if "masked" in rows[0] else 1] is not None
    assert bi("export", district, tmp_path / "x.txt", "--as", "wg1",
              "--store", store).exit_code == 2


def test_diff_counts_the_base_information_a_redraw_moves(small_layers, small_baseinfo, tmp_path):
    from dataclasses import replace

    import geopandas as gpd
    import pandas as pd
    import shapely

    from gridgis.baseinfo import load_sample
    from gridgis.layers import write_layers
    from gridgis.store import store_path_for

    grids = small_layers.grids
    gone = grids.iloc[0]
    same = grids[(grids["community_code"] == gone["community_code"])
                 & (grids["code"] != gone["code"])]
    kept = same[same.geometry.intersects(gone.geometry)].iloc[0]
    merged = grids[grids["code"] != gone["code"]].copy()
    merged.loc[kept["code"], "geometry"] = shapely.union(gone.geometry, kept.geometry)
    plan = replace(small_layers, grids=gpd.GeoDataFrame(merged, geometry="geometry",
                                                        crs=grids.crs)).check()
    old = write_layers(small_layers, tmp_path / "old.gpkg")
    new = write_layers(plan, tmp_path / "new.gpkg")
    csv = tmp_path / "csv"

    plain = runner.invoke(app, ["diff", str(old), str(new)])  # no store beside OLD: no line
    assert plain.exit_code == 0, plain.output
    assert "基础信息变动" not in plain.output

    store = SQLiteStore(store_path_for(old))
    load_sample(store.engine, small_baseinfo)
    store.close()
    people = int((small_baseinfo.people["grid_code"] == gone["code"]).sum())
    assert people > 0
    done = runner.invoke(app, ["diff", str(old), str(new), "--csv", str(csv)])
    assert done.exit_code == 0, done.output
    assert f"实有人口 {people:,}" in done.output
    table = pd.read_csv(csv / "baseinfo_moves.csv", index_col="grid_code",
                        dtype={"grid_code": str})
    assert table.loc[kept["code"], "people_change"] == people
    assert table.loc[gone["code"], "people_new"] == 0

    adopted = runner.invoke(app, ["adopt", str(old), str(new), "--effective", "2027-01-01",
                                  "--out", str(tmp_path / "adopted.gpkg")])
    assert adopted.exit_code == 0, adopted.output
    assert "baseinfo reassign" in adopted.output and f"实有人口 {people:,}" in adopted.output

    missing = runner.invoke(app, ["diff", str(old), str(new), "--store",
                                  str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and "不存在" in missing.output
