import dataclasses
import datetime as dt
import sqlite3
import threading

import pytest
import sqlalchemy as sa

from gridgis.errors import ConflictError, IncidentNotFoundError
from gridgis.incidents.names import State
from gridgis.incidents.record import IncidentRecord
from gridgis.store import SCHEMA_VERSION, Event, IncidentQuery, SQLiteStore, store_path_for
from gridgis.store.sqlite import columns_match_record, incidents

T0 = dt.datetime(2026, 11, 2, 9, 0)


def record(**over):
    base = {
        "lon": 120.63, "lat": 28.0, "input_crs": "wgs84", "input_lon": 120.63,
        "input_lat": 28.0, "category": "D01", "priority": "normal",
        "platform": "comprehensive_governance", "description": "噪音扰民", "source": "app",
        "status": "reported", "grid_code": "330399001001001", "community_code": "330399001001",
        "township_code": "330399001", "match": "inside", "edge_distance_m": 20.0,
        "patrol_level": "high", "unit_id": None, "candidate_units": [], "duplicate_of": [],
        "reported_at": T0, "respond_by": T0 + dt.timedelta(days=1),
        "progress_by": T0 + dt.timedelta(days=3), "resolve_by": T0 + dt.timedelta(days=15),
        "stage_started_at": T0, "yellow_at": T0 + dt.timedelta(hours=19),
        "due_at": T0 + dt.timedelta(days=1), "escalation_level": 0, "reopened": 0,
        "returned": 0, "extension_hours_pending": None, "extensions": 0, "satisfaction": None,
    }
    return IncidentRecord(**(base | over))


def ev(action="report", to="reported", at=T0, **kw):
    return Event(at=at, actor="tester", role="community", action=action, from_state=None,
                 to_state=to, **kw)


@pytest.fixture
def store(backend):
    """The store on each backend: SQLite, then PostgreSQL with PostGIS."""
    s = backend.open()
    yield s
    s.close()


def test_file_is_wal_and_versioned(tmp_path):
    store = SQLiteStore(tmp_path / "d.incidents.sqlite")
    with sqlite3.connect(store.path) as db:
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == SCHEMA_VERSION
    SQLiteStore(store.path).close()  # opening again migrates nothing and keeps the data
    store.close()


def test_reopening_keeps_the_data_and_the_version(store, backend):
    a, _ = store.create(record(), ev())
    assert store.schema_version == SCHEMA_VERSION
    again = backend.open()  # opening again migrates nothing and keeps the data
    assert again.get(a["incident_id"]) == a and again.schema_version == SCHEMA_VERSION
    again.close()


def test_newer_schema_is_refused(store, backend):
    backend.sql("update schema_version set version = 99")
    with pytest.raises(RuntimeError, match="newer than this gridgis"):
        backend.open()


def test_create_assigns_daily_ids_and_writes_the_first_event(store):
    a, created = store.create(record(), ev())
    b, _ = store.create(record(), ev())
    c, _ = store.create(record(reported_at=T0 + dt.timedelta(days=1)), ev())
    assert created
    assert (a["incident_id"], b["incident_id"], c["incident_id"]) == (
        "E20261102-0001", "E20261102-0002", "E20261103-0001")
    assert [e["action"] for e in store.events(a["incident_id"])] == ["report"]
    assert a["version"] == 1


def test_idempotency_key_never_creates_two(store):
    a, created_a = store.create(record(), ev(), idempotency_key="k1")
    b, created_b = store.create(record(description="again"), ev(), idempotency_key="k1")
    assert created_a and not created_b
    assert a["incident_id"] == b["incident_id"]
    assert store.query(IncidentQuery(now=T0)).matched == 1


def test_update_is_atomic_with_its_event_and_versioned(store):
    a, _ = store.create(record(), ev())
    up = store.update(a["incident_id"], expected_version=1, changes={"status": "accepted"},
                      event=ev("accept", "accepted"))
    assert up["version"] == 2 and up["status"] == "accepted"
    with pytest.raises(ConflictError, match="changed meanwhile"):
        store.update(a["incident_id"], expected_version=1, changes={"status": "rejected"},
                     event=ev("reject", "rejected"))
    assert store.get(a["incident_id"])["status"] == "accepted"
    assert [e["action"] for e in store.events(a["incident_id"])] == ["report", "accept"]
    with pytest.raises(IncidentNotFoundError):
        store.update("E1-1", expected_version=1, changes={}, event=ev())


def test_failed_update_leaves_nothing(store):
    a, _ = store.create(record(), ev())
    with pytest.raises(Exception):  # noqa: B017 - any database error
        store.update(a["incident_id"], expected_version=1, changes={"no_such_column": 1},
                     event=ev("accept", "accepted"))
    assert store.get(a["incident_id"])["version"] == 1
    assert len(store.events(a["incident_id"])) == 1


def test_concurrent_transitions_only_one_wins(store):
    a, _ = store.create(record(), ev())
    results = []
    barrier = threading.Barrier(8)

    def attempt(i):
        barrier.wait()
        try:
            store.update(a["incident_id"], expected_version=1, changes={"status": f"s{i}"},
                         event=ev("accept", f"s{i}"))
            results.append("won")
        except ConflictError:
            results.append("conflict")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 7 + ["won"]
    assert len(store.events(a["incident_id"])) == 2


