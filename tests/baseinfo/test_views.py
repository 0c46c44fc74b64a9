"""Statistics per grid, community and township, and the masked exports."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
from openpyxl import load_workbook

from gridgis.baseinfo.export import export_frames, write_excel, write_geopackage
from gridgis.baseinfo.stats import baseinfo_statistics
from gridgis.people import StaffMember


def test_statistics_add_up_at_every_level(loaded_store, small_baseinfo):
    s = small_baseinfo
    grid = baseinfo_statistics(loaded_store.engine, level="grid")
    town = baseinfo_statistics(loaded_store.engine, level="township")
    assert grid["people"].sum() == town["people"].sum() == len(s.people)
    assert (grid.sum() == town.sum()).all()
    g = s.people["grid_code"].iloc[0]
    mine = s.people[s.people["grid_code"] == g]
    row = grid.loc[g]
    assert row["people"] == len(mine)
    assert row["people_migrant"] == (mine["residence"] == "migrant").sum()
    assert row["tag_elderly_alone"] == mine["tags"].map(lambda t: "elderly_alone" in t).sum()
    houses = s.houses[s.houses["grid_code"] == g]
    assert row["houses_rented"] == (houses["use"] == "rented").sum()
    community = baseinfo_statistics(loaded_store.engine, level="community", areas=[g[:12]])
    assert list(community.index) == [g[:12]]
    assert baseinfo_statistics(loaded_store.engine, areas=[]).empty


def test_exports_mask_what_the_reader_does_not_keep(loaded_store, small_baseinfo, tmp_path):
    g = small_baseinfo.people["grid_code"].iloc[0]
    today = dt.date(2026, 12, 2)
    worker = StaffMember("wg1", "王五", "grid_worker", g[:12], grade="full_time", grids=(g,))
    township = StaffMember("jd1", "李敏", "township", g[:9])
    own = export_frames(loaded_store.engine, worker, areas=[g], today=today)
    seen = export_frames(loaded_store.engine, township, areas=[g], today=today)
    truth = small_baseinfo.people.set_index("person_id")
    p = own["people"].set_index("person_id")
    assert (p["name"] == truth.loc[p.index, "name"]).all()
    q = seen["people"].set_index("person_id")
    assert q["name"].str.fullmatch(r".{1,2}\*\*").all()
    assert q["id_number"].str.fullmatch(r"330399\*{8}[0-9X]{4}").all()
    assert not q["phone"].dropna().str.contains(r"\d{5}").any()
    assert (q["age"] >= 0).all() and "birth_date" not in q.columns
    assert len(own["houses"]) == (small_baseinfo.houses["grid_code"] == g).sum()

    path = write_excel(seen, tmp_path / "x.xlsx",
                       statistics=baseinfo_statistics(loaded_store.engine, areas=[g]))
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["统计", "标准地址", "实有房屋", "实有人口", "实有单位"]
    rows = list(book["实有人口"].iter_rows(values_only=True))
    assert rows[0][:3] == ("person_id", "name", "id_number") and len(rows) == len(q) + 1
    assert all(r[1].endswith("**") for r in rows[1:])
    stats = list(book["统计"].iter_rows(values_only=True))
    assert stats[1][0] == g and "实有人口 people" in stats[0]
    gpkg = write_geopackage(seen, tmp_path / "x.gpkg")
    layer = gpd.read_file(gpkg, layer="people")
    assert len(layer) == len(q) and layer.crs.to_epsg() == 4326
