"""The task list: due from the catalogue's frequency, done by a visit, overdue when missed."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from gridgis.baseinfo import BaseInfoStore, locator_of
from gridgis.baseinfo.records import id_check_char
from gridgis.baseinfo.tasks import load_task_catalogue, record_visit, task_list, task_summary
from gridgis.errors import AccessDeniedError, InputError
from gridgis.people import StaffMember
from gridgis.store import SQLiteStore


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def setup(tmp_path, small_index, small_layers):
    grid = small_layers.grids.iloc[0]
    worker = StaffMember("wg1", "王五", "grid_worker", grid["community_code"],
                         grade="full_time", grids=(grid["code"],))
    clock = Clock(dt.datetime(2026, 11, 2, 9))
    store = SQLiteStore(tmp_path / "s.sqlite")
    register = BaseInfoStore(store.engine, locate=locator_of(small_index), clock=clock)
    p = shapely.point_on_surface(grid.geometry)
    a = register.add("addresses", {"road": "瓯江路", "door_no": "8号", "lon": p.x, "lat": p.y},
                     worker)
    first = "33039919400101001"
    old = register.add("people", {"name": "陈伯", "id_number": first + id_check_char(first),
                                  "residence": "registered", "address_id": a["address_id"],
                                  "tags": ["elderly_alone"]}, worker)
    first = "33039919900101003"
    key = register.add("people", {"name": "周某", "id_number": first + id_check_char(first),
                                  "residence": "migrant", "address_id": a["address_id"],
                                  "tags": ["community_correction"]}, worker)
    yield register, worker, grid, clock, old, key
    store.close()


def test_the_catalogue_is_replaceable_and_checked(tmp_path):
    path = tmp_path / "tasks.csv"
    path.write_text("code,name,kind,target,match,every_days\nX1,巡查,patrol,grids,*,2\n",
                    encoding="utf-8")
    assert load_task_catalogue(path)["X1"].every_days == 2
    path.write_text("code,name,kind,target,match,every_days\nX1,巡查,patrol,roads,*,2\n",
                    encoding="utf-8")
    with pytest.raises(InputError, match="第 2 行"):
        load_task_catalogue(path)
    assert len(load_task_catalogue()) >= 15


def test_due_done_and_overdue(setup, small_layers):
    register, worker, grid, clock, old, key = setup
    engine = register.engine
    day = dt.date(2026, 11, 2)
    tasks = task_list(engine, worker.grids, day, grids=small_layers.grids)
    mine = tasks.set_index(["task_code", "target_id"])
    # registered today: due today; the grid's patrol too; the migrant's check
    assert mine.loc[("V06", old["person_id"]), "state"] == "due"
    assert mine.loc[("V01", key["person_id"]), "light"] == "yellow"
    assert ("C01", key["person_id"]) in mine.index and ("P01", grid["code"]) in mine.index
    assert ("C01", old["person_id"]) not in mine.index  # registered, not migrant

    clock.now = dt.datetime(2026, 11, 2, 15)
    v = record_visit(register, worker, task_code="V06", target_id=old["person_id"],
                     lon=120.6, lat=28.0, place="家中", note="身体尚好")
    assert v["grid_code"] == grid["code"] and v["staff_id"] == "wg1"
    tasks = task_list(engine, worker.grids, day).set_index(["task_code", "target_id"])
    assert tasks.loc[("V06", old["person_id"]), "state"] == "done"
    assert tasks.loc[("V06", old["person_id"]), "light"] == "green"

    # a week on: the elderly person is due again (every 7 days), the correction visit of
    # 2 November was missed: overdue by 7 days and first in the list
    week = dt.date(2026, 11, 9)
    later = task_list(engine, worker.grids, week)
    assert later.iloc[0]["state"] == "overdue"
    by = later.set_index(["task_code", "target_id"])
    assert by.loc[("V01", key["person_id"]), "overdue_days"] == 7
    assert by.loc[("V01", key["person_id"]), "light"] == "red"
    assert by.loc[("V06", old["person_id"]), "state"] == "due"
    # in between nothing of the elderly person is listed
    assert ("V06", old["person_id"]) not in set(
        task_list(engine, worker.grids, dt.date(2026, 11, 5)).set_index(
            ["task_code", "target_id"]).index)
    summary = task_summary(later)
    assert summary.loc[grid["code"], "overdue"] >= 1


def test_visits_are_kept_by_the_keepers(setup, small_layers):
    register, worker, grid, clock, old, _key = setup
    other = StaffMember("wg2", "赵", "grid_worker", grid["community_code"], grade="part_time",
                        grids=(grid["code"][:-3] + "999",))
    with pytest.raises(AccessDeniedError):
        record_visit(register, other, task_code="V06", target_id=old["person_id"])
    with pytest.raises(InputError) as err:
        record_visit(register, worker, task_code="Z99", target_id=old["person_id"])
    assert err.value.field == "task_code"
    with pytest.raises(InputError) as err:
        record_visit(register, worker, task_code="V06", target_id=old["person_id"],
                     at=clock.now + dt.timedelta(days=1))
    assert err.value.field == "at"


def test_the_sample_has_a_task_list_that_looks_kept(small_baseinfo, small_layers, tmp_path):
    from gridgis.baseinfo import load_sample
    from gridgis.baseinfo.sample import SAMPLE_DAY, sample_visits

    visits = sample_visits(small_baseinfo)
    store = SQLiteStore(tmp_path / "s.sqlite")
    counts = load_sample(store.engine, small_baseinfo, visits=visits)
    assert counts["visits"] == len(visits) > 0
    grid = small_baseinfo.people["grid_code"].value_counts().index[0]
    tasks = task_list(store.engine, [grid], SAMPLE_DAY, grids=small_layers.grids)
    states = tasks["state"].value_counts()
    kept = (visits["grid_code"] == grid).sum()  # records of the grid visited once at least
    assert 0.05 < states["overdue"] / kept < 0.4 and states["due"] > 0
    # a visit's grid head is the grid's, its target one the task applies to
    v = visits.iloc[0]
    assert v["staff_id"] == "wg" + v["grid_code"][6:] + "01"
    assert v["done_at"] <= dt.datetime.combine(SAMPLE_DAY, dt.time(17))
    store.close()
