"""What only the PostGIS store has: Alembic's revisions, the point and its GiST index."""

import pytest
import sqlalchemy as sa

from gridgis.errors import StoreError
from gridgis.store import SCHEMA_VERSION, IncidentQuery
from tests.test_store import T0, ev, record


def _scalar(store, statement):
    with store.engine.connect() as conn:
        return conn.execute(sa.text(statement)).scalar()


def test_alembic_makes_the_schema_and_refuses_a_newer_one(postgis):
    store = postgis.open()
    assert _scalar(store, "SELECT version_num FROM alembic_version") == "0002"
    assert store.schema_version == SCHEMA_VERSION
    store.close()
    postgis.sql("UPDATE alembic_version SET version_num = 'f00d'")  # written by a later gridgis
    with pytest.raises(StoreError, match="newer than this gridgis"):
        postgis.open()


def test_a_store_at_revision_0001_gets_the_township_index_on_open(postgis):
    postgis.open().close()
    postgis.sql("DROP INDEX ix_incidents_township_code")
    postgis.sql("UPDATE alembic_version SET version_num = '0001'")
    store = postgis.open()
    assert _scalar(store, "SELECT version_num FROM alembic_version") == "0002"
    assert _scalar(store, "SELECT count(*) FROM pg_indexes WHERE indexname = "
                          "'ix_incidents_township_code'") == 1
    store.close()


def test_the_point_is_computed_and_the_window_uses_its_gist_index(postgis):
    store = postgis.open()
    a, _ = store.create(record(lon=120.63, lat=28.0), ev())
    store.create(record(lon=121.5, lat=29.0), ev())
    assert _scalar(store, "SELECT ST_AsText(geom) || ' ' || ST_SRID(geom) FROM incidents "
                          f"WHERE incident_id = '{a['incident_id']}'") == "POINT(120.63 28) 4490"
    page = store.query(IncidentQuery(now=T0, bbox=(120.62, 27.99, 120.63, 28.0)))  # edges in
    assert [i["incident_id"] for i in page.items] == [a["incident_id"]]
    with store.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # two rows: ask for the index
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(
            "EXPLAIN SELECT incident_id FROM incidents WHERE geom && "
            "ST_MakeEnvelope(120.62, 27.99, 120.63, 28.0, 4490)"))
    assert "idx_incidents_geom" in plan
    store.close()
