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
