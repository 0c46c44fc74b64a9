"""Rosters from Excel and CSV: every bad row named with its column; nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from openpyxl import Workbook

from gridgis.baseinfo import BaseInfoStore, locator_of
from gridgis.baseinfo.duplicates import find_duplicates
from gridgis.baseinfo.records import id_check_char
from gridgis.baseinfo.roster import import_roster
from gridgis.errors import RosterError
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore


def _id(birth: str, seq: str) -> str:
    return f"330399{birth}{seq}" + id_check_char(f"330399{birth}{seq}")


@pytest.fixture
def grid(small_layers):
    return small_layers.grids.iloc[0]


@pytest.fixture
def worker(grid):
    return StaffMember("wg1", "王五", "grid_worker", grid["community_code"], grade="full_time",
                       grids=(grid["code"],))


@pytest.fixture
def register(tmp_path, small_index):
    store = SQLiteStore(tmp_path / "s.sqlite")
    yield BaseInfoStore(store.engine, locate=locator_of(small_index),
                        clock=lambda: dt.datetime(2026, 12, 2, 9))
    store.close()


def _xlsx(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["某社区实有人口登记表"])  # a title row above the header
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _addresses(register, worker, grid, tmp_path):
    p = shapely.point_on_surface(grid.geometry)
    path = tmp_path / "addr.csv"
    path.write_bytes(("道路,门牌号,经度,纬度,备注\n"
                      f"瓯江路,1号,{p.x},{p.y},\n瓯江路,3号,{p.x},{p.y},新建\n").encode("gbk"))
    return import_roster(register, "addresses", path, worker)


def test_addresses_from_a_gbk_csv(register, worker, grid, tmp_path):
    done = _addresses(register, worker, grid, tmp_path)
    assert done.added == 2 and sorted(done.ids) == [2, 3]
    a = register.get("addresses", done.ids[3])
    assert a["full_text"] == "瓯江路3号" and a["grid_code"] == grid["code"]
    assert a["door_code"] == f"{grid['community_code']}000002"
    assert register.history("addresses", a["address_id"])[0]["action"] == "import"
    with pytest.raises(RosterError) as err:  # the same plates again: duplicates
        _addresses(register, worker, grid, tmp_path)
    assert [(r, f) for r, f, _ in err.value.problems] == [(2, "full_text"), (3, "full_text")]


def test_people_roster_errors_name_row_and_column(register, worker, grid, tmp_path):
    address = _addresses(register, worker, grid, tmp_path).ids[2]
    good = _id("19500101", "011")
    bad_check = good[:-1] + ("1" if good[-1] != "1" else "2")
    header = ["姓名", "公民身份号码", "人口类别", "地址编号", "人员标签", "备注"]
    path = _xlsx(tmp_path / "people.xlsx", [
        header,
        ["张三", good, "户籍人口", address, "独居老人", ""],          # row 3: fine
        ["李四", bad_check, "户籍人口", address, "", ""],            # row 4: check character
        ["张三", good, "户籍人口", address, "", ""],                 # row 5: same as row 3
        ["王五", 3.30399195001e17, "户籍人口", address, "", ""],     # row 6: Excel number
        ["赵六", _id("19600101", "021"), "游客", address, "", ""],   # row 7: residence
        ["钱七", _id("19700101", "031"), "流动人口", "A404", "", ""],  # row 8: address
        [None, None, None, None, None, None],                        # blank: skipped
        ["孙八", _id("19800101", "041"), "流动人口", address, "明星", ""],  # row 10: tag
    ])
    with pytest.raises(RosterError) as err:
        import_roster(register, "people", path, worker)
    assert [(r, f) for r, f, _ in err.value.problems] == [
        (4, "id_number"), (5, "id_number"), (6, "id_number"), (7, "residence"),
        (8, "address_id"), (10, "tags")]
    assert "第 4 行「id_number」" in str(err.value)
    assert register.counts()["people"] == 0  # nothing of the roster was saved

    path = _xlsx(tmp_path / "ok.xlsx", [header, ["张三", good, "户籍人口", address, "独居老人"],
                                        ["李四", _id("19900101", "051"), "migrant", address]])
    done = import_roster(register, "people", path, worker)
    assert done.added == 2
    person = register.get("people", done.ids[3])
    assert person["tags"] == ["elderly_alone"] and person["grid_code"] == grid["code"]


def test_an_import_outside_ones_grids_is_refused(register, worker, grid, small_layers,
                                                 tmp_path):
    other = small_layers.grids[small_layers.grids["code"] != grid["code"]].iloc[0]
    p = shapely.point_on_surface(other.geometry)
    path = tmp_path / "a.csv"
    path.write_text(f"road,door_no,lon,lat\n某路,9号,{p.x},{p.y}\n", encoding="utf-8")
    with pytest.raises(RosterError) as err:
        import_roster(register, "addresses", path, worker)
    assert err.value.problems[0][:2] == (2, "grid_code")


def test_duplicates_already_stored_are_listed(register, worker, grid, tmp_path):
    import sqlalchemy as sa

    from gridgis.baseinfo.tables import people

    address = _addresses(register, worker, grid, tmp_path).ids[2]
    for name, number in (("张三", _id("19500101", "011")), ("李四", _id("19600101", "021"))):
        register.add("people", {"name": name, "id_number": number, "residence": "registered",
                                "address_id": address}, worker)
    # records that came in before the check: the same number twice, a typo'd number
    rows = [("P1", "王五", _id("19500101", "011")), ("P2", "李四", _id("19600101", "023"))]
    with register.engine.begin() as conn:
        for pid, name, number in rows:
            conn.execute(sa.insert(people).values(
                person_id=pid, name=name, id_number=number, gender="male",
                birth_date=dt.date(int(number[6:10]), 1, 1), residence="registered",
                address_id=address, tags=[], grid_code=grid["code"], status="active",
                version=1, created_at=dt.datetime(2026, 1, 1), updated_at=dt.datetime(2026, 1, 1),
                updated_by="old"))
    found = find_duplicates(register.engine, "people", areas=[grid["code"]])
    assert set(found.loc[found["reason"] == "id_number", "person_id"]) == {
        "P1", register.list("people", where={"name": "张三"})[0][0]["person_id"]}
    assert "P2" in set(found.loc[found["reason"] == "name_birth_address", "person_id"])
    assert find_duplicates(register.engine, "addresses").empty
    assert find_duplicates(register.engine, "people", areas=["1"]).empty
