"""The trail: chained event hashes, verified read-only by ``gridgis audit verify``."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from typer.testing import CliRunner

from gridgis.cli import app
from gridgis.dispatch import Dispatcher
from gridgis.store import IncidentQuery, SQLiteStore
from gridgis.store.audit import event_hash
from gridgis.store.trail import verify_store_file

NOW = dt.datetime(2026, 11, 2, 9)
runner = CliRunner()


def _play(store, small_layers):
    """Three incidents moved a few steps."""
    dispatcher = Dispatcher(small_layers, store, clock=lambda: NOW)
    unit = small_layers.units["unit_id"].iloc[0]
    for i in range(3):
        p = small_layers.grids.geometry.iloc[i].representative_point()
        inc, _ = dispatcher.report(lon=p.x, lat=p.y, category="D01", description=f"噪音 {i}",
                                   client="10.1.1.9")
        dispatcher.transition(inc["incident_id"], action="accept", actor="sq01",
                              role="community", client="10.1.1.10")
        dispatcher.transition(inc["incident_id"], action="dispatch", actor="sq01",
                              role="community", unit_id=unit)
    store.close()


@pytest.fixture
def store_file(small_layers, tmp_path):
    """A store file with three incidents moved a few steps, and its path."""
    path = tmp_path / "trail.sqlite"
    _play(SQLiteStore(path), small_layers)
    return path


@pytest.fixture
def played(small_layers, backend):
    """The store of three incidents on each backend."""
    _play(backend.open(), small_layers)
    return backend


def _verify(path):
    return runner.invoke(app, ["audit", "verify", str(path)])


def test_an_untouched_trail_holds(played):
    result = _verify(played.spec)
    assert result.exit_code == 0, result.output
    assert "9 events of 3 incidents, no break" in result.stdout
    report = verify_store_file(played.spec)
    assert report.intact and report.events == 9


def test_each_event_records_its_client_and_a_hash_chained_to_the_one_before(played):
    store = played.open()
    iid = store.query(IncidentQuery(now=NOW)).items[0]["incident_id"]
    events = store.events(iid)
    store.close()
    assert [e["client"] for e in events] == ["10.1.1.9", "10.1.1.10", None]
    previous = None
    for e in events:
        assert e["hash"] == event_hash(previous, e)
        previous = e["hash"]


def test_a_changed_note_is_found_and_named(played):
    played.sql("UPDATE events SET actor = '区长' WHERE event_id = 2")
    result = _verify(played.spec)
    assert result.exit_code == 1
    breaks = verify_store_file(played.spec).breaks
    assert [(b.event_id, "content" in b.reason) for b in breaks] == [(2, True)]
    store = played.open()  # the store's own check finds the same
    assert [b.event_id for b in store.audit()[1]] == [2]
    store.close()


def test_a_removed_or_added_event_breaks_the_chain(played):
    played.sql("DELETE FROM events WHERE event_id = (SELECT max(event_id) FROM events)")
    breaks = verify_store_file(played.spec).breaks
    assert len(breaks) == 1 and breaks[0].event_id is None and "removed" in breaks[0].reason
    played.sql("DELETE FROM events WHERE event_id = 2")  # from the middle of a chain
    assert any(b.event_id == 3 for b in verify_store_file(played.spec).breaks)


def test_a_rehashed_forgery_still_breaks_at_the_next_event(played):
    store = played.open()
    first_incident = store.query(IncidentQuery(now=NOW, sort="reported_at")).items[0]
    first, second = store.events(first_incident["incident_id"])[:2]
    store.close()
    assert second["event_id"] == 2
    second["note"] = "改过的记录"
    played.sql("UPDATE events SET note = :note, hash = :hash WHERE event_id = 2",
               note=second["note"], hash=event_hash(first["hash"], second))
    breaks = verify_store_file(played.spec).breaks
    assert [b.event_id for b in breaks] == [3]


def test_a_store_from_before_the_trail_is_chained_when_opened(store_file):
    with sqlite3.connect(store_file) as conn:  # make it a schema-1 file again
        for statement in ("ALTER TABLE events DROP COLUMN hash",
                          "ALTER TABLE events DROP COLUMN client", "DROP TABLE staff_grids",
                          "DROP TABLE staff", "DROP TABLE reporters",
                          "UPDATE schema_version SET version = 1"):
            conn.execute(statement)
    result = _verify(store_file)
    assert result.exit_code == 2 and "predates the trail" in result.output
    SQLiteStore(store_file).close()  # the migration chains what is there
    assert verify_store_file(store_file).intact


def test_files_that_are_no_store_end_with_one_line(tmp_path):
    missing = _verify(tmp_path / "none.sqlite")
    assert missing.exit_code == 2 and "no such file" in missing.output
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = _verify(junk)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) <= 2
