import re

import pytest

from gridgis.dispatch import Dispatcher
from gridgis.people.roles import Grade, StaffRole
from gridgis.people.roster import roster_members
from gridgis.people.staff import StaffMember
from gridgis.sample import sample_roster
from gridgis.store import SQLiteStore


@pytest.fixture
def dispatcher(small_layers):
    store = SQLiteStore(":memory:")
    yield Dispatcher(small_layers, store)
    store.close()


@pytest.fixture
def grid(small_layers):
    row = small_layers.grids.iloc[len(small_layers.grids) // 3]
    p = row.geometry.representative_point()
    return {"code": row["code"], "lon": p.x, "lat": p.y, "workers": int(row["workers"]),
            "names": row["worker_names"]}


def test_without_staff_the_layer_names_the_workers(dispatcher, grid):
    out = dispatcher.locate(grid["lon"], grid["lat"])
    assert out["grid_code"] == grid["code"]
    assert out["workers"] == grid["workers"] and out["worker_names"] == grid["names"]
    assert [w["name"] for w in out["grid_workers"]] == grid["names"].split("、")
    assert all(w["staff_id"] is None and w["phone"] is None for w in out["grid_workers"])


def test_the_staff_directory_names_the_workers(dispatcher, grid, small_layers):
    roster = sample_roster(small_layers)
    dispatcher.store.staff.save_many(roster_members(roster))
    informant = StaffMember("xx01", "林芳", StaffRole.GRID_WORKER, grid["code"][:12],
                            grade=Grade.INFORMANT, phone="13900001111", grids=(grid["code"],))
    dispatcher.store.staff.save(informant)
    out = dispatcher.locate(grid["lon"], grid["lat"])
    people = out["grid_workers"]
    assert people[0]["grade"] == "grid_head" and people[-1]["staff_id"] == "xx01"
    assert people[-1]["phone"] == "139****1111"
    assert all(re.fullmatch(r"1\d\d\*{4}\d{4}", w["phone"]) for w in people)
    ours = roster[roster["grids"] == grid["code"]]
    assert {w["staff_id"] for w in people} == set(ours["staff_id"]) | {"xx01"}
    # the sample's roster carries the layer's names: the count and names agree with it
    assert out["workers"] == grid["workers"] and out["worker_names"] == grid["names"]


def test_the_directory_wins_and_disabled_people_are_left_out(dispatcher, grid):
    a = StaffMember("wgA", "欧阳娜", StaffRole.GRID_WORKER, grid["code"][:12],
                    grade=Grade.PART_TIME, phone="0577-88123456", grids=(grid["code"],))
    b = StaffMember("wgB", "张伟", StaffRole.GRID_WORKER, grid["code"][:12],
                    grade=Grade.GRID_HEAD, grids=(grid["code"],))
    dispatcher.store.staff.save_many([a, b])
    out = dispatcher.locate(grid["lon"], grid["lat"])
    assert [(w["staff_id"], w["phone"]) for w in out["grid_workers"]] == [
        ("wgB", None), ("wgA", "0577-****3456")]
    assert out["workers"] == 2 and out["worker_names"] == "张伟、欧阳娜"
    dispatcher.store.staff.set_active("wgA", False)
    dispatcher.store.staff.set_active("wgB", False)
    out = dispatcher.locate(grid["lon"], grid["lat"])
    assert out["worker_names"] == grid["names"] and out["grid_workers"][0]["staff_id"] is None
