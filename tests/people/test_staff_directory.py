import pytest

from gridgis.errors import StaffError
from gridgis.people.roles import Grade, StaffRole
from gridgis.people.roster import roster_members
from gridgis.people.staff import StaffMember
from gridgis.sample import sample_roster
from gridgis.store import staff as staff_store


@pytest.fixture
def store(backend):
    s = backend.open()
    yield s
    s.close()


def worker(staff_id, grid, name="唐欣", grade=Grade.FULL_TIME):
    return StaffMember(staff_id, name, StaffRole.GRID_WORKER, grid[:12], grade=grade,
                       grids=(grid,))


def test_save_many_adds_then_updates(store, small_layers):
    members = roster_members(sample_roster(small_layers))
    assert store.staff.save_many(members) == (len(members), 0)
    assert store.staff.count() == len(members)
    first = members[0]
    assert store.staff.find(first.staff_id) == first
    assert store.staff.members(grid_code=first.grids[0])[0].grids == first.grids
    assert store.staff.save_many(members) == (0, len(members))
    assert store.staff.count() == len(members)


def test_an_update_replaces_grids_and_keeps_password_and_activity(store):
    a = worker("wg1", "330399001001001")
    store.staff.save(a, password_hash="hash-a")
    store.staff.set_active("wg1", False)
    moved = worker("wg1", "330399001001002", name="唐欣欣")
    new = worker("wg2", "330399001001002")
    assert store.staff.save_many([moved, new]) == (1, 1)
    got = store.staff.find("wg1")
    assert got.name == "唐欣欣" and got.grids == ("330399001001002",)
    assert got.active is False  # a roster does not enable again someone disabled
    assert store.staff.members(grid_code="330399001001001") == []
    store.staff.set_active("wg1", True)
    assert store.staff.password_hash("wg1") == "hash-a"
    assert store.staff.password_hash("wg2") is None
    store.staff.save_many([moved.disabled()], keep_active=False)
    assert store.staff.find("wg1").active is False


def test_one_hash_for_everyone(store):
    store.staff.save_many([worker("wg1", "330399001001001"), worker("wg2", "330399001001001")],
                          password_hash="shared")
    assert store.staff.password_hash("wg1") == store.staff.password_hash("wg2") == "shared"


def test_all_or_nothing(store, small_layers, monkeypatch):
    monkeypatch.setattr(staff_store, "CHUNK", 100)
    members = roster_members(sample_roster(small_layers))
    assert len(members) > 100  # more than one chunk

    def fail_after_the_first_chunk(n):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.staff.save_many(members, progress=fail_after_the_first_chunk)
    assert store.staff.count() == 0


def test_an_id_given_twice_is_refused(store):
    with pytest.raises(StaffError, match="wg1") as exc:
        store.staff.save_many([worker("wg1", "330399001001001"),
                               worker("wg1", "330399001001002")])
    assert exc.value.field == "staff_id"
    assert store.staff.count() == 0
