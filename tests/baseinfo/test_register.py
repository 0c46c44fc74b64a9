"""新增/变更/注销 with history, the grid by location, and who may keep or read what."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from gridgis.baseinfo import BaseInfoStore, locator_of, present_person, read_areas
from gridgis.baseinfo.records import id_check_char
from gridgis.errors import AccessDeniedError, ConflictError, InputError, RecordNotFoundError
from gridgis.people import StaffMember

NOW = dt.datetime(2026, 12, 2, 9, 30)


def _id(birth: str, seq: str = "123") -> str:
    first = f"330399{birth}{seq}"
    return first + id_check_char(first)


@pytest.fixture
def grid(small_layers):
    return small_layers.grids.iloc[0]


@pytest.fixture
def other_grid(small_layers, grid):
    return small_layers.grids[small_layers.grids["code"] != grid["code"]].iloc[0]


@pytest.fixture
def worker(grid):
    return StaffMember("wg1", "王五", "grid_worker", grid["community_code"], grade="full_time",
                       grids=(grid["code"],))


@pytest.fixture
def register(backend, small_index):
    """The registers on each store backend (SQLite, PostGIS)."""
    store = backend.open()
    yield BaseInfoStore(store.engine, locate=locator_of(small_index), clock=lambda: NOW)
    store.close()


def _inside(grid) -> tuple[float, float]:
    p = shapely.point_on_surface(grid.geometry)
    return p.x, p.y


def _address(register, worker, grid, door_no="12号"):
    lon, lat = _inside(grid)
    return register.add("addresses", {"road": "瓯江路", "door_no": door_no, "lon": lon,
                                      "lat": lat}, worker)


def test_an_address_is_located_and_coded(register, worker, grid):
    a = _address(register, worker, grid)
    assert a["grid_code"] == grid["code"] and a["community_code"] == grid["community_code"]
    assert a["door_code"] == f"{grid['community_code']}000001" and a["full_text"] == "瓯江路12号"
    b = _address(register, worker, grid, "14号")
    assert b["door_code"].endswith("000002")
    with pytest.raises(ConflictError, match=a["address_id"]):  # 查重: the same plate again
        _address(register, worker, grid, " １２ 号")
    [h] = register.history("addresses", a["address_id"])
    assert h["action"] == "add" and h["actor"] == "wg1" and h["changes"]["road"] == [None, "瓯江路"]


def test_a_household_is_kept_with_its_history(register, worker, grid):
    a = _address(register, worker, grid)
    house = register.add("houses", {"address_id": a["address_id"], "room": "302",
                                    "use": "出租", "floor_area_m2": 86}, worker)
    assert house["use"] == "rented" and house["grid_code"] == grid["code"]
    person = register.add("people", {"name": "赵小明", "id_number": _id("19800101"),
                                     "residence": "流动人口", "address_id": a["address_id"],
                                     "house_id": house["house_id"], "tags": "独居老人"}, worker)
    assert person["gender"] == "male" and person["birth_date"] == dt.date(1980, 1, 1)
    assert person["tags"] == ["elderly_alone"] and person["grid_code"] == grid["code"]
    changed = register.change("people", person["person_id"], {"phone": "13812345678"},
                              worker, expected_version=1, note="新手机")
    assert changed["version"] == 2 and changed["phone"] == "13812345678"
    with pytest.raises(ConflictError):  # somebody else's change came first
        register.change("people", person["person_id"], {"phone": "13900000000"}, worker,
                        expected_version=1)
    with pytest.raises(InputError) as err:
        register.cancel("people", person["person_id"], worker, note=" ")
    assert err.value.field == "note"
    gone = register.cancel("people", person["person_id"], worker, note="迁出")
    assert gone["status"] == "cancelled"
    with pytest.raises(ConflictError):
        register.change("people", person["person_id"], {"phone": "13900000001"}, worker)
    actions = [(h["action"], h["note"]) for h in register.history("people", person["person_id"])]
    assert actions == [("add", None), ("change", "新手机"), ("cancel", "迁出")]
    assert register.history("people", person["person_id"])[1]["changes"] == {
        "phone": [None, "13812345678"]}
    assert register.list("people")[1] == 0 and register.list("people", status=None)[1] == 1
    again = register.add("people", {"name": "赵小明", "id_number": _id("19800101"),
                                    "residence": "registered", "address_id": a["address_id"]},
                         worker)  # a cancelled person may be registered anew
    with pytest.raises(ConflictError, match=again["person_id"]):  # 查重 by identity number
        register.add("people", {"name": "赵晓明", "id_number": _id("19800101"),
                                "residence": "registered", "address_id": a["address_id"]},
                     worker)


def test_bad_fields_are_named(register, worker, grid):
    a = _address(register, worker, grid)
    base = {"name": "钱七", "residence": "registered", "address_id": a["address_id"]}
    bad = _id("19800101")[:-1] + ("0" if _id("19800101")[-1] != "0" else "1")
    for values, field in (({**base, "id_number": bad}, "id_number"),
                          ({**base, "id_number": _id("19801332")}, "id_number"),
                          ({**base, "id_number": _id("19800101"), "residence": "游客"},
                           "residence"),
                          ({**base, "id_number": _id("19800101"), "tags": "明星"}, "tags"),
                          ({**base, "id_number": _id("19800101"), "address_id": "A0"},
                           "address_id"),
                          ({**base, "id_number": _id("19800101"), "grid_code": "1"},
                           "grid_code"),
                          ({"name": "钱七"}, "id_number")):
        with pytest.raises(InputError) as err:
            register.add("people", values, worker)
        assert err.value.field == field, values
    with pytest.raises(InputError) as err:
        register.add("addresses", {"road": "x", "door_no": "1", "lon": 100.0, "lat": 20.0},
                     worker)
    assert err.value.field == "lon"  # in no grid
    with pytest.raises(RecordNotFoundError):
        register.get("houses", "H404")


def test_only_the_keepers_of_a_grid_write(register, worker, grid, other_grid):
    lon, lat = _inside(other_grid)
    with pytest.raises(AccessDeniedError):  # another grid
        register.add("addresses", {"road": "x", "door_no": "1", "lon": lon, "lat": lat}, worker)
    township = StaffMember("jd1", "李敏", "township", grid["community_code"][:9])
    with pytest.raises(AccessDeniedError):
        _address(register, township, grid)
    community = StaffMember("sq1", "社区", "community", grid["community_code"])
    a = _address(register, community, grid)
    with pytest.raises(AccessDeniedError):  # moving an address out of one's grids
        register.change("addresses", a["address_id"], {"lon": lon, "lat": lat}, worker)
    assert register.get("addresses", a["address_id"])["grid_code"] == grid["code"]


def test_moving_an_address_moves_its_households(register, worker, grid, small_layers):
    community = StaffMember("sq1", "社区", "community", grid["community_code"])
    grids = small_layers.grids
    other_grid = grids[(grids["community_code"] == grid["community_code"])
                       & (grids["code"] != grid["code"])].iloc[0]
    a = _address(register, worker, grid)
    house = register.add("houses", {"address_id": a["address_id"], "room": "1",
                                    "use": "vacant", "floor_area_m2": 50}, worker)
    lon, lat = _inside(other_grid)
    register.change("addresses", a["address_id"], {"lon": lon, "lat": lat}, community)
    moved = register.get("houses", house["house_id"])
    assert moved["grid_code"] == other_grid["code"]
    assert register.history("houses", house["house_id"])[-1]["action"] == "reassign"


def test_reads_are_scoped_and_personal_data_masked(worker, grid):
    record = {"name": "欧阳修文", "id_number": _id("19491231"), "phone": "13812341234",
              "birth_date": dt.date(1949, 12, 31), "grid_code": grid["code"]}
    today = dt.date(2026, 12, 2)
    mine = present_person(worker, record, today=today)
    assert mine["masked"] is False and mine["name"] == "欧阳修文" and mine["age"] == 76
    township = StaffMember("jd1", "李敏", "township", grid["community_code"][:9])
    seen = present_person(township, record, today=today)
    assert seen["masked"] and seen["name"] == "欧阳**" and seen["phone"] == "138****1234"
    assert seen["id_number"] == "330399********" + record["id_number"][-4:]
    assert seen["birth_date"] is None and seen["age"] == 76
    other = StaffMember("wg2", "赵", "grid_worker", grid["community_code"], grade="part_time",
                        grids=(grid["code"][:-3] + "999",))
    assert present_person(other, record, today=today)["masked"]
    assert read_areas(worker) == (grid["code"],)
    with pytest.raises(AccessDeniedError):
        read_areas(StaffMember("dw1", "单位", "unit", unit_id="U1"))
