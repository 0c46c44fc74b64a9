import datetime as dt

import pytest

from gridgis.attachments.files import sha256_of
from gridgis.errors import IncidentNotFoundError, StoreError
from gridgis.incidents.record import IncidentRecord
from gridgis.store import SQLiteStore
from gridgis.store.attachments import THUMBNAIL_SUFFIX, NewAttachment, attachment_folder_for
from gridgis.store.base import Event
from gridgis.store.trail import verify_store_file

NOW = dt.datetime(2026, 11, 2, 9)


def new_incident(store) -> str:
    record = IncidentRecord(
        lon=120.65, lat=28.0, input_crs="wgs84", input_lon=120.65, input_lat=28.0,
        category="D01", priority="normal", platform="综治工作", description="噪音",
        source="app", grid_code="330399001001001", community_code="330399001001",
        township_code="330399001", match="inside", edge_distance_m=None, patrol_level=None,
        candidate_units=[], duplicate_of=[], reported_at=NOW, respond_by=NOW,
        progress_by=NOW, resolve_by=NOW, stage_started_at=NOW, yellow_at=None, due_at=None)
    stored, _ = store.create(record, Event(at=NOW, actor="wg1", role="grid_worker",
                                           action="report", from_state=None,
                                           to_state="reported"))
    return stored["incident_id"]


def attach(store, incident_id, data=b"\xff\xd8\xff jpeg", *, stage="report",
           thumbnail=b"thumb"):
    new = NewAttachment(incident_id=incident_id, stage=stage, kind="image",
                        media_type="image/jpeg", data=data, uploaded_by="wg1",
                        role="grid_worker", uploaded_at=NOW, thumbnail=thumbnail)
    event = Event(at=NOW, actor="wg1", role="grid_worker", action="attach", from_state=None,
                  to_state="reported", data={"stage": stage, "sha256": sha256_of(data)})
    return store.attachments.add(new, event=event)


def stored_files(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_the_folder_is_named_after_the_store(tmp_path):
    store = SQLiteStore(tmp_path / "district.incidents.sqlite")
    assert store.attachments.folder == tmp_path / "district.attachments"
    assert attachment_folder_for(tmp_path / "x.sqlite") == tmp_path / "x.attachments"
    store.close()
    assert (tmp_path / "district.incidents.sqlite").exists()


def test_the_same_photo_twice_is_stored_once(backend):
    store = backend.open()
    first, second = new_incident(store), new_incident(store)
    a, created = attach(store, first)
    assert created and a["bytes"] == 8 and a["thumbnail_bytes"] == 5
    b, created = attach(store, first)  # sent again, same stage: the first upload
    assert not created and b == a
    c, created = attach(store, second)  # the same photo on another incident: a new row
    d, _ = attach(store, first, stage="after")
    assert created and len({a["attachment_id"], c["attachment_id"], d["attachment_id"]}) == 3
    sha = a["sha256"]
    assert stored_files(store.attachments.folder) == sorted([sha, sha + THUMBNAIL_SUFFIX])
    assert store.attachments.content(c) == b"\xff\xd8\xff jpeg"
    assert store.attachments.thumbnail(c) == b"thumb"
    assert [r["attachment_id"] for r in store.attachments.of(first)] == \
        [a["attachment_id"], d["attachment_id"]]
    store.close()


def test_each_upload_is_an_event_and_the_trail_holds(backend):
    store = backend.open()
    iid = new_incident(store)
    row, _ = attach(store, iid)
    attach(store, iid)  # not stored again: no event either
    attach(store, iid, b"another photo", stage="before")
    incident = store.get(iid)
    assert incident["version"] == 3 and incident["status"] == "reported"
    events = store.events(iid)
    assert [e["action"] for e in events] == ["report", "attach", "attach"]
    assert events[1]["from_state"] == events[1]["to_state"] == "reported"
    assert events[1]["data"]["attachment_id"] == row["attachment_id"]
    assert events[1]["data"]["sha256"] == row["sha256"]
    assert store.audit() == (3, [])
    store.close()
    if backend.name == "sqlite":  # gridgis audit verify reads the file
        report = verify_store_file(backend.spec)
        assert report.intact and report.events == 3


def test_a_failed_upload_leaves_nothing_behind(backend):
    store = backend.open()
    with pytest.raises(IncidentNotFoundError):
        attach(store, "E20261102-9999")
    assert stored_files(store.attachments.folder) == []
    assert store.attachments.count() == 0
    iid = new_incident(store)
    kept, _ = attach(store, iid)
    with pytest.raises(IncidentNotFoundError):  # the same photo fails elsewhere: kept here
        attach(store, "E20261102-9999")
    assert store.attachments.content(kept)
    store.close()


def test_a_failure_inside_the_transaction_removes_the_files(backend, monkeypatch):
    store = backend.open()
    iid = new_incident(store)

    def broken(*args, **kwargs):
        raise RuntimeError("the event could not be written")
    monkeypatch.setattr(store.attachments, "write_event", broken)
    with pytest.raises(RuntimeError):
        attach(store, iid)
    assert stored_files(store.attachments.folder) == []
    assert store.attachments.count() == 0 and store.get(iid)["version"] == 1
    store.close()


def test_a_store_in_memory_removes_its_folder_at_close():
    store = SQLiteStore(":memory:")
    iid = new_incident(store)
    attach(store, iid)
    folder = store.attachments.folder
    assert stored_files(folder)
    store.close()
    assert not folder.exists()


def test_an_older_file_gets_the_tables_and_check_names_them(backend):
    backend.open().close()
    backend.sql("DROP TABLE attachments")
    store = backend.open()  # created again where missing, on opening
    store.check(writable=True)
    backend.open().close()  # and opening again changes nothing
    store.close()
    store = backend.open()
    backend.sql("DROP TABLE attachment_links")
    with pytest.raises(StoreError, match="attachment_links"):
        store.check()
    store.close()


def test_links_are_recorded_with_an_event(backend):
    store = backend.open()
    iid = new_incident(store)
    store.attachments.add_link(iid, "https://example.org/p/1.jpg", channel="app", event=Event(
        at=NOW, actor="open311:app", role="reporter", action="attach", from_state=None,
        to_state="reported", data={"media_url": "https://example.org/p/1.jpg"}))
    assert store.attachments.first_links([iid, "E0"]) == {iid: "https://example.org/p/1.jpg"}
    assert store.get(iid)["version"] == 2 and store.audit() == (2, [])
    store.close()


def test_opening_a_store_loads_neither_pillow_nor_the_dispatcher():
    import subprocess
    import sys

    code = ("import sys, gridgis.store; s = gridgis.store.SQLiteStore(':memory:'); s.close(); "
            "print(sorted(m for m in ('PIL', 'pi_heif', 'gridgis.dispatch', "
            "'gridgis.attachments.service') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
