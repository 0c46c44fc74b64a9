"""Writers of one SQLite store take turns: many threads, one record per key, turns given back."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest
import sqlalchemy as sa

from gridgis.store import IncidentQuery, SQLiteStore
from gridgis.store.reading import reading
from gridgis.store.sqlite import incidents
from gridgis.store.writers import HOLDS_TURN
from tests.store_worker import WAIT_LIMIT_S
from tests.test_store import T0, ev, record

THREADS = 8
KEYS = 5


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=WAIT_LIMIT_S)
        assert not t.is_alive(), "a writer never got its turn"


def test_threads_writing_at_once_keep_one_record_per_key(tmp_path):
    store = SQLiteStore(tmp_path / "d.incidents.sqlite")
    barrier = threading.Barrier(THREADS)
    created: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait(timeout=WAIT_LIMIT_S)
            for k in range(KEYS):
                got, new = store.create(record(description=f"线程 {n}"), ev(),
                                        idempotency_key=f"key-{k}")
                created.append((got["incident_id"], new))
                store.create(record(description=f"线程 {n} 新 {k}"), ev())
        except BaseException as exc:  # reported below
            errors.append(exc)

    _run([threading.Thread(target=write, args=(n,)) for n in range(THREADS)])
    assert errors == []
    assert sum(new for _, new in created) == KEYS  # one creation per key, repeats answer it
    assert len({i for i, _ in created}) == KEYS
    assert store.query(IncidentQuery(now=T0, limit=1)).matched == KEYS + THREADS * KEYS
    assert store.audit()[1] == []  # every chain holds
    store.close()


def test_a_failed_write_gives_its_turn_back(tmp_path):
    store = SQLiteStore(tmp_path / "d.incidents.sqlite")
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        assert conn.info.get(HOLDS_TURN)  # a write holds the turn while it runs
        conn.execute(sa.insert(incidents).values(incident_id="x"))  # NOT NULL columns fail
    done: list[str] = []
    _run([threading.Thread(target=lambda: done.append(
        store.create(record(), ev())[0]["incident_id"]))])  # another thread gets the turn
    assert len(done) == 1
    with reading(store.engine) as conn:  # a reader holds no turn
        conn.execute(sa.text("SELECT 1"))
        assert not conn.info.get(HOLDS_TURN)
    store.close()


def test_a_write_holds_the_file_lock_other_processes_wait_on(tmp_path):
    path = tmp_path / "d.incidents.sqlite"
    store = SQLiteStore(path)
    other = os.open(f"{path}-writers", os.O_RDWR)  # what another process's store opens
    with store.engine.begin() as conn:
        conn.execute(sa.text("SELECT 1"))
        with pytest.raises(BlockingIOError):  # taken: another process would wait here
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # given back after the commit
    done: list[str] = []
    writer = threading.Thread(target=lambda: done.append(
        store.create(record(), ev())[0]["incident_id"]))
    writer.start()  # waits for the turn this test holds, as a writer of another process
    fcntl.flock(other, fcntl.LOCK_UN)
    writer.join(timeout=WAIT_LIMIT_S)
    assert not writer.is_alive() and len(done) == 1
    os.close(other)
    store.close()


def test_a_store_in_memory_takes_no_turns():
    store = SQLiteStore(":memory:")
    with store.engine.begin() as conn:
        conn.execute(sa.text("SELECT 1"))
        assert not conn.info.get(HOLDS_TURN)
    store.close()


def test_a_process_that_keeps_the_turn_does_not_hold_up_writers_for_ever(tmp_path):
    """A worker stopped while holding the turn: the others write after the busy timeout."""
    path = tmp_path / "d.incidents.sqlite"
    SQLiteStore(path).close()
    stuck = os.open(f"{path}-writers", os.O_RDWR)  # a stopped worker's turn, never given back
    fcntl.flock(stuck, fcntl.LOCK_EX)
    store = SQLiteStore(path, busy_timeout=0.5)
    done: list[str] = []
    _run([threading.Thread(target=lambda: done.append(
        store.create(record(), ev())[0]["incident_id"]))])  # SQLite's own lock is free
    assert len(done) == 1
    with store.engine.begin() as conn:  # the turn was not taken, so none is held now
        assert not conn.info.get(HOLDS_TURN)
    fcntl.flock(stuck, fcntl.LOCK_UN)
    with store.engine.begin() as conn:  # given back by the stuck worker: turns again
        assert conn.info.get(HOLDS_TURN)
    os.close(stuck)
    store.close()