def test_query_filters_sorts_red_first_and_counts_lights(store):
    now = T0 + dt.timedelta(hours=20)
    store.create(record(), ev())  # yellow at 19 h, due at 24 h -> yellow
    store.create(record(due_at=T0 + dt.timedelta(hours=10),
                        yellow_at=T0 + dt.timedelta(hours=8)), ev())  # red
    store.create(record(due_at=None, yellow_at=None, status="closed"), ev())  # none
    store.create(record(category="E02", grid_code="330399002001001",
                        township_code="330399002", lon=120.7,
                        yellow_at=T0 + dt.timedelta(hours=21)), ev())  # green
    page = store.query(IncidentQuery(now=now))
    assert [i["light"] for i in page.items] == ["red", "yellow", "green", "none"]
    assert page.lights == {"red": 1, "yellow": 1, "green": 1, "none": 1}
    assert store.query(IncidentQuery(now=now, light=("red",))).matched == 1
    assert store.query(IncidentQuery(now=now, category=("E02",))).matched == 1
    assert store.query(IncidentQuery(now=now, township_code="330399002")).matched == 1
    assert store.query(IncidentQuery(now=now, area_codes=("330399001",))).matched == 3
    assert store.query(IncidentQuery(now=now, bbox=(120.69, 27.9, 120.71, 28.1))).matched == 1
    assert store.query(IncidentQuery(now=now, status=("closed",))).matched == 1
    two = store.query(IncidentQuery(now=now, limit=2, offset=2))
    assert [i["light"] for i in two.items] == ["green", "none"] and two.matched == 4


def test_open_near(store):
    store.create(record(), ev())
    store.create(record(status="closed"), ev())
    near = store.open_near(category="D01", bbox=(120.62, 27.99, 120.64, 28.01),
                           since=T0 - dt.timedelta(hours=1))
    assert len(near) == 1
    assert store.open_near(category="E02", bbox=(120.62, 27.99, 120.64, 28.01),
                           since=T0) == []


def test_store_path_beside_layers(tmp_path):
    assert store_path_for(tmp_path / "x.gpkg") == tmp_path / "x.incidents.sqlite"


def test_the_table_is_checked_against_the_record():
    assert columns_match_record(incidents) == []
    meta = sa.MetaData()
    kept = [sa.Column(c.name, c.type, primary_key=c.primary_key,
                      nullable=c.nullable and c.name != "due_at")
            for c in incidents.columns if c.name != "satisfaction"]
    drifted = sa.Table("incidents", meta, *kept, sa.Column("colour", sa.String(8)))
    assert sorted(columns_match_record(drifted)) == [
        "column 'colour' is not a record field",
        "column 'due_at' is not nullable; the record allows None",
        "record field 'satisfaction' has no column"]


def test_a_stored_record_reads_back_as_the_record(store):
    stored, _ = store.create(record(unit_id="U0001", candidate_units=[{"unit_id": "U0001"}]),
                             ev())
    back = IncidentRecord.from_row(stored)
    assert back == dataclasses.replace(
        record(unit_id="U0001", candidate_units=[{"unit_id": "U0001"}]),
        incident_id=stored["incident_id"], version=1, updated_at=T0)
    assert back.status is State.REPORTED and back.to_row()["status"] == "reported"


@pytest.mark.parametrize("prefix, expected", [
    ("330399", 3), ("3303990", 3), ("330399001", 2), ("3303990010010", 1),
    ("330399002001001", 1), ("330399009", 0), ("33039", 3), ("3304", 1),
    ("33039_", 0), ("330399%", 0), ("", 3),
])
def test_jurisdiction_prefixes_match_exactly_as_starts_with(store, prefix, expected):
    """The scope's index range keeps LIKE's meaning: wildcards are literal, bounds exact."""
    for grid in ("330399001001001", "330399001002001", "330399002001001"):
        store.create(record(grid_code=grid), ev())
    store.create(record(grid_code="33040000100100"), ev())
    codes = (prefix,) if prefix else ()
    page = store.query(IncidentQuery(now=T0, area_codes=codes))
    assert page.matched == (expected if prefix else 4)


def test_a_store_without_the_township_index_gets_it_and_lists_by_it(tmp_path):
    path = tmp_path / "old.incidents.sqlite"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as con:
        con.execute("DROP INDEX ix_incidents_township_code")
    store = SQLiteStore(path)
    store.create(record(), ev())
    with sqlite3.connect(path) as con:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        plan = " ".join(str(r) for r in con.execute(
            "EXPLAIN QUERY PLAN SELECT incident_id FROM incidents WHERE township_code = ? "
            "AND grid_code >= ? AND grid_code < ?", ("330399001", "3303", "3304")))
    assert {"ix_incidents_township_code", "ix_incidents_community_code",
            "ix_incidents_unit_id"} <= names
    assert "USING INDEX" in plan and "SCAN incidents" not in plan
    assert store.query(IncidentQuery(now=T0, township_code="330399001")).matched == 1
    store.close()
