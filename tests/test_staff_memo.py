"""The staff directory remembers answers while the store file is unchanged, and no longer."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from gridgis.people.staff import StaffMember
from gridgis.store import SQLiteStore
from gridgis.store.freshness import Memo

GRID = "330399001001001"


def _worker(staff_id: str, grid: str = GRID) -> StaffMember:
    return StaffMember(staff_id, "网格员" + staff_id, "grid_worker", grid[:12],
                       grade="full_time", grids=(grid,))


@pytest.fixture
def counted(tmp_path):
    """A store file with two grid workers, and a list of the statements it runs."""
    store = SQLiteStore(tmp_path / "d.incidents.sqlite")
    store.staff.save(_worker("wg001"))
    store.staff.save(_worker("wg002"))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute",
                 lambda *args: statements.append(args[2]))
    yield store, statements
    store.close()


def test_answers_are_asked_once_while_nothing_changes(counted):
    store, statements = counted
    first = store.staff.find("wg001")
    asked = len(statements)
    assert asked > 0
    assert store.staff.find("wg001") == first and len(statements) == asked
    workers = store.staff.members(grid_code=GRID, active=True)
    asked = len(statements)
    again = store.staff.members(grid_code=GRID, active=True)
    assert again == workers and len(statements) == asked
    again.clear()  # a caller's list is its own
    assert len(store.staff.members(grid_code=GRID, active=True)) == 2


def test_a_change_by_another_connection_shows_at_once(counted):
    store, _ = counted
    assert store.staff.find("wg001").active
    assert [m.staff_id for m in store.staff.members(grid_code=GRID, active=True)] == [
        "wg001", "wg002"]
    with sqlite3.connect(store.path) as other:  # as another process would: not via the store
        other.execute("UPDATE staff SET active = 0 WHERE staff_id = 'wg001'")
    assert not store.staff.find("wg001").active
    assert [m.staff_id for m in store.staff.members(grid_code=GRID, active=True)] == ["wg002"]
    store.staff.set_active("wg001", True)  # and a change through the store itself
    assert store.staff.find("wg001").active


def test_a_store_in_memory_asks_every_time():
    store = SQLiteStore(":memory:")
    store.staff.save(_worker("wg001"))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    store.staff.find("wg001")
    asked = len(statements)
    store.staff.find("wg001")
    assert len(statements) == 2 * asked
    store.close()


def test_the_memo_starts_afresh_beyond_its_size(tmp_path):
    store = SQLiteStore(tmp_path / "d.incidents.sqlite")
    memo = Memo(store.engine, max_items=2)
    asked: list[str] = []
    for key in ("a", "b", "c", "a"):
        memo.get(key, lambda k=key: asked.append(k) or k)
    assert asked == ["a", "b", "c", "a"]  # "a" was dropped when "c" came
    memo.get("c", lambda: asked.append("c!"))
    assert asked[-1] == "a"
    memo.close()
    store.close()


def test_a_report_keeps_the_answers_a_staff_change_does_not(counted):
    store, statements = counted
    asked_days: list[int] = []
    store.staff.find("wg001")
    asked = len(statements)
    with sqlite3.connect(store.path) as other:  # another table's commit (a report, say)
        other.execute("INSERT INTO incident_counters (day, last_seq) VALUES (?, 1)",
                      (f"2026{len(asked_days):04d}",))
        asked_days.append(1)
    assert store.staff.find("wg001").active and len(statements) == asked
    with sqlite3.connect(store.path) as other:  # the grid link, written around the store
        other.execute("UPDATE staff_grids SET grid_code = '330399001001002' "
                      "WHERE staff_id = 'wg002'")
    assert [m.staff_id for m in store.staff.members(grid_code=GRID, active=True)] == ["wg001"]
    assert store.staff.find("wg002").grids == ("330399001001002",)


def test_a_file_without_the_counter_forgets_on_every_commit(tmp_path):
    store = SQLiteStore(tmp_path / "d.incidents.sqlite")
    store.staff.save(_worker("wg001"))
    with sqlite3.connect(store.path) as db:  # as a file of an older gridgis, read-only since
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE staff_changes")
    memo = Memo(store.engine, stamp="SELECT n FROM staff_changes")
    asked: list[int] = []
    asked_days: list[int] = []
    memo.get("k", lambda: asked.append(1))
    memo.get("k", lambda: asked.append(2))
    assert asked == [1]
    with sqlite3.connect(store.path) as other:
        other.execute("INSERT INTO incident_counters (day, last_seq) VALUES (?, 1)",
                      (f"2026{len(asked_days):04d}",))
        asked_days.append(1)
    memo.get("k", lambda: asked.append(3))
    assert asked == [1, 3]
    memo.close()
    store.close()
