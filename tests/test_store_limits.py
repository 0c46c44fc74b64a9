"""The store past 9,999 reports a day, and when another writer keeps it locked."""

import contextlib
import sqlite3

import pytest
import sqlalchemy as sa

from gridgis.errors import StoreBusyError
from gridgis.store import IncidentQuery, SQLiteStore
from gridgis.store.sqlite import incident_counters, incidents
from tests.test_store import T0, ev, record


@contextlib.contextmanager
def write_lock(path):
    """Hold the database's write lock from another connection."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        yield
    finally:
        db.execute("ROLLBACK")
        db.close()


def _legacy_rows(store, n):
    """``n`` incidents of T0's day written as a store without counters had them."""
    row = {**record().to_row(), "version": 1, "updated_at": T0}
    with store.engine.begin() as conn:
        conn.execute(sa.insert(incidents), [
            row | {"incident_id": f"E{T0:%Y%m%d}-{seq:04d}"} for seq in range(1, n + 1)])
        conn.execute(sa.delete(incident_counters))


def test_ids_stay_unique_past_9999_a_day(backend):
    store = backend.open()
    _legacy_rows(store, 10_000)  # "-9999" is the largest as text, -10000 as a number
    store.close()
    store = backend.open()  # an existing store keeps working
    ids = [store.create(record(), ev())[0]["incident_id"] for _ in range(3)]
    assert ids == [f"E{T0:%Y%m%d}-{n}" for n in (10_001, 10_002, 10_003)]
    assert store.query(IncidentQuery(now=T0, limit=1)).matched == 10_003
    store.close()


def test_the_day_counter_runs_on_from_a_small_start(backend):
    store = backend.open()
    first = store.create(record(), ev())[0]["incident_id"]
    assert first == f"E{T0:%Y%m%d}-0001"
    with store.engine.begin() as conn:
        conn.execute(sa.update(incident_counters).values(last_seq=9_997))
    ids = [store.create(record(), ev())[0]["incident_id"] for _ in range(4)]
    assert ids == [f"E{T0:%Y%m%d}-{n}" for n in ("9998", "9999", "10000", "10001")]
    assert len({first, *ids}) == 5
    assert all(store.get(i)["incident_id"] == i for i in ids)
    store.close()


def test_a_locked_store_says_so_and_recovers(tmp_path):
    path = tmp_path / "d.incidents.sqlite"
    store = SQLiteStore(path, busy_timeout=0.2)
    with write_lock(path):
        with pytest.raises(StoreBusyError, match="locked") as caught:
            store.create(record(), ev())
        assert caught.value.retry_after >= 1
    created, _ = store.create(record(), ev())
    assert created["incident_id"] == f"E{T0:%Y%m%d}-0001"  # the refused call took no number
    store.close()


def test_a_writer_held_up_on_postgis_says_so_and_recovers(postgis):
    store = postgis.open(busy_timeout=0.2)
    holder = postgis.open()
    with holder.engine.begin() as conn:  # another writer holds the write lock
        conn.execute(sa.select(1))
        with pytest.raises(StoreBusyError, match="locked") as caught:
            store.create(record(), ev())
        assert caught.value.retry_after >= 1
    created, _ = store.create(record(), ev())
    assert created["incident_id"] == f"E{T0:%Y%m%d}-0001"  # the refused call took no number
    holder.close()
    store.close()


@pytest.mark.parametrize("seconds", [-1, 3601])
def test_busy_timeout_is_bounded(backend, seconds):
    with pytest.raises(ValueError, match="busy_timeout"):
        backend.open(busy_timeout=seconds)
